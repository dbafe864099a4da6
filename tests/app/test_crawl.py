"""Every page a demo account can reach is in Chinese: sign in as each of the 25 demo accounts,
open the home page, 个人信息, every menu entry and, on each list, the first rows' detail and
edit pages and the add page; fail on a 500, English words, raw keys, None/True/False or a
dict literal in the visible text, a page without its title or favicon. Each page's status
and response time go to artifacts/crawl-<backend>.txt (a benchmark finding, never a failure)."""

from __future__ import annotations

import re
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from app.demo.data import ACCOUNTS, PASSWORD
from tests.app import crawl
from tests.conftest import ROOT, dispose
from tests.demo_world import demo_app

ARTIFACTS = ROOT / "artifacts"  # git-ignored
PAGES_PER_ACCOUNT = 60  # keeps the file at a minute or two per backend
ROWS_PER_LIST = 2  # detail pages opened per list (and one edit page)


@pytest.fixture(scope="module")
def demo_world(database_url: str, tmp_path_factory: Any) -> Any:
    """The bundled modules with `flask demo load`; the demo accounts' initial passwords
    marked as changed (what each person does at the first sign-in)."""
    app = demo_app(database_url, tmp_path_factory.mktemp("files"),
                   ADMIN_PASSWORD_POLICY={"captcha": False})
    latin = _latin_data(app)
    ARTIFACTS.mkdir(exist_ok=True)
    report = ARTIFACTS / f"crawl-{make_url(database_url).get_backend_name()}.txt"
    report.write_text("account\tstatus\ttime\tpage\n", encoding="utf-8")
    yield app, report, latin
    dispose(app)


def _sign_in(app: Any, username: str) -> Any:
    client = app.test_client()
    response = client.post("/login/", data={"username": username, "password": PASSWORD})
    assert response.headers.get("Location") == "/", response.text[:300]
    return client




def _latin_data(app: Any) -> set[str]:
    """Values of the demo world that are legitimately Latin: the names of foreign companies
    (overseas marketing authorisation holders, importers abroad) as they are registered, the
    addresses of 药监网校's online materials and the abbreviation GSP in course titles."""
    models = app.extensions["admin"].models
    product, dossier = models["basic.Product"], models["export_dossier.ExportDossier"]
    with app.app_context():
        session = app.appbuilder.session
        names = [*session.scalars(select(product.holder).where(product.imported.is_(True))),
                 *session.scalars(select(dossier.importer).where(dossier.importer.isnot(None)))]
    foreign = {re.split(r"（", name)[0].strip() for name in names}
    material = models.get("training.CourseMaterial")
    if material is not None:
        with app.app_context():
            foreign |= {url for url in app.appbuilder.session.scalars(select(material.url))
                        if url}
        foreign.add("GSP")
    return foreign


def crawl_account(app: Any, username: str
                  ) -> tuple[list[crawl.Page], list[tuple[str, int, float]]]:
    client = _sign_in(app, username)
    seen: set[str] = set()
    pages: list[crawl.Page] = []
    times: list[tuple[str, int, float]] = []
    # 个人信息 and its 修改密码 (a button posting FAB's action, which lands on this form)
    queue: list[tuple[str, bool]] = [("/", True), ("/users/userinfo/", False),
                                     ("/resetmypassword/form", False)]
    while queue and len(pages) < PAGES_PER_ACCOUNT:
        url, is_menu = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        start = time.perf_counter()
        response = client.get(url)
        times.append((url, response.status_code, time.perf_counter() - start))
        if response.status_code in (301, 302):
            target = response.headers["Location"]
            if crawl.follow(target):
                queue.insert(0, (target, is_menu))
            continue
        html = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
        page = crawl.parse(url, response.status_code, html)
        pages.append(page)
        if url == "/":
            queue.extend((m, True) for m in page.menu if crawl.follow(m))
            home = [m for m in page.links if crawl.follow(m) and m not in page.menu]
            queue.extend((m, True) for m in home)
        if is_menu:
            queue.extend((link, False) for link in _row_links(url, page.links))
    return pages, times


def _row_links(url: str, links: list[str]) -> list[str]:
    """From a list page: the add page, the first rows' detail pages and one edit page."""
    base = url.split("?")[0].rstrip("/").rsplit("/list", 1)[0]
    mine = [link for link in links if link.startswith(base + "/") and crawl.follow(link)]
    shows = [link for link in mine if "/show/" in link][:ROWS_PER_LIST]
    edits = [link for link in mine if "/edit/" in link][:1]
    adds = [link for link in mine if link.split("?")[0].rstrip("/").endswith("/add")][:1]
    return list(dict.fromkeys([*adds, *shows, *edits]))


