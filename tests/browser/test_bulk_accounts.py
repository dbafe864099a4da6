"""批量导入账号 in a real browser on the demo data (seed 004 三(三)): nx_admin downloads the
template from 用户管理, fills it (one row of another province first: every problem listed,
nothing created), then imports the corrected file and sees each account's initial password
once, with the sheet to hand them out; a new account signs in with it and must change it."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.browser.conftest import shot
from tests.browser.demo_server import CAPTCHA, serve, sign_in, submit

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: Any) -> Iterator[dict[str, Any]]:
    yield from serve(tmp_path_factory.mktemp("bulk"))


def fill(template: bytes, rows: list[list[str]], path: Any) -> str:
    book = load_workbook(io.BytesIO(template))
    sheet = book["账号"]
    sheet.delete_rows(2, sheet.max_row)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return str(path)


def test_nx_admin_initialises_accounts_from_a_workbook(server: dict[str, Any], page: Any,
                                                      tmp_path: Any) -> None:
    url = server["url"]
    sign_in(page, url, "nx_admin")
    page.goto(f"{url}/system/users/list/")
    submit(page, page.locator("#bulk-import"))
    assert "批量导入账号" in page.inner_text("body")
    with page.expect_download() as download:
        page.click("text=下载模板")
    template = Path(download.value.path()).read_bytes()
    legend = [r[0] for r in load_workbook(io.BytesIO(template))["填写说明"]
              .iter_rows(values_only=True)]
    assert "执法人员" in legend and "系统管理员" not in legend
    wrong = fill(template, [["xq_zhang", "张建华", "640104", "执法人员"],
                            ["xq_li", "李红梅", "210102", "区县级"]], tmp_path / "wrong.xlsx")
    page.set_input_files("input[name=file]", wrong)
    submit(page, page.locator("form:not(.admin-search) [type=submit]").first)
    problems = page.inner_text("#bulk-problems")
    assert "未创建任何账号" in problems
    assert "您管辖范围内没有该代码的机构" in page.inner_text("body")
    shot(page, "bulk-accounts-problems")
    right = fill(template, [["xq_zhang", "张建华", "640104", "执法人员"],
                            ["xq_li", "李红梅", "640104", "区县级"]], tmp_path / "right.xlsx")
    page.set_input_files("input[name=file]", right)
    submit(page, page.locator("form:not(.admin-search) [type=submit]").first)
    assert "已创建 2 个账号" in page.inner_text("body")
    cells = page.locator("#bulk-made tbody tr").first.locator("td").all_inner_texts()
    assert cells[:3] == ["xq_zhang", "张建华", "兴庆区"]
    password = cells[3]
    shot(page, "bulk-accounts-made")
    with page.expect_download() as download:
        page.click("text=下载初始密码表")
    sheet = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1] == ("xq_zhang", "张建华", "兴庆区", password)
    # the new inspector signs in with it and is asked for a new password first
    page.goto(f"{url}/logout/")
    page.goto(f"{url}/login/")
    page.fill("input[name=username]", "xq_zhang")
    page.fill("input[name=password]", password)
    page.fill("input[name=captcha]", CAPTCHA)
    submit(page, page.locator("form:not(.admin-search) [type=submit]").first)
    assert "密码" in page.inner_text("body") and "/login/" not in page.url
    shot(page, "bulk-accounts-first-sign-in")
