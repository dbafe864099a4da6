"""upload_limit: types by content and extension, size per file and per request, one file per
field, a quota per organisation that concurrent uploads cannot overshoot, Chinese names kept
for download, storage on disk or in the database (SQLite and PostgreSQL)."""

from __future__ import annotations

import io
import threading
import zipfile
from pathlib import Path
from typing import Any

import prison
import pytest

from tests.app.hooks.conftest import (
    HOSPITAL_A,
    build_world,
    login,
    make_pdf,
    open_everywhere,
)
from tests.conftest import field_errors

MB = 1024 * 1024
QUOTA = 2 * MB
LETTER = "承诺函（2026年）.pdf"
HTML = b"<!DOCTYPE html><html><head><title>x</title></head><body>not a pdf</body></html>"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(512)


@pytest.fixture(scope="module")
def world(database_url: str, tmp_path_factory: Any) -> dict[str, Any]:
    world = build_world(database_url, tmp_path_factory.mktemp("files"),
                        MAX_CONTENT_LENGTH=3 * MB)
    open_everywhere(world["app"])
    world["database_url"] = database_url
    return world


@pytest.fixture(autouse=True)
def quota_reset(world: dict[str, Any]) -> None:
    from app.hooks.models import OrgQuota

    app = world["app"]
    with app.app_context():
        app.appbuilder.session.query(OrgQuota).delete()
        app.appbuilder.session.commit()


def stored_files(world: dict[str, Any]) -> list[Path]:
    return sorted(p for p in (world["tmp"] / "uploads").rglob("*") if p.is_file())


def used(app: Any, code: str = HOSPITAL_A) -> int:
    from app.hooks.models import OrgQuota
    from app.security.models import Organisation

    with app.app_context():
        session = app.appbuilder.session
        org = session.query(Organisation).filter_by(code=code).one()
        row = session.get(OrgQuota, org.id)
        value = row.used_bytes if row is not None else 0
        session.rollback()
        return int(value)


def set_used(app: Any, value: int, code: str = HOSPITAL_A) -> None:
    from app.hooks.models import OrgQuota
    from app.security.models import Organisation

    with app.app_context():
        session = app.appbuilder.session
        org = session.query(Organisation).filter_by(code=code).one()
        session.merge(OrgQuota(org_id=org.id, used_bytes=value))
        session.commit()


def add(client: Any, code: str, files: Any = None, **extra: Any) -> Any:
    data = {"code": code, "planned": "15", "note": "请保留这段备注", **extra}
    if files is not None:
        data["letter"] = files
    return client.post("/procurement/demand/add", data=data,
                       content_type="multipart/form-data")


def pk_of(client: Any, code: str) -> int:
    response = client.get("/api/v1/demand/", query_string={"q": prison.dumps(
        {"filters": [{"col": "code", "opr": "eq", "value": code}]})})
    [pk] = response.json["ids"]
    return int(pk)


def upload(data: bytes, name: str = LETTER) -> tuple[io.BytesIO, str]:
    return io.BytesIO(data), name


def test_sound_pdf_kept_under_generated_name_downloaded_under_its_own(
        world: dict[str, Any]) -> None:
    client = login(world["app"], "hosp_a")
    pdf = make_pdf(20_000)
    response = add(client, "U001", upload(pdf))
    assert response.status_code == 302, field_errors(response.text)
    pk = pk_of(client, "U001")
    assert LETTER in client.get(f"/procurement/demand/show/{pk}").text
    download = client.get(f"/procurement/demand/download/letter/{pk}")
    assert download.status_code == 200 and download.data == pdf
    disposition = download.headers["Content-Disposition"]
    assert "filename*=UTF-8''%E6%89%BF%E8%AF%BA%E5%87%BD%EF%BC%882026%E5%B9%B4%EF%BC%89.pdf" \
        in disposition
    names = [p.name for p in stored_files(world)]
    assert names and all(n.isascii() and n.endswith(".pdf") and len(n) == 36 for n in names)
    assert used(world["app"]) == len(pdf)
    # download only within scope: another unit of the same county gets 404
    assert login(world["app"], "hosp_b").get(
        f"/procurement/demand/download/letter/{pk}").status_code == 404


@pytest.mark.parametrize(("name", "content", "message"), [
    ("承诺函.pdf", HTML, "文件内容与文件名不符：扩展名为 .pdf，但文件内容不是 PDF 文件。"),
    ("承诺函.pdf", EXE, "文件内容与文件名不符：扩展名为 .pdf，但文件内容不是 PDF 文件。"),
    ("承诺函.pdf", b"%PDF-1.7\n" + HTML, "PDF 文件已损坏或不完整，无法打开，请重新保存后再上传。"),
    ("承诺函.pdf", "truncated", "PDF 文件已损坏或不完整，无法打开，请重新保存后再上传。"),
    ("承诺函.docx", "pdf", "只接受以下类型的文件：PDF。"),
    ("承诺函", "pdf", "只接受以下类型的文件：PDF。"),
    ("承诺函.pdf", b"", "文件是空的。"),
    ("承诺函.pdf", "big", "文件大小为 1.5 MB，超过上限 1 MB。"),
], ids=["html-as-pdf", "exe-as-pdf", "pdf-header-then-html", "truncated-pdf",
        "wrong-extension", "no-extension", "empty", "over-max-mb"])
