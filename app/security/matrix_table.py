"""The 权限矩阵 for auditors: one row per role and entity (and dashboard), as a table and as
an xlsx workbook.

Pure (no Flask): the page (`matrix_view`), `flask --app wsgi schema matrix -o FILE.xlsx` and
the tests all read `rows(spec)`. Every role is listed with every entity, also where it has
nothing (all blank), so the denials can be audited as well as the grants; the built-in
administrator role comes first with everything.

Field rights show only the fields the entity has: lines of a child table inherit their
parent's grants, whose read-only and hidden fields may be fields of the parent only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO, Any

from generator.permissions import ACTIONS, DASHBOARD_ACTION, dashboard_view
from generator.spec import Entity, Grant, Role, Spec

SHEET = "权限矩阵"
ROLES_SHEET = "角色"
ADMIN_ROLE = "Admin"
ADMIN_LABEL = "超级管理员"
CHECK = "✓"
NOT_SCOPED = "—"  # the entity's rows do not belong to an organisation
JOIN = "、"
DASHBOARDS = "数据分析"
ACTION_LABELS = {"list": "查询", "show": "查看", "add": "新增", "edit": "编辑", "delete": "删除",
                 "export": "导出", "import": "导入"}
ACTION_HEADERS = tuple(f"{ACTION_LABELS[a]}({a})" for a in ACTIONS)
HEADERS = ("角色", "角色标识", "模块", "实体", "权限标识", *ACTION_HEADERS, "数据范围", "只读字段",
           "隐藏字段")
SCOPE_LABELS = {"all": "全部数据", "jurisdiction": "本级及下级", "own": "本单位"}
LEVEL_LABELS = {"national": "国家", "province": "省", "city": "市", "county": "县", "unit": "单位"}
USER_CLASS_LABELS = {"regulator": "监管人员", "legal_person": "企业法人", "agent": "企业经办人",
                     "institution": "医疗机构", "admin": "系统管理员",
                     "citizen": "自然人"}
ADMIN_DUTY_LABELS = {"system": "系统管理员", "security": "安全管理员", "audit": "审计管理员"}
ROLE_HEADERS = ("角色标识", "角色", "所在层级", "用户类别", "管理职责")
BUILT_IN = "内置：全部权限"
WIDTHS = (14, 12, 16, 18, 30, *(10,) * len(ACTIONS), 12, 24, 24)
ROLE_WIDTHS = (14, 16, 24, 14, 18)


@dataclass(frozen=True)
class MatrixRow:
    role: str  # role key
    role_label: str
    module: str  # module label
    entity: str  # entity label
    permission: str  # module:resource
    allowed: tuple[bool, ...]  # one per action of ACTIONS, in that order
    scope: str  # 全部数据 / 本级及下级 / 本单位, "—" when not org-scoped, "" without a grant
    readonly: str = ""  # field labels joined with 、
    hidden: str = ""

    def allows(self, action: str) -> bool:
        return self.allowed[ACTIONS.index(action)]

    def button(self, action: str) -> str:
        """Button-level permission name, module:resource:action."""
        return f"{self.permission}:{action}"

    @property
    def cells(self) -> tuple[str, ...]:
        return (self.role_label, self.role, self.module, self.entity, self.permission,
                *(CHECK if a else "" for a in self.allowed), self.scope, self.readonly,
                self.hidden)


@dataclass(frozen=True)
class RoleRow:
    key: str
    label: str
    levels: str  # 国家、省 ...
    user_class: str
    duty: str

    @property
    def cells(self) -> tuple[str, ...]:
        return (self.key, self.label, self.levels, self.user_class, self.duty)


def _fields(entity: Entity, names: tuple[str, ...]) -> str:
    return JOIN.join(entity.field(n).label.zh for n in names if entity.has_field(n))


def scope_label(entity: Entity, grant: Grant | None) -> str:
    """The 数据范围 cell: the organisations a grant reaches and, for an `assigned` grant, the
    person fields that must name the user (承办人、协办人), since both narrow every door."""
    if not entity.org_scoped:
        text = NOT_SCOPED
    elif grant is None:
        return ""
    else:
        text = SCOPE_LABELS[grant.scope]
    if grant is not None and grant.assigned:
        text = f"{text}，{_fields(entity, grant.assigned)}为本人"
    return text


def entity_row(role_key: str, role_label: str, module_label: str, entity: Entity,
               grant: Grant | None) -> MatrixRow:
    actions = grant.actions if grant is not None else ()
    scope = scope_label(entity, grant)
    return MatrixRow(
        role=role_key, role_label=role_label, module=module_label, entity=entity.label.zh,
        permission=entity.permission_name, allowed=tuple(a in actions for a in ACTIONS),
        scope=scope,
        readonly=_fields(entity, grant.readonly) if grant is not None else "",
        hidden=_fields(entity, grant.hidden) if grant is not None else "")


def _everything(role: str) -> Grant:
    return Grant(role, ACTIONS, "all")


def rows(spec: Spec, admin_role: str = ADMIN_ROLE) -> list[MatrixRow]:
    """Every role (the administrator first) x every entity, in the schema's order."""
    result = []
    roles = [(admin_role, ADMIN_LABEL, None)] + [(r.key, r.label.zh, r) for r in spec.roles
                                                 if r.key != admin_role]
    for key, label, role in roles:
        for module in spec.modules:
            for entity in module.entities:
                grant = entity.grant(key) if role is not None else _everything(key)
                result.append(entity_row(key, label, module.label.zh, entity, grant))
        for dashboard in spec.dashboards:  # 数据分析: viewing only, each indicator in the
            # data range and field rights the role has on what it counts
            shown = role is None or key in dashboard.roles
            result.append(MatrixRow(
                role=key, role_label=label, module=DASHBOARDS, entity=dashboard.label.zh,
                permission=dashboard_view(dashboard.key),
                allowed=tuple(shown and a == DASHBOARD_ACTION for a in ACTIONS),
                scope=NOT_SCOPED if shown else ""))
    return result


