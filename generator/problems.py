"""Schema problems: one stable code per kind of mistake, with where it is and what is allowed."""

from __future__ import annotations

from dataclasses import dataclass

from generator.loader import Location

# Stable codes. Never renumber: tests, docs and people's notes refer to them.
CODES: dict[str, str] = {
    "SCHEMA-E001": "the file cannot be read or is not valid YAML",
    "SCHEMA-E002": "a value has the wrong kind (mapping, list, text, number, yes/no)",
    "SCHEMA-E003": "unknown key",
    "SCHEMA-E004": "a required key is missing",
    "SCHEMA-E005": "a name does not follow the naming rule",
    "SCHEMA-E006": "a name is defined twice",
    "SCHEMA-E010": "unknown field type",
    "SCHEMA-E011": "an option does not apply to this field type",
    "SCHEMA-E012": "enum values are missing or malformed",
    "SCHEMA-E013": "reference to an unknown entity",
    "SCHEMA-E014": "child table is not linked back to its parent",
    "SCHEMA-E015": "computed expression is not allowed",
    "SCHEMA-E016": "unknown validator",
    "SCHEMA-E017": "a bound or number is out of range or inconsistent",
    "SCHEMA-E018": "invalid regular expression",
    "SCHEMA-E019": "names a field the entity does not have",
    "SCHEMA-E020": "a default value does not fit the field",
    "SCHEMA-E021": "an include pattern matches no file",
    "SCHEMA-E022": "a reserved name is used",
    "SCHEMA-E023": "names a role the schema does not define",
    "SCHEMA-E024": "unknown permission action",
    "SCHEMA-E025": "unknown hook, or a hook named where it cannot run",
    "SCHEMA-E026": "hook parameters are not valid",
    "SCHEMA-E027": "a workflow names a state, transition or workflow that does not exist",
    "SCHEMA-E028": "yes, no, on or off written unquoted: YAML reads them as true and false",
    "SCHEMA-E029": "a date or time that does not exist, such as 2026-02-30",
    "SCHEMA-E030": "names a file that does not exist or cannot be used",
    "SCHEMA-E031": "fields wait for each other in a circle (visible_if, depends_on)",
    "SCHEMA-E032": "a cascading choice's fields do not point at the same entity",
    "SCHEMA-E033": "automatic rules create rows of each other in a circle",
    "SCHEMA-E045": "a schedule's cron expression is not valid",
    "SCHEMA-E046": "a schedule names an action that is not in the catalogue",
    "SCHEMA-E047": "a schedule's action parameters are not valid",
    "SCHEMA-E048": "a dashboard indicator cannot be computed as written",
    "SCHEMA-E049": "a dashboard chart does not fit its indicator",
    "SCHEMA-E050": "an entity's matching cannot be computed as written",
    "SCHEMA-E060": "an exam cannot be set as written (paper, pass mark, takers, results)",
    "SCHEMA-E061": "an exam names a field that is missing or of the wrong type",
    "SCHEMA-E062": "results cannot be read by the employer as written",
    "SCHEMA-E057": "a content page cannot be shown as written",
    "SCHEMA-E058": "an entity's similar-question matching cannot be computed as written",
    "SCHEMA-E059": "an entity's public rows cannot be shown as written",
    "SCHEMA-E054": "favourites is not yes/no",
    "SCHEMA-E055": "a list's tabs do not name a field of fixed values",
    "SCHEMA-E056": "an entity's searchable names fields that cannot be searched",
    "SCHEMA-E063": "a module's menu link cannot be shown as written",
    "SCHEMA-E064": "a file field's accepted types contradict each other",
    "SCHEMA-E065": "a file field's quota has no organisation to count against",
    "SCHEMA-E066": "the role of registration: is not held by a unit's account",
    "SCHEMA-E067": "a registration region is not a province's GB/T 2260 code",
    "SCHEMA-E068": "a unit kind that cannot register",
}


@dataclass(frozen=True)
class Problem:
    code: str
    location: Location
    path: str  # key path, e.g. entities.Demand.fields.planned.type
    message: str
    allowed: str = ""

    def __str__(self) -> str:
        text = f"{self.code} {self.location} {self.path}: {self.message}"
        return f"{text}; expected {self.allowed}" if self.allowed else text


class SchemaError(Exception):
    """Raised when a schema has problems; carries all of them."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(report(problems))


def report(problems: list[Problem]) -> str:
    lines = [str(p) for p in problems]
    noun = "problem" if len(problems) == 1 else "problems"
    lines.append(f"{len(problems)} {noun} in the schema.")
    return "\n".join(lines)
