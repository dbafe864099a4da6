"""企业空间 in a real browser on the demo data: 钱家豪 (bj_legal) of 北京京康医药科技有限公司 opens
企业主体信息 from the space, reads the 药品经营许可证 the province issued (no button to change it),
uploads a document of his own and sees 已用 grow, adds a person whose 身份证号 is mistyped and
corrected, with a certificate line; 韩雪 (bj_reg) issues a 法律文书 to the enterprise."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import shot
from tests.browser.demo_server import serve, sign_in, submit

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: Any) -> Iterator[dict[str, Any]]:
    yield from serve(tmp_path_factory.mktemp("space"))


def used_mb(page: Any) -> float:
    text = page.locator(".quota-banner").inner_text()
    match = re.search(r"已用 ([\d.]+) MB / 200 MB", text)
    assert match, text
    return float(match.group(1))


def test_the_enterprise_keeps_its_space(server: dict[str, Any], page: Any,
                                        tmp_path: Path) -> None:
    url = server["url"]
    sign_in(page, url, "bj_legal")
    group = page.locator(".admin-menu-group", has_text="企业空间")
    for entry in ("企业主体信息", "电子证照", "法律文书", "文档管理", "人员管理"):
        assert group.locator("a", has_text=entry).count() == 1, entry
    title = group.locator(".admin-menu-title")
    if title.get_attribute("aria-expanded") == "false":
        title.click()
    submit(page, group.locator("a", has_text="企业主体信息"))
    assert "北京京康医药科技有限公司" in page.inner_text("body")
    shot(page, "space-01-enterprise")
    group = page.locator(".admin-menu-group", has_text="企业空间")
    title = group.locator(".admin-menu-title")
    if title.get_attribute("aria-expanded") == "false":
        title.click()
    submit(page, group.locator("a", has_text="电子证照"))
    body = page.inner_text("body")
    assert "京20260017" in body and "药品经营许可证.pdf" in body
    assert page.locator("a[href*='/space/license/add']").count() == 0
    assert page.locator("a[href*='/space/license/edit/']").count() == 0
    shot(page, "space-02-licences")
    page.goto(f"{url}/space/document/list/")
    before = used_mb(page)
    assert "2026年员工培训签到表" in page.inner_text("body")
    shot(page, "space-03-documents")
    page.goto(f"{url}/space/document/add")
    page.fill("input[name=title]", "仓库平面图")
    page.select_option("select[name=category]", "quality")
    drawing = tmp_path / "仓库平面图.dwg"
    drawing.write_bytes(b"AC1032" + bytes(300 * 1024))
    page.set_input_files("input[name=file]", str(drawing))
    submit(page, page.locator("#model_form [type=submit]"))
    assert "仓库平面图" in page.inner_text("body")
    assert used_mb(page) == pytest.approx(before + 0.29, abs=0.02)
    shot(page, "space-04-uploaded")
    page.goto(f"{url}/space/staff/add")
    page.fill("input[name=name]", "周明")
    page.select_option("select[name=gender]", "male")
    page.fill("input[name=id_no]", "110105199001010019")
    page.fill("input[name=position]", "储运员")
    submit(page, page.locator("#model_form [type=submit]"))
    body = page.inner_text("body")
    assert "不是有效的居民身份证号" in body
    assert page.input_value("input[name=name]") == "周明"  # nothing typed is lost
    shot(page, "space-05-id-refused")
    page.fill("input[name=id_no]", "110105199001010010")
    page.locator("button.child-add").first.click()
    line = page.locator(".child-lines tbody tr").last
    line.locator("select[name$='-kind']").select_option("health")
    line.locator("input[name$='-number']").fill("JK-2026-0901")
    submit(page, page.locator("#model_form [type=submit]"))
    body = page.inner_text("body")
    assert "周明" in body
    staff = page.locator("a[href*='/space/staff/show/']")
    assert staff.count() >= 4
    shot(page, "space-06-staff")


def test_the_regulator_issues_a_legal_document(server: dict[str, Any], page: Any) -> None:
    url = server["url"]
    sign_in(page, url, "bj_reg")
    group = page.locator(".admin-menu-group", has_text="企业空间")
    assert group.locator("a", has_text="文档管理").count() == 0
    page.goto(f"{url}/space/legal_document/list/")
    assert "京药监检〔2026〕15号" in page.inner_text("body")
    shot(page, "space-07-regulator-documents")
