"""Base class of every generated REST API under /api/v1/<resource>/.

The schema's rules run before Flask-AppBuilder's own loading, so a bad request gets the same
Chinese messages per field as the form, all at once, and nothing is written.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask_appbuilder.api import ModelRestApi
from flask_appbuilder.exceptions import DatabaseException
from flask_babel import gettext as _
from flask_babel import lazy_gettext

from app.security.models import Organisation
from app.validation import (
    Errors,
    Invalid,
    coerce,
    field_errors,
    normalize,
    required_if_errors,
    unique_errors,
)
from app.views import is_integrity
from generator.spec import Entity

_lazy_required = lazy_gettext("This field is required.")


class GeneratedRestApi(ModelRestApi):
    entity: Entity
    allow_browser_login = True

    def _init_model_schemas(self) -> None:
        super()._init_model_schemas()
        # Columns stay nullable in the database; "required" is the schema's rule, so say it in
        # the generated OpenAPI and _info too.
        schema = self.add_model_schema
        for f in self.entity.fields:
            if f.required and f.name in schema.fields:
                schema.fields[f.name].required = True
                schema.fields[f.name].error_messages["required"] = _lazy_required

    def response_404(self) -> Any:  # FAB's says "Not found" in English
        return self.response(404, message=_("Not found"))

    def delete_headless(self, pk: Any) -> Any:
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            return self.response_404()
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

    def post_headless(self) -> Any:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            return self.response_400(message=_("The request body must be a JSON object."))
        errors = self._check(data, self.add_columns, None)
        if errors:
            return self.response_422(message=errors)
        return super().post_headless()

    def put_headless(self, pk: Any) -> Any:
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            return self.response_404()
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            return self.response_400(message=_("The request body must be a JSON object."))
        errors = self._check(data, self.edit_columns, item)
        if errors:
            return self.response_422(message=errors)
        return super().put_headless(pk)

    @staticmethod
    def _org(raw: Any, admin: Any) -> Any:
        if isinstance(raw, bool) or not isinstance(raw, (int, str)) or not str(raw).isdigit():
            return None
        return admin.load_related(Organisation, int(raw))

    def _check(self, data: dict[str, Any], columns: list[str], item: Any) -> Errors:
        """Validate (and normalise, in place) the JSON body against the Spec's rules."""
        admin = current_app.extensions["admin"]
        errors: Errors = {}
        for key in data:
            if key not in columns:
                errors[key] = [_("Unknown field; allowed: %(fields)s.", fields=", ".join(columns))]
        values: dict[str, Any] = {}
        if "org" in data and "org" in columns:
            org = self._org(data["org"], admin)
            if org is None:
                errors.setdefault("org", []).append(_("The selected record does not exist."))
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
                    value = normalize(f, coerce(f, data[f.name]))
                except Invalid as exc:
                    errors.setdefault(f.name, []).append(str(exc))
                    continue
                if f.type == "reference" and value is not None:
                    target = admin.load_related(admin.models[f.to], value)
                    if target is None:
                        errors.setdefault(f.name, []).append(
                            _("The selected record does not exist."))
                        continue
                    value = target
                elif isinstance(value, str):
                    data[f.name] = value
                values[f.name] = value
            messages = field_errors(f, values[f.name])
            if messages:
                errors.setdefault(f.name, []).extend(messages)
        for name, messages in required_if_errors(self.entity, values).items():
            errors.setdefault(name, []).extend(messages)
        if not errors:
            model = admin.models[self.entity.qualified]
            errors.update(unique_errors(self.entity, model, self.datamodel.session, values,
                                        getattr(item, "id", None)))
        return errors
