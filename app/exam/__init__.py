"""在线考试 (`exam:` of a course entity, 药监网校): one screen per course entity at
/<module>/<resource>/exam/ for the `takers` (`can_exam`): the courses with the person's
results and credits, 开始考试 (a random paper: app/exam/paper.py), the paper with its
countdown, 交卷 and the result with the right answers (shown only after hand-in).

Only the account that started a paper opens, answers and reads it (404 for anybody else);
the attempts themselves are rows of the attempts entity, read through its own doors within
each reader's range (the person's own, the employer's staff, the regulator's region)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from sqlalchemy import select

from app.context import db_session, generated
from app.exam import paper
from app.exam.paper import Models
from app.forms import endpoint_for as list_endpoint
from app.labels import current_locale, lazy
from app.security.scope import scope_condition
from generator.models import class_name
from generator.permissions import EXAM, exam_menu
from generator.spec import Entity

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def endpoint_for(entity: Entity) -> str:
    return f"{class_name(entity)}Exam"


class ExamView(BaseView):
    """Permission `can_exam` on the course entity's permission name."""

    entity: Entity
    default_view = "index"

    @property
    def exam(self) -> Any:
        return self.entity.exam

    def _models(self) -> Models:
        admin = generated()
        return Models.of(admin.spec, admin.models, self.entity)

    def _courses(self, m: Models, course_id: int | None = None) -> list[Any]:
        query = select(m.course)
        condition = scope_condition(self.entity, m.course, g.user)
        if condition is not None:
            query = query.where(condition)
        if course_id is not None:
            query = query.where(m.course.id == course_id)
        order = self.entity.default_order or ("id", "asc")
        column = getattr(m.course, order[0])
        return list(db_session().execute(query.order_by(
            column.desc() if order[1] == "desc" else column, m.course.id)).scalars())

    @expose("/")
    @has_access
    def index(self) -> Any:
        session, m = db_session(), self._models()
        if paper.close_overdue(session, self.exam, m, g.user, paper.now()):
            session.commit()
        courses = self._courses(m)
        ids = [c.id for c in courses]
        short = paper.shortfall(session, self.exam, m, ids)
        table = m.attempt
        mine = select(paper.ExamPaper.attempt_id).where(
            paper.ExamPaper.entity == self.exam.attempts,
            paper.ExamPaper.user_id == g.user.id)
        year = paper.now().year
        attempts: dict[int, list[Any]] = {}
        for row in session.execute(select(table).where(table.id.in_(mine)).order_by(
                table.started_at.desc(), table.id.desc())).scalars():
            attempts.setdefault(row.course_id, []).append(row)
        credits = sum((a.credits or 0) for rows in attempts.values() for a in rows
                      if a.credited and a.year == year)
        kinds = {v.value: v.label.get(current_locale()) for v in
                 generated().spec.entity(self.exam.bank).field("kind").values}
        parts = "、".join(_("%(kind)s %(count)s × %(points)s points", kind=kinds.get(
            p.kind, p.kind), count=p.count, points=p.points) for p in self.exam.paper)
        locale = current_locale()
        return self.render_template(
            "admin/exam_index.html", title=self.exam.label.get(locale),
            courses=courses, attempts=attempts, short=short, exam=self.exam, parts=parts,
            year=year, credits=credits, entity=self.entity,
            display_label=self.entity.field(self.entity.display).label.get(locale)
            if self.entity.has_field(self.entity.display) else _("Course"),
            results_url=url_for(f"{list_endpoint(generated().spec.entity(self.exam.attempts))}"
                                ".list"))

    @expose("/<int:course_id>/start", methods=["POST"])
    @has_access
    def start(self, course_id: int) -> Any:
        session, m = db_session(), self._models()
        found = self._courses(m, course_id)
        if not found:
            abort(404)
        course = found[0]
        going = paper.open_attempt(session, self.exam, m, course.id, g.user)
        if going is not None and not paper.late(self.exam, going, paper.now()):
            flash(_("Your paper of this course is still open: carry on."), "info")
            return redirect(url_for(".sit", attempt_id=going.id))
        if paper.shortfall(session, self.exam, m, [course.id]):
            flash(_("The question bank of this course is not complete yet: no exam can be "
                    "taken now."), "warning")
            return redirect(url_for(".index"))
        started = paper.now()
        name = ((g.user.first_name or "") + (g.user.last_name or "")).strip()
        attempt = m.attempt(course=course, person_name=name or g.user.username,
                            id_no=getattr(g.user, "id_no", None), started_at=started,
                            deadline=started + dt.timedelta(minutes=self.exam.minutes),
                            year=started.year, credited=False)
        session.add(attempt)
        session.flush()
        paper.draw(session, self.exam, m, course, attempt, g.user)
        session.commit()
        return redirect(url_for(".sit", attempt_id=attempt.id))

    def _mine(self, m: Models, attempt_id: int) -> Any:
        """The attempt, when the signed-in account sits it (else 404)."""
        session = db_session()
        if paper.owner_of(session, self.exam, attempt_id) != g.user.id:
            abort(404)
        attempt = session.get(m.attempt, attempt_id)
        if attempt is None:
            abort(404)
        return attempt

    @expose("/paper/<int:attempt_id>")
    @has_access
    def sit(self, attempt_id: int) -> Any:
        session, m = db_session(), self._models()
        attempt = self._mine(m, attempt_id)
        at = paper.now()
        if attempt.submitted_at is None and paper.late(self.exam, attempt, at):
            paper.hand_in(session, self.exam, m, attempt, None, at)
            session.commit()
            flash(_("The time allowed is over: the paper was closed with what it held at "
                    "the limit."), "warning")
        if attempt.submitted_at is not None:
            return redirect(url_for(".result", attempt_id=attempt.id))
        questions = self._questions(m, attempt, reveal=False)
        remaining = max(0, int((attempt.deadline - at).total_seconds()))
        return self.render_template(
            "admin/exam_paper.html", title=attempt.course.title, attempt=attempt,
            questions=questions, remaining=remaining, exam=self.exam)

    @expose("/paper/<int:attempt_id>/submit", methods=["POST"])
    @has_access
    def submit(self, attempt_id: int) -> Any:
        session, m = db_session(), self._models()
        attempt = self._mine(m, attempt_id)
        at = paper.now()
        if attempt.submitted_at is not None:
            flash(_("This paper was handed in already."), "info")
            return redirect(url_for(".result", attempt_id=attempt.id))
        if paper.late(self.exam, attempt, at):
            paper.hand_in(session, self.exam, m, attempt, None, at)
            session.commit()
            flash(_("The paper came in after the time allowed and was not accepted: it "
                    "counts as handed in empty at the limit."), "danger")
            return redirect(url_for(".result", attempt_id=attempt.id))
        answers: dict[int, list[int]] = {}
        for key in request.form:
            if key.startswith("q") and key[1:].isdigit():
                answers[int(key[1:])] = [int(v) for v in request.form.getlist(key)
                                         if v.isdigit()]
        if not paper.hand_in(session, self.exam, m, attempt, answers, at):
            flash(_("This paper was handed in already."), "info")
        else:
            session.commit()
            if attempt.passed:
                flash(_("Handed in: %(score)s points, passed.", score=attempt.score),
                      "success")
            else:
                flash(_("Handed in: %(score)s points, not passed (pass mark %(mark)s).",
                        score=attempt.score, mark=self.exam.pass_mark), "warning")
        return redirect(url_for(".result", attempt_id=attempt.id))

    @expose("/paper/<int:attempt_id>/result")
    @has_access
    def result(self, attempt_id: int) -> Any:
        m = self._models()
        attempt = self._mine(m, attempt_id)
        if attempt.submitted_at is None:
            return redirect(url_for(".sit", attempt_id=attempt.id))
        return self.render_template(
            "admin/exam_result.html", title=attempt.course.title, attempt=attempt,
            questions=self._questions(m, attempt, reveal=True), exam=self.exam)

    def _questions(self, m: Models, attempt: Any, reveal: bool) -> list[dict[str, Any]]:
        """What the page shows of each question; the right options only with `reveal`
        (after hand-in)."""
        session = db_session()
        rows = paper.lines(session, self.exam, attempt.id)
        bank = {q.id: q for q in session.execute(select(m.bank).where(
            m.bank.id.in_([r.question_id for r in rows]))).scalars()}
        option_ids = [o for r in rows for o in json.loads(r.options)]
        options = {o.id: o for o in session.execute(select(m.option).where(
            m.option.id.in_(option_ids))).scalars()}
        kinds = {v.value: v.label.get(current_locale()) for v in
                 generated().spec.entity(self.exam.bank).field("kind").values}
        out = []
        for row in rows:
            part = self.exam.part(row.kind)
            question = bank.get(row.question_id)
            chosen = set(json.loads(row.chosen)) if row.chosen else set()
            shown = [{"id": o, "letter": LETTERS[i % 26], "text": options[o].text,
                      "chosen": o in chosen,
                      "correct": bool(options[o].correct) if reveal else None}
                     for i, o in enumerate(json.loads(row.options)) if o in options]
            out.append({
                "position": row.position, "kind": kinds.get(row.kind, row.kind),
                "multiple": bool(part and part.multiple), "points": part.points if part else 0,
                "stem": question.stem if question is not None else "",
                "options": shown,
                "right": row.right if reveal else None,
                "earned": row.points if reveal else None,
                "explanation": (getattr(question, "explanation", None) or "")
                if reveal and question is not None else "",
                "answer": "".join(o["letter"] for o in shown if o["correct"]) if reveal else "",
                "given": "".join(o["letter"] for o in shown if o["chosen"]),
            })
        return out


def build_view(entity: Entity) -> type:
    return type(endpoint_for(entity), (ExamView,), {
        "entity": entity,
        "route_base": f"/{entity.module}/{entity.resource}/exam",
        "class_permission_name": entity.permission_name,
        "method_permission_name": {"index": EXAM, "start": EXAM, "sit": EXAM,
                                   "submit": EXAM, "result": EXAM},
    })


def register(appbuilder: Any, module: Any, entity: Entity) -> None:
    if entity.exam is None:
        return
    appbuilder.add_view(build_view(entity), exam_menu(entity), icon="fa-pencil",
                        label=lazy(entity.exam.label), category=module.key,
                        category_label=lazy(module.label), category_icon=module.icon)

