"""`exam:` and `visible_to_employer:` mistakes: every one reported at once, with its code,
line, key path, what is wrong and what is allowed (SCHEMA-E060, E061, E062)."""

from __future__ import annotations

from pathlib import Path

from generator import check_path

SCHEMA = Path(__file__).resolve().parent.parent / "data" / "schemas" / "training" / \
    "entities.yaml"


def _problems(tmp_path: Path, *edits: tuple[str, str]) -> list[str]:
    text = SCHEMA.read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / "entities.yaml"
    path.write_text(text, encoding="utf-8")
    return [str(p) for p in check_path(str(path))]


def test_the_training_schema_is_fine() -> None:
    assert check_path(str(SCHEMA)) == []


def test_paper_numbers_and_takers(tmp_path: Path) -> None:
    assert _problems(
        tmp_path,
        ("judge: {count: 1, points: 30, shuffle: false}", "essay: {count: 1, points: 30}"),
        ("pass_mark: 60", "pass_mark: 90"),
        ("takers: [citizen]", "takers: [citizen, regulatr, regulator]"),
        ("      regulator: [list, show, add, edit, delete]\n      citizen: [list, show]\n"
         "      legal_person: [list, show]\n    exam:",
         "      citizen: [list, show]\n      legal_person: [list, show]\n    exam:"),
        ("      citizen: {actions: [list, show, export], scope: own}",
         "      citizen: {actions: [list, show, edit], scope: own}"),
    ) == [
        "SCHEMA-E060 entities.yaml:22 entities.Course.exam.attempts: 'citizen' may edit "
        "Attempt; expected grants of only list, show, export: results are written by the "
        "exam alone",
        "SCHEMA-E060 entities.yaml:26 entities.Course.exam.paper.essay: 'essay' is not a "
        "question kind; expected one of single, multiple, judge (the values of "
        "Question.kind)",
        "SCHEMA-E060 entities.yaml:28 entities.Course.exam.pass_mark: 90 is more than the "
        "paper's 70 points; expected a pass mark from 1 to 70",
        "SCHEMA-E023 entities.yaml:30 entities.Course.exam.takers: unknown role 'regulatr'; "
        "expected one of citizen, legal_person, regulator",
        "SCHEMA-E060 entities.yaml:30 entities.Course.exam.takers: 'regulator' may not show "
        "Course; expected roles granted show on the course they take",
    ]


def test_fields_the_exam_reads(tmp_path: Path) -> None:
    assert _problems(
        tmp_path,
        ("      kind: {type: enum, required: true, values: {single: 单选题, multiple: 多选题, "
         "judge: 判断题}}", "      kind: {type: string}"),
        ("      correct: {type: boolean, default: false}", "      correct: {type: string}"),
        ("      score: integer\n", ""),
        ("credits: credit_hours", "credits: title"),
    ) == [
        "SCHEMA-E061 entities.yaml:22 entities.Course.exam.bank: 'kind' of Question is not "
        "an enum (the question kinds of the paper); expected a field 'kind' of Question: an "
        "enum (the question kinds of the paper)",
        "SCHEMA-E061 entities.yaml:22 entities.Course.exam.bank: 'correct' of Option is not "
        "a boolean field (this option is right); expected a field 'correct' of Option: a "
        "boolean field (this option is right)",
        "SCHEMA-E061 entities.yaml:23 entities.Course.exam.attempts: Attempt has no field "
        "'score'; expected a field 'score' of Attempt: an integer or decimal field",
        "SCHEMA-E061 entities.yaml:30 entities.Course.exam.credits: 'title' of Course is not "
        "a number; expected an integer or decimal field of the course: the credits a pass "
        "earns",
    ]


def test_the_employer_reads_only(tmp_path: Path) -> None:
    assert _problems(
        tmp_path,
        ("visible_to_employer: {field: id_no, staff: Staff, match: id_no, roles: "
         "[legal_person]}",
         "visible_to_employer: {field: score, staff: Staf, match: id_no, roles: "
         "[legal_person, citizen, regulator]}"),
        ("      regulator: {actions: [list, show, export], scope: jurisdiction}",
         "      regulator: {actions: [list, show, export, delete], scope: jurisdiction}"),
        ("      citizen: {actions: [list, show, export], scope: own}", ""),
    ) == [
        "SCHEMA-E060 entities.yaml:23 entities.Course.exam.attempts: 'regulator' may delete "
        "Attempt; expected grants of only list, show, export: results are written by the "
        "exam alone",
        "SCHEMA-E062 entities.yaml:71 entities.Attempt.visible_to_employer.field: 'score' is "
        "not a string field of Attempt; expected one of id_no, person_name: the person's "
        "身份证号",
        "SCHEMA-E013 entities.yaml:71 entities.Attempt.visible_to_employer.staff: unknown "
        "entity 'Staf'; expected one of school.Attempt, school.Course, school.Option, "
        "school.Question, school.Staff",
        "SCHEMA-E062 entities.yaml:71 entities.Attempt.visible_to_employer.roles: 'citizen' "
        "has no permissions on Attempt; expected roles granted only list, show, export: "
        "employers read",
        "SCHEMA-E062 entities.yaml:71 entities.Attempt.visible_to_employer.roles: "
        "'regulator' may also delete Attempt; expected roles granted only list, show, "
        "export: employers read",
    ]
