"""业务申报 and 办理进度 (seed 003 ch. 4) as an enterprise meets them: every application gets a
核对码 nobody can choose or guess; 办理进度 lists the enterprise's own applications, 在办 and 历史,
counted by kind, searched by 核对码, 申报事项, state, 产品名称 and 提交时间, ten to a page; before
acceptance the enterprise withdraws (撤回), after it asks to (申请撤回) and the regulator agrees
or refuses with the reason; another enterprise and another province see none of it (SQLite
and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import gc
import re
from typing import Any

import pytest

from generator.types.check_code import ALPHABET
from generator.types.timestamp import now
from tests.modules.conftest import flashes, login, rows
from tests.modules.nx_world import clear, dispose, make_world

CHANGES, PLANS = "/api/v1/change_consultation/", "/api/v1/psychotropic_plan/"
ENTITIES = ("bj_filing.ChangeConsultation", "bj_filing.PsychotropicPlan")
CODE = re.compile(f"^[{ALPHABET}]{{8}}$")


@pytest.fixture(scope="module")
def world(database_url: str, tmp_path_factory: Any) -> Any:
    made = make_world(database_url, tmp_path_factory.mktemp("files"))
    yield made
    dispose(made["app"])
    gc.collect()


@pytest.fixture
def app(world: dict[str, Any]) -> Any:
    return world["app"]


@pytest.fixture(autouse=True)
def fresh(app: Any) -> None:
    clear(app, ENTITIES)


def change(app: Any, product: str = "阿莫西林", username: str = "nx_maker", **more: Any) -> Any:
    made = login(app, username).post(CHANGES, json={
        "product_name": product, "approval": "国药准字H11020287", "change_class": "moderate",
        "subject": "生产场地变更", "content": "拟在同一生产地址内新建车间，请问属于哪类变更？",
        "contact": "马丽", "mobile": "13909511101", **more})
    return made


def filed(app: Any, product: str = "阿莫西林", username: str = "nx_maker") -> dict[str, Any]:
    made = change(app, product, username)
    assert made.status_code == 201, made.json
    return read(app, CHANGES, int(made.json["id"]), username)


def read(app: Any, resource: str, pk: int, username: str = "nx_maker") -> dict[str, Any]:
    shown = login(app, username).get(f"{resource}{pk}")
    assert shown.status_code == 200, shown.json
    return {"id": pk, **shown.json["result"]}


def plan(app: Any, username: str = "nx_maker") -> dict[str, Any]:
    made = login(app, username).post(PLANS, json={
        "year": 2026, "plan_type": "production", "drug_name": "艾司唑仑片",
        "quantity": "120", "unit": "万片", "contact": "马丽", "mobile": "13909511101"})
    assert made.status_code == 201, made.json
    return read(app, PLANS, int(made.json["id"]), username)


def fire(client: Any, resource: str, pk: int, name: str, reason: str | None = None) -> Any:
    return client.post(f"/api/v1/{resource}/{pk}/transition/{name}",
                       json={} if reason is None else {"reason": reason})


def page(client: Any, **args: Any) -> str:
    answer = client.get("/progress/", query_string=args)
    assert answer.status_code == 200, answer.text[:500]
    return answer.text


def codes(html: str) -> list[str]:
    return re.findall(r'<tr class="progress-row" data-code="([^"]*)"', html)


def buttons(html: str, code: str) -> list[str]:
    """The 操作 of the row with `code`: 详情 and its transitions' labels."""
    row = re.search(rf'data-code="{code}">(.*?)</tr>', html, re.S)
    assert row is not None, code
    return re.findall(r'class="btn btn-xs[^"]*"[^>]*>([^<]+)<', row.group(1))


def test_each_application_draws_a_code_no_door_writes(app: Any) -> None:
    first, second = filed(app), filed(app, "牛黄解毒片")
    assert CODE.match(first["code"]) and CODE.match(second["code"])
    assert first["code"] != second["code"]
    assert first["state"] == "pending"
    submitted = dt.datetime.fromisoformat(first["submitted_at"])
    assert abs(submitted - now()) < dt.timedelta(hours=1)
    # the code and the 提交时间 are the system's: asking for a chosen one is refused
    for chosen in ({"code": "AAAAAAAA"}, {"submitted_at": "2020-01-01T08:00:00"}):
        refused = change(app, **chosen)
        assert refused.status_code == 422, refused.json
    assert len(rows(app, "bj_filing.ChangeConsultation")) == 2
    client = login(app, "nx_maker")
    assert client.put(f"{CHANGES}{first['id']}", json={"code": "AAAAAAAA"}).status_code in (
        403, 405, 422)
    assert rows(app, "bj_filing.ChangeConsultation", id=first["id"])[0].code == first["code"]
    # the add form has no input for them
    form = client.get("/bj_filing/change_consultation/add").text
    assert 'name="code"' not in form and 'name="submitted_at"' not in form


def test_the_code_is_found_exactly_in_the_list_the_api_and_progress(app: Any) -> None:
    first, second = filed(app), filed(app, "牛黄解毒片")
    client = login(app, "nx_maker")
    typed = first["code"].lower()
    listed = client.get("/bj_filing/change_consultation/list/", query_string={"_flt_0_code": typed})
    assert first["code"] in listed.text and second["code"] not in listed.text
    found = client.get(CHANGES, query_string={
        "q": f"(filters:!((col:code,opr:is,value:'{typed}')))"})
    assert [r["code"] for r in found.json["result"]] == [first["code"]]
    assert codes(page(client, code=f" {typed} ")) == [first["code"]]
    assert codes(page(client, code=first["code"][:7])) == []  # no partial match
    # another enterprise that knows the code finds nothing
    other = login(app, "nx_wholesale")
    assert other.get(CHANGES, query_string={
        "q": f"(filters:!((col:code,opr:is,value:'{typed}')))"}).json["count"] == 0


