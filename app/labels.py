"""Texts the YAML carries (labels, help, titles), resolved in the request's locale."""

from __future__ import annotations

from flask import has_request_context
from flask_babel import LazyString, get_locale, gettext

from generator.spec import Label
from generator.types import Message, Render


def current_locale() -> str:
    if not has_request_context():
        return "zh_CN"
    locale = get_locale()
    return str(locale) if locale is not None else "zh_CN"


def lazy(label: Label | None, pattern: str = "{}") -> LazyString | str:
    """A string that turns into the label in the locale of whoever renders it."""
    if label is None:
        return ""
    return LazyString(lambda: pattern.format(label.get(current_locale())))


def lazy_title(label: Label, zh: str, en: str) -> LazyString:
    """Titles such as 新增产品 / Add Product built around an entity label."""
    return LazyString(
        lambda: (en if current_locale().startswith("en") else zh).format(
            label.get(current_locale())))


def render() -> Render:
    """What the field types need to format a value or a message for the current reader."""
    return Render(current_locale(), gettext, _person)


def _person(person_id: int) -> str:
    from app.people import name_of  # the database, only when a `user` field is shown

    return name_of(person_id)


def say(message: Message) -> str:
    """A message of the generator (an msgid with placeholders) in the reader's language."""
    return message.render(render())

