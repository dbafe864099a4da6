"""app/audit/render.py on its own: every shape an audit entry's changes take reads as people
read the screens, in Chinese (the bundled schema's Spec, a bare Flask app with the project's
catalog; no database)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask_babel import Babel

from app.audit.render import (
    Change,
    action_label,
    changes,
    display_value,
    field_label,
    load,
    state_change,
    transition_label,
)
from app.hooks import CATALOGUE
from generator import load_spec
from generator.spec import Entity, Spec
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def spec() -> Spec:
    return load_spec(str(ROOT / "schema" / "entities.yaml"), CATALOGUE)


@pytest.fixture(scope="module")
def demand(spec: Spec) -> Entity:
    return spec.entity("procurement.Demand")


@pytest.fixture(autouse=True)
def chinese() -> Iterator[None]:
    app = Flask(__name__)
    app.config.update(BABEL_DEFAULT_LOCALE="zh_CN",
                      BABEL_TRANSLATION_DIRECTORIES=str(ROOT / "translations"))
    Babel(app)
    with app.test_request_context("/"):
        yield


def lines(entity: Entity | None, data: Any) -> list[str]:
    return [c.text() for c in changes(entity, json.dumps(data, ensure_ascii=False))]


def test_field_changes_read_as_labels_and_screen_values(demand: Entity) -> None:
    assert lines(demand, {"planned": [None, 150], "state": ["saved", "submitted"],
                          "change_note": ["门诊量增加", "门诊量增加"], "note": ["", None]}) == [
        "预采购量：（空） → 150", "维护及审核状态：已保存 → 已上报", "增幅降幅说明：门诊量增加"]


def test_references_read_by_their_text_and_hide_their_id_column(demand: Entity) -> None:
    assert lines(demand, {"batch": [{"text": "第十批"}, {"text": "第十一批"}],
                          "batch_id": [1, 2]}) == ["国采批次：第十批 → 第十一批"]
    # entries written before references kept their text name the row by its number
    assert lines(demand, {"batch": [1, 2]}) == ["国采批次：编号 1 → 编号 2"]
    assert display_value(demand, "batch", {"id": 7}) == "编号 7"
    assert field_label(demand, "org_id") == field_label(demand, "org") == "所属机构"


def test_a_file_reads_by_its_name_never_its_key_or_size(spec: Spec) -> None:
    letter = spec.entity("procurement.CommitmentLetter")
    assert lines(letter, {"letter": [None, "9f0c.pdf"], "letter_name": [None, "承诺函.pdf"],
                          "letter_size": [None, 1024]}) == ["承诺函（PDF）：（空） → 承诺函.pdf"]
    assert field_label(letter, "letter_size") is None
    assert display_value(letter, "letter", "9f0c.pdf") == "（文件）"


def test_summaries_and_keys_of_no_field(demand: Entity) -> None:
    assert lines(demand, {"rows": 3, "created": 2, "file": "需求.xlsx"}) == [
        "行数：3", "新增：2", "文件：需求.xlsx"]
    # a list of two is a before and after; any other list is a set of values
    assert lines(None, {"granted": ["a", "b", "c"], "flag": True, "ratio": 2.0}) == [
        "授予的权限：a、b、c", "flag：是", "ratio：2"]
    assert lines(None, {"decision": "accepted", "status": "rejected"}) == [
        "审批结果：已通过", "状态：已驳回"]
    assert display_value(None, "x", {"a": 1, "b": None}) == "a：1；b：（空）"


def test_text_that_is_no_json_reads_as_itself() -> None:
    assert load(None) is None and load("") is None
    assert load("移交档案") == "移交档案"
    assert changes(None, "移交档案") == [Change("详细内容", "", "移交档案", pair=False)]
    assert changes(None, None) == []


def test_times_without_microseconds_and_dates_as_days() -> None:
    assert display_value(None, "at", dt.datetime(2026, 3, 1, 8, 5, 9, 123456)) == \
        "2026-03-01 08:05:09"
    assert display_value(None, "on", dt.date(2026, 3, 1)) == "2026-03-01"
    assert display_value(None, "x", "") == display_value(None, "x", None) == ""


def test_state_changes_transitions_and_actions(demand: Entity) -> None:
    raw = json.dumps({"state": ["submitted", "returned"]})
    assert state_change(demand, raw) == ("submitted", "returned")
    assert state_change(demand, json.dumps({"planned": [1, 2]})) == (None, None)
    assert state_change(demand, "不是 JSON") == (None, None)
    assert transition_label(demand, "submit") == "上报"
    assert transition_label(demand, "gone") == "gone"  # a transition the YAML no longer has
    assert transition_label(demand, None) == ""
    assert action_label({"edit": "修改"}, "edit") == "修改"
    assert action_label({}, "purge") == "其他操作：purge"
