"""app/labels.py on its own: texts of the YAML and messages of the generator in the reader's
locale, decided when they are rendered (a bare Flask app with Babel and the project's catalog;
no database)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask, request
from flask_babel import Babel

from app.hooks import CATALOGUE
from app.labels import current_locale, lazy, lazy_title, render, say
from generator import load_spec
from generator.spec import Label
from generator.types import Message
from tests.conftest import ROOT

LABEL = Label(zh="采购需求", en="Demand")


@pytest.fixture(scope="module")
def app() -> Flask:
    app = Flask(__name__)
    app.config.update(BABEL_DEFAULT_LOCALE="zh_CN",
                      BABEL_TRANSLATION_DIRECTORIES=str(ROOT / "translations"))
    Babel(app, locale_selector=lambda: request.args.get("lang") or "zh_CN")
    return app


def test_outside_a_request_texts_are_chinese() -> None:
    assert current_locale() == "zh_CN"
    assert str(lazy(LABEL)) == "采购需求"


# Babel names zh_CN with its script
@pytest.mark.parametrize(("lang", "locale", "label", "title"), [
    ("zh_CN", "zh_Hans_CN", "采购需求", "新增采购需求"), ("en", "en", "Demand", "Add Demand")])
def test_labels_follow_the_readers_locale(app: Flask, lang: str, locale: str, label: str,
                                          title: str) -> None:
    text, add = lazy(LABEL), lazy_title(LABEL, "新增{}", "Add {}")
    with app.test_request_context(f"/?lang={lang}"):
        assert current_locale() == locale
        assert (str(text), str(add)) == (label, title)
        assert render().locale == locale


def test_a_lazy_text_is_resolved_when_rendered_not_when_made(app: Flask) -> None:
    text = lazy(LABEL, "【{}】")
    with app.test_request_context("/?lang=en"):
        assert str(text) == "【Demand】"
    with app.test_request_context("/"):
        assert str(text) == "【采购需求】"


def test_no_label_is_an_empty_text() -> None:
    assert lazy(None) == ""


def test_messages_are_translated_with_their_placeholders(app: Flask) -> None:
    message = Message("Must be at least %(min)s.", {"min": 0})
    with app.test_request_context("/"):
        assert say(message) == "不能小于 0。"
        assert say(Message("", label=LABEL)) == "采购需求"
    with app.test_request_context("/?lang=en"):
        assert say(message) == "Must be at least 0."
        assert say(Message("", label=LABEL)) == "Demand"


def test_choices_keep_their_values_and_read_in_the_locale(app: Flask) -> None:
    spec = load_spec(str(ROOT / "schema" / "entities.yaml"), CATALOGUE)
    field: Any = spec.entity("procurement.ReviewSetting").field("review_mode")
    with app.test_request_context("/"):
        assert field.kind.choices(field, render()) == [
            ("chain", "逐级审核（区县→地市→省级）"), ("skip_county", "地市审核（不经区县）"),
            ("province", "省级直接审核")]
    with app.test_request_context("/?lang=en"):
        assert field.kind.choices(field, render()) == [
            ("chain", "Level by level"), ("skip_county", "City and province"),
            ("province", "Province only")]
