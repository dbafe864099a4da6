"""文书 (`documents:` on an entity): a DOCX template filled from a row and its lines
(docxtpl: Jinja tags in Word), numbered, downloaded as DOCX or as PDF.

The number is allocated once per row and document, in sequence per year (宁药监罚〔2026〕12号):
a row of `document_number` with a unique (entity, document, year, seq) and a unique (entity,
document, record_id), so two people generating at the same moment never share a number and a
row asked for again keeps its own. The PDF is laid out from the filled document's paragraphs
and tables (app/pdf_cjk.py: Chinese text without embedding), not a page-faithful conversion,
which would need an office suite. A download passes the row's door: the user's data range
(404 outside it), the `show` right, the document's roles and states; each one is audited.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from flask import abort, current_app, g
from flask_appbuilder import BaseView, Model, expose
from flask_babel import gettext as _
from sqlalchemy import DateTime, Integer, String, UniqueConstraint, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from app.audit import trail
from app.help.manual_pdf import render as pdf_of
from app.labels import current_locale
from app.labels import render as labels_render
from app.security.headers import send_attachment
from app.security.scope import is_admin, role_names, scope_condition
from generator.permissions import right
from generator.spec import Document, Entity
from generator.types import Render

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class DocumentNumber(Model):
    __tablename__ = "document_number"
    __table_args__ = (UniqueConstraint("entity", "document", "year", "seq",
                                       name="uq_document_number_seq"),
                      UniqueConstraint("entity", "document", "record_id",
                                       name="uq_document_number_record"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity: Mapped[str] = mapped_column(String(120), nullable=False)
    document: Mapped[str] = mapped_column(String(64), nullable=False)
    record_id: Mapped[int] = mapped_column(Integer, nullable=False)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    number: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False,
                                                    default=dt.datetime.now)


def number_of(session: Any, entity: Entity, document: Document, record_id: int) -> str:
    """The row's number: the one it has, else the next of this year (retried when a
    concurrent generation took it first)."""
    table = DocumentNumber
    mine = select(table.number).where(table.entity == entity.qualified,
                                      table.document == document.key,
                                      table.record_id == record_id)
    for _attempt in range(20):
        found = session.execute(mine).scalar_one_or_none()
        if found is not None:
            return str(found)
        year = dt.date.today().year
        last = session.execute(select(func.max(table.seq)).where(
            table.entity == entity.qualified, table.document == document.key,
            table.year == year)).scalar_one_or_none() or 0
        number = document.number.format(year=year, seq=last + 1)
        try:
            with session.begin_nested():
                session.add(table(entity=entity.qualified, document=document.key,
                                  record_id=record_id, year=year, seq=last + 1, number=number))
        except IntegrityError:
            continue  # someone took this number (or numbered this row) meanwhile
        return number
    raise RuntimeError("no document number could be allocated")


def context(entity: Entity, row: Any, number: str, spec: Any) -> dict[str, Any]:
    """What the template reads: every field as people read it, the lines as lists of such
    rows, the number, the organisation and today's date."""
    render = Render(current_locale(), _, labels_render().person)
    data: dict[str, Any] = {f.name: "" for f in entity.fields}
    for f in entity.fields:
        value = getattr(row, f.name, None)
        if f.kind.lines:
            line_entity = spec.entity(f.entity)
            data[f.name] = [{lf.name: lf.kind.display(lf, getattr(line, lf.name, None), render)
                             for lf in line_entity.fields if not lf.kind.lines}
                            for line in value or []]
        elif not f.kind.uploads:
            data[f.name] = f.kind.display(f, value, render)
    if entity.workflow is not None:
        data[entity.workflow.field] = entity.workflow.state_label(
            getattr(row, entity.workflow.field), render.locale)
    org = getattr(row, "org", None)
    today = dt.date.today()
    data.update(number=number, org=getattr(org, "name", "") or "",
                today=f"{today.year}年{today.month}月{today.day}日", id=row.id)
    return data


def fill(document: Document, data: dict[str, Any]) -> bytes:
    from docxtpl import DocxTemplate  # on first use: a start-up fills no document

    template = DocxTemplate(document.template)
    template.render(data, autoescape=True)
    out = io.BytesIO()
    template.save(out)
    return out.getvalue()


def as_pdf(docx: bytes, title: str) -> bytes:
    """The filled document's text as an A4 PDF: its first paragraph as the title, the other
    paragraphs and table rows one by one."""
    from docx import Document as Docx

    parsed = Docx(io.BytesIO(docx))
    texts = [p.text.strip() for p in parsed.paragraphs if p.text.strip()]
    for table in parsed.tables:
        texts += ["\u3000".join(c.text.strip() for c in r.cells) for r in table.rows]
    if not texts:
        return pdf_of("", title)
    body = [f"# {texts[0]}"] + [line for text in texts[1:] for line in ("", text)]
    return pdf_of("\n".join(body), title)


def may_generate(entity: Entity, document: Document, row: Any, user: Any, sm: Any) -> bool:
    """A row the user reaches: the `show` right, one of the document's roles, its states."""
    allowed = is_admin(user) or (
        sm.has_access(right("show"), entity.permission_name)
        and (not document.roles or bool(role_names(user) & set(document.roles))))
    state = getattr(row, entity.workflow.field) if entity.workflow else None
    return allowed and (not document.states or state in document.states)


def offered(entity: Entity, row: Any, user: Any, sm: Any) -> list[dict[str, str]]:
    """The detail page's 文书: each document the user may generate from the row now."""
    base = f"/documents/{entity.module}/{entity.resource}/{row.id}"
    return [{"label": d.label.get(current_locale()), "docx": f"{base}/{d.key}.docx",
             "pdf": f"{base}/{d.key}.pdf"}
            for d in entity.documents if may_generate(entity, d, row, user, sm)]


class DocumentView(BaseView):
    """/documents/<module>/<resource>/<id>/<document>.docx or .pdf"""

    route_base = "/documents"

    @expose("/<module>/<resource>/<int:pk>/<key>.<kind>")
    def download(self, module: str, resource: str, pk: int, key: str, kind: str) -> Any:
        user = g.user if getattr(g.user, "is_authenticated", False) else None
        admin = current_app.extensions["admin"]
        entity = next((e for e in admin.spec.entities
                       if e.module == module and e.resource == resource), None)
        document = entity.document(key) if entity is not None else None
        if user is None or entity is None or document is None or kind not in ("docx", "pdf"):
            abort(404)
        model = admin.models[entity.qualified]
        query = select(model).where(model.id == pk)
        condition = scope_condition(entity, model, user)
        row = admin.session.execute(query if condition is None else query.where(condition)
                                    ).unique().scalar_one_or_none()
        if row is None:
            abort(404)
        if not may_generate(entity, document, row, user, self.appbuilder.sm):
            abort(403)
        session = admin.session
        number = number_of(session, entity, document, row.id)
        filled = fill(document, context(entity, row, number, admin.spec))
        title = f"{document.label.get(current_locale())}（{number}）"
        trail.record(session, "document", entity=entity.qualified, record_id=row.id,
                     transition=document.key, reason=number, user=user)
        session.commit()
        if kind == "pdf":
            return send_attachment(io.BytesIO(as_pdf(filled, title)), f"{title}.pdf",
                                   "application/pdf")
        return send_attachment(io.BytesIO(filled), f"{title}.docx", DOCX)


def init_app(appbuilder: Any) -> None:
    appbuilder.add_view_no_menu(DocumentView)
