"""The search form above every list (app/search.py, app/search_filters.py) on the bundled
schema: 包含 by default, enum and state labels, from–to ranges, references picked from the rows
the user may see, 【重置】; the filters stay on page and sort links and in the export, the
scope stays under them at every door, and pinyin initials find Chinese names (SQLite and
PostgreSQL)."""

from __future__ import annotations

import csv
import io
import re
from typing import Any
from urllib.parse import quote

import prison
import pytest

from tests.modules.conftest import HOSP1, HOSP_SC, add_row, login, world  # noqa: F401

LIST = "/procurement/demand/list/"
NAMES = ("阿托伐他汀钙片", "头孢呋辛酯片", "氨氯地平片", "瑞舒伐他汀钙片")


@pytest.fixture(scope="module")
def app(world: dict[str, Any]) -> Any:  # noqa: F811
    return world["app"]


@pytest.fixture(scope="module")
def data(app: Any) -> dict[str, int]:
    """Two batches; three demands of 沈阳市第一人民医院 and one of 锦江区人民医院."""
    old = add_row(app, "procurement.Batch", name="第十批", year=2024)
    new = add_row(app, "procurement.Batch", name="第十一批", year=2026)
    for code, name, planned, batch, org, state in (
            ("11-001", NAMES[0], 100, new, HOSP1, "pending"),
            ("11-002", NAMES[1], 5, new, HOSP1, "saved"),
            ("10-001", NAMES[2], 50, old, HOSP1, "pending"),
            ("11-001", NAMES[3], 30, new, HOSP_SC, "pending")):
        add_row(app, "procurement.Demand", org, batch_id=batch, item_code=code, state=state,
                item_name=name, spec="10mg", planned=planned, baseline=planned)
    return {"old": old, "new": new}


def shown(html: str) -> list[str]:
    return [name for name in NAMES if f">{name}<" in html]


def listed(client: Any, query: str) -> list[str]:
    response = client.get(f"{LIST}?{query}")
    assert response.status_code == 200
    return shown(response.text)


@pytest.mark.usefixtures("data")
def test_text_is_contains_by_default(app: Any) -> None:
    lcb = login(app, "lcb")
    assert listed(lcb, f"_flt_0_item_name={quote('他汀')}") == [NAMES[0], NAMES[3]]
    assert listed(lcb, f"_flt_0_item_name={quote('头孢')}") == [NAMES[1]]
    assert listed(lcb, "_flt_0_item_name=%25") == []  # a wildcard is a character
    assert listed(lcb, "_flt_0_item_name=") == list(NAMES)  # blank: no filter


@pytest.mark.usefixtures("data")
def test_pinyin_initials_find_chinese_names(app: Any) -> None:
    lcb = login(app, "lcb")
    assert listed(lcb, "_flt_0_item_name=tt") == [NAMES[0], NAMES[3]]
    assert listed(lcb, "_flt_0_item_name=TT") == [NAMES[0], NAMES[3]]
    assert listed(lcb, "_flt_0_item_name=aldp") == [NAMES[2]]  # 氨氯地平片: a-l-d-p-p
    assert listed(lcb, "_flt_0_item_name=xyz") == []


def test_pinyin_initials_are_kept_on_every_write(app: Any) -> None:
    """ORM writes, a bulk INSERT (divisions, imports) and a rename all keep the initials."""
    from sqlalchemy import insert, select

    from app.security.models import Organisation

    with app.app_context():
        session = app.appbuilder.session
        session.execute(insert(Organisation), [{"code": "500000", "name": "重庆市",
                                                "level": "province", "path": "/CN/500000/"}])
        session.commit()
        org = session.execute(select(Organisation).where(Organisation.code == "500000")
                              ).scalar_one()
        assert org.name_initials == "cqs"
        model = app.extensions["admin"].models["procurement.Batch"]
        batch = model(name="长春批次", year=2025)
        session.add(batch)
        session.commit()
        assert batch.name_initials == "ccpc"
        batch.name = "重庆批次"
        session.commit()
        assert session.get(model, batch.id).name_initials == "cqpc"
        session.delete(batch)
        session.commit()
    picked = login(app, "lcb").get("/procurement/demand/choices/org?search=1&q=cq").json
    assert [r["text"] for r in picked["results"]] == ["重庆市"]


@pytest.mark.usefixtures("data")
def test_the_form_offers_labels_not_operators(app: Any) -> None:
    page = login(app, "ln_hosp1").get(LIST).text
    form = page[page.index('class="form-inline list-search"'):page.index("</form>",
                                                                         page.index("list-search"))]
    assert 'name="_flt_0_item_name"' in form and "拼音首字母" in form
    assert '<option value="saved">已保存</option>' in form  # the state by its label
    assert 'data-url="/procurement/demand/choices/batch?search=1"' in form
    assert "查询" in form and 'href="/procurement/demand/list/"' in form  # 【重置】
    assert "开头是" not in page and "__None" not in page and "关联" not in page
    assert 'name="_flt_0_org"' not in form  # hidden from institutions: not offered


@pytest.mark.usefixtures("data")
def test_states_and_enums_are_picked_by_value(app: Any) -> None:
    lcb = login(app, "lcb")
    assert listed(lcb, "_flt_0_state=saved") == [NAMES[1]]
    assert listed(lcb, "_flt_0_state=submitted") == []
    assert listed(lcb, "_flt_0_state=nonsense") == []
    assert login(app, "nmpa").get(
        "/basic/product/list/?_flt_0_imported=true").status_code == 200


