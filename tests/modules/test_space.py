"""企业空间 (seed 003 ch. 6) as the 北京 portal's users meet it: the province issues a 电子证照
and a 法律文书 to 北京京康医药科技有限公司, which reads and downloads them but changes nothing; the
enterprise keeps documents of any format within its 200 MB (the upload that would pass it is
refused with the figures, racing uploads never pass it, a delete gives the space back), every
file downloads as an inert attachment; 人员管理 checks the 身份证号 and keeps it once per
enterprise; a neighbouring enterprise and another province see none of it (SQLite and
PostgreSQL)."""

from __future__ import annotations

import gc
import io
import threading
from typing import Any

import pytest

from tests.conftest import field_errors
from tests.modules.conftest import flashes, login, make_pdf, rows
from tests.modules.space_world import JINGKANG, dispose, make_world

MB = 1024 * 1024
QUOTA = 200 * MB
ENTITIES = ("space.StaffCertificate", "space.Staff", "space.Document", "space.License",
            "space.LegalDocument")
LICENSE = "/space/license"
DOCS = "/space/document"
STAFF = "/space/staff"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(2048)
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SUN = "110105198803121236"  # the demo 自然人 孙浩然, check digit sound


@pytest.fixture(scope="module")
def world(database_url: str, tmp_path_factory: Any) -> Any:
    made = make_world(database_url, tmp_path_factory.mktemp("files"))
    made["database_url"] = database_url
    yield made
    dispose(made["app"])
    gc.collect()


@pytest.fixture(autouse=True)
def fresh(world: dict[str, Any]) -> None:
    from sqlalchemy import delete

    from app.audit.models import AuditEntry
    from app.hooks.models import OrgQuota

    app = world["app"]
    models = app.extensions["admin"].models
    with app.app_context():
        session = app.appbuilder.session
        for name in ENTITIES:
            session.execute(delete(models[name]))
        session.execute(delete(AuditEntry).where(AuditEntry.entity.in_(ENTITIES)))
        session.execute(delete(OrgQuota))
        session.commit()


def used(world: dict[str, Any], code: str = JINGKANG) -> int:
    from app.hooks.models import OrgQuota

    app = world["app"]
    with app.app_context():
        session = app.appbuilder.session
        row = session.get(OrgQuota, world["orgs"][code])
        value = int(row.used_bytes) if row is not None else 0
        session.rollback()
        return value


def set_used(world: dict[str, Any], value: int, code: str = JINGKANG) -> None:
    from app.hooks.models import OrgQuota

    app = world["app"]
    with app.app_context():
        session = app.appbuilder.session
        session.merge(OrgQuota(org_id=world["orgs"][code], used_bytes=value))
        session.commit()


def upload(client: Any, title: str, data: bytes, name: str, **extra: Any) -> Any:
    return client.post(f"{DOCS}/add", data={
        "title": title, "category": "other", "note": "请保留这段备注",
        "file": (io.BytesIO(data), name), **extra}, content_type="multipart/form-data")


def ids(client: Any, resource: str) -> list[int]:
    response = client.get(f"/api/v1/{resource}/")
    assert response.status_code == 200, response.text[:300]
    return sorted(int(i) for i in response.json["ids"])


def issue_licence(world: dict[str, Any], number: str = "京20260001") -> int:
    reg = login(world["app"], "bj_reg")
    made = reg.post(f"{LICENSE}/add", data={
        "enterprise": str(world["infos"][JINGKANG]), "kind": "drug_trade", "number": number,
        "issuer": "北京市药品监督管理局", "issued_on": "2026-03-02", "valid_until": "2031-03-01",
        "scope_text": "化学药制剂、中成药", "file": (io.BytesIO(make_pdf("药品经营许可证")),
                                                   "药品经营许可证.pdf")},
        content_type="multipart/form-data")
    assert made.status_code == 302, field_errors(made.text) or flashes(made.text)[-600:]
    [row] = [r for r in rows(world["app"], "space.License") if r.number == number]
    return int(row.id)


