"""Golden tests of the builders: what the shipped schema turns into (tables, screens, the
API, forms, spreadsheets, the permission matrix). UPDATE_GOLDEN=1 rewrites the files after a
deliberate change; the diff is then the review."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import MetaData
from sqlalchemy.orm import declarative_base

from generator import load_spec
from generator.builders.api import api_options
from generator.builders.columns import sheet_columns
from generator.builders.forms import FormSpec, form_spec
from generator.builders.matrix import role_perms
from generator.builders.views import view_options
from generator.models import build_models
from generator.spec import Label, Spec

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "data" / "golden"


@pytest.fixture(scope="module")
def spec() -> Spec:
    from app.hooks import CATALOGUE

    return load_spec(str(ROOT / "schema" / "entities.yaml"), CATALOGUE)


def _text(value: Any) -> str:
    if isinstance(value, Label):
        return value.zh
    if isinstance(value, tuple) and value and all(isinstance(v, tuple) and len(v) == 2
                                                  for v in value):
        return "{" + ", ".join(f"{k}: {_text(v)}" for k, v in value) + "}"
    if hasattr(value, "get") and hasattr(value, "label"):  # a Title
        return value.get("zh_CN")
    return str(value)


def _options(options: Any) -> list[str]:
    return [f"  {name}: {_text(getattr(options, name))}"
            for name in options.__dataclass_fields__]


def _form(form: FormSpec, indent: str = "  ") -> list[str]:
    lines = []
    for item in form.fields:
        lines.append(f"{indent}{item.name}: {item.control}")
        if item.lines is not None:
            lines += _form(item.lines, indent + "  ")
    return lines


def _check(name: str, lines: list[str]) -> None:
    got = "\n".join(lines) + "\n"
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(got, encoding="utf-8")
    assert got == path.read_text(encoding="utf-8")


def test_tables(spec: Spec) -> None:
    from app.security.models import Organisation

    base = declarative_base(metadata=MetaData())
    build_models(spec, base, Organisation)
    lines = []
    for table in sorted(base.metadata.sorted_tables, key=lambda t: t.name):
        lines.append(table.name)
        for column in table.columns:
            fks = ",".join(fk.target_fullname for fk in column.foreign_keys)
            lines.append(f"  {column.name} {column.type}{' -> ' + fks if fks else ''}")
        for index in sorted(table.indexes, key=lambda i: i.name or ""):
            lines.append(f"  index {index.name} ({', '.join(c.name for c in index.columns)})"
                         f"{' unique' if index.unique else ''}")
    _check("tables.txt", lines)


def test_screens_api_forms_and_spreadsheets(spec: Spec) -> None:
    lines = []
    for entity in spec.entities:
        views = view_options(entity)
        lines.append(f"{entity.qualified} view")
        lines += _options(views)
        lines.append(f"{entity.qualified} api")
        lines += _options(api_options(entity))
        lines.append(f"{entity.qualified} form")
        lines += _form(form_spec(spec, entity, views.form_columns))
        lines.append(f"{entity.qualified} spreadsheet")
        lines += [f"  {c.key}: {c.label.zh}{' (import)' if c.importable else ''}"
                  for c in sheet_columns(entity)]
    _check("screens.txt", lines)


def test_matrix(spec: Spec) -> None:
    lines = []
    for role, perms in sorted(role_perms(spec).items()):
        lines.append(role)
        lines += [f"  {p.permission} {p.view}" for p in sorted(perms)]
    _check("matrix.txt", lines)


def test_openapi_of_a_role(spec: Spec) -> None:
    """The document a hospital (role `institution`) reads: its operations only."""
    import json

    from generator.builders.openapi import Access, openapi_document
    from generator.permissions import action_of

    held = role_perms(spec)["institution"]  # the matrix the sync writes
    access = {}
    for entity in spec.entities:
        grant = entity.grant("institution")
        actions = frozenset(action_of(p.permission) for p in held
                            if p.view == entity.permission_name)
        if grant is not None:
            access[entity.qualified] = Access(actions, frozenset(grant.hidden),
                                              frozenset(grant.readonly))
    document = openapi_document(spec, access)
    _check("openapi_institution.json", json.dumps(document, ensure_ascii=False, indent=1,
                                                  sort_keys=True).splitlines())
