"""Cascading choices and conditional fields in a real browser: the 市 drop-down offers only the
cities of the chosen 省 and is cleared when the 省 changes; 剂型 offers the forms of the chosen
企业类型, and the list's 市 filter follows its 省 filter; 境内代理人 appears (and is marked
required) only for 境外; 核定金额 is greyed out while 已核定 is ticked; the saved row holds what
was shown."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.serving import make_server

from tests.browser.conftest import shot
from tests.conftest import PASSWORD, SCHEMAS, apply_schema, ensure_admin, make_app, seed_people

pytestmark = pytest.mark.browser
UNIT = "91350100M000100Y43"


@pytest.fixture(scope="module")
def server(tmp_path_factory: Any) -> Iterator[tuple[str, Any]]:
    folder = tmp_path_factory.mktemp("browser")
    app = make_app(f"sqlite:///{folder}/browser.db", SCHEMAS / "conditional" / "entities.yaml",
                   tmp=folder, WTF_CSRF_ENABLED=True)
    apply_schema(app)
    ensure_admin(app)
    with app.app_context():
        session = app.appbuilder.session
        seed_people(app, {"350000": ("福建省", "province", None, None),
                          UNIT: ("福州甲医院", "unit", "350000", "institution")},
                    {"clerk": ("clerk", UNIT, "institution")}, PASSWORD)
        region = app.extensions["admin"].models["cond.Region"]
        made: dict[str, Any] = {}
        for name, parent in (("福建省", None), ("广东省", None), ("福州市", "福建省"),
                             ("厦门市", "福建省"), ("广州市", "广东省")):
            made[name] = region(name=name, parent_id=made[parent].id if parent else None)
            session.add(made[name])
            session.flush()
        session.commit()
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}", app
    httpd.shutdown()


def pick(page: Any, field: str, text: str) -> list[str]:
    """Open the select2 of `field`, note what it offers, choose `text`."""
    page.locator(f"#{field} + .select2 .select2-selection").click()
    # the answer for this parent, not the list of the last opening nor 「搜索中…」
    page.wait_for_function(
        """text => {
            const items = [...document.querySelectorAll("li.select2-results__option")];
            return !items.some(i => i.classList.contains("loading-results"))
                && items.some(i => i.textContent.trim() === text);
        }""", arg=text)
    offered = page.locator("li.select2-results__option").all_inner_texts()
    page.locator("li.select2-results__option", has_text=text).click()
    return offered


def dosages(page: Any) -> list[str]:
    found = page.eval_on_selector_all("#dosage option", "os => os.map(o => o.value)")
    return [str(v) for v in found]


def test_the_form_follows_the_rules_as_the_person_types(server: tuple[str, Any],
                                                        page: Any) -> None:
    base, app = server
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", "clerk")
    page.fill("input[name=password]", PASSWORD)
    page.locator("form:not(.admin-search) [type=submit]").click()
    page.wait_for_url(f"{base}/")

    page.goto(f"{base}/cond/report/add")
    page.fill("#title", "浏览器联动")
    assert not page.is_visible("#agent")  # 境内代理人: only for 境外
    page.select_option("#kind", "overseas")
    assert page.is_visible("#agent")
    assert "cond-required" in (page.locator("#agent").locator("xpath=ancestor::tr[1]")
                               .get_attribute("class") or "")
    page.select_option("#kind", "domestic")
    assert not page.is_visible("#agent")
    assert dosages(page) == ["", "tablet", "capsule"]  # 剂型 of 境内 only
    page.select_option("#dosage", "capsule")
    page.select_option("#kind", "overseas")
    assert dosages(page) == ["", "injection"]
    assert page.locator("#dosage").input_value() == ""  # 胶囊剂 is not one of 境外's
    page.select_option("#dosage", "injection")
    page.fill("#agent", "福州代理公司")

    assert pick(page, "province", "福建省") == ["福建省", "广东省", "福州市", "厦门市", "广州市"]
    assert pick(page, "city", "福州市") == ["福州市", "厦门市"]  # the cities of 福建省 only
    shot(page, "row-rules-01-cascade")
    pick(page, "province", "广东省")
    assert page.locator("#city").input_value() == ""  # cleared: not a city of 广东省
    assert pick(page, "city", "广州市") == ["广州市"]

    page.fill("#amount", "12.50")
    page.check("#locked")
    assert page.is_disabled("#amount")  # a new row cannot be filled in as 已核定 with it
    shot(page, "row-rules-02-conditional")
    page.uncheck("#locked")
    assert not page.is_disabled("#amount")
    page.locator("#model_form [type=submit]").click()
    page.wait_for_url(f"{base}/cond/report/list/")
    assert "浏览器联动" in page.content()
    shot(page, "row-rules-03-list")
    # the list's filters: the 市 picker follows the 省 filter once one is chosen
    assert len(pick(page, "search_city", "广州市")) == 5
    pick(page, "search_province", "福建省")
    assert page.locator("#search_city").input_value() == ""  # 广州市 is not of 福建省
    assert pick(page, "search_city", "厦门市") == ["福州市", "厦门市"]
    shot(page, "row-rules-04-filters")
    with app.app_context():
        model = app.extensions["admin"].models["cond.Report"]
        row = app.appbuilder.session.query(model).filter_by(title="浏览器联动").one()
        assert (row.province.name, row.city.name, row.agent, row.dosage, str(row.amount),
                row.locked) == ("广东省", "广州市", "福州代理公司", "injection", "12.50", False)


def test_each_child_line_follows_its_own_rules_as_the_person_types(server: tuple[str, Any],
                                                                   page: Any) -> None:
    """明细 lines: 进口许可证号 shows only in a line whose 产地 is 进口, 超量说明 is marked
    required in a line above 100, 单价 greys out in a line ticked 已核定 — each line by its own
    values, a line added later too; the saved lines hold what was shown."""
    base, app = server
    page.goto(f"{base}/cond/report/add")
    if "/login/" in page.url:  # signed in already when the test before ran
        page.fill("input[name=username]", "clerk")
        page.fill("input[name=password]", PASSWORD)
        page.locator("form:not(.admin-search) [type=submit]").click()
        page.wait_for_url(f"{base}/**")
        page.goto(f"{base}/cond/report/add")
    page.fill("#title", "明细联动")
    page.select_option("#kind", "domestic")
    add = page.locator(".child-lines .child-add")
    add.click()
    add.click()

    def cell(index: int, name: str) -> Any:
        return page.locator(f"[name='lines-{index}-{name}']")

    def td_class(index: int, name: str) -> str:
        return cell(index, name).locator("xpath=ancestor::td[1]").get_attribute("class") or ""

    assert not cell(0, "licence").is_visible() and not cell(1, "licence").is_visible()
    cell(1, "origin").select_option("imported")
    assert cell(1, "licence").is_visible() and not cell(0, "licence").is_visible()
    cell(1, "licence").fill("进口许可2026")
    cell(0, "item").fill("阿莫西林")
    cell(0, "qty").fill("150")
    assert "cond-required" in td_class(0, "note") and "cond-required" not in td_class(1, "note")
    cell(0, "note").fill("集采扩围")
    cell(1, "item").fill("头孢")
    cell(1, "qty").fill("5")
    cell(1, "price").fill("3.20")
    cell(1, "fixed").check()
    assert cell(1, "price").is_disabled() and not cell(0, "price").is_disabled()
    cell(1, "fixed").uncheck()
    assert not cell(1, "price").is_disabled()
    shot(page, "row-rules-05-child-lines")
    page.locator("#model_form [type=submit]").click()
    page.wait_for_url(f"{base}/cond/report/list/")
    with app.app_context():
        model = app.extensions["admin"].models["cond.Report"]
        row = app.appbuilder.session.query(model).filter_by(title="明细联动").one()
        assert sorted((line.item, line.origin, line.licence, line.qty, line.note)
                      for line in row.lines) == [
            ("头孢", "imported", "进口许可2026", 5, None),
            ("阿莫西林", None, None, 150, "集采扩围")]
