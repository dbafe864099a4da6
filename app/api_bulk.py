"""`POST /api/v1/<resource>/bulk` with {"rows": [...]}: many new rows in one request, all or
nothing. Each row goes the way of a single POST (app/api.py): the caller's field rights, the
schema's checks and normalising (`_check`), FAB's schema, the hooks before saving (`pre_add`),
then the session's own rules on flush (the organisation and its range, automatic rules,
rollups, the audit trail). Any error in any row: nothing is written, 422 names each by the
row's index in `rows` and the field. More rows than ADMIN_BULK_MAX_ROWS (default 10,000): 413.
An entity with `matching:` is matched again before the commit (app/matching.py)."""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask_appbuilder.api import expose, protect, safe
from flask_babel import gettext as _
from marshmallow import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from app import matching
from app.hooks import runtime

DEFAULT_MAX_ROWS = 10_000


class ApiBulk:
    """Mixed into GeneratedRestApi (which has `_check`, `pre_add`, `post_add`, …)."""

    entity: Any
    datamodel: Any
    add_columns: Any
    add_model_schema: Any

    @expose("/bulk", methods=["POST"])
    @protect()
    @safe
    def bulk(self) -> Any:
        """Add many rows at once, all or nothing: body {"rows": [{...}, ...]}.
        ---
        post:
          responses:
            201: {description: every row added; their ids in order}
            400: {$ref: '#/components/responses/400'}
            413: {description: more rows than the installation takes at once}
            422: {description: nothing added; the errors by row index and field}
        """
        body = request.get_json(silent=True)
        sent = body.get("rows") if isinstance(body, dict) else None
        if not isinstance(sent, list) or not sent:
            return self.response_400(  # type: ignore[attr-defined]
                message=_("The request body must be {\"rows\": [...]} with at least one row."))
        limit = int(current_app.config.get("ADMIN_BULK_MAX_ROWS") or DEFAULT_MAX_ROWS)
        if len(sent) > limit:
            return self.response(413, message=_(  # type: ignore[attr-defined]
                "At most %(limit)s rows at once; this request has %(count)s.",
                limit=limit, count=len(sent)))
        session = self.datamodel.session
        errors: list[dict[str, Any]] = []
        items = []
        for index, row in enumerate(sent):
            if not isinstance(row, dict):
                errors.append(_error(index, "", _("Each row must be a JSON object.")))
                continue
            found = self._check(row, self.add_columns, None)  # type: ignore[attr-defined]
            if found:
                errors += [_error(index, name, str(message)) for name, messages in
                           found.items() for message in messages]
                continue
            try:
                item = self.add_model_schema.load(row)
                self.pre_add(item)  # type: ignore[attr-defined]
            except ValidationError as exc:
                errors += [_error(index, str(name), str(message)) for name, messages in
                           _messages(exc.messages).items() for message in messages]
                continue
            except runtime.Denied as exc:
                errors.append(_error(index, "", _(exc.reason, **exc.params)))
                continue
            session.add(item)
            items.append(item)
        if not errors:
            try:
                session.flush()
            except SQLAlchemyError:
                session.rollback()
                return self.response_422(message=_(  # type: ignore[attr-defined]
                    "Nothing was saved: the database refused the rows (a record that "
                    "already exists, or one they refer to that does not)."))
        if errors:
            session.rollback()
            return self.response(422, message=_(  # type: ignore[attr-defined]
                "Nothing was saved: %(count)s errors in the rows.", count=len(errors)),
                errors=errors)
        for item in items:
            self.post_add(item)  # type: ignore[attr-defined]
        ids = [item.id for item in items]
        if self.entity.matching is not None:
            matching.match_entity(session, self.entity, self.datamodel.obj, touched=ids)
        session.commit()
        return self.response(201, count=len(ids), ids=ids)  # type: ignore[attr-defined]


def _error(index: int, field: str, message: str) -> dict[str, Any]:
    return {"row": index, "field": field, "message": message}


def _messages(raw: Any) -> dict[str, list[str]]:
    """marshmallow's messages as {field: [text]}."""
    if isinstance(raw, dict):
        return {str(k): [str(m) for m in (v if isinstance(v, list) else [v])]
                for k, v in raw.items()}
    return {"": [str(m) for m in (raw if isinstance(raw, list) else [raw])]}
