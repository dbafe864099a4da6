"""GET /api/v1/_openapi: the OpenAPI document of the operations the signed-in user may call.

Replaces Flask-AppBuilder's document (readable by the built-in administrator only, and
introspected from the models: English titles, no enum values, decimals as floats). The
document is built by generator/builders/openapi.py from the Spec and the user's rights; this
module only reads those rights and serves it. Signed in by the session cookie or a JWT; anybody
else gets 401 in their language.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify
from flask_appbuilder import AppBuilder
from flask_appbuilder.api import BaseApi, expose
from flask_appbuilder.api.manager import SwaggerView
from flask_jwt_extended import verify_jwt_in_request

from app.context import appbuilder, generated
from app.errors import MESSAGES
from app.security.fields import field_rights
from app.security.scope import current
from generator.builders.openapi import VERSION, Access, openapi_document
from generator.permissions import entity_actions, right


def user_access(sm: Any, user: Any) -> dict[str, Access]:
    """The rights of the signed-in user on every entity, as the document's builder reads
    them: the same `has_access` FAB's `protect` asks, and the same field rights."""
    out = {}
    for entity in generated().spec.entities:
        actions = frozenset(a for a in entity_actions(entity)
                            if sm.has_access(right(a), entity.permission_name))
        rights = field_rights(entity, user)
        out[entity.qualified] = Access(actions, rights.hidden, rights.readonly)
    return out


class OpenApiDocument(BaseApi):
    route_base = f"/api/{VERSION}"
    allow_browser_login = True
    csrf_exempt = True

    @expose("/_openapi", methods=["GET"])
    def document(self) -> Any:
        user = current()
        if user is None:
            try:  # a REST caller is known only once its token is read
                verify_jwt_in_request()
            except Exception:  # noqa: BLE001 - missing, expired or forged: all 401
                user = None
            else:
                user = current()
        if user is None:
            return jsonify(message=str(MESSAGES[401])), 401
        spec = generated().spec
        return jsonify(openapi_document(spec, user_access(appbuilder().sm, user)))


def init_app(appbuilder: AppBuilder) -> None:
    """Our document instead of FAB's (FAB_ADD_OPENAPI_VIEWS is off); FAB's swagger page,
    which reads the document from the same URL, stays."""
    appbuilder.add_api(OpenApiDocument)
    if current_app.config.get("FAB_API_SWAGGER_UI"):
        appbuilder.add_view_no_menu(SwaggerView)
