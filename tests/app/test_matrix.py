"""The 权限矩阵 for auditors: the table, the xlsx (file, page download and CLI), who may read it.

The workbook must round-trip: every cell read back equals what the YAML grants."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from app.security.matrix_table import (
    ADMIN_DUTY_LABELS,
    CHECK,
    HEADERS,
    LEVEL_LABELS,
    NOT_SCOPED,
    ROLES_SHEET,
    SCOPE_LABELS,
    SHEET,
    USER_CLASS_LABELS,
    read_roles,
    read_xlsx,
    role_rows,
    rows,
    write_xlsx,
)
from generator import load_spec
from generator.builders.matrix import MATRIX_MENU, MATRIX_VIEW, MENU_ACCESS, Perm, role_perms
from generator.permissions import ACTIONS
from generator.spec import Spec
from tests.conftest import ADMIN_PASSWORD, SCHEMAS, apply_schema, ensure_admin, make_app

ROOT = Path(__file__).resolve().parents[2]
SCOPED = SCHEMAS / "scoped" / "entities.yaml"
SCHEMA = SCHEMAS / "matrix" / "entities.yaml"
SPECS = {"scoped": load_spec(str(SCOPED)), "matrix": load_spec(str(SCHEMA))}
SPEC = SPECS["matrix"]
PASSWORD = "Pass@12345"
USERS = {"auditor": "auditor", "guard": "security", "prov": "province", "clerk": "clerk"}


def _workbook(spec: Spec) -> io.BytesIO:
    stream = io.BytesIO()
    write_xlsx(spec, stream)
    stream.seek(0)
    return stream


def assert_cells_are_the_yaml(spec: Spec, got: list[Any]) -> None:
    """Each row against the Spec's own grants, not against rows()."""
    by_permission = {e.permission_name: (m, e) for m in spec.modules for e in m.entities}
    roles = {r.key: r for r in spec.roles}
    assert len(got) == (len(spec.roles) + 1) * len(spec.entities)
    assert [r.role for r in got[:len(spec.entities)]] == ["Admin"] * len(spec.entities)
    assert {r.role for r in got} == {"Admin", *roles}
    seen = set()
    for row in got:
        module, entity = by_permission[row.permission]
        seen.add((row.role, row.permission))
        assert row.module == module.label.zh and row.entity == entity.label.zh
        if row.role == "Admin":
            assert row.role_label == "超级管理员"
            assert row.allowed == (True,) * len(ACTIONS)
            assert row.scope == (SCOPE_LABELS["all"] if entity.org_scoped else NOT_SCOPED)
            assert row.readonly == row.hidden == ""
            continue
        assert row.role_label == roles[row.role].label.zh
        grant = entity.grant(row.role)
        for action in ACTIONS:
            assert row.allows(action) is (grant is not None and action in grant.actions), (
                row.role, row.permission, action)
        if grant is not None and grant.assigned:
            persons = "、".join(entity.field(n).label.zh for n in grant.assigned)
            assert row.scope.endswith(f"，{persons}为本人"), row.scope
        elif not entity.org_scoped:
            assert row.scope == "—"
        else:
            assert row.scope == ("" if grant is None else SCOPE_LABELS[grant.scope])
        for kind in ("readonly", "hidden"):
            names = getattr(grant, kind) if grant is not None else ()
            expected = "、".join(entity.field(n).label.zh for n in names if entity.has_field(n))
            assert getattr(row, kind) == expected, (row.role, row.permission, kind)
    assert len(seen) == len(got)  # one row per role and entity, none twice


@pytest.mark.parametrize("name", list(SPECS))
def test_the_xlsx_round_trips_and_every_cell_is_the_yaml(name: str) -> None:
    from openpyxl import load_workbook

    spec = SPECS[name]
    back = read_xlsx(_workbook(spec))
    assert back == rows(spec)
    assert_cells_are_the_yaml(spec, back)
    book = load_workbook(_workbook(spec))
    assert book.sheetnames == [SHEET, ROLES_SHEET]
    sheet = book[SHEET]
    assert tuple(c.value for c in sheet[1]) == HEADERS
    assert {c.value for line in sheet.iter_rows(min_row=2, min_col=6, max_col=12)
            for c in line} <= {CHECK, None}
    assert read_roles(_workbook(spec)) == role_rows(spec)
    for role, row in zip(spec.roles, read_roles(_workbook(spec))[1:], strict=True):
        assert (row.key, row.label) == (role.key, role.label.zh)
        assert row.levels == "、".join(LEVEL_LABELS[level] for level in role.levels)
        assert row.user_class == USER_CLASS_LABELS.get(role.user_class or "", "")
        assert row.duty == ADMIN_DUTY_LABELS.get(role.admin or "", "")


