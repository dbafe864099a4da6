"""The 药监网校 parts of the Spec: an entity's `exam:` (a random paper per attempt drawn from a
question bank, scored on the server) and `visible_to_employer:` (rows naming a person's
身份证号 are readable by the organisations whose staff lists that number)."""

from __future__ import annotations

from dataclasses import dataclass

from generator.spec import Label

# The fields the exam reads and writes, by name (checks/exam.py says which type each needs).
BANK_FIELDS = ("course", "kind", "stem", "options")
OPTION_FIELDS = ("text", "correct")
ATTEMPT_FIELDS = ("course", "person_name", "id_no", "started_at", "deadline",
                  "submitted_at", "score", "passed", "year", "credits", "credited")


@dataclass(frozen=True)
class PaperPart:
    """So many questions of one kind (a value of the bank's `kind`), each worth `points`;
    `multiple`: several options may be right (all of them, and only they, must be chosen);
    `shuffle`: the options are shown in a random order (not 正确/错误 of a 判断题)."""

    kind: str
    count: int
    points: int
    multiple: bool = False
    shuffle: bool = True


@dataclass(frozen=True)
class Exam:
    """`exam:` on a course entity: who takes it, how the paper is drawn from the bank, how
    long it lasts, the pass mark, and the course field holding the credits a pass earns
    (once per course, person and year)."""

    label: Label
    bank: str  # qualified entity of the questions (fields BANK_FIELDS)
    options: str  # qualified entity of the questions' option lines (fields OPTION_FIELDS)
    attempts: str  # qualified entity recording each attempt (fields ATTEMPT_FIELDS)
    paper: tuple[PaperPart, ...]
    minutes: int
    pass_mark: int
    credits: str  # a number field of the course
    takers: tuple[str, ...]
    grace_seconds: int = 60  # a paper handed in this long after the limit is still scored

    @property
    def total(self) -> int:
        return sum(p.count * p.points for p in self.paper)

    def part(self, kind: str) -> PaperPart | None:
        return next((p for p in self.paper if p.kind == kind), None)


@dataclass(frozen=True)
class Employer:
    """`visible_to_employer`: a row whose `field` holds a person's 身份证号 is readable (only)
    by the users of `roles` whose organisation has a row of `staff` with `match` equal to
    it (an enterprise reads the exam results of the people in its 人员管理)."""

    field: str
    staff: str  # qualified, org-scoped entity
    match: str
    roles: tuple[str, ...]
