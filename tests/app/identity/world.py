"""The world of the identity tests: the 北京 divisions, the system administrators of 北京 and
上海, an enterprise of 朝阳区 whose legal person has no 身份证号 yet, and a 自然人."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import SCHEMAS, apply_schema, make_app

SCHEMA = SCHEMAS / "identity" / "entities.yaml"
PASSWORD = "Pass@12345"
APPLICANT_PASSWORD = "Qy@2026reg!"


def known_uscc() -> str:
    from app.demo.data import UNIT

    return UNIT["bj_maker"].code


def person_code() -> str:
    from app.security.orgs import person_code as code

    return code("110105", 1)


def build(database_url: str, files: Path, **config: Any) -> Any:
    from app.security.orgs import add_org, load_divisions, national

    app = make_app(database_url, SCHEMA, files, **config)
    apply_schema(app)
    with app.app_context():
        session, sm = app.appbuilder.session, app.appbuilder.sm
        if sm.find_user(username="bj_admin") is None:
            national(session)
            load_divisions(session)
            maker = add_org(session, known_uscc(), "北京京康医药科技有限公司", "unit", "110105",
                            "enterprise")
            person = add_org(session, person_code(), "孙浩然", "unit", "110105", "person")
            orgs = {o.code: o for o in session.query(type(maker)).filter(
                type(maker).code.in_(["110000", "310000"]))}
            for username, role, org, id_no in (
                    ("bj_admin", "sys_admin", orgs["110000"], None),
                    ("sh_admin", "sys_admin", orgs["310000"], None),
                    ("bj_legal", "legal_person", maker, None),
                    ("bj_person", "citizen", person, "110105198803121236")):
                user = sm.add_user(username, username, "", f"{username}@x.example",
                                   sm.find_role(role), PASSWORD, commit=False)
                user.org = org
                user.id_no = id_no
                user.user_class = app.extensions["admin"].spec.role(role).user_class
            session.commit()
    return app


def valid_form(**changes: str) -> dict[str, str]:
    from generator.identifiers import compose_uscc

    form = {"uscc": compose_uscc("91", "110105", "MA8XY001"), "name": "北京新元医药有限公司",
            "region": "110105", "legal_person": "赵新元", "id_no": "110105198001011238",
            "contact": "钱小红", "mobile": "13901234567", "email": "zhao@xinyuan.example",
            "username": "xinyuan", "password": APPLICANT_PASSWORD,
            "confirm": APPLICANT_PASSWORD, "captcha": ""}
    form.update(changes)
    return form
