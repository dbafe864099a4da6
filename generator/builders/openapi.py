"""Spec + one user's rights -> the OpenAPI 3.0 document of the REST API that user may call.

Every operation of the generated resources (app/api.py, app/io/views.py, app/summary.py) is
listed only when the user holds its right (generator/permissions.py); fields hidden from the
user are left out, read-only ones are not writable. Fields carry the YAML's Chinese labels,
enums their values and labels, and every value is typed the way the API really sends it
(field types' `json_schema`): ids are integers, decimals exact text, references rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from generator.builders.api import ROW_VERSION, api_options
from generator.builders.views import ORG, ORG_LABEL
from generator.spec import Entity, Field, Label, Spec, Transition
from generator.types.base import ROW_ID_MAX

VERSION = "v1"
PREFIX = f"/api/{VERSION}"
ID = Label("ID", "ID")
ROW_ID: dict[str, Any] = {"type": "integer", "minimum": 1, "maximum": ROW_ID_MAX}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Error answers as the app gives them: {"message": text}, or for a refused save
# {"message": {field: [messages]}} (app/api.py `_check`), always in the user's language.
ERRORS = {
    "400": "请求有误（参数或请求体格式不对），message 说明原因",
    "401": "未登录或登录已失效",
    "403": "无权执行此操作，或模块尚未开放（message 说明原因）",
    "404": "记录不存在，或不在您的数据范围内",
    "409": "记录当前状态不允许此操作，或已被他人修改",
    "422": "数据未通过校验：message 为 {字段: [原因]}，或一句说明",
}


@dataclass(frozen=True)
class Access:
    """What one user may do with one entity: the actions held (generator/permissions.py)
    and the fields hidden from them or shown read-only."""

    actions: frozenset[str]
    hidden: frozenset[str] = field(default_factory=frozenset)
    readonly: frozenset[str] = field(default_factory=frozenset)


def openapi_document(spec: Spec, access: Mapping[str, Access]) -> dict[str, Any]:
    """The document for a user holding `access` (qualified entity name -> Access; entities
    missing from it are left out)."""
    paths: dict[str, Any] = {f"{PREFIX}/_openapi": {"get": _operation(
        "OpenAPI", "本文档：当前用户可调用的接口", {"200": _json("OpenAPI 文档",
                                                           {"type": "object"})})}}
    schemas: dict[str, Any] = {"Error": ERROR_SCHEMA}
    tags = []
    for entity in spec.entities:
        rights = access.get(entity.qualified)
        if rights is None or not rights.actions:
            continue
        entity_paths = _entity_paths(entity, rights)
        if not entity_paths:
            continue
        tags.append({"name": entity.resource, "description": entity.label.zh})
        schemas.update(_entity_schemas(entity, rights))
        for path, operations in entity_paths.items():
            paths.setdefault(path, {}).update(operations)
    return {
        "openapi": "3.0.3",
        "info": {"title": f"{spec.title.zh} REST 接口", "version": VERSION,
                 "description": INFO},
        "servers": [{"url": "/"}],
        "security": [{"jwt": []}, {"session": []}],
        "tags": tags,
        "paths": paths,
        "components": {
            "schemas": schemas,
            "responses": {code: _json(text, {"$ref": "#/components/schemas/Error"})
                          for code, text in ERRORS.items()},
            "securitySchemes": {
                "jwt": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                        "description": "POST /api/v1/security/login "
                                       '{"username", "password", "provider": "db"} '
                                       "返回的 access_token"},
                "session": {"type": "apiKey", "in": "cookie", "name": "session",
                            "description": "浏览器登录后的会话；写操作须带 X-CSRFToken 头"},
            },
        },
    }


INFO = ("只列出当前用户有权调用的接口与可见字段。错误时返回 JSON {\"message\": …}，"
        "内容为中文；保存被拒时 message 为 {字段: [原因]}。")

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "错误",
    "properties": {"message": {
        "title": "错误信息", "description": "一句说明，或 {字段: [原因]}",
        "anyOf": [{"type": "string"},
                  {"type": "object", "additionalProperties": {
                      "type": "array", "items": {"type": "string"}}}]}},
    "required": ["message"],
}


# -- schemas ----------------------------------------------------------------------------
def _field_schema(f: Field, reading: bool, nullable: bool, label: Label | None = None
                  ) -> dict[str, Any]:
    schema = dict(f.kind.json_schema(f, reading))
    schema["title"] = (label or f.label).zh
    description = (f.help or label or f.label).zh
    labels = schema.get("x-enum-labels")
    if labels:  # the values of now (数据字典 included), as the schema's enum lists them
        description += "。取值：" + "；".join(f"{k}={v}" for k, v in labels.items())
    schema["description"] = description
    if nullable:
        schema["nullable"] = True
    return schema


def _org_schema(reading: bool, nullable: bool) -> dict[str, Any]:
    """The organisation of a row: sent as its id, read back as the organisation; a row of
    a user without one (the built-in administrator) has none."""
    if reading:
        schema = {"type": "object", "title": ORG_LABEL.zh, "description": ORG_LABEL.zh,
                  "properties": {"id": ROW_ID}, "required": ["id"]}
    else:
        schema = {**ROW_ID, "title": ORG_LABEL.zh, "description": f"{ORG_LABEL.zh}（机构 ID）"}
    return {**schema, "nullable": True} if nullable else schema


def _column(entity: Entity, name: str, reading: bool, nullable: bool) -> dict[str, Any]:
    """One column of the API's bodies as the JSON schema of its value."""
    flow = entity.workflow
    if name == "id":
        return {**ROW_ID, "title": ID.zh, "description": "记录 ID"}
    if name == "row_version":
        return {"type": "integer", "minimum": 1, "title": "数据版本",
                "description": ROW_VERSION.zh}
    if name == ORG:
        return _org_schema(reading, nullable)
    if flow is not None and name == flow.field:
        state = _field_schema(flow.state_field, reading, nullable)
        return {**state, "readOnly": True}
    if not entity.has_field(name):  # a file's uploaded name (builders/api.py)
        upload = entity.field(name.removesuffix("_name"))
        return {"type": "string", "title": upload.label.zh, "nullable": True,
                "readOnly": True, "description": f"{upload.label.zh}（已上传文件的文件名）"}
    return _field_schema(entity.field(name), reading, nullable)


