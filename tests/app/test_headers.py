"""Security headers on every kind of response, nonces on our scripts, and downloads as
attachments with nosniff and a name no header can misread (SQLite and PostgreSQL)."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from sqlalchemy import update

from app.security.headers import content_disposition
from tests.conftest import apply_schema, dispose, ensure_admin, make_app, sign_in

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}
CSP = re.compile(r"default-src 'self'; script-src 'self' 'nonce-([\w-]+)'; "
                 r"style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                 r"font-src 'self' data:; object-src 'none'; base-uri 'self'; "
                 r"form-action 'self'; frame-ancestors 'self'$")


@pytest.fixture(scope="module")
def app(database_url: str, tmp_path_factory: Any) -> Any:
    application = make_app(database_url, tmp=tmp_path_factory.mktemp("files"))
    apply_schema(application)
    ensure_admin(application)
    yield application
    dispose(application)


def secured(response: Any) -> str:
    """The headers every response carries; returns the CSP nonce."""
    for name, value in HEADERS.items():
        assert response.headers.get(name) == value, (name, response.headers)
    match = CSP.match(response.headers.get("Content-Security-Policy", ""))
    assert match, response.headers.get("Content-Security-Policy")
    return match.group(1)


def test_an_html_page_and_every_script_on_it_carry_the_nonce(app: Any) -> None:
    response = sign_in(app, "admin").get("/catalog/product/add")
    assert response.status_code == 200
    nonce = secured(response)
    scripts = re.findall(r"<script\b[^>]*>", response.text)
    assert scripts and all(f'nonce="{nonce}"' in tag for tag in scripts), scripts
    again = sign_in(app, "admin").get("/catalog/product/add")
    assert secured(again) != nonce  # one per response


def test_the_login_page_a_json_answer_and_static_files(app: Any) -> None:
    client = app.test_client()
    secured(client.get("/login/"))
    api = sign_in(app, "admin").get("/api/v1/enterprise/")
    assert api.status_code == 200 and api.is_json
    secured(api)
    static = client.get("/static/admin/admin.js")
    assert static.status_code == 200
    secured(static)


def test_error_pages_html_and_json(app: Any) -> None:
    client = sign_in(app, "admin")
    page = client.get("/catalog/enterprise/show/999999")
    assert page.status_code == 404 and "页面不存在" in page.text
    secured(page)
    api = client.get("/api/v1/no-such-thing/")
    assert api.status_code == 404 and api.is_json
    secured(api)
    refused = app.test_client().get("/api/v1/enterprise/")
    assert refused.status_code == 401
    secured(refused)


def test_the_swagger_page_needs_nothing_from_another_site(app: Any) -> None:
    page = sign_in(app, "admin").get("/swagger/v1")
    assert page.status_code == 200
    nonce = secured(page)
    assert "http://" not in " ".join(re.findall(r'(?:src|href)="([^"]+)"', page.text))
    scripts = re.findall(r"<script\b[^>]*>", page.text)
    assert all(f'nonce="{nonce}"' in tag for tag in scripts), scripts


def test_a_file_download_is_an_attachment_with_a_safe_name(app: Any) -> None:
    client = sign_in(app, "admin")
    response = client.post("/demand/demand/add", data={
        "title": "下载测试", "letter": (io.BytesIO(b"%PDF-1.4 test"), "承诺函.pdf")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    with app.app_context():
        model = app.extensions["admin"].models["demand.Demand"]
        db = app.appbuilder.session
        pk = db.query(model.id).filter(model.title == "下载测试").scalar()
        # a name as an import or a script could store it
        db.execute(update(model).where(model.id == pk).values(
            letter_name='年度"报告\r\nSet-Cookie: x=1.pdf'))
        db.commit()
    download = client.get(f"/demand/demand/download/letter/{pk}")
    assert download.status_code == 200 and download.data == b"%PDF-1.4 test"
    secured(download)
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Disposition"] == (
        "attachment; filename=\"___Set-Cookie_ x_1.pdf\"; filename*=UTF-8''"
        "%E5%B9%B4%E5%BA%A6_%E6%8A%A5%E5%91%8A__Set-Cookie%3A%20x%3D1.pdf")
    assert all(c.startswith("session=") for c in download.headers.getlist("Set-Cookie"))


def test_exports_templates_and_error_reports_are_attachments(app: Any) -> None:
    client = sign_in(app, "admin")
    for path in ("/catalog/enterprise/export/xlsx", "/catalog/enterprise/export/csv",
                 "/catalog/enterprise/import/template"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Content-Disposition"].startswith("attachment; filename=")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    csv = "\ufeff企业名称,统一社会信用代码\n坏企业,123\n".encode()
    run = client.post("/catalog/enterprise/import/", data={
        "file": (io.BytesIO(csv), "名字.csv")}, content_type="multipart/form-data")
    assert run.status_code == 302
    with app.app_context():  # a name as a client other than a browser can send it
        from app.io.models import ImportRun

        app.appbuilder.session.execute(update(ImportRun).values(file_name='坏"名字\r\n.csv'))
        app.appbuilder.session.commit()
    report = client.get(run.headers["Location"] + "/errors")
    assert report.status_code == 200
    disposition = report.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="export.xlsx"; filename*=UTF-8\'\'')
    assert disposition.count('"') == 2 and "%E5%9D%8F_%E5%90%8D%E5%AD%97_" in disposition
    assert report.headers["X-Content-Type-Options"] == "nosniff"


def test_headers_are_configurable(database_url: str, app: Any, tmp_path: Any) -> None:
    custom = make_app(database_url, tmp=tmp_path, ADMIN_SECURITY_HEADERS={
        "X-Frame-Options": None, "Content-Security-Policy": "frame-ancestors 'none'",
        "Permissions-Policy": "camera=()"})
    try:
        response = custom.test_client().get("/login/")
        assert "X-Frame-Options" not in response.headers
        assert response.headers["Content-Security-Policy"] == "frame-ancestors 'none'"
        assert response.headers["Permissions-Policy"] == "camera=()"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    finally:
        dispose(custom)


@pytest.mark.parametrize(("name", "expected"), [
    ("年度报告.pdf",
     "attachment; filename=\"download.pdf\"; filename*=UTF-8''"
     "%E5%B9%B4%E5%BA%A6%E6%8A%A5%E5%91%8A.pdf"),
    ("report 2024.xlsx",
     "attachment; filename=\"report 2024.xlsx\"; filename*=UTF-8''report%202024.xlsx"),
    ("../../etc/passwd", "attachment; filename=\"_.._etc_passwd\"; filename*=UTF-8''"
     "_.._etc_passwd"),
    ("", "attachment; filename=\"download\"; filename*=UTF-8''download"),
])
def test_content_disposition(name: str, expected: str) -> None:
    assert content_disposition(name) == expected