def _findings(pages: list[crawl.Page], latin: set[str], app_name: str
              ) -> dict[str, list[str]]:
    logins = {a.username for a in ACCOUNTS} | {"admin"}
    by_pattern: dict[str, list[str]] = defaultdict(list)
    for page in pages:
        where = by_pattern[crawl.pattern(page.url)]
        if page.status >= 500:
            where.append(f"status {page.status} ({page.url})")
            continue
        # a login name is the people's own data wherever it appears (a refusal names the
        # account it refused, on whatever page shows the message next)
        allowed = latin | logins
        for kind, what in crawl.problems(f"{page.title} {page.text}", allowed):
            where.append(f"{kind}: {what}")
        if not page.title.endswith(f" - {app_name}") or page.title == f" - {app_name}":
            where.append(f"title: {page.title!r} does not name the page")
        if not page.icon:
            where.append("no favicon")
    by_pattern = defaultdict(list, {k: v for k, v in by_pattern.items() if v})
    return by_pattern


def _write_report(report: Path, username: str, times: list[tuple[str, int, float]]) -> None:
    with report.open("a", encoding="utf-8") as out:
        for url, status, seconds in times:
            out.write(f"{username}\t{status}\t{seconds * 1000:8.1f} ms\t{url}\n")


@pytest.mark.parametrize("username", [a.username for a in ACCOUNTS])
def test_every_page_of_the_account_is_chinese(demo_world: Any, username: str) -> None:
    app, report, latin = demo_world
    pages, times = crawl_account(app, username)
    _write_report(report, username, times)
    assert len(pages) >= 3, [p.url for p in pages]  # home, userinfo and what the menu opens
    with app.app_context():
        app_name = app.appbuilder.app_name
    findings = _findings(pages, latin, app_name)
    lines = [f"{where}\n    " + "\n    ".join(sorted(set(found)))
             for where, found in sorted(findings.items())]
    assert not findings, f"{username}: {len(pages)} pages\n" + "\n".join(lines)



def test_the_home_page_lists_what_the_account_may_open(demo_world: Any) -> None:
    app, _report, _latin = demo_world
    page = crawl.parse("/", 200, _sign_in(app, "ln_hospital1").get("/").get_data(as_text=True))
    assert "集采需求报量" in page.text and "采购需求" in page.text
    assert "/procurement/demand/list/" in page.links
    assert "/export_dossier/export_dossier/list/" not in page.links  # not a hospital's
    agent = crawl.parse("/", 200, _sign_in(app, "ln_agent").get("/").get_data(as_text=True))
    # the agent holds only the delegated module
    assert "/export_dossier/export_dossier/list/" in agent.links
    assert "/annual_report/annual_report/list/" not in agent.links


def test_history_and_correction_rounds_name_people(demo_world: Any) -> None:
    app, _report, _latin = demo_world
    report = app.extensions["admin"].models["annual_report.AnnualReport"]
    with app.app_context():
        pk = app.appbuilder.session.scalars(
            select(report.id).where(report.state == "returned")).one()
    page = _sign_in(app, "ln_import").get(f"/annual_report/annual_report/show/{pk}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "补正历史" in html and "赵丽 于" in html  # returned by ln_reg
    assert "<td>何志远</td>" in html  # who created and submitted it
    assert "ln_reg" not in html and "<td>ln_import</td>" not in html


def test_pages_are_titled_page_then_system(demo_world: Any) -> None:
    app, _report, _latin = demo_world
    client = _sign_in(app, "ln_hospital1")
    titles = {url: crawl.parse(url, 200, client.get(url).get_data(as_text=True))
              for url in ("/", "/users/userinfo/", "/procurement/demand/list/", "/nowhere")}
    with app.app_context():
        name = app.appbuilder.app_name
    assert {url: page.title for url, page in titles.items()} == {
        "/": f"首页 - {name}", "/users/userinfo/": f"您的个人信息 - {name}",
        "/procurement/demand/list/": f"采购需求列表 - {name}", "/nowhere": f"页面不存在 - {name}"}
    assert all(page.icon for page in titles.values())
    assert client.get("/static/admin/favicon.svg").status_code == 200
