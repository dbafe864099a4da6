"""The demo's 药监网校 (seed 003 ch. 5): three courses kept by 北京's regulator (bj_reg) with
their question bank (app/demo/training_bank.py; the third course's bank is still being
built, so it offers no exam yet), and two papers of the 自然人 孙浩然 (bj_person): one passed
(its credits counted), one not. Added only while there is no course; the papers are drawn
deterministically (the first questions of each kind) and handed in through the exam's own
scoring (app/exam/paper.py)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import select

from app.context import generated
from app.demo.business import acting
from app.demo.training_bank import COURSES, GSP, LAW, CourseText
from app.exam import paper

COURSE = "training.Course"
YEAR = 2026
# (course, started at, right answers given per kind: the rest are answered wrongly)
PAPERS = ((LAW, dt.datetime(YEAR, 11, 12, 9, 30), {"single": 9, "multiple": 4, "judge": 5}),
          (GSP, dt.datetime(YEAR, 11, 20, 14, 0), {"single": 5, "multiple": 1, "judge": 3}))


def load(session: Any, users: dict[str, Any], orgs: dict[str, Any]) -> dict[str, int]:
    models = generated().models
    spec = generated().spec
    if COURSE not in models or "bj_reg" not in users or session.execute(
            select(models[COURSE].id).limit(1)).first():
        return {}
    course_m, material_m = models[COURSE], models["training.CourseMaterial"]
    question_m, option_m = models["training.Question"], models["training.QuestionOption"]
    rows: dict[str, Any] = {}
    questions = 0
    with acting(session, users["bj_reg"]):
        for text in COURSES:
            course = course_m(title=text.title, category=text.category,
                              credit_hours=text.credits, year=YEAR, lecturer=text.lecturer,
                              summary=text.summary)
            course.materials = [material_m(title=t, url=url) for t, url in text.materials]
            session.add(course)
            rows[text.key] = course
            for item in text.items:
                question = question_m(course=course, kind=item.kind, stem=item.stem,
                                      explanation=item.explanation or None)
                question.options = [option_m(text=o, correct=i in item.right)
                                    for i, o in enumerate(item.options)]
                session.add(question)
                questions += 1
    exam = spec.entity(COURSE).exam
    person = users.get("bj_person")
    papers = 0
    if exam is not None and person is not None:
        m = paper.Models.of(spec, models, spec.entity(COURSE))
        with acting(session, person):
            for text, started, right in PAPERS:
                _sit(session, exam, m, rows[text.key], text, person, started, right)
                papers += 1
    return {"courses": len(rows), "questions": questions, "exam papers": papers}


def _sit(session: Any, exam: Any, m: paper.Models, course: Any, text: CourseText,
         person: Any, started: dt.datetime, right: dict[str, int]) -> None:
    """One paper of `person`: the first questions of each kind, `right[kind]` of them
    answered rightly, handed in 18 minutes after the start."""
    name = ((person.first_name or "") + (person.last_name or "")).strip()
    attempt = m.attempt(course=course, person_name=name, id_no=person.id_no,
                        started_at=started,
                        deadline=started + dt.timedelta(minutes=exam.minutes),
                        year=started.year, credited=False)
    session.add(attempt)
    session.flush()
    answers: dict[int, list[int]] = {}
    position = 0
    for part in exam.paper:
        chosen = [q for q in course_questions(session, m, course) if q.kind == part.kind]
        for n, question in enumerate(chosen[:part.count]):
            position += 1
            options = sorted(question.options, key=lambda o: o.id)
            session.add(paper.ExamPaper(entity=exam.attempts, attempt_id=attempt.id,
                                        user_id=person.id, position=position,
                                        question_id=question.id, kind=part.kind,
                                        options=json.dumps([o.id for o in options])))
            good = [o.id for o in options if o.correct]
            bad = [o.id for o in options if not o.correct][:1]
            answers[position] = good if n < right.get(part.kind, 0) else bad
    session.flush()
    paper.hand_in(session, exam, m, attempt, answers, started + dt.timedelta(minutes=18))


def course_questions(session: Any, m: paper.Models, course: Any) -> list[Any]:
    return list(session.execute(select(m.bank).where(m.bank.course_id == course.id)
                                .order_by(m.bank.id)).scalars())