def test_the_regulator_issues_a_licence_the_enterprise_reads_it_and_changes_nothing(
        world: dict[str, Any]) -> None:
    app = world["app"]
    pk = issue_licence(world)
    [row] = rows(app, "space.License")
    assert row.org_id == world["orgs"][JINGKANG]  # held by the enterprise, not the regulator
    legal = login(app, "bj_legal")
    shown = legal.get(f"{LICENSE}/show/{pk}")
    assert shown.status_code == 200 and "京20260001" in shown.text
    assert "药品经营许可证.pdf" in shown.text and "北京市药品监督管理局" in shown.text
    listed = flashes(legal.get(f"{LICENSE}/list/").text)
    assert "京20260001" in listed and "药品经营许可证" in listed
    download = legal.get(f"{LICENSE}/download/file/{pk}")
    assert download.status_code == 200 and download.data.startswith(b"%PDF-")
    assert download.headers["Content-Type"] == "application/pdf"
    # read-only: no door changes it, none is offered
    assert f"{LICENSE}/edit/{pk}" not in shown.text and f"{LICENSE}/add" not in listed
    for agent in ("bj_legal", "bj_agent"):
        client = login(app, agent)
        assert client.get(f"{LICENSE}/edit/{pk}").status_code in (302, 403, 404)
        assert client.post(f"{LICENSE}/delete/{pk}").status_code in (302, 403, 404)
        assert client.put(f"/api/v1/license/{pk}", json={"number": "改"}).status_code in (403, 404)
        assert client.delete(f"/api/v1/license/{pk}").status_code in (403, 404)
        assert client.post("/api/v1/license/", json={
            "enterprise": world["infos"][JINGKANG], "kind": "other", "number": "自制",
            "issuer": "x", "issued_on": "2026-01-01"}).status_code in (403, 404)
    [kept] = rows(app, "space.License")
    assert kept.number == "京20260001"
    # the neighbour and another province see nothing of it, at any door
    for other in ("hd_legal", "ln_reg"):
        client = login(app, other)
        assert client.get(f"{LICENSE}/show/{pk}").status_code == 404, other
        assert client.get(f"{LICENSE}/download/file/{pk}").status_code == 404, other
        assert client.get(f"/api/v1/license/{pk}").status_code == 404, other
        assert "京20260001" not in client.get(f"{LICENSE}/list/").text
    assert ids(login(app, "hd_legal"), "license") == []


def test_a_legal_document_is_the_enterprise_s_to_read(world: dict[str, Any]) -> None:
    app = world["app"]
    reg = login(app, "bj_reg")
    made = reg.post("/space/legal_document/add", data={
        "enterprise": str(world["infos"][JINGKANG]), "kind": "correction",
        "number": "京药监改〔2026〕3号", "title": "责令改正通知书",
        "issuer": "北京市药品监督管理局",
        "issued_on": "2026-04-08", "summary": "限期 15 日内改正温湿度记录缺失问题。"},
        content_type="multipart/form-data")
    assert made.status_code == 302, field_errors(made.text)
    [row] = rows(app, "space.LegalDocument")
    legal = login(app, "bj_legal")
    assert "京药监改〔2026〕3号" in legal.get(f"/space/legal_document/show/{row.id}").text
    assert legal.put(f"/api/v1/legal_document/{row.id}",
                     json={"title": "x"}).status_code in (403, 404)
    assert login(app, "hd_legal").get(
        f"/space/legal_document/show/{row.id}").status_code == 404