def test_refused_upload_says_why_next_to_the_field_and_keeps_the_rest(
        world: dict[str, Any], name: str, content: Any, message: str) -> None:
    if content == "truncated":
        whole = make_pdf(30_000)
        content = whole[:len(whole) * 2 // 3]
    elif content == "pdf":
        content = make_pdf()
    elif content == "big":
        content = make_pdf(int(1.5 * MB) - 2_000)
    client = login(world["app"], "hosp_a")
    before = stored_files(world)
    response = add(client, "R001", upload(content, name))
    assert response.status_code == 200
    assert field_errors(response.text)["letter"] == [message]
    assert 'value="R001"' in response.text and 'value="15"' in response.text
    assert "请保留这段备注" in response.text
    assert stored_files(world) == before and used(world["app"]) == 0


def test_two_files_for_a_one_file_field_are_refused(world: dict[str, Any]) -> None:
    client = login(world["app"], "hosp_a")
    response = add(client, "T001", [upload(make_pdf(), "一.pdf"), upload(make_pdf(), "二.pdf")])
    assert response.status_code == 200
    assert field_errors(response.text)["letter"] == [
        "此处只能上传 1 个文件，请只选择一个文件（再次上传将替换原文件）。"]
    assert 'value="T001"' in response.text and "请保留这段备注" in response.text


def test_request_over_max_content_length_is_413_in_chinese(world: dict[str, Any]) -> None:
    client = login(world["app"], "hosp_a")
    big = upload(b"%PDF-1.4\n" + bytes(4 * MB))
    page = add(client, "B001", big)
    assert page.status_code == 413 and "上传的文件过大。" in page.text
    html_import = client.post("/procurement/demand/import/", data={
        "file": (io.BytesIO(bytes(4 * MB)), "big.csv")}, content_type="multipart/form-data")
    assert html_import.status_code == 413 and "上传的文件过大。" in html_import.text


def test_rest_request_over_max_content_length_is_413_in_chinese(world: dict[str, Any]) -> None:
    client = login(world["app"], "hosp_a")
    api = client.post("/api/v1/demand/import", data={"file": (io.BytesIO(bytes(4 * MB)),
                                                              "big.csv")},
                      content_type="multipart/form-data")
    assert api.status_code == 413 and api.json == {"message": "上传的文件过大。"}


def test_new_upload_replaces_the_file_and_its_space(world: dict[str, Any]) -> None:
    app = world["app"]
    client = login(app, "hosp_a")
    first, second = make_pdf(50_000), make_pdf(10_000)
    assert add(client, "P001", upload(first, "旧.pdf")).status_code == 302
    pk = pk_of(client, "P001")
    files = stored_files(world)
    assert used(app) == len(first)
    edited = client.post(f"/procurement/demand/edit/{pk}", data={
        "code": "P001", "letter": upload(second, "新.pdf")}, content_type="multipart/form-data")
    assert edited.status_code == 302, field_errors(edited.text)
    assert used(app) == len(second)
    assert client.get(f"/procurement/demand/download/letter/{pk}").data == second
    after = stored_files(world)
    assert len(after) == len(files)  # the old file went, the new one came
    assert client.post(f"/procurement/demand/delete/{pk}").status_code == 302
    assert used(app) == 0 and len(stored_files(world)) == len(files) - 1


def test_quota_refuses_with_chinese_message_and_loses_nothing(world: dict[str, Any]) -> None:
    app = world["app"]
    client = login(app, "hosp_a")
    small = make_pdf(5_000)
    assert add(client, "Q001", upload(small, "原件.pdf")).status_code == 302
    pk = pk_of(client, "Q001")
    set_used(app, QUOTA - 100 * 1024)
    before = stored_files(world)
    big = make_pdf(200 * 1024)
    refused = add(client, "Q002", upload(big))
    assert refused.status_code == 200
    assert "未保存：企业空间已满：已用 1.9 MB，上限 2 MB（本文件 0.2 MB）。" in refused.text
    assert 'value="Q002"' in refused.text and "请保留这段备注" in refused.text
    # a replacement that does not fit keeps the file the row had
    replaced = client.post(f"/procurement/demand/edit/{pk}", data={
        "code": "Q001", "note": "改了备注", "letter": upload(big)},
        content_type="multipart/form-data")
    assert replaced.status_code == 200 and "企业空间已满" in replaced.text
    assert "改了备注" in replaced.text
    assert client.get(f"/procurement/demand/download/letter/{pk}").data == small
    assert stored_files(world) == before and used(app) == QUOTA - 100 * 1024


def test_concurrent_uploads_never_overshoot_the_quota(world: dict[str, Any]) -> None:
    """20 uploads at once against room for two. On PostgreSQL exactly two pass (the guarded
    UPDATE waits for the row lock and re-checks); SQLite runs it too (one writer at a time),
    where a writer may also time out, but never takes the organisation over quota."""
    app = world["app"]
    pdf = make_pdf(100_000)
    size = len(pdf)
    start = QUOTA - (2 * size + size // 2)
    set_used(app, start)
    clients = [login(app, "hosp_a") for _ in range(20)]
    barrier = threading.Barrier(len(clients))
    results: list[tuple[int, str]] = [(0, "")] * len(clients)

    def run(index: int) -> None:
        barrier.wait()
        response = add(clients[index], f"C{index:03d}", upload(pdf))
        results[index] = (response.status_code, response.text)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    passed = [r for r in results if r[0] == 302]
    full = [r for r in results if r[0] == 200 and "企业空间已满" in r[1]]
    after = used(app)
    assert after <= QUOTA
    assert after == start + len(passed) * size
    admin = login(app, "admin")
    stored = admin.get("/api/v1/demand/", query_string={"q": prison.dumps(
        {"filters": [{"col": "code", "opr": "sw", "value": "C"}], "page_size": 100})})
    assert stored.json["count"] == len(passed)
    if world["database_url"].startswith("postgresql"):
        assert len(passed) == 2 and len(full) == 18
    else:
        assert 1 <= len(passed) <= 2


def test_database_storage_round_trip(world: dict[str, Any], tmp_path: Path) -> None:
    from sqlalchemy import func, select

    from app.storage import DatabaseStorage, FileBlob
    from tests.app.hooks.conftest import build_world as again

    other = again(world["database_url"], tmp_path, ADMIN_FILE_STORAGE="database")
    app = other["app"]
    assert isinstance(app.extensions["admin"].storage, DatabaseStorage)

    def blobs() -> int:
        with app.app_context():
            return int(app.appbuilder.session.execute(
                select(func.count()).select_from(FileBlob)).scalar())

    client = login(app, "hosp_a")
    count = blobs()
    pdf = make_pdf(8_000)
    assert add(client, "D001", upload(pdf, "数据库存储.pdf")).status_code == 302
    pk = pk_of(client, "D001")
    download = client.get(f"/procurement/demand/download/letter/{pk}")
    assert download.data == pdf and "filename*=UTF-8''" in download.headers[
        "Content-Disposition"]
    assert blobs() == count + 1
    assert not (tmp_path / "uploads").exists() or not any((tmp_path / "uploads").rglob("*.pdf"))
    newer = make_pdf(3_000)
    client.post(f"/procurement/demand/edit/{pk}", data={
        "code": "D001", "letter": upload(newer, "新版.pdf")}, content_type="multipart/form-data")
    assert client.get(f"/procurement/demand/download/letter/{pk}").data == newer
    assert blobs() == count + 1  # the old blob went in the same transaction
    set_used(app, QUOTA)
    refused = add(client, "D002", upload(make_pdf()))
    assert "企业空间已满" in refused.text and blobs() == count + 1
    assert client.post(f"/procurement/demand/delete/{pk}").status_code == 302
    assert blobs() == count


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(out, "PNG")
    return out.getvalue()


def _jpg() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (4, 4), "blue").save(out, "JPEG")
    return out.getvalue()


@pytest.mark.parametrize(("kind", "content", "ok"), [
    ("png", "png", True), ("png", "jpg", False), ("png", "png-cut", False),
    ("jpg", "jpg", True), ("jpg", "png", False),
    ("xlsx", {"[Content_Types].xml": b"<x/>", "xl/workbook.xml": b"<w/>"}, True),
    ("xlsx", {"[Content_Types].xml": b"<x/>", "word/document.xml": b"<d/>"}, False),
    ("docx", {"[Content_Types].xml": b"<x/>", "word/document.xml": b"<d/>"}, True),
    ("zip", {"a.txt": b"a"}, True), ("zip", "exe", False), ("zip", "zip-cut", False),
    ("pdf", "pdf", True),
])
def test_content_checks_of_every_type(kind: str, content: Any, ok: bool) -> None:
    from app.hooks.base import Denied
    from app.hooks.upload_limit import check_content

    data = {"png": _png, "jpg": _jpg, "pdf": make_pdf, "exe": lambda: EXE,
            "png-cut": lambda: _png()[:30],
            "zip-cut": lambda: _zip({"a.txt": b"a" * 1000})[:60]}
    raw = _zip(content) if isinstance(content, dict) else data[content]()
    if ok:
        check_content(kind, io.BytesIO(raw))
    else:
        with pytest.raises(Denied):
            check_content(kind, io.BytesIO(raw))