def _visible(entity: Entity, names: tuple[str, ...], rights: Access) -> list[str]:
    """The columns not hidden from the user (a file's `<name>_name` goes with its field)."""
    uploads = {f"{f.name}_name": f.name for f in entity.fields if f.kind.uploads}
    return [n for n in names if uploads.get(n, n) not in rights.hidden]


def _entity_schemas(entity: Entity, rights: Access) -> dict[str, Any]:
    options = api_options(entity)
    shown = _visible(entity, options.shown, rights)
    writable = [n for n in _visible(entity, options.writable, rights)
                if n not in rights.readonly]
    required = [n for n in writable if n != ORG and entity.field(n).required]
    name = entity.resource
    title = entity.label.zh
    read = {n: _column(entity, n, True, n not in ("id", "row_version")) for n in shown}
    add = {n: _column(entity, n, False, n not in required and n != ORG) for n in writable}
    saved = {n: _column(entity, n, False, True) for n in writable}
    for schema in saved.values():
        schema.pop("pattern", None)  # what is stored is echoed, whatever it looks like
        schema.pop("minLength", None)
    edit = {**add, "row_version": _column(entity, "row_version", False, False)}
    for n in required:
        edit[n] = _column(entity, n, False, True)
    return {
        name: _object(title, read),
        f"{name}_add": {**_object(f"新增{title}", add), **({"required": required}
                                                           if required else {})},
        f"{name}_edit": _object(f"修改{title}（只传要改的字段）", edit),
        f"{name}_saved": _object(f"已保存的{title}", saved),
    }


def _object(title: str, properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "title": title, "properties": properties,
            "additionalProperties": False}


# -- paths ------------------------------------------------------------------------------
def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: str) -> dict[str, Any]:
    return {code: {"$ref": f"#/components/responses/{code}"} for code in ("401",) + codes}


def _operation(tag: str, summary: str, responses: dict[str, Any], **more: Any
               ) -> dict[str, Any]:
    return {"tags": [tag], "summary": summary, "responses": responses, **more}


