"""Base class of every generated REST API under /api/v1/<resource>/.

The schema's rules run before Flask-AppBuilder's own loading, so a bad request gets the same
Chinese messages per field as the form, all at once, and nothing is written.
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

import prison
from flask import g, request
from flask_appbuilder.api import ModelRestApi, expose, protect, safe
from flask_appbuilder.exceptions import DatabaseException
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_jwt_extended import verify_jwt_in_request
from flask_login import current_user
from sqlalchemy import func, select

from app import gate
from app.api_bulk import ApiBulk
from app.choices import refusal
from app.compat import RestApiHooks
from app.context import generated
from app.hooks import runtime
from app.io.views import ApiIO
from app.row_rules import clear_hidden, default_of, defaults, hidden
from app.security.fields import field_rights
from app.security.models import Organisation
from app.validation import (
    NEW,
    Errors,
    Invalid,
    field_errors,
    parse,
    required_if_errors,
    unique_errors,
)
from app.views import is_integrity
from app.workflow import engine
from generator.spec import Entity
from generator.types.reference import row_id

_lazy_required = lazy_gettext("This field is required.")


def _wire(value: Any) -> Any:
    """A parsed value as JSON hands it to FAB's schema: rows by id, dates as ISO text."""
    if hasattr(value, "__table__"):
        return value.id
    if isinstance(value, (dt.date, decimal.Decimal)):
        return value.isoformat() if isinstance(value, dt.date) else str(value)
    return value


class LazySchema:
    """A marshmallow schema FAB builds on first use instead of at start-up (building the four
    schemas of every API up front is most of the start-up time of a large schema)."""

    def __init__(self, columns: str, nested: bool = True):
        self.columns, self.nested = columns, nested

    def __set_name__(self, owner: type, name: str) -> None:
        self.name, self.slot = name, f"_{name}_built"

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if (obj is None or "model2schemaconverter" not in obj.__dict__
                or obj.__dict__.get("_registering")):
            return None  # FAB is constructing or registering the API (it reads every attribute)
        if self.slot not in obj.__dict__:
            kwargs = {} if self.nested else {"nested": False}
            schema = obj.model2schemaconverter.convert(
                getattr(obj, self.columns),
                parent_schema_name=getattr(obj, f"{self.name}_name"), **kwargs)
            obj.__dict__[self.slot] = obj.adjust_schema(self.name, schema)
        return obj.__dict__[self.slot]

    def __set__(self, obj: Any, value: Any) -> None:
        obj.__dict__[self.slot] = value


