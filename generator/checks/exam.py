"""`exam:` on a course entity and `visible_to_employer:` on a results entity (药监网校).

The exam draws a random paper per attempt from a question bank, by the composition of
`paper`, and writes each attempt into an entity of the schema (so its list, export, REST
and summaries are the ordinary doors). It reads and writes fields by fixed names
(generator/spec_exam.py); each must exist with a fitting type (SCHEMA-E061). The paper,
the numbers and the roles must fit together (SCHEMA-E060); the employer's reading of
results, read-only like `visible_to_owner`, has its own code (SCHEMA-E062).
"""

from __future__ import annotations

from collections.abc import Callable

from generator.checks.context import Context, listing
from generator.checks.drafts import EntityDraft, FieldDraft
from generator.checks.references import Index
from generator.loader import Node
from generator.permissions import READING_ACTIONS
from generator.spec import Label
from generator.spec_exam import (
    ATTEMPT_FIELDS,
    BANK_FIELDS,
    Employer,
    Exam,
    PaperPart,
)
from generator.types import TYPES

EXAM_KEYS = ("label", "bank", "attempts", "paper", "minutes", "pass_mark", "credits",
             "takers", "grace_seconds")
PART_KEYS = ("count", "points", "multiple", "shuffle")
EMPLOYER_KEYS = ("field", "staff", "match", "roles")
DEFAULT_LABEL = Label("在线考试", "Exams")

Expect = tuple[str, Callable[[FieldDraft], bool]]  # what it must be, and the test


def _text(f: FieldDraft) -> bool:
    return bool(f.kind.initials or f.kind.multiline)


def _is(name: str) -> Callable[[FieldDraft], bool]:
    return lambda f: f.kind is TYPES[name]


def _number(f: FieldDraft) -> bool:
    return f.kind in (TYPES["integer"], TYPES["decimal"])


def _refers(target: str) -> Callable[[FieldDraft], bool]:
    return lambda f: bool(f.kind.refers) and f.get("to") == target


def read_exam(ctx: Context, entity: EntityDraft) -> None:
    """Kept raw: the bank and the attempts are other entities, read once all are known."""
    entity.exam_node = ctx.mapping(entity.node, "exam", f"{entity.path}.exam")
    entity.employer_node = ctx.mapping(entity.node, "visible_to_employer",
                                       f"{entity.path}.visible_to_employer")


def resolve_exams(ctx: Context, index: Index) -> None:
    for entity in index.by_name.values():
        if entity.exam_node is not None:
            entity.kw["exam"] = _exam(ctx, entity, entity.exam_node, index)
        if entity.employer_node is not None:
            entity.kw["employer"] = _employer(ctx, entity, entity.employer_node, index)


def _fields(ctx: Context, owner: EntityDraft, node: Node, key: str, path: str,
            expected: dict[str, Expect]) -> bool:
    """Each field the exam uses exists on `owner` with a fitting type (SCHEMA-E061)."""
    fine = True
    for name, (what, test) in expected.items():
        f = owner.field(name)
        if f is None and name in owner.broken_fields:
            fine = False
            continue
        if f is None or not test(f):
            problem = (f"{owner.key} has no field '{name}'" if f is None
                       else f"'{name}' of {owner.key} is not {what}")
            ctx.err("SCHEMA-E061", node.where(key), f"{path}.{key}", problem,
                    f"a field '{name}' of {owner.key}: {what}")
            fine = False
    return fine