@pytest.mark.usefixtures("data")
def test_ranges_are_inclusive_and_typed(app: Any) -> None:
    lcb = login(app, "lcb")
    assert listed(lcb, "_flt_0_planned=30&_flt_1_planned=100") == [NAMES[0], NAMES[2],
                                                                   NAMES[3]]
    assert listed(lcb, "_flt_1_planned=30") == [NAMES[1], NAMES[3]]
    assert listed(lcb, "_flt_0_planned=abc") == []  # not a number: nothing, never an error
    page = lcb.get(f"{LIST}?_flt_0_planned=30").text
    assert 'name="_flt_0_planned" value="30"' in page  # the form shows what is filtered


def test_references_are_picked_from_reachable_rows(app: Any, data: dict[str, int]) -> None:
    lcb = login(app, "lcb")
    assert listed(lcb, f"_flt_0_batch={data['old']}") == [NAMES[2]]
    assert listed(lcb, "_flt_0_batch=abc") == []
    page = lcb.get(f"{LIST}?_flt_0_batch={data['new']}").text
    assert f'<option value="{data["new"]}" selected>第十一批</option>' in page
    found = lcb.get("/procurement/demand/choices/batch?search=1&q=dsy").json["results"]
    assert [r["text"] for r in found] == ["第十一批"]  # 第十一批: d-s-y-p
    orgs = login(app, "ln_prov").get("/procurement/demand/choices/org?search=1&q=锦江")
    assert orgs.json["results"] == []  # another province's hospital is out of reach


@pytest.mark.usefixtures("data")
def test_the_scope_stays_under_every_filter(app: Any) -> None:
    term = quote("他汀")
    assert listed(login(app, "ln_hosp1"), f"_flt_0_item_name={term}") == [NAMES[0]]
    assert listed(login(app, "sc_hosp"), f"_flt_0_item_name={term}") == [NAMES[3]]
    query = prison.dumps({"filters": [{"col": "item_name", "opr": "has", "value": "tt"}],
                          "columns": ["item_name"]})
    api = login(app, "ln_hosp1").get("/api/v1/demand/", query_string={"q": query})
    assert api.status_code == 200, api.text
    assert [r["item_name"] for r in api.json["result"]] == [NAMES[0]]
    ranged = prison.dumps({"filters": [{"col": "planned", "opr": "ge", "value": 50}],
                           "columns": ["item_name"]})
    api = login(app, "lcb").get("/api/v1/demand/", query_string={"q": ranged})
    assert sorted(r["item_name"] for r in api.json["result"]) == sorted([NAMES[0], NAMES[2]])


@pytest.mark.usefixtures("data")
def test_filters_survive_paging_sorting_and_export(app: Any) -> None:
    lcb = login(app, "lcb")
    page = lcb.get(f"{LIST}?_flt_0_item_name=tt&psize_ProcurementDemandView=1").text
    links = [h.replace("&amp;", "&") for h in re.findall(r'href="?([^"\s>]+)', page)]
    paging = [h for h in links if "page_ProcurementDemandView=1" in h]
    sorting = [h for h in links if "_oc_ProcurementDemandView=item_code" in h]
    export = [h for h in links if "/export/csv" in h]
    assert paging and sorting and export, [h for h in links if "_oc_" in h]
    assert all("_flt_0_item_name=tt" in h for h in paging + sorting + export)
    second = shown(lcb.get(paging[0]).text)  # page 2 of the filtered list: the other statin
    assert len(shown(page)) == len(second) == 1
    assert sorted(shown(page) + second) == sorted([NAMES[0], NAMES[3]])
    lines = list(csv.reader(io.StringIO(lcb.get(export[0]).data.decode("utf-8-sig"))))
    assert sorted(line[2] for line in lines[1:]) == sorted([NAMES[0], NAMES[3]])
    # the form keeps the sort when searching again, and starts at the first page
    view = "ProcurementDemandView"
    again = lcb.get(f"{LIST}?_oc_{view}=item_code&_od_{view}=asc&page_{view}=1").text
    assert f'<input type="hidden" name="_oc_{view}" value="item_code">' in again
    assert f'name="page_{view}"' not in again


@pytest.mark.usefixtures("data")
def test_imports_keep_the_initials_of_new_and_updated_rows(app: Any) -> None:
    """The import's bulk INSERT and bulk UPDATE set the initials too."""
    lcb = login(app, "lcb")

    def send(name: str) -> dict[str, Any]:
        text = f"\ufeff国采批次,品规编号,品种名称（通用名）,规格\n第十批,X-1,{name},20mg\n"
        response = lcb.post("/api/v1/catalog_item/import",
                            data={"file": (io.BytesIO(text.encode("utf-8")), "items.csv")},
                            content_type="multipart/form-data")
        assert response.status_code == 200, response.text
        return dict(response.json)

    def found(term: str) -> bool:
        page = lcb.get(f"/procurement/catalog_item/list/?_flt_0_name={term}").text
        return ">X-1<" in page

    assert send("辛伐他汀片")["created"] == 1
    assert found("xftt") and not found("cqcs")
    assert send("重庆测试片")["updated"] == 1
    assert found("cqcs") and not found("xftt")