def test_documents_of_any_format_download_as_inert_attachments(world: dict[str, Any]) -> None:
    app = world["app"]
    legal = login(app, "bj_legal")
    for title, data, name in (("安装程序", EXE, "setup.exe"), ("标志", SVG, "logo.svg"),
                              ("网页", HTML, "说明.html"), ("目录", b"<a/>", "list.xml")):
        made = upload(legal, title, data, name)
        assert made.status_code == 302, field_errors(made.text)
    stored = {r.title: r for r in rows(app, "space.Document")}
    assert used(world) == len(EXE) + len(SVG) + len(HTML) + 4
    for title, data in (("安装程序", EXE), ("标志", SVG), ("网页", HTML)):
        response = legal.get(f"{DOCS}/download/file/{stored[title].id}")
        assert response.status_code == 200 and response.data == data
        assert response.headers["Content-Type"] == "application/octet-stream", title
        assert response.headers["Content-Disposition"].startswith("attachment;")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "filename*=UTF-8''%E8%AF%B4%E6%98%8E.html" in legal.get(
        f"{DOCS}/download/file/{stored['网页'].id}").headers["Content-Disposition"]
    # the agent of the same enterprise reads them; the neighbour does not
    assert len(ids(login(app, "bj_agent"), "document")) == 4
    hd = login(app, "hd_legal")
    assert ids(hd, "document") == []
    assert hd.get(f"{DOCS}/download/file/{stored['网页'].id}").status_code == 404
    # the regulators keep out of an enterprise's own documents
    assert login(app, "bj_reg").get(f"{DOCS}/list/").status_code in (302, 403)


def test_the_space_shows_what_is_used_and_refuses_what_would_pass_200_mb(
        world: dict[str, Any]) -> None:
    app = world["app"]
    legal = login(app, "bj_legal")
    assert "企业空间：已用 0 MB / 200 MB" in flashes(legal.get(f"{DOCS}/list/").text)
    first = upload(legal, "质量手册", make_pdf("质量手册"), "质量手册.pdf")
    assert first.status_code == 302, field_errors(first.text)
    set_used(world, QUOTA - 100 * 1024)
    page = flashes(legal.get(f"{DOCS}/list/").text)
    assert "企业空间：已用 199.9 MB / 200 MB" in page
    refused = upload(legal, "年度培训视频", bytes(200 * 1024), "培训.mp4")
    assert refused.status_code == 200
    assert "未保存：企业空间已满：已用 199.9 MB，上限 200 MB（本文件 0.2 MB）。" in refused.text
    assert 'value="年度培训视频"' in refused.text and "请保留这段备注" in refused.text
    assert [r.title for r in rows(app, "space.Document")] == ["质量手册"]
    assert used(world) == QUOTA - 100 * 1024
    # a delete gives the document's space back, at once
    [doc] = rows(app, "space.Document")
    size = int(doc.file_size)
    assert legal.post(f"{DOCS}/delete/{doc.id}").status_code == 302
    assert used(world) == QUOTA - 100 * 1024 - size
    # the neighbour's space is its own
    assert "企业空间：已用 0 MB / 200 MB" in flashes(login(app, "hd_legal").get(
        f"{DOCS}/list/").text)


