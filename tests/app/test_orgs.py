"""The organisation tree: divisions fixture, adding nodes, importing units (SQLite, PostgreSQL)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from tests.conftest import SCHEMAS, apply_schema, make_app


@pytest.fixture(scope="module")
def app(database_url: str, tmp_path_factory: Any) -> Any:
    application = make_app(database_url, SCHEMAS / "scoped" / "entities.yaml",
                           tmp_path_factory.mktemp("files"))
    apply_schema(application)
    return application


def _org(app: Any, code: str) -> Any:
    from app.security.models import Organisation

    return app.appbuilder.session.query(Organisation).filter_by(code=code).one_or_none()


def test_divisions_load_once_with_the_edge_cases(app: Any) -> None:
    from app.security.orgs import load_divisions

    with app.app_context():
        session = app.appbuilder.session
        assert load_divisions(session) == 3214
        assert load_divisions(session) == 0  # idempotent
        session.commit()
        assert _org(app, "110105").path == "/CN/110000/110105/"  # 直辖市: no city level
        assert _org(app, "441900").level == "city"  # 东莞: a city without counties
        assert _org(app, "429004").path == "/CN/420000/429004/"  # under the province
        assert _org(app, "350102").path == "/CN/350000/350100/350102/"


def test_add_org_checks_codes_and_parents(app: Any) -> None:
    from app.security.orgs import OrgError, add_org

    with app.app_context():
        session = app.appbuilder.session
        full_width = "９１３５０１００Ｍ０００１００Ｙ４３"
        unit = add_org(session, full_width, "示例企业", "unit", "350102", "enterprise")
        assert unit.code == "91350100M000100Y43"
        assert unit.path == "/CN/350000/350100/350102/91350100M000100Y43/"
        under_city = add_org(session, "91110000600037341L", "东莞企业", "unit", "441900",
                             "enterprise")
        assert under_city.parent.code == "441900"
        person = add_org(session, "zr11010500000007", "孙浩然", "unit", "110105", "person")
        assert person.code == "ZR11010500000007" and person.kind == "person"
        for args, message in [
            (("ZR1101050000001", "x", "unit", "110105", "person"), "natural person"),
            (("91350100M000100Y43", "x", "unit", "110105", "person"), "natural person"),
            (("91350100M000100Y44", "x", "unit", "350102", "enterprise"), "unified social"),
            (("12100000400000624D", "x", "unit", "350102", None), "--kind"),
            (("12100000400000624D", "x", "unit", "999999", "institution"), "does not exist"),
            (("350199", "x", "county", "CN"), "cannot be under"),
            (("91350100M000100Y43", "x", "unit", "350102", "enterprise"), "already exists"),
        ]:
            with pytest.raises(OrgError, match=message):
                add_org(session, *args)
        session.rollback()


def _xlsx(path: Path, rows: list[list[Any]]) -> str:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return str(path)


def test_import_units_all_or_nothing(app: Any, tmp_path: Path) -> None:
    from app.security.orgs import import_units, read_table

    header = ["统一社会信用代码", "单位名称", "单位类型", "上级区划代码"]
    bad = _xlsx(tmp_path / "bad.xlsx", [header,
                                        ["1244000045585765XR", "甲医院", "医疗机构", 440103],
                                        ["52110105MJ0000T04X", "乙医院", "医院", "999999"]])
    with app.app_context():
        session = app.appbuilder.session
        added, errors = import_units(session, read_table(bad))
        assert added == 0
        assert errors == ["第3行：统一社会信用代码无效；单位类型应为“企业”或“医疗机构”；"
                          "上级区划代码 999999 不存在或不是省、市、县级区划"]
        assert _org(app, "1244000045585765XR") is None
        good = tmp_path / "good.csv"
        good.write_text("\ufeff" + ",".join(header) + "\n"
                        "1244000045585765XR,甲医院,医疗机构,440103\n"
                        "52110105MJ0000T04G,乙企业,企业,110105\n", encoding="utf-8")
        added, errors = import_units(session, read_table(str(good)))
        assert (added, errors) == (2, [])
        session.commit()
        hospital = _org(app, "1244000045585765XR")
        assert hospital.path == "/CN/440000/440100/440103/1244000045585765XR/"
        assert _org(app, "52110105MJ0000T04G").kind == "enterprise"
