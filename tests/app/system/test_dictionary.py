"""数据字典 (SQLite and PostgreSQL): a `dictionary: true` enum edited at runtime by the system
administrator — relabelled, extended, disabled, deleted only when unused — and every door
(form, search form, list input, export, REST, OpenAPI, import) following at its next
request, on a second app instance of the same database too."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from sqlalchemy import select

from tests.conftest import (
    PASSWORD,
    SCHEMAS,
    apply_schema,
    dispose,
    ensure_admin,
    make_app,
    seed_people,
    sign_in,
)

SCHEMA = SCHEMAS / "dictionary" / "entities.yaml"
UNIT = "91350100M000100Y43"
ORGS = {"350000": ("福建省", "province", None, None),
        UNIT: ("福州甲医院", "unit", "350000", "institution")}
USERS = {"sys": ("sysadmin", "CN", "admin"), "clerk": ("clerk", UNIT, "institution")}
PAGE = "/system/dictionary/reg.Firm.kind/"
LIST = "/reg/firm/list/"
API = "/api/v1/firm/"


@pytest.fixture(scope="module")
def world(database_url: str, tmp_path_factory: Any) -> Any:
    app = make_app(database_url, SCHEMA, tmp_path_factory.mktemp("files"))
    apply_schema(app)
    ensure_admin(app)
    with app.app_context():
        orgs = seed_people(app, ORGS, USERS, PASSWORD)
        session = app.appbuilder.session
        firm = app.extensions["admin"].models["reg.Firm"]
        session.add_all([firm(name=f"甲{i}", kind="domestic", org=orgs[UNIT]) for i in range(3)])
        session.add(firm(name="乙", kind="overseas", org=orgs[UNIT]))
        session.commit()
    # a second host: its own app (and caches) on the same database
    other = make_app(database_url, SCHEMA, tmp_path_factory.mktemp("files2"))
    yield {"app": app, "other": other}
    dispose(other)
    dispose(app)


def post(client: Any, action: str, **form: Any) -> Any:
    return client.post(PAGE + action, data=form, follow_redirects=True)


def firm_id(app: Any, name: str) -> int:
    with app.app_context():
        model = app.extensions["admin"].models["reg.Firm"]
        return int(app.appbuilder.session.execute(
            select(model.id).where(model.name == name)).scalar_one())


def test_schema_apply_seeds_the_counters(world: Any) -> None:
    from app.system.models import Version

    with world["app"].app_context():
        counters = dict(world["app"].appbuilder.session.execute(
            select(Version.name, Version.counter)).all())
    assert set(counters) == {"dictionary", "settings", "permissions"}  # updated, never inserted


def test_only_the_system_administrator_reaches_the_page(world: Any) -> None:
    clerk = sign_in(world["app"], "clerk")
    assert clerk.get("/system/dictionary/").status_code in (302, 403)
    assert post(clerk, "change", value="domestic", label_zh="x", position="1",
                enabled="1").request.path != PAGE
    page = sign_in(world["app"], "sys").get("/system/dictionary/").text
    assert "数据字典" in page and "企业类型" in page and "字典数据" in page
    values = sign_in(world["app"], "sys").get(PAGE).text
    for text in ("境内企业", "境外企业", "字典键值", "字典标签", "正常", "停用", "使用记录数"):
        assert text in values, text
    for raw in ("None", "True", "False", "Dictionary", "Label"):
        assert raw not in values.split("<main")[1], raw


def test_a_relabel_shows_at_every_door_without_a_restart(world: Any) -> None:
    app, other = world["app"], world["other"]
    clerk_other = sign_in(other, "clerk")  # read before the change: its caches are warm
    assert "境内企业" in clerk_other.get(LIST).text
    page = post(sign_in(app, "sys"), "change", value="domestic", label_zh="国内企业",
                label_en="Domestic", position="10", enabled="1").text
    assert "已保存" in page
    for client in (sign_in(app, "clerk"), clerk_other):
        listing = client.get(LIST).text
        assert "国内企业" in listing and "境内企业" not in listing  # cells, search, list input
        assert "国内企业" in client.get("/reg/firm/add").text  # the form's choices
        rows = client.get(API).json["result"]
        assert {r["kind"] for r in rows} == {"domestic", "overseas"}
        exported = client.get("/reg/firm/export/csv").data.decode("utf-8-sig")
        kinds = {row[1] for row in list(csv.reader(io.StringIO(exported)))[1:]}
        assert kinds == {"国内企业", "境外企业"}
        schema = client.get("/api/v1/_openapi").json["components"]["schemas"]
        kind = next(s["properties"]["kind"] for s in schema.values()
                    if "kind" in s.get("properties", {}))
        assert "domestic=国内企业" in kind["description"]
        assert kind["x-enum-labels"]["domestic"] == "国内企业"
    # the new label is read at every door, like the old one was
    created = sign_in(app, "clerk").post(API, json={"name": "丙", "kind": "国内企业"})
    assert created.status_code == 201, created.json


def test_an_added_value_is_offered_and_accepted(world: Any) -> None:
    page = post(sign_in(world["app"], "sys"), "add", value="hmt", label_zh="港澳台企业",
                label_en="HK, Macao, Taiwan", position="").text
    assert "已新增" in page and "港澳台企业" in page
    clerk = sign_in(world["other"], "clerk")
    assert "港澳台企业" in clerk.get("/reg/firm/add").text
    created = clerk.post(API, json={"name": "丁", "kind": "hmt"})
    assert created.status_code == 201, created.json
    again = post(sign_in(world["app"], "sys"), "add", value="hmt", label_zh="别的").text
    assert "已在本字典中" in again
    same_label = post(sign_in(world["app"], "sys"), "add", value="x1", label_zh="境外企业").text
    assert "已被「境外企业」使用" in same_label


def test_a_value_is_a_code_and_a_refused_one_keeps_what_was_typed(world: Any) -> None:
    admin = sign_in(world["app"], "sys")
    for bad in ("two words", "国企", "-x", "a/b"):
        page = post(admin, "add", value=bad, label_zh="某类企业", label_en="Some firms",
                    position="70").text
        assert f"字典键值「{bad}」只能由字母、数字、下划线（_）、点（.）和连字符（-）组成" in page
        assert f'name="value" value="{bad}"' in page  # nothing typed is lost
        assert 'value="某类企业"' in page and 'value="Some firms"' in page and 'value="70"' in page
    assert "某类企业" not in sign_in(world["app"], "clerk").get("/reg/firm/add").text


def test_a_refused_change_keeps_what_was_typed_in_its_row(world: Any) -> None:
    admin = sign_in(world["app"], "sys")
    page = post(admin, "change", value="domestic", label_zh="境外企业", label_en="Typed",
                position="55", enabled="0").text
    assert "已被「境外企业」使用" in page
    row = page.split('<tr data-value="domestic">')[1].split("</tr>")[0]
    assert 'value="55"' in row and 'name="label_en" value="Typed"' in row
    assert 'name="label_zh" value="境外企业"' in row
    assert '<option value="0" selected>' in row
    stored = admin.get(PAGE).text.split('<tr data-value="domestic">')[1].split("</tr>")[0]
    assert "Typed" not in stored and 'value="55"' not in stored  # nothing was saved


def test_the_english_label_is_the_english_one_or_nothing(world: Any) -> None:
    from app.system.models import DictionaryValue

    admin = sign_in(world["app"], "sys")
    assert "已新增" in post(admin, "add", value="jv", label_zh="合资企业", label_en="",
                           position="").text
    with world["app"].app_context():
        row = world["app"].appbuilder.session.execute(select(DictionaryValue).where(
            DictionaryValue.value == "jv")).scalar_one()
        assert (row.label_zh, row.label_en) == ("合资企业", "")
        world["app"].appbuilder.session.rollback()
    page = admin.get(PAGE).text
    assert 'name="label_en" value=""' in page  # 英文标签 left empty, not 合资企业
    assert 'name="label_en" value="合资企业"' not in page
    # two values without an English label are not "the same label"
    assert "已新增" in post(admin, "add", value="sole", label_zh="独资企业", position="").text


def test_a_value_in_use_is_not_deleted(world: Any) -> None:
    admin = sign_in(world["app"], "sys")
    page = post(admin, "delete", value="overseas").text
    assert "「境外企业」已有 1 条记录使用，不能删除，可以停用" in page
    post(admin, "add", value="unused", label_zh="未用类型")
    page = post(admin, "delete", value="unused").text
    assert "已删除" in page and "未用类型" not in page.split("dictionary-values")[1]
    with world["app"].app_context():
        from app.audit.models import AuditEntry

        actions = world["app"].appbuilder.session.execute(select(AuditEntry.changes).where(
            AuditEntry.action == "dictionary")).scalars().all()
    assert any("unused" in a and "未用类型" in a for a in actions)
    audit = sign_in(world["app"], "admin").get("/security/audit/export.csv").data.decode(
        "utf-8-sig")
    assert "数据字典修改" in audit and "字典键值：unused" in audit and "字典标签：未用类型" in audit


def test_a_disabled_value_stays_on_rows_but_is_refused_as_new_input(world: Any,
                                                                     tmp_path: Any) -> None:
    app = world["app"]
    page = post(sign_in(app, "sys"), "change", value="overseas", label_zh="境外企业",
                label_en="Overseas", position="20", enabled="0").text
    assert "已保存" in page
    clerk = sign_in(world["other"], "clerk")
    held = firm_id(app, "乙")
    listing = clerk.get(LIST).text
    assert "境外企业" in listing  # the row that holds it still reads it
    search = listing.split('id="search_kind"')[1].split("</select>")[0]
    assert "境外企业" in search  # and it can be searched for
    found = clerk.get(LIST, query_string={"_flt_0_kind": "overseas"}).text
    assert "乙" in found and "甲0" not in found
    form = clerk.get("/reg/firm/add").text
    assert "境外企业" not in form
    assert "境外企业" in clerk.get(f"/reg/firm/edit/{held}").text  # kept on its row
    refused = "「境外企业」已停用"
    # REST: a new row, and a change of another row, are refused; the holder keeps it
    response = clerk.post(API, json={"name": "戊", "kind": "overseas"})
    assert response.status_code == 422 and refused in str(response.json)
    domestic = firm_id(app, "甲0")
    response = clerk.put(f"{API}{domestic}", json={"kind": "overseas"})
    assert response.status_code == 422 and refused in str(response.json)
    assert clerk.put(f"{API}{held}", json={"name": "乙", "kind": "overseas"}).status_code == 200
    # the add form
    response = clerk.post("/reg/firm/add", data={"name": "己", "kind": "overseas"})
    assert refused in response.text
    # list editing
    response = clerk.post("/reg/firm/action_post", data={
        "action": "list_edit", "rowid": [str(domestic)], f"edit-{domestic}-kind": "overseas"},
        follow_redirects=True)
    assert refused in response.text
    # imports: a new row and a changed row refused, the holding row unchanged passes
    path = tmp_path / "firms.csv"
    path.write_text("\ufeff企业名称,企业类型\n庚,境外企业\n甲1,境外企业\n乙,境外企业\n",
                    encoding="utf-8")
    response = clerk.post(API + "import", data={"file": (io.BytesIO(path.read_bytes()),
                                                         "firms.csv")},
                          content_type="multipart/form-data")
    assert response.status_code == 422, response.json
    assert [e["row"] for e in response.json["errors"]] == [2, 3]
    assert all(refused in e["message"] for e in response.json["errors"])
    with app.app_context():
        model = app.extensions["admin"].models["reg.Firm"]
        kinds = dict(app.appbuilder.session.execute(select(model.name, model.kind)).all())
    assert kinds["甲0"] == kinds["甲1"] == "domestic" and "庚" not in kinds
    assert "戊" not in kinds and "己" not in kinds and kinds["乙"] == "overseas"
