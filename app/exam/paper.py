"""The paper of one attempt: drawn at random from the bank, kept on the server, scored there.

A paper is rows of `exam_paper` (one per question, in the order shown, with the options in
the order shown), owned by the account that started it; the browser gets the stems and the
options' texts under opaque ids, never which option is right. Handing in scores each
question (all the right options and only they: its points; anything else: none), writes
the result into the attempt (one guarded UPDATE: a second hand-in scores nothing), and
grants the course's credits when the paper passes and the person holds no credited attempt
of the course in that year (the partial unique index of the attempts entity is the last
guard when two papers are handed in at the same moment).

The time limit is the server's: an attempt is due `minutes` after it started; a paper
handed in up to `grace_seconds` after that (the page hands it in itself at the limit, and
the request takes its time) is scored with what it holds; later, nothing is accepted: the
attempt is closed with 0 points, not passed, as it stood at the limit (nothing handed in).
"""

from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import dataclass
from typing import Any

from flask_appbuilder import Model
from sqlalchemy import Boolean, Integer, String, Text, UniqueConstraint, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from generator.spec import Entity, Spec
from generator.spec_exam import Exam

_RANDOM = random.SystemRandom()  # papers nobody can predict from earlier ones


class ExamPaper(Model):
    __tablename__ = "exam_paper"
    __table_args__ = (UniqueConstraint("entity", "attempt_id", "position",
                                       name="uq_exam_paper_position"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity: Mapped[str] = mapped_column(String(120), nullable=False)  # the attempts entity
    attempt_id: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    user_id: Mapped[int] = mapped_column(Integer, nullable=False)  # who sits the paper
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    question_id: Mapped[int] = mapped_column(Integer, nullable=False)
    kind: Mapped[str] = mapped_column(String(64), nullable=False)
    options: Mapped[str] = mapped_column(Text, nullable=False)  # JSON: option ids as shown
    chosen: Mapped[str | None] = mapped_column(Text)  # JSON: option ids handed in
    right: Mapped[bool | None] = mapped_column(Boolean)
    points: Mapped[int | None] = mapped_column(Integer)


def now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


@dataclass(frozen=True)
class Models:
    """The mapped classes an exam works with."""

    course: Any
    bank: Any
    option: Any
    attempt: Any

    @classmethod
    def of(cls, spec: Spec, models: dict[str, Any], course: Entity) -> Models:
        exam = course.exam
        assert exam is not None
        return cls(models[course.qualified], models[exam.bank], models[exam.options],
                   models[exam.attempts])


def shortfall(session: Any, exam: Exam, m: Models, course_ids: list[int]
              ) -> dict[int, list[tuple[str, int, int]]]:
    """Per course: the kinds whose bank holds fewer questions than the paper draws
    (kind, needed, held); a course missing from the answer can be examined."""
    held: dict[tuple[int, str], int] = {}
    if course_ids:
        rows = session.execute(
            select(m.bank.course_id, m.bank.kind, func.count()).where(
                m.bank.course_id.in_(course_ids)).group_by(m.bank.course_id, m.bank.kind))
        held = {(c, k): n for c, k, n in rows}
    out: dict[int, list[tuple[str, int, int]]] = {}
    for course_id in course_ids:
        short = [(p.kind, p.count, held.get((course_id, p.kind), 0)) for p in exam.paper
                 if held.get((course_id, p.kind), 0) < p.count]
        if short:
            out[course_id] = short
    return out


def draw(session: Any, exam: Exam, m: Models, course: Any, attempt: Any, user: Any) -> None:
    """The attempt's paper: each part's questions at random, options shuffled (unless the
    part says `shuffle: false`)."""
    position = 0
    for part in exam.paper:
        ids = list(session.execute(select(m.bank.id).where(
            m.bank.course_id == course.id, m.bank.kind == part.kind)).scalars())
        chosen = _RANDOM.sample(sorted(ids), part.count)
        options: dict[int, list[int]] = {}
        for question_id, option_id in session.execute(
                select(m.option.question_id, m.option.id).where(
                    m.option.question_id.in_(chosen)).order_by(m.option.id)):
            options.setdefault(question_id, []).append(option_id)
        for question_id in chosen:
            shown = options.get(question_id, [])
            if part.shuffle:
                _RANDOM.shuffle(shown)
            position += 1
            session.add(ExamPaper(entity=exam.attempts, attempt_id=attempt.id,
                                  user_id=user.id, position=position,
                                  question_id=question_id, kind=part.kind,
                                  options=json.dumps(shown)))


def lines(session: Any, exam: Exam, attempt_id: int) -> list[ExamPaper]:
    return list(session.execute(select(ExamPaper).where(
        ExamPaper.entity == exam.attempts, ExamPaper.attempt_id == attempt_id
    ).order_by(ExamPaper.position)).scalars())


def owner_of(session: Any, exam: Exam, attempt_id: int) -> int | None:
    return session.execute(select(ExamPaper.user_id).where(
        ExamPaper.entity == exam.attempts, ExamPaper.attempt_id == attempt_id).limit(1)
    ).scalar_one_or_none()


def late(exam: Exam, attempt: Any, at: dt.datetime) -> bool:
    """Past the limit and its grace: nothing is accepted any more."""
    deadline = attempt.deadline
    return deadline is not None and at > deadline + dt.timedelta(seconds=exam.grace_seconds)


def hand_in(session: Any, exam: Exam, m: Models, attempt: Any,
            answers: dict[int, list[int]] | None, at: dt.datetime) -> bool:
    """Score and close the attempt; `answers` (position -> option ids) None: closed at the
    limit with nothing handed in. False when it was closed already (by another request)."""
    table = m.attempt
    closed = session.execute(update(table).where(
        table.id == attempt.id, table.submitted_at.is_(None)
    ).values(submitted_at=min(at, attempt.deadline) if answers is None else at)
    ).rowcount
    if closed != 1:
        return False
    session.refresh(attempt)
    rows = lines(session, exam, attempt.id)
    right_ids: dict[int, set[int]] = {}
    ids = [r.question_id for r in rows]
    for question_id, option_id in session.execute(select(m.option.question_id, m.option.id)
                                                  .where(m.option.question_id.in_(ids),
                                                         m.option.correct.is_(True))):
        right_ids.setdefault(question_id, set()).add(option_id)
    score = 0
    for row in rows:
        shown = set(json.loads(row.options))
        given = [o for o in (answers or {}).get(row.position, []) if o in shown]
        part = exam.part(row.kind)
        row.chosen = json.dumps(sorted(set(given)))
        row.right = bool(given) and set(given) == right_ids.get(row.question_id, set())
        row.points = part.points if row.right and part is not None else 0
        score += row.points
    attempt.score = score
    attempt.passed = score >= exam.pass_mark
    attempt.credits = 0
    session.flush()
    if attempt.passed:
        _credit(session, exam, m, attempt)
    return True


def _credit(session: Any, exam: Exam, m: Models, attempt: Any) -> None:
    """The course's credits, unless the person holds them for the course and year already."""
    table = m.attempt
    held = session.execute(select(table.id).where(
        table.course_id == attempt.course_id, table.org_id == attempt.org_id,
        table.year == attempt.year, table.credited.is_(True), table.id != attempt.id
    ).limit(1)).scalar_one_or_none()
    if held is not None:
        return
    course = session.get(m.course, attempt.course_id)
    try:
        with session.begin_nested():
            attempt.credited = True
            attempt.credits = getattr(course, exam.credits)
            session.flush()
    except IntegrityError:  # a paper handed in at the same moment took them
        attempt.credited, attempt.credits = False, 0


def open_attempt(session: Any, exam: Exam, m: Models, course_id: int, user: Any) -> Any:
    """The person's attempt of the course still being answered, if any."""
    table = m.attempt
    ids = select(ExamPaper.attempt_id).where(ExamPaper.entity == exam.attempts,
                                             ExamPaper.user_id == user.id)
    return session.execute(select(table).where(
        table.course_id == course_id, table.submitted_at.is_(None), table.id.in_(ids)
    ).order_by(table.id.desc()).limit(1)).scalar_one_or_none()


def close_overdue(session: Any, exam: Exam, m: Models, user: Any, at: dt.datetime) -> int:
    """The person's attempts left open past their limit and grace: closed with 0 points."""
    table = m.attempt
    ids = select(ExamPaper.attempt_id).where(ExamPaper.entity == exam.attempts,
                                             ExamPaper.user_id == user.id)
    limit = at - dt.timedelta(seconds=exam.grace_seconds)
    overdue = list(session.execute(select(table).where(
        table.submitted_at.is_(None), table.deadline < limit, table.id.in_(ids))).scalars())
    closed = 0
    for attempt in overdue:
        closed += hand_in(session, exam, m, attempt, None, at)
    return closed