def role_row(role: Role) -> RoleRow:
    return RoleRow(
        key=role.key, label=role.label.zh,
        levels=JOIN.join(LEVEL_LABELS[level] for level in role.levels),
        user_class=USER_CLASS_LABELS.get(role.user_class or "", ""),
        duty=ADMIN_DUTY_LABELS.get(role.admin or "", ""))


def role_rows(spec: Spec, admin_role: str = ADMIN_ROLE) -> list[RoleRow]:
    return [RoleRow(admin_role, ADMIN_LABEL, "", "", BUILT_IN)] + [
        role_row(r) for r in spec.roles if r.key != admin_role]


def _sheet(book: Any, title: str, headers: tuple[str, ...], widths: tuple[int, ...],
           lines: list[tuple[str, ...]]) -> None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    sheet = book.create_sheet(title)
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{len(lines) + 1}"
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    centre = Alignment(horizontal="center")
    head = []
    for text in headers:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font, cell.fill, cell.alignment = bold, fill, centre
        head.append(cell)
    sheet.append(head)
    for line in lines:
        cells = []
        for value in line:
            cell = WriteOnlyCell(sheet, value=value or None)
            if value:
                cell.data_type = "s"  # labels come from the YAML: text, never a formula
            if value == CHECK:
                cell.alignment = centre
            cells.append(cell)
        sheet.append(cells)


def write_xlsx(spec: Spec, path_or_stream: str | IO[bytes] | Any,
               admin_role: str = ADMIN_ROLE) -> int:
    """Write the sheets 权限矩阵 and 角色; returns the number of matrix rows."""
    from openpyxl import Workbook

    matrix = rows(spec, admin_role)
    book = Workbook(write_only=True)
    _sheet(book, SHEET, HEADERS, WIDTHS, [r.cells for r in matrix])
    _sheet(book, ROLES_SHEET, ROLE_HEADERS, ROLE_WIDTHS, [r.cells for r in role_rows(
        spec, admin_role)])
    book.save(path_or_stream)
    return len(matrix)


def _read(path_or_stream: Any, title: str, headers: tuple[str, ...]) -> list[tuple[str, ...]]:
    from openpyxl import load_workbook

    book = load_workbook(path_or_stream, read_only=True)
    try:
        if title not in book.sheetnames:
            raise ValueError(f"no sheet '{title}' in the workbook")
        lines = [tuple("" if v is None else str(v) for v in row)
                 for row in book[title].iter_rows(values_only=True)]
    finally:
        book.close()
    if not lines or lines[0][:len(headers)] != headers:
        raise ValueError(f"sheet '{title}': the first row must be {', '.join(headers)}")
    return [(line + ("",) * len(headers))[:len(headers)] for line in lines[1:] if any(line)]


def read_xlsx(path_or_stream: str | IO[bytes] | Any) -> list[MatrixRow]:
    """The 权限矩阵 sheet of a workbook written by `write_xlsx`, back as rows."""
    result = []
    n = len(ACTIONS)
    for line in _read(path_or_stream, SHEET, HEADERS):
        role_label, role, module, entity, permission = line[:5]
        marks = line[5:5 + n]
        unknown = [m for m in marks if m not in ("", CHECK)]
        if unknown:
            raise ValueError(f"{role} {permission}: action cells hold {CHECK} or nothing, "
                             f"not {unknown[0]!r}")
        scope, readonly, hidden = line[5 + n:]
        result.append(MatrixRow(role, role_label, module, entity, permission,
                                tuple(m == CHECK for m in marks), scope, readonly, hidden))
    return result


def read_roles(path_or_stream: str | IO[bytes] | Any) -> list[RoleRow]:
    """The 角色 sheet of a workbook written by `write_xlsx`."""
    return [RoleRow(*line) for line in _read(path_or_stream, ROLES_SHEET, ROLE_HEADERS)]