def test_the_matrix_names_the_examples_of_the_schema() -> None:
    found = {(r.role, r.entity): r for r in rows(SPEC)}
    clerk = found[("clerk", "产品")]
    assert [a for a in ACTIONS if clerk.allows(a)] == ["list", "show", "add", "edit", "import"]
    assert (clerk.scope, clerk.readonly, clerk.hidden) == ("本单位", "产品名称、挂网价格", "成本")
    assert found[("province", "产品")].scope == "本级及下级"
    assert found[("province", "字典")].scope == "—"
    assert found[("auditor", "产品")].allowed == (False,) * len(ACTIONS)
    assert found[("auditor", "产品")].scope == ""
    assert clerk.button("import") == "catalog:product:import"
    roles = {r.key: r for r in role_rows(SPEC)}
    assert (roles["auditor"].levels, roles["auditor"].user_class, roles["auditor"].duty) == (
        "国家、省", "系统管理员", "审计管理员")
    assert roles["clerk"].user_class == "企业经办人"


def test_an_assigned_grant_names_the_person_fields_in_the_scope() -> None:
    """The inspector reaches only tasks naming them as 承办人 or 协办人: the auditor reads it."""
    from app.hooks import CATALOGUE

    spec = load_spec(str(ROOT / "schema" / "entities.yaml"), CATALOGUE)
    found = {(r.role, r.permission): r for r in rows(spec)}
    task = next(e for e in spec.entities if e.grant("inspector") is not None
                and e.grant("inspector").assigned)
    inspector = found[("inspector", task.permission_name)]
    assert inspector.scope == "本级及下级，承办人、协办人为本人"
    assert found[("county", task.permission_name)].scope == "本级及下级"