def test_progress_counts_filters_and_pages(app: Any) -> None:
    amox = filed(app)
    filed(app, "牛黄解毒片")
    psycho = plan(app)
    assert fire(login(app, "nx_reg"), "change_consultation", amox["id"],
                "accept").status_code == 200
    client = login(app, "nx_maker")
    html = page(client)
    assert "在办申请(3)" in html and "历史申请(0)" in html
    assert "许可事项 <span class=\"progress-count\">(1)</span>" in html
    assert "服务事项 <span class=\"progress-count\">(2)</span>" in html
    assert len(codes(html)) == 3 and codes(html)[0] == psycho["code"]  # newest first
    assert "第二类精神药品制剂生产计划和第二类精神药品原料药需用计划备案" in html
    assert codes(page(client, category="licence")) == [psycho["code"]]
    assert codes(page(client, product="阿莫")) == [amox["code"]]
    assert codes(page(client, item="变更沟通", state="handling")) == [amox["code"]]
    assert codes(page(client, item="备案")) == [psycho["code"]]
    today = now().date()  # 提交时间 is China time
    assert len(codes(page(client, since=today.isoformat(), until=today.isoformat()))) == 3
    assert codes(page(client, until=(today - dt.timedelta(days=1)).isoformat())) == []
    assert "在办申请(0)" in page(client, code="ZZZZZZZZ")
    for n in range(9):
        filed(app, f"产品{n}")
    first, second = page(client), page(client, page=2)
    assert "在办申请(12)" in first and len(codes(first)) == 10 and len(codes(second)) == 2
    assert not set(codes(first)) & set(codes(second))
    assert "共 12 条" in first and 'class="btn btn-xs' in second


def test_another_enterprise_and_province_see_none_of_it(app: Any) -> None:
    mine = filed(app)
    other = login(app, "nx_wholesale")
    html = page(other)
    assert "在办申请(0)" in html and mine["code"] not in html
    assert other.get(f"{CHANGES}{mine['id']}").status_code == 404
    assert login(app, "ln_reg").get(CHANGES).json["count"] == 0
    assert login(app, "nx_reg").get(CHANGES).json["count"] == 1
    # the regulator's export carries the 核对码 and the 提交时间 as the list shows them
    export = login(app, "nx_reg").get("/bj_filing/change_consultation/export/csv")
    text = export.data.decode("utf-8-sig")
    assert "核对码" in text.splitlines()[0] and mine["code"] in text
    assert mine["submitted_at"][:10] in text
    # 办理进度 is for who files: the regulator works on the lists
    assert login(app, "nx_reg").get("/progress/").status_code == 403
    assert login(app, "nx_maker").get("/").text.count("workbench-progress") == 1
    assert "workbench-progress" not in login(app, "nx_reg").get("/").text


def test_withdraw_before_acceptance(app: Any) -> None:
    mine = filed(app)
    client = login(app, "nx_maker")
    assert buttons(page(client), mine["code"]) == ["详情", "撤回"]
    back = "/progress/?tab=open"
    answer = client.post(f"/bj_filing/change_consultation/transition/withdraw/{mine['id']}",
                         data={"next": back})
    assert answer.status_code == 302 and answer.headers["Location"] == back
    html = client.get(back).text
    assert "撤回：1 条记录已完成" in flashes(html) or "撤回" in flashes(html)
    assert "在办申请(0)" in html and "历史申请(1)" in html
    history = page(client, tab="history")
    assert codes(history) == [mine["code"]] and buttons(history, mine["code"]) == ["详情"]
    assert "已撤回" in history
    # once accepted it is no longer the enterprise's to withdraw itself
    other = filed(app, "牛黄解毒片")
    assert fire(login(app, "nx_reg"), "change_consultation", other["id"],
                "accept").status_code == 200
    assert buttons(page(client), other["code"]) == ["详情", "申请撤回"]
    refused = fire(client, "change_consultation", other["id"], "withdraw")
    assert refused.status_code != 200
    assert rows(app, "bj_filing.ChangeConsultation", id=other["id"])[0].state == "handling"


def test_ask_to_withdraw_agreed_and_refused(app: Any) -> None:
    mine = filed(app)
    regulator, client = login(app, "nx_reg"), login(app, "nx_maker")
    assert fire(regulator, "change_consultation", mine["id"], "accept").status_code == 200
    assert fire(client, "change_consultation", mine["id"], "ask_withdraw").status_code != 200
    assert fire(client, "change_consultation", mine["id"], "ask_withdraw",
                "变更方案需重新评估。").status_code == 200
    html = page(client)
    assert buttons(html, mine["code"]) == ["详情"] and "申请撤回" in html
    # refused, with the reason: back into handling
    assert fire(regulator, "change_consultation", mine["id"],
                "refuse_withdraw").status_code != 200
    assert fire(regulator, "change_consultation", mine["id"], "refuse_withdraw",
                "沟通会议已安排。").status_code == 200
    [row] = rows(app, "bj_filing.ChangeConsultation", id=mine["id"])
    assert row.state == "handling"
    assert buttons(page(client), mine["code"]) == ["详情", "申请撤回"]
    inbox = client.get("/messages/").text
    assert "沟通会议已安排" in inbox
    # asked again and agreed: withdrawn, in 历史
    assert fire(client, "change_consultation", mine["id"], "ask_withdraw",
                "仍需撤回。").status_code == 200
    assert fire(regulator, "change_consultation", mine["id"], "agree_withdraw"
                ).status_code == 200
    assert rows(app, "bj_filing.ChangeConsultation", id=mine["id"])[0].state == "withdrawn"
    assert codes(page(client, tab="history")) == [mine["code"]]