def _exam(ctx: Context, course: EntityDraft, node: Node, index: Index) -> Exam | None:
    path = f"{course.path}.exam"
    ctx.keys(node, EXAM_KEYS, path, required=("bank", "attempts", "paper", "pass_mark",
                                              "credits", "takers"))
    bank = index.resolve(ctx, node, "bank", path, course.module)
    attempts = index.resolve(ctx, node, "attempts", path, course.module)
    options = _bank(ctx, course, bank, node, path, index) if bank is not None else None
    attempts_fine = attempts is not None and _attempts(ctx, course, attempts, node, path)
    paper = _paper(ctx, node, path, bank)
    minutes = ctx.integer(node, "minutes", path, 30, 1, 600)
    grace = ctx.integer(node, "grace_seconds", path, 60, 0, 600)
    total = sum(p.count * p.points for p in paper)
    pass_mark = ctx.integer(node, "pass_mark", path, 60, 1, 10000)
    if paper and pass_mark > total:
        ctx.err("SCHEMA-E060", node.where("pass_mark"), f"{path}.pass_mark",
                f"{pass_mark} is more than the paper's {total} points",
                f"a pass mark from 1 to {total}")
    credits = node.get("credits")
    credit_field = course.field(credits) if isinstance(credits, str) else None
    if isinstance(credits, str) and credit_field is None:
        ctx.err("SCHEMA-E019", node.where("credits"), f"{path}.credits",
                f"unknown field '{credits}'",
                f"one of {listing(sorted(course.names(stored=True)))}")
    elif credit_field is not None and not _number(credit_field):
        ctx.err("SCHEMA-E061", node.where("credits"), f"{path}.credits",
                f"'{credits}' of {course.key} is not a number",
                "an integer or decimal field of the course: the credits a pass earns")
        credit_field = None
    takers = _takers(ctx, course, node, path)
    if (options is None or not attempts_fine or not paper or credit_field is None
            or not takers or (paper and pass_mark > total)):
        return None
    assert bank is not None and attempts is not None
    return Exam(ctx.label(node, "label", path, DEFAULT_LABEL.zh)
                if "label" in node else DEFAULT_LABEL,
                bank.qualified, options, attempts.qualified, paper, minutes, pass_mark,
                credit_field.name, takers, grace)


def _bank(ctx: Context, course: EntityDraft, bank: EntityDraft, node: Node, path: str,
          index: Index) -> str | None:
    """The bank's fields, and the entity of its option lines (qualified)."""
    fine = _fields(ctx, bank, node, "bank", path, {
        "course": (f"a reference to {course.key}", _refers(course.qualified)),
        "kind": ("an enum (the question kinds of the paper)", lambda f: bool(f.get("values"))),
        "stem": ("a string or text field", _text),
        "options": ("a child field (the options as lines)", lambda f: bool(f.kind.lines)),
    })
    lines = bank.field(BANK_FIELDS[-1])
    target = index.by_name.get(str(lines.get("entity"))) if lines is not None else None
    if target is None:
        return None
    lines_fine = _fields(ctx, target, node, "bank", path, {  # OPTION_FIELDS
        "text": ("a string or text field", _text),
        "correct": ("a boolean field (this option is right)", _is("boolean")),
    })
    return target.qualified if fine and lines_fine else None


def _attempts(ctx: Context, course: EntityDraft, attempts: EntityDraft, node: Node,
              path: str) -> bool:
    """The attempts entity: its fields, its scope (the taker's own unit holds each attempt),
    and rights that only read (no door but the exam writes a result)."""
    expected: dict[str, Expect] = {
        "course": (f"a reference to {course.key}", _refers(course.qualified)),
        "person_name": ("a string field", _is("string")),
        "id_no": ("a string field (the person's 身份证号)", _is("string")),
        "started_at": ("a datetime field", _is("datetime")),
        "deadline": ("a datetime field", _is("datetime")),
        "submitted_at": ("a datetime field", _is("datetime")),
        "score": ("an integer or decimal field", _number),
        "passed": ("a boolean field", _is("boolean")),
        "year": ("an integer field", _is("integer")),
        "credits": ("an integer or decimal field", _number),
        "credited": ("a boolean field", _is("boolean")),
    }
    assert tuple(expected) == ATTEMPT_FIELDS
    fine = _fields(ctx, attempts, node, "attempts", path, expected)
    if attempts.kw.get("scope") is None:
        ctx.err("SCHEMA-E060", node.where("attempts"), f"{path}.attempts",
                f"{attempts.key} has no scope", "an entity with scope: each attempt belongs "
                "to the taker's organisation")
        fine = False
    for grant in attempts.kw.get("grants", ()):
        writes = [a for a in grant.actions if a not in READING_ACTIONS]
        if writes:
            ctx.err("SCHEMA-E060", node.where("attempts"), f"{path}.attempts",
                    f"'{grant.role}' may {listing(writes)} {attempts.key}",
                    f"grants of only {listing(READING_ACTIONS)}: results are written by "
                    "the exam alone")
            fine = False
    return fine