def test_racing_uploads_never_take_the_enterprise_over_its_space(
        world: dict[str, Any]) -> None:
    """12 uploads at once against room for two: on PostgreSQL exactly two pass (the guarded
    UPDATE waits for the row lock and re-checks); SQLite has one writer at a time."""
    app = world["app"]
    data = bytes(300 * 1024)
    start = QUOTA - (2 * len(data) + len(data) // 2)
    set_used(world, start)
    clients = [login(app, "bj_legal" if i % 2 else "bj_agent") for i in range(12)]
    barrier = threading.Barrier(len(clients))
    results: list[tuple[int, str]] = [(0, "")] * len(clients)

    def run(index: int) -> None:
        barrier.wait()
        response = upload(clients[index], f"并发{index:02d}", data, f"r{index}.bin")
        results[index] = (response.status_code, response.text)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    passed = [r for r in results if r[0] == 302]
    after = used(world)
    assert after <= QUOTA
    assert after == start + len(passed) * len(data)
    assert len(rows(app, "space.Document")) == len(passed)
    if world["database_url"].startswith("postgresql"):
        full = [r for r in results if r[0] == 200 and "企业空间已满" in r[1]]
        assert len(passed) == 2 and len(full) == 10
    else:
        assert 1 <= len(passed) <= 2


def add_staff(client: Any, name: str, id_no: str, **extra: Any) -> Any:
    return client.post(f"{STAFF}/add", data={
        "name": name, "gender": "male", "id_no": id_no, "position": "质量负责人",
        "phone": "13901105102", **extra}, content_type="multipart/form-data")


def test_staff_with_a_sound_id_card_once_per_enterprise_and_their_certificates(
        world: dict[str, Any]) -> None:
    app = world["app"]
    legal = login(app, "bj_legal")
    wrong = add_staff(legal, "孙浩然", "110105198803121235")  # check digit off by one
    assert wrong.status_code == 200
    assert "不是有效的居民身份证号" in flashes(wrong.text) and 'value="孙浩然"' in wrong.text
    made = add_staff(legal, "孙浩然", SUN, **{
        "certificates-0-kind": "pharmacist", "certificates-0-number": "ZY2026110001",
        "certificates-0-valid_until": "2030-12-31",
        "certificates-0-scan": (io.BytesIO(make_pdf("执业药师注册证")), "执业药师注册证.pdf"),
        "certificates-1-kind": "health", "certificates-1-number": "JK-2026-018"})
    assert made.status_code == 302, field_errors(made.text) or flashes(made.text)[-800:]
    [person] = rows(app, "space.Staff")
    assert (person.id_no, person.org_id) == (SUN, world["orgs"][JINGKANG])
    lines = rows(app, "space.StaffCertificate")
    assert [(c.kind, c.number) for c in lines] == [("pharmacist", "ZY2026110001"),
                                                  ("health", "JK-2026-018")]
    shown = legal.get(f"{STAFF}/show/{person.id}").text
    assert "执业药师注册证" in shown and "ZY2026110001" in shown and "2030-12-31" in shown
    # the same 身份证号 once per enterprise (the agent cannot register him twice) ...
    again = add_staff(login(app, "bj_agent"), "孙浩然", SUN)
    assert again.status_code == 200
    assert "身份证号、所属机构 的组合已被其他记录使用。" in flashes(again.text)
    api = login(app, "bj_agent").post("/api/v1/staff/", json={
        "name": "孙浩然", "gender": "male", "id_no": SUN})
    assert api.status_code == 422
    assert len(rows(app, "space.Staff")) == 1
    # ... but another enterprise may employ the same person, and sees only its own
    hd = login(app, "hd_legal")
    assert add_staff(hd, "孙浩然", SUN).status_code == 302
    assert len(ids(hd, "staff")) == 1 and len(ids(legal, "staff")) == 1
    assert hd.get(f"{STAFF}/show/{person.id}").status_code == 404
    bad = hd.post("/api/v1/staff/", json={"name": "赵六", "gender": "female",
                                           "id_no": "11010519880312123X"})
    assert bad.status_code == 422 and "id_no" in bad.json["message"]


def test_the_space_menu_links_the_enterprise_s_own_information(world: dict[str, Any]) -> None:
    app = world["app"]
    page = login(app, "bj_legal").get(f"{DOCS}/list/").text
    text = flashes(page)
    for entry in ("企业空间", "企业主体信息", "电子证照", "法律文书", "文档管理", "人员管理"):
        assert entry in text, entry
    assert 'href="/basic/enterprise_info/list/"' in page
    listed = flashes(login(app, "bj_legal").get("/basic/enterprise_info/list/").text)
    assert "北京京康医药科技有限公司" in listed and "北京海淀康达医药有限公司" not in listed
    # the regulator's space holds what it issues, not the enterprises' own records
    reg = flashes(login(app, "bj_reg").get(f"{LICENSE}/list/").text)
    assert "电子证照" in reg and "法律文书" in reg
    assert "文档管理" not in reg and "人员管理" not in reg and "企业主体信息" not in reg
