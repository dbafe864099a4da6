"""app/validation.py on its own: one parser and the field rules in the reader's language,
required_if, partial unique indexes, and uniqueness against the stored rows (the all-types
schema on SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from app.hooks import CATALOGUE
from app.validation import (
    Invalid,
    field_errors,
    held_by,
    parse,
    required_if_errors,
    row_errors,
    unique_errors,
)
from generator import load_spec
from tests.conftest import ROOT

USCC = "91350100M000100Y43"


@pytest.fixture
def ctx(app: Any) -> Iterator[Any]:
    """A Chinese request of the app, its Spec and session."""
    with app.test_request_context("/"):
        admin = app.extensions["admin"]
        yield admin
        app.appbuilder.session.rollback()


def entity(admin: Any, name: str) -> Any:
    return admin.spec.entity(name)


def test_one_parser_and_its_message_in_chinese(ctx: Any) -> None:
    stock = entity(ctx, "catalog.Product").field("stock")
    assert parse(stock, " 12 ") == 12
    assert parse(stock, "") is None
    with pytest.raises(Invalid, match="^必须是整数。$"):
        parse(stock, "很多")


def test_field_rules_required_and_the_types_own(ctx: Any) -> None:
    product = entity(ctx, "catalog.Product")
    assert field_errors(product.field("name"), "  ") == ["该字段是必填字段。"]
    assert field_errors(product.field("stock"), None) == []  # not required: blank is fine
    assert field_errors(product.field("stock"), -1) == ["不能小于 0。"]
    assert field_errors(product.field("stock"), 5) == []


def test_required_if_names_the_other_field(ctx: Any) -> None:
    enterprise = entity(ctx, "catalog.Enterprise")
    assert required_if_errors(enterprise, {"kind": "overseas", "agent": ""}) == {
        "agent": ["根据“企业类型”的填写内容，此项为必填项。"]}
    assert required_if_errors(enterprise, {"kind": "overseas", "agent": "某代理"}) == {}
    assert required_if_errors(enterprise, {"kind": "domestic"}) == {}


def test_a_partial_index_holds_for_rows_in_its_states() -> None:
    spec = load_spec(str(ROOT / "schema" / "entities.yaml"), CATALOGUE)
    binding = spec.entity("binding.ProductBinding")
    [index] = [i for i in binding.indexes if i.where]

    class Stored:
        def __init__(self, state: str) -> None:
            self.state = state

    assert held_by(binding, index, {}, None)  # a new row starts bound
    assert held_by(binding, index, {}, Stored("bound"))
    assert not held_by(binding, index, {}, Stored("unbound"))


def test_uniqueness_against_the_stored_rows(ctx: Any) -> None:
    model = ctx.models["catalog.Enterprise"]
    session = ctx.session()
    enterprise = entity(ctx, "catalog.Enterprise")
    stored = model(name="甲企业", uscc=USCC, kind="domestic")
    session.add(stored)
    session.flush()
    assert unique_errors(enterprise, model, session, {"uscc": USCC}) == {
        "uscc": ["该值已被其他记录使用。"]}
    assert unique_errors(enterprise, model, session, {"uscc": USCC}, exclude_id=stored.id) == {}
    assert unique_errors(enterprise, model, session, {"uscc": None}) == {}  # NULLs never collide
    # two fields together: both named, with their labels
    products, product = ctx.models["catalog.Product"], entity(ctx, "catalog.Product")
    session.add(products(name="阿莫西林胶囊", approval="国药准字H20203001", code="AB1234",
                         enterprise=stored))
    session.flush()
    message = "生产企业、品规编号 的组合已被其他记录使用。"
    assert unique_errors(product, products, session, {"enterprise": stored, "code": "AB1234"}
                         ) == {"enterprise": [message], "code": [message]}
    assert unique_errors(product, products, session, {"enterprise": stored, "code": "AB9999"}
                         ) == {}


def test_a_row_as_it_now_is(ctx: Any) -> None:
    model = ctx.models["catalog.Enterprise"]
    session = ctx.session()
    enterprise = entity(ctx, "catalog.Enterprise")
    row = model(name="乙企业", uscc="91110000600037341L", kind="domestic")
    session.add(row)
    session.flush()
    row.kind = "overseas"  # a change request sets the kind and forgets the agent
    assert row_errors(enterprise, model, session, row, ["kind"]) == {
        "agent": ["根据“企业类型”的填写内容，此项为必填项。"]}
    row.agent, row.name = "某代理", ""
    assert row_errors(enterprise, model, session, row, ["name"]) == {
        "name": ["该字段是必填字段。"]}
