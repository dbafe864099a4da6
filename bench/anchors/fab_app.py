"""The stock Flask-AppBuilder anchor: hand-written models and ModelViews the way FAB's
documentation writes them, FAB's own permission sync (FAB_UPDATE_PERMS=True), FAB's own
filters. It imports nothing of the project (neither app/ nor generator/).

- `startup_app(url, n)`: n entities `thing<i>` (name, qty, org_path), one ModelView with a
  menu entry and one ModelRestApi each, as our generator registers them.
- `list_app(url)`: a ModelView on the very table our generated Demand screen lists
  (procurement_demand), with the jurisdiction written as FAB allows it: a base filter
  "org_path starts with the path of the user's organisation".
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, g
from flask_appbuilder import AppBuilder, Model, ModelRestApi, ModelView
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.base import SQLA
from flask_appbuilder.models.sqla.filters import get_field_setup_query
from flask_appbuilder.models.sqla.interface import SQLAInterface
from sqlalchemy import BigInteger, Column, Date, ForeignKey, Integer, String, text
from sqlalchemy.orm import relationship


def _flask(url: str) -> Flask:
    app = Flask("stock_fab")
    app.config.update({
        "SQLALCHEMY_DATABASE_URI": url,
        "SQLALCHEMY_TRACK_MODIFICATIONS": False,
        "SECRET_KEY": "bench-secret",
        "FAB_UPDATE_PERMS": True,  # FAB's own sync, view by view, at every start
        "AUTH_TYPE": 1,
        "WTF_CSRF_ENABLED": False,
        "FAB_API_SWAGGER_UI": True,
    })
    return app


def startup_app(url: str, n: int) -> Flask:
    app = _flask(url)
    models = []
    for i in range(n):
        models.append(type(f"Thing{i}", (Model,), {
            "__tablename__": f"thing{i}",
            "id": Column(Integer, primary_key=True),
            "name": Column(String(50)),
            "qty": Column(BigInteger),
            "org_path": Column(String(255), index=True),
        }))
    db = SQLA()
    db.init_app(app)
    with app.app_context():
        appbuilder = AppBuilder()
        appbuilder.init_app(app, db.session)
        Model.metadata.create_all(db.session.get_bind())
        for i, model in enumerate(models):
            view = type(f"Thing{i}View", (ModelView,), {
                "datamodel": SQLAInterface(model),
                "route_base": f"/big/thing{i}",
                "list_columns": ["name", "qty"],
                "search_columns": ["name", "qty"],
                "add_columns": ["name", "qty"],
                "edit_columns": ["name", "qty"],
            })
            appbuilder.add_view(view, f"Thing{i}", category="big")
            api = type(f"Thing{i}Api", (ModelRestApi,), {
                "datamodel": SQLAInterface(model),
                "resource_name": f"thing{i}",
                "list_columns": ["id", "name", "qty"],
            })
            appbuilder.add_api(api)
    return app


def my_org_path() -> str:
    """The signed-in user's organisation path: the hand-written jurisdiction."""
    path = current_app.appbuilder.session.execute(text(
        "SELECT o.path FROM ab_user u JOIN org_organisation o ON o.id = u.org_id "
        "WHERE u.id = :id"), {"id": g.user.id}).scalar()
    return path or "\x00none"


class FilterStartsWithFunction(BaseFilter):
    """FAB has FilterEqualFunction and FilterInFunction; "starts with" a function's value is
    written by hand, the way FilterStartsWith is."""

    name = "Starts with the function's value"
    arg_name = "swf"

    def apply(self, query: Any, func: Any) -> Any:
        query, field = get_field_setup_query(query, self.model, self.column_name)
        return query.filter(field.ilike(func() + "%"))


def list_app(url: str) -> Flask:
    """Models of the three tables, declared here (not at import: startup_app must not create
    them)."""

    class Org(Model):
        __tablename__ = "org_organisation"
        id = Column(Integer, primary_key=True)
        code = Column(String(32))
        name = Column(String(200))
        path = Column(String(255))

        def __str__(self) -> str:
            return str(self.name)

    class Drug(Model):
        __tablename__ = "procurement_drug"
        id = Column(Integer, primary_key=True)
        name = Column(String(50))

        def __str__(self) -> str:
            return str(self.name)

    class Demand(Model):
        __tablename__ = "procurement_demand"
        id = Column(Integer, primary_key=True)
        code = Column(String(30))
        drug_id = Column(Integer, ForeignKey("procurement_drug.id"))
        drug = relationship(Drug)
        kind = Column(String(32))
        baseline = Column(BigInteger)
        planned = Column(BigInteger)
        contact_id = Column(String(255))
        signed_on = Column(Date)
        note = Column(String(50))
        org_id = Column(Integer, ForeignKey("org_organisation.id"))
        org = relationship(Org)
        org_path = Column(String(255))

    class DemandView(ModelView):
        datamodel = SQLAInterface(Demand)
        route_base = "/stock/demand"
        list_columns = ["code", "drug", "kind", "baseline", "planned", "signed_on"]
        search_columns = ["code", "kind"]
        order_columns = ["code", "baseline", "planned", "signed_on"]
        base_order = ("id", "desc")
        base_filters = [["org_path", FilterStartsWithFunction, my_org_path]]
        page_size = 20

    app = _flask(url)
    db = SQLA()
    db.init_app(app)
    with app.app_context():
        appbuilder = AppBuilder()
        appbuilder.init_app(app, db.session)
        appbuilder.add_view(DemandView, "Demand", category="procurement")
    return app


def grant_list(app: Flask, roles: list[str]) -> None:
    """Let our province and national roles use the stock view (FAB's own API)."""
    with app.app_context():
        sm: Any = app.appbuilder.sm
        for name in roles:
            role = sm.find_role(name)
            for perm in ("can_list", "can_show"):
                sm.add_permission_role(role, sm.find_permission_view_menu(perm, "DemandView"))
            sm.add_permission_role(role, sm.find_permission_view_menu("menu_access", "Demand"))
