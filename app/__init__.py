"""The Flask application: loads the Spec, builds models and screens, registers them."""

from __future__ import annotations

import gc

# Start-up builds about a million objects that live as long as the process (modules, models,
# views, URL rules); the cyclic collector scanning them again and again was a quarter of the
# start-up time. It pauses while the app's modules are imported (here) and while create_app
# runs, and what they built is frozen out of its later scans (gc.freeze).
_COLLECTING = gc.isenabled()
gc.disable()

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from flask_appbuilder.models.sqla.base import SQLA
from flask_wtf.csrf import CSRFProtect, generate_csrf
from jinja2 import FileSystemBytecodeCache
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import declarative_base
from werkzeug.middleware.proxy_fix import ProxyFix

from app import (
    auto_rules,
    compat,
    documents,
    errors,
    favourites,
    global_search,
    health,
    hooks,
    layout,
    messages,
    observability,
    openapi,
    rollups,
)
from app import help as help_views
from app.audit import login_log, trail
from app.audit import models as audit_models  # noqa: F401 - its table is FAB's metadata's
from app.audit import views as audit_views
from app.completeness import models as reminder_models  # noqa: F401 - in FAB's metadata
from app.config import INSTANCE, check_production, defaults
from app.exam import paper as exam_papers  # noqa: F401 - its table is in FAB's metadata
from app.extension import Admin
from app.helpdesk import init_app as helpdesk_init_app
from app.hooks import CATALOGUE, window_admin
from app.identity import init_app as identity_init_app
from app.identity import models as identity_models  # noqa: F401 - its table is FAB's metadata's
from app.index import IndexView
from app.io import models as io_models  # noqa: F401 - its table belongs to FAB's metadata
from app.io import runs as import_runs  # noqa: F401 - registers the import job kind
from app.jobs import init_app as jobs_init_app
from app.messages import models as message_models  # noqa: F401 - tables in FAB's metadata
from app.notices import fanout as notice_fanout  # noqa: F401 - its tables and job kind
from app.notices import init_app as notices_init_app
from app.progress import init_app as progress_init_app
from app.registry import register
from app.security import api_csrf, assign, headers, matrix_view, online, sessions, users
from app.security.models import AppUser, Organisation
from app.storage import storage_from_config
from app.system import dictionary, dictionary_view, settings, settings_view
from app.workflow import changes as workflow_changes  # noqa: F401 - table in FAB's metadata
from generator.models import build_models
from generator.spec_cache import load_spec_cached

HOOKS = Path(hooks.__file__).parent  # the hook catalogue's code keys the cached Spec

# Constraint names the migrations can refer to on every database.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


gc.freeze()  # the modules just imported are never unloaded
if _COLLECTING:
    gc.enable()


@event.listens_for(Engine, "connect")
def _sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    """SQLite ignores foreign keys (and so on_delete) unless asked, per connection."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    collecting = gc.isenabled()
    gc.disable()
    app = None
    try:
        app = _create_app(test_config)
        return app
    finally:
        # A test process makes many apps and drops them: only a served app is frozen.
        if app is not None and not app.testing:
            gc.freeze()
        if collecting:
            gc.enable()


def _keep_compiled_templates(app: Flask) -> None:
    """Templates compiled by an earlier start are loaded, not compiled again (Jinja checks
    each against its source)."""
    folder = app.config.get("ADMIN_CACHE_FOLDER")
    if not folder:
        return
    folder = os.path.join(folder, "templates")
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError:
        return  # a read-only folder: templates are compiled at each start, as without it
    app.jinja_env.bytecode_cache = FileSystemBytecodeCache(folder)


def _create_app(test_config: Mapping[str, Any] | None) -> Flask:
    compat.wtforms_messages_from_our_catalog()
    app = Flask(__name__, instance_path=INSTANCE)
    app.url_rule_class = compat.LazyBuilderRule  # builders compiled on first use (start-up time)
    app.config.update(defaults())
    app.config["FAB_SECURITY_MANAGER_CLASS"] = "app.security.manager.AppSecurityManager"
    # Permissions are written in bulk by `schema apply` (app/security/sync.py), not view by
    # view at every start.
    app.config["FAB_UPDATE_PERMS"] = False
    if test_config:
        app.config.update(test_config)
    check_production(app.config)  # before anything is served: a clear error, not a 500
    _keep_compiled_templates(app)
    proxies = int(app.config.get("ADMIN_PROXY_COUNT") or 0)
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    # First of the request hooks: the request id is set before any other hook logs.
    observability.init_app(app)
    health.init_app(app)

    # An invalid schema stops here with the full report (generator.SchemaError); a valid one
    # is kept for the next start, keyed by the YAML's and the checks' content.
    spec = load_spec_cached(app.config["ADMIN_SCHEMA"], CATALOGUE,
                            app.config.get("ADMIN_CACHE_FOLDER"), [HOOKS])
    base = declarative_base(metadata=MetaData(naming_convention=NAMING))
    models = build_models(spec, base, Organisation, AppUser)
    rollups.install(spec, models)

    settings.init_app(app)  # APP_NAME: the title 参数设置 gives, else the YAML's
    db = SQLA()
    db.init_app(app)
    # Every state-changing POST of the screens carries the session's token (forms, list
    # actions, transitions, 变更, deletes). Before the views are registered, so that FAB exempts
    # its REST blueprints (token-authenticated, no cookie to ride on).
    CSRFProtect(app)
    with app.app_context():
        appbuilder = compat.AdminAppBuilder(indexview=IndexView,
                                            base_template="admin/base.html")
        appbuilder.init_app(app, db.session)
        os.makedirs(app.config["ADMIN_UPLOAD_FOLDER"], exist_ok=True)
        admin = Admin(spec, models, base.metadata, storage_from_config(app.config), db.session)
        app.extensions["admin"] = admin
        dictionary.init_app(app)
        auto_rules.install(db.session, spec, models)  # before assign and trail: see there
        assign.install(db.session, spec)
        trail.install(db.session)
        sessions.init_app(app, db.session)
        trail.install_sign_in(appbuilder)
        register(appbuilder, spec, models, admin.load_related)
        openapi.init_app(appbuilder)
        matrix_view.init_app(appbuilder)
        users.init_app(appbuilder)
        identity_init_app(appbuilder)
        audit_views.init_app(appbuilder)
        online.init_app(appbuilder)
        login_log.init_app(appbuilder)
        window_admin.init_app(appbuilder)
        help_views.init_app(appbuilder)
        documents.init_app(appbuilder)
        messages.init_app(appbuilder)
        notices_init_app(appbuilder)
        progress_init_app(appbuilder)
        helpdesk_init_app(appbuilder)
        favourites.init_app(appbuilder)
        global_search.init_app(appbuilder)
        jobs_init_app(app, appbuilder)
        dictionary_view.init_app(appbuilder)
        settings_view.init_app(appbuilder)
    errors.init_app(app)
    api_csrf.init_app(app)  # REST writes riding on the session cookie carry the token too
    headers.init_app(app)
    layout.init_app(app)  # the sidebar and breadcrumbs of every page
    app.jinja_env.globals["csrf_token"] = generate_csrf  # for our hand-written forms
    return app