def test_a_foreign_workbook_is_refused(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = SHEET
    book.active.append(["别的", "表头"])
    book.save(tmp_path / "x.xlsx")
    with pytest.raises(ValueError, match="the first row must be"):
        read_xlsx(tmp_path / "x.xlsx")


def test_roles_with_an_admin_duty_may_read_the_matrix() -> None:
    perms = role_perms(SPEC)
    reader = {Perm("can_show", MATRIX_VIEW), Perm(MENU_ACCESS, MATRIX_MENU),
              Perm(MENU_ACCESS, "Security")}
    assert reader <= perms["auditor"] and reader <= perms["security"]
    assert not reader & perms["province"] and not reader & perms["clerk"]


# -- the command line ---------------------------------------------------------------------------
def test_schema_matrix_writes_the_workbook(tmp_path: Path) -> None:
    env = {**os.environ, "ADMIN_SCHEMA": str(SCOPED),
           "DATABASE_URL": f"sqlite:///{tmp_path}/cli.db",
           "ADMIN_UPLOAD_FOLDER": str(tmp_path / "up")}
    flask = [sys.executable, "-m", "flask", "--app", "wsgi", "schema"]
    applied = subprocess.run([*flask, "apply"], cwd=ROOT, capture_output=True, text=True,
                             env=env, timeout=120)
    assert applied.returncode == 0, applied.stderr
    out = tmp_path / "矩阵.xlsx"
    result = subprocess.run([*flask, "matrix", "-o", str(out)], cwd=ROOT, capture_output=True,
                            text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    expected = rows(SPECS["scoped"])
    assert result.stdout.strip() == f"wrote {len(expected)} rows to {out}"
    assert read_xlsx(out) == expected
    assert_cells_are_the_yaml(SPECS["scoped"], read_xlsx(out))
    missing = subprocess.run([*flask, "matrix"], cwd=ROOT, capture_output=True, text=True,
                             env=env, timeout=120)
    assert missing.returncode != 0 and "--output" in missing.stderr


# -- the page (SQLite and PostgreSQL) -----------------------------------------------------------
@pytest.fixture(scope="module")
def matrix_app(database_url: str, tmp_path_factory: Any) -> Any:
    app = make_app(database_url, SCHEMA, tmp_path_factory.mktemp("files"))
    apply_schema(app)
    ensure_admin(app)
    with app.app_context():
        sm = app.appbuilder.sm
        for username, role in USERS.items():
            assert sm.add_user(username, username, "", f"{username}@x", sm.find_role(role),
                               PASSWORD)
    yield app
    with app.app_context():
        app.appbuilder.session.remove()
        app.appbuilder.session.get_bind().dispose()


def login(app: Any, username: str) -> Any:
    client = app.test_client()
    password = ADMIN_PASSWORD if username == "admin" else PASSWORD
    response = client.post("/login/", data={"username": username, "password": password})
    assert response.headers["Location"] == "/", "login failed"
    return client


@pytest.mark.parametrize("username", ["admin", "auditor", "guard"])
def test_administrators_and_auditors_see_the_matrix(matrix_app: Any, username: str) -> None:
    client = login(matrix_app, username)
    page = client.get("/security/matrix/")
    assert page.status_code == 200
    html = page.text
    assert "<h2>权限矩阵" in html and "导出 Excel" in html
    # Chinese labels first; the keys for auditors as small secondary text
    key = '<small class="key" translate="no">{}</small>'
    for role in SPEC.roles:
        assert f"{role.label.zh}{key.format(role.key)}" in html
    assert f"超级管理员{key.format('Admin')}" in html
    for entity in SPEC.entities:
        assert f"<td>{entity.label.zh}{key.format(entity.permission_name)}</td>" in html
    assert f'查询{key.format("list")}</th>' in html
    granted = sum(sum(r.allowed) for r in rows(SPEC))
    assert html.count(CHECK) == granted
    # the cell's tooltip says in Chinese who may do what; the button's name is in its data
    assert html.count('data-permission="catalog:product:import"') == len(SPEC.roles) + 1
    assert 'title="超级管理员｜' in html and "：已授权" in html and "：未授权" in html
    assert "本单位" in html and "产品名称、挂网价格" in html and "成本" in html
    for header in ("模块", "实体", "数据范围", "只读字段", "隐藏字段", "查询", "导入"):
        assert f"<th>{header}</th>" in html or f'<th class="action">{header}' in html
    # the menu: under 安全, the item 权限矩阵
    home = client.get("/").text
    assert 'href="/security/matrix/"' in home and "权限矩阵" in home and "安全" in home
    if username != "admin":
        assert "/users/list/" not in home  # only the matrix, not user management


@pytest.mark.parametrize("username", ["prov", "clerk"])
def test_roles_without_an_admin_duty_are_refused(matrix_app: Any, username: str) -> None:
    client = login(matrix_app, username)
    for url in ("/security/matrix/", "/security/matrix/xlsx"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "您没有执行此操作的权限" in response.text
    assert 'href="/security/matrix/"' not in client.get("/").text


def test_signed_out_visitors_are_sent_to_login(matrix_app: Any) -> None:
    response = matrix_app.test_client().get("/security/matrix/xlsx")
    assert response.status_code == 302 and "/login/" in response.headers["Location"]


def test_the_download_is_the_same_workbook(matrix_app: Any) -> None:
    client = login(matrix_app, "auditor")
    response = client.get("/security/matrix/xlsx")
    assert response.status_code == 200
    assert response.mimetype == ("application/vnd.openxmlformats-officedocument."
                                 "spreadsheetml.sheet")
    disposition = response.headers["Content-Disposition"]
    assert "attachment" in disposition
    assert "filename*=UTF-8''%E6%9D%83%E9%99%90%E7%9F%A9%E9%98%B5.xlsx" in disposition
    back = read_xlsx(io.BytesIO(response.data))
    assert back == rows(SPEC)
    assert_cells_are_the_yaml(SPEC, back)


def test_the_database_holds_exactly_the_yaml(matrix_app: Any) -> None:
    from app.apply import permission_drift

    with matrix_app.app_context():
        assert permission_drift(matrix_app) == []