def _body(schema: dict[str, Any], required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": {"application/json": {"schema": schema}}}


PK = {"in": "path", "name": "pk", "required": True, "schema": ROW_ID,
      "description": "记录 ID"}
Q = {"in": "query", "name": "q", "required": False, "schema": {"type": "string"},
     "description": "rison 对象：筛选、排序、分页，如 (filters:!((col:name,opr:ct,value:药)),"
                    "order_column:id,order_direction:desc,page:0,page_size:20)"}
LABELS = {"type": "object", "additionalProperties": {"type": "string"}}
NAMES = {"type": "array", "items": {"type": "string"}}


def _entity_paths(entity: Entity, rights: Access) -> dict[str, dict[str, Any]]:
    held = rights.actions
    base = f"{PREFIX}/{entity.resource}"
    tag, title, name = entity.resource, entity.label.zh, entity.resource
    paths: dict[str, dict[str, Any]] = {}

    def add(path: str, method: str, operation: dict[str, Any]) -> None:
        paths.setdefault(path, {})[method] = operation

    if "list" in held:
        add(f"{base}/", "get", _operation(tag, f"{title}列表", {
            "200": _json("列表（只含您数据范围内的记录）", {"type": "object", "properties": {
                "count": {"type": "integer", "minimum": 0, "description": "符合条件的记录数"},
                "ids": {"type": "array", "items": ROW_ID},
                "result": {"type": "array", "items": _ref(name)},
                "list_columns": NAMES, "order_columns": NAMES, "label_columns": LABELS,
                "description_columns": LABELS, "list_title": {"type": "string"}}}),
            **_errors("400", "403")}, parameters=[Q, *_narrowing(entity)]))
        add(f"{base}/_info", "get", _operation(tag, f"{title}：表单字段、筛选条件和权限", {
            "200": _json("元数据", {"type": "object", "properties": {
                "add_columns": {"type": "array", "items": {"type": "object"}},
                "edit_columns": {"type": "array", "items": {"type": "object"}},
                "filters": {"type": "object"}, "permissions": NAMES,
                "add_title": {"type": "string"}, "edit_title": {"type": "string"}}}),
            **_errors("400", "403")}, parameters=[Q]))
    if "add" in held:
        add(f"{base}/", "post", _operation(tag, f"新增{title}", {
            "201": _json("已保存", {"type": "object", "properties": {
                "id": ROW_ID, "result": _ref(f"{name}_saved")}, "required": ["id"]}),
            **_errors("400", "403", "422")}, requestBody=_body(_ref(f"{name}_add"))))
    if "show" in held:
        add(f"{base}/{{pk}}", "get", _operation(tag, f"查看{title}", {
            "200": _json("记录", {"type": "object", "properties": {
                "id": ROW_ID, "result": _ref(name), "show_columns": NAMES,
                "label_columns": LABELS, "description_columns": LABELS,
                "show_title": {"type": "string"}}}),
            **_errors("400", "403", "404")}, parameters=[PK]))
    if "edit" in held:
        add(f"{base}/{{pk}}", "put", _operation(tag, f"修改{title}", {
            "200": _json("已保存", {"type": "object", "properties": {
                "result": _ref(f"{name}_saved")}}),
            **_errors("400", "403", "404", "409", "422")}, parameters=[PK],
            requestBody=_body(_ref(f"{name}_edit"))))
    if "delete" in held:
        add(f"{base}/{{pk}}", "delete", _operation(tag, f"删除{title}", {
            "200": _json("已删除", {"type": "object", "properties": {
                "message": {"type": "string"}}}),
            **_errors("403", "404", "409", "422")}, parameters=[PK]))
    if "export" in held:
        add(f"{base}/export", "get", _operation(tag, f"导出{title}", {
            "200": {"description": "文件（与列表相同的记录和列）", "content": {
                XLSX: {"schema": {"type": "string", "format": "binary"}},
                "text/csv": {"schema": {"type": "string", "format": "binary"}}}},
            **_errors("400", "403")}, parameters=[
                {"in": "query", "name": "format", "required": False,
                 "schema": {"type": "string", "enum": ["xlsx", "csv"]},
                 "description": "文件格式，默认 xlsx"}, Q, *_narrowing(entity)]))
    if "import" in held:
        add(f"{base}/template", "get", _operation(tag, f"{title}导入模板", {
            "200": {"description": "导入模板（xlsx）", "content": {
                XLSX: {"schema": {"type": "string", "format": "binary"}}}},
            **_errors("403")}))
        add(f"{base}/import", "post", _operation(tag, f"导入{title}", {
            "200": _json("已导入（或 dry_run=1 时已检查）", IMPORT_RESULT),
            "422": _json("有错误，未写入任何行", IMPORT_RESULT),
            **_errors("400", "403")}, parameters=[
                _flag("dry_run", "1：只检查不写入"),
                _flag("clear_blanks", "1：空单元格清空已有值")],
            requestBody={"required": True, "content": {"multipart/form-data": {"schema": {
                "type": "object", "properties": {"file": {
                    "type": "string", "format": "binary", "description": ".xlsx 或 .csv 文件"}},
                "required": ["file"]}}}}))
    for t in _transitions(entity, held):
        _transition_paths(entity, t, held, add)
    for summary in entity.summaries:
        if summary.key in held:
            add(f"{base}/summary/{summary.key}", "get", _operation(
                tag, summary.label.zh, {"200": _json("汇总行、合计与下钻维度", {
                    "type": "object", "properties": {
                        "rows": {"type": "array", "items": {"type": "object"}},
                        "total": {"type": "object"},
                        # null on the last level (nothing to drill into)
                        "drill": {**NAMES, "nullable": True}}}),
                    **_errors("400", "403")},
                description="查询参数按页面筛选：所在行的分组值，然后逐级下钻维度"))
    return paths


IMPORT_RESULT: dict[str, Any] = {"type": "object", "properties": {
    "rows": {"type": "integer"}, "created": {"type": "integer"},
    "updated": {"type": "integer"}, "unchanged": {"type": "integer"},
    "dry_run": {"type": "boolean"}, "error_count": {"type": "integer"},
    "errors": {"type": "array", "items": {"type": "object", "properties": {
        "row": {"type": "integer"}, "column": {"type": "string"},
        "message": {"type": "string"}}}}}}


def _flag(name: str, description: str) -> dict[str, Any]:
    return {"in": "query", "name": name, "required": False,
            "schema": {"type": "string", "enum": ["0", "1"]}, "description": description}


def _narrowing(entity: Entity) -> list[dict[str, Any]]:
    """The list's narrowings: 待办 (entities with a workflow) and the batch's window."""
    out = []
    if entity.workflow is not None:
        out.append(_flag("todo", "1：只列出等待您处理的记录（待办）"))
    ref = entity.hook("window_deadline")
    if ref is not None and ref.get("batch_field"):
        out.append({"in": "query", "name": "window", "required": False,
                    "schema": {"type": "string", "enum": ["open", "closed"]},
                    "description": "open：上报时间开放中的批次；closed：上报已结束的批次"})
    return out


def _transitions(entity: Entity, held: frozenset[str]) -> list[Transition]:
    """The transitions the user may fire: only entities with a workflow have any."""
    flow = entity.workflow
    if flow is None:
        return []
    return [t for t in flow.transitions if t.key in held]


def _transition_paths(entity: Entity, t: Transition, held: frozenset[str], add: Any) -> None:
    flow = entity.workflow
    assert flow is not None
    base = f"{PREFIX}/{entity.resource}"
    tag = entity.resource
    sources = "、".join(flow.state_label(s, "zh") for s in t.sources)
    target = flow.state_label(t.target, "zh")
    reason = {"type": "object", "properties": {"reason": {
        "type": "string", "title": "原因", "description": "原因（退回、驳回等须填写）"}}}
    if t.reason:
        reason["required"] = ["reason"]
    if "show" in held:
        add(f"{base}/{{pk}}/transition/{t.key}", "post", _operation(
            tag, f"{t.label.zh}（{sources} → {target}）", {
                "200": _json("已执行", {"type": "object", "properties": {
                    "message": {"type": "string"}, "id": ROW_ID}}),
                **_errors("400", "403", "404", "409")}, parameters=[PK],
            requestBody=_body(reason, required=t.reason)))
    if t.batch and "list" in held:
        add(f"{base}/transition/{t.key}", "post", _operation(
            tag, f"批量{t.label.zh}（{sources} → {target}）", {
                "200": _json("已执行的记录和未执行的原因", {"type": "object", "properties": {
                    "done": {"type": "array", "items": ROW_ID},
                    "refused": {"type": "array", "items": {"type": "object", "properties": {
                        "id": {"type": "integer"}, "message": {"type": "string"}}}}}}),
                **_errors("400", "403", "404")},
            requestBody=_body({"type": "object", "properties": {
                "ids": {"type": "array", "items": {"type": "integer"},
                        "description": "记录 ID 列表"}}, "required": ["ids"]})))