class GeneratedRestApi(RestApiHooks, ApiIO, ApiBulk, ModelRestApi):
    entity: Entity
    allow_browser_login = True
    list_model_schema = LazySchema("list_columns")
    show_model_schema = LazySchema("show_columns")
    add_model_schema = LazySchema("add_columns", nested=False)
    edit_model_schema = LazySchema("edit_columns", nested=False)

    def create_blueprint(self, appbuilder: Any, *args: Any, **kwargs: Any) -> Any:
        self.__dict__["_registering"] = True  # FAB looks for hooks on every attribute here
        try:
            blueprint = super().create_blueprint(appbuilder, *args, **kwargs)
        finally:
            del self.__dict__["_registering"]
        blueprint.before_request(self._gate)  # every endpoint of the API, before its view
        blueprint.before_request(self._refuse_bad_query)
        return blueprint

    def _refuse_bad_query(self) -> Any:
        """`q` is a rison object (filters, order, page); anything else is the caller's
        mistake (400), not a server error."""
        raw = request.args.get("q")
        if raw is None:
            return None
        try:
            args = prison.loads(raw)
        except Exception:  # noqa: BLE001 - prison raises several kinds on bad syntax
            args = None
        if not isinstance(args, dict):
            return self.response_400(message=_("The q argument must be a rison object, "
                                               "e.g. (filters:!(),page:0)."))
        order = args.get("order_column")
        if order is not None and order not in self.order_columns:
            return self.response_400(message=_("Cannot sort by %(column)s; allowed: "
                                               "%(columns)s.", column=str(order)[:50],
                                               columns=", ".join(self.order_columns)))
        return None

    def _gate(self) -> Any:
        """The module's gate (app/gate.py): 403 until it is met."""
        if not getattr(current_user, "is_authenticated", False):
            try:  # a JWT caller is known only once its token is read (protect reads it again)
                verify_jwt_in_request(optional=True)
            except Exception:  # noqa: BLE001 - a bad token is protect's to answer (401)
                return None
        refused = gate.refusal(self.entity)
        if refused is None:
            return None
        return self.response(403, message=refused.message)

    def adjust_schema(self, name: str, schema: Any) -> Any:
        for f in self.entity.fields:
            if f.kind.person and f.name in schema.fields:
                # a blank 协办人 stays blank: a PUT sends the stored value back through the
                # schema, and FAB makes the account's foreign key a non-null integer
                schema.fields[f.name].allow_none = True
        if name == "add_model_schema":
            # Columns stay nullable in the database; "required" is the schema's rule, so say
            # it in the generated OpenAPI and _info too.
            for f in self.entity.fields:
                if f.required and f.name in schema.fields:
                    schema.fields[f.name].required = True
                    schema.fields[f.name].error_messages["required"] = _lazy_required
        return schema

    # -- field rights: hidden fields never leave the server, read-only ones are refused -----
    def pre_get(self, data: dict[str, Any]) -> None:
        hidden = field_rights(self.entity).hidden
        for key in hidden:
            data.get("result", {}).pop(key, None)
        self._drop_hidden_metadata(data, hidden)

    def pre_get_list(self, data: dict[str, Any]) -> None:
        hidden = field_rights(self.entity).hidden
        for row in data.get("result", []):
            for key in hidden:
                row.pop(key, None)
        self._drop_hidden_metadata(data, hidden)

    @staticmethod
    def _drop_hidden_metadata(data: dict[str, Any], hidden: frozenset[str]) -> None:
        for key in ("list_columns", "show_columns", "order_columns"):
            if key in data:
                data[key] = [c for c in data[key] if c not in hidden]
        for key in ("label_columns", "description_columns"):
            for name in hidden:
                data.get(key, {}).pop(name, None)

    def hidden_in(self, args: dict[str, Any]) -> set[str]:
        """Hidden fields a rison request filters, sorts or selects on."""
        hidden = field_rights(self.entity).hidden
        asked = {f.get("col") for f in args.get("filters", []) if isinstance(f, dict)}
        asked.add(args.get("order_column"))
        asked.update(args.get("columns") or [])
        return set(hidden & asked)

    def get_list_headless(self, **kwargs: Any) -> Any:
        hidden = field_rights(self.entity).hidden
        args = kwargs.get("rison") or {}
        if self.hidden_in(args):
            return self.response_400(message=_("Unknown field; allowed: %(fields)s.",
                                               fields=", ".join(sorted(
                                                   set(self.search_columns) - hidden))))
        return super().get_list_headless(**kwargs)

    def related_values(self, field: Any, page: Any = None, page_size: Any = None
                       ) -> tuple[int, list[dict[str, Any]]]:
        """The reference values `_info` offers: the rows the form's search offers (scope and
        the field's choices), not FAB's whole related table."""
        admin = generated()
        spec_field = next((f for f in self.entity.fields
                           if f.name == field.name and f.kind.refers), None)
        if field.name == "org" and self.entity.scope is not None:
            model: Any = Organisation
            query = admin.related_query(Organisation)
        elif spec_field is not None:
            model = admin.models[spec_field.target]
            query = admin.choice_query(spec_field)
        else:
            return 0, []
        page, page_size = self._sanitize_page_args(page, page_size)
        session = self.datamodel.session
        count = session.execute(select(func.count()).select_from(query.subquery())).scalar()
        query = query.order_by(model.id)
        if page_size is not None:
            query = query.offset((page or 0) * page_size).limit(page_size)
        return int(count or 0), [{"id": row.id, "value": str(row)}
                                 for row in session.execute(query).scalars()]

    @expose("/<pk>", methods=["GET"])
    def get_bad_id(self, pk: str) -> Any:
        """GET of an id that is no whole number: no such record (FAB's GET takes only
        `<int:pk>`, so without this route its PUT and DELETE on `<pk>` answered 405)."""
        return self.response_404()

    def response_404(self) -> Any:  # FAB's says "Not found" in English
        return self.response(404, message=_("Not found"))

    def delete_headless(self, pk: Any) -> Any:
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            return self.response_404()
        locked = engine.lock_reason(self.entity, item, "delete")
        if locked:
            return self.response(409, message=locked)
        try:
            self.pre_delete(item)
            self.datamodel.delete(item)
            self.post_delete(item)
        except DatabaseException as exc:
            self.datamodel.session.rollback()
            if is_integrity(exc):
                return self.response_422(
                    message=_("Not deleted: other records still refer to this one."))
            return self.response_422(message=_("Not deleted: %(reason)s", reason=_(
                "database error, please try again or contact the administrator")))
        return self.response(200, message=_("Deleted."))

    def pre_add(self, item: Any) -> None:
        clear_hidden(self.entity, item)
        runtime.before_save(self.entity, item, g.user, self.datamodel.session)

    def pre_update(self, item: Any) -> None:
        clear_hidden(self.entity, item)
        runtime.before_save(self.entity, item, g.user, self.datamodel.session)

    # -- workflow ----------------------------------------------------------------------
    @expose("/<int:pk>/transition/<key>", methods=["POST"])
    @protect()
    @safe
    def transition(self, pk: int, key: str) -> Any:
        """Fire a workflow transition on one row; body {"reason": "..."} when it needs one.
        ---
        post:
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          - {in: path, name: key, schema: {type: string}}
          responses:
            200: {description: done}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
            409: {description: the record is in a state where this is not possible}
        """
        if not self.appbuilder.sm.has_access(f"can_{key}", self.class_permission_name):
            return self.response_403()
        body = request.get_json(silent=True) or {}
        reason = body.get("reason") if isinstance(body, dict) else None
        if reason is not None and not isinstance(reason, str):  # a number, a list: a 500 once
            return self.response_400(message=_("The reason must be text."))
        fired = engine.fire(self.entity, self.datamodel.obj, self.datamodel.session, g.user,
                            key, [pk], reason)
        if fired.done:
            return self.response(200, message=_("Done."), id=pk)
        message = fired.refused[0][1]
        if message == _("The record does not exist."):
            return self.response_404()
        return self.response(409, message=message)

    @expose("/transition/<key>", methods=["POST"])
    @protect()
    @safe
    def transition_many(self, key: str) -> Any:
        """Fire a batch transition on many rows: body {"ids": [1, 2, ...]}.
        ---
        post:
          parameters:
          - {in: path, name: key, schema: {type: string}}
          responses:
            200: {description: which rows moved and why the others did not}
            403: {$ref: '#/components/responses/403'}
        """
        flow = self.entity.workflow
        transition = flow.transition(key) if flow is not None else None
        if transition is None or not transition.batch:
            return self.response_404()
        if not self.appbuilder.sm.has_access(f"can_{key}", self.class_permission_name):
            return self.response_403()
        body = request.get_json(silent=True) or {}
        ids = body.get("ids") if isinstance(body, dict) else None
        if not isinstance(ids, list) or not all(
                isinstance(i, int) and not isinstance(i, bool) for i in ids):
            return self.response_400(message=_("ids must be a list of record ids"))
        fired = engine.fire(self.entity, self.datamodel.obj, self.datamodel.session, g.user,
                            key, ids)
        return self.response(200, done=fired.done, refused=[
            {"id": pk, "message": message} for pk, message in fired.refused])

    def _denied(self, exc: runtime.Denied) -> Any:
        self.datamodel.session.rollback()
        return self.response_422(message=_("Not saved: %(reason)s",
                                           reason=_(exc.reason, **exc.params)))

    def post_headless(self) -> Any:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            return self.response_400(message=_("The request body must be a JSON object."))
        errors = self._check(data, self.add_columns, None)
        if errors:
            return self.response_422(message=errors)
        try:
            return super().post_headless()
        except runtime.Denied as exc:
            return self._denied(exc)

    def put_headless(self, pk: Any) -> Any:
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            return self.response_404()
        locked = engine.lock_reason(self.entity, item, "edit")
        if locked:
            return self.response(409, message=locked)
        sent = (request.get_json(silent=True) or {})
        version = sent.pop("row_version", None) if isinstance(sent, dict) else None
        if version is not None and version != item.row_version:
            return self.response(409, message=_(
                "Someone else changed this record after you opened it; nothing was saved. "
                "Reload it to see their changes."))
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            return self.response_400(message=_("The request body must be a JSON object."))
        errors = self._check(data, self.edit_columns, item)
        if errors:
            return self.response_422(message=errors)
        try:
            return super().put_headless(pk)
        except runtime.Denied as exc:
            return self._denied(exc)

    @staticmethod
    def _org(raw: Any, admin: Any) -> Any:
        """The organisation a body names by id; None when no row can be it (an id beyond
        any row's is not sent to the database, which would refuse it: a 500 once)."""
        try:
            pk = row_id(raw)
        except ValueError:  # the type's Invalid: not an id
            return None
        return None if pk is None else admin.load_related(Organisation, pk)

    def _check(self, data: dict[str, Any], columns: list[str], item: Any) -> Errors:
        """Validate (and normalise, in place) the JSON body against the Spec's rules."""
        admin = generated()
        errors: Errors = {}
        rights = field_rights(self.entity)
        columns = [c for c in columns if c not in rights.hidden]
        for key in data:
            if key in rights.readonly:
                errors[key] = [_("This field is read-only for you.")]
            elif key not in columns:
                errors[key] = [_("Unknown field; allowed: %(fields)s.", fields=", ".join(columns))]
        values: dict[str, Any] = {}
        if "org" in data and "org" in columns:
            org = self._org(data["org"], admin)
            if org is None:
                errors.setdefault("org", []).append(_("The selected record does not exist."))
            values["org"] = org
        for f in self.entity.column_fields:
            if f.name not in columns:
                values[f.name] = getattr(item, f.name) if item is not None else None
                continue
            if f.name not in data:
                values[f.name] = getattr(item, f.name) if item is not None else None
                if item is not None:
                    continue  # a partial update keeps what is stored
            else:
                try:
                    value = parse(f, data[f.name])
                except Invalid as exc:
                    errors.setdefault(f.name, []).append(str(exc))
                    continue
                if f.kind.person and value is not None:  # named by user name or name
                    from app.people import resolve

                    value = resolve(f, value)
                if f.kind.refers and value is not None:
                    target = admin.load_choice(f, value)  # scope and the field's choices
                    if target is None:
                        errors.setdefault(f.name, []).append(refusal(f))
                        continue
                    value = target
                data[f.name] = _wire(value)  # FAB loads the canonical form
                values[f.name] = value
            messages = field_errors(f, values[f.name], stored=getattr(
                item, f.name) if item is not None else NEW)
            if messages:
                errors.setdefault(f.name, []).extend(messages)
        before = ({f.name: getattr(item, f.name) for f in self.entity.column_fields}
                  if item is not None else defaults(self.entity))
        for name, messages in required_if_errors(self.entity, values, before).items():
            errors.setdefault(name, []).extend(messages)
        for name in hidden(self.entity, values):  # saved as its default, whatever was sent
            if name in columns:
                errors.pop(name, None)
                values[name] = default_of(self.entity.field(name))
                data[name] = _wire(values[name])
        if not errors:
            model = admin.models[self.entity.qualified]
            org = (getattr(item, "org_id", None) if item is not None
                   else getattr(g.user, "org_id", None))  # when the body names none
            errors.update(unique_errors(self.entity, model, self.datamodel.session, values,
                                        getattr(item, "id", None), org=org, row=item))
        return errors