def _paper(ctx: Context, node: Node, path: str, bank: EntityDraft | None
           ) -> tuple[PaperPart, ...]:
    raw = ctx.mapping(node, "paper", f"{path}.paper")
    if raw is None:
        return ()
    kind = bank.field("kind") if bank is not None else None
    kinds = [v.value for v in (kind.get("values") or ())] if kind is not None else []
    parts = []
    for key, body in raw.items():
        at = f"{path}.paper.{key}"
        if kinds and key not in kinds:
            ctx.err("SCHEMA-E060", raw.where(key), at, f"'{key}' is not a question kind",
                    f"one of {listing(kinds)} (the values of {bank.key}.kind)"  # type: ignore[union-attr]
                    )
            continue
        if not ctx.expect(body, dict, raw.where(key), at):
            continue
        ctx.keys(body, PART_KEYS, at, required=("count", "points"))
        count = ctx.integer(body, "count", at, 0, 1, 200)
        points = ctx.integer(body, "points", at, 0, 1, 100)
        if count and points:
            parts.append(PaperPart(str(key), count, points, ctx.flag(body, "multiple", at),
                                   ctx.flag(body, "shuffle", at, True)))
    if not raw:
        ctx.err("SCHEMA-E060", node.where("paper"), f"{path}.paper", "the paper is empty",
                "question kind -> {count, points}, e.g. single: {count: 10, points: 5}")
    return tuple(parts)


def _takers(ctx: Context, course: EntityDraft, node: Node, path: str) -> tuple[str, ...]:
    grants = {g.role: g for g in course.kw.get("grants", ())}
    found = []
    for role, at in ctx.names(node, "takers", path):
        if not ctx.known_role(role, at, f"{path}.takers"):
            continue
        if "show" not in getattr(grants.get(role), "actions", ()):
            ctx.err("SCHEMA-E060", at, f"{path}.takers", f"'{role}' may not show "
                    f"{course.key}", "roles granted show on the course they take")
            continue
        found.append(role)
    return tuple(found)


def _employer(ctx: Context, entity: EntityDraft, node: Node, index: Index
              ) -> Employer | None:
    path = f"{entity.path}.visible_to_employer"
    ctx.keys(node, EMPLOYER_KEYS, path, required=EMPLOYER_KEYS)
    fine = True
    if entity.kw.get("scope") is None:
        ctx.err("SCHEMA-E062", entity.node.where("visible_to_employer"), path,
                f"{entity.key} has no scope", "an entity with scope")
        fine = False
    texts = sorted(f.name for f in entity.fields if f.kind is TYPES["string"])
    name = node.get("field")
    if name is not None and name not in texts:
        ctx.err("SCHEMA-E062", node.where("field"), f"{path}.field",
                f"'{name}' is not a string field of {entity.key}",
                f"one of {listing(texts) or '(none)'}: the person's 身份证号")
        fine = False
    staff = index.resolve(ctx, node, "staff", path, entity.module)
    match = node.get("match")
    if staff is not None:
        if staff.kw.get("scope") is None:
            ctx.err("SCHEMA-E062", node.where("staff"), f"{path}.staff",
                    f"{staff.key} has no scope", "an entity with scope: the staff of an "
                    "organisation")
            fine = False
        numbers = sorted(f.name for f in staff.fields if f.kind is TYPES["string"])
        if match is not None and match not in numbers:
            ctx.err("SCHEMA-E062", node.where("match"), f"{path}.match",
                    f"'{match}' is not a string field of {staff.key}",
                    f"one of {listing(numbers) or '(none)'}: the staff member's 身份证号")
            fine = False
    grants = {g.role: g for g in entity.kw.get("grants", ())}
    roles = []
    for role, at in ctx.names(node, "roles", path):
        grant = grants.get(role)
        writes = [a for a in grant.actions if a not in READING_ACTIONS] if grant else []
        if grant is None or writes:
            why = (f"'{role}' has no permissions on {entity.key}" if grant is None
                   else f"'{role}' may also {listing(writes)} {entity.key}")
            ctx.err("SCHEMA-E062", at, f"{path}.roles", why,
                    f"roles granted only {listing(READING_ACTIONS)}: employers read")
            fine = False
            continue
        roles.append(role)
    if not fine or staff is None or not roles or not isinstance(name, str) \
            or not isinstance(match, str):
        return None
    return Employer(name, staff.qualified, match, tuple(roles))

