"""数据字典: the runtime values of `dictionary: true` enums, and the changes administrators make.

The YAML's values are the seed; the table (models.DictionaryValue) holds the truth once a
dictionary was changed. `Source` is what generator/types/enum.py asks for a field's values:
each host keeps the table in memory and reloads it when the "dictionary" counter moved
(versions.py), which it reads once per request. So every door (forms, filters, list inputs,
imports, exports, REST, OpenAPI) sees a change at its next request, on every host.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flask import current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit import trail
from app.context import generated
from app.system import versions
from app.system.models import DictionaryValue
from generator.spec import EnumValue, Field, Label, Spec
from generator.types import enum

KIND = versions.DICTIONARY  # the versions counter
AUDIT_ACTION = "dictionary"
LABEL_MAX = 100
# a stored value is a code (rows, filters, imports and the API carry it): letters, digits and
# _ . - only, starting with a letter or digit; no space, no Chinese
VALUE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class Dictionary:
    """A `dictionary: true` field and where it lives."""

    key: str  # "<module>.<Entity>.<field>"
    entity: Any  # generator.spec.Entity
    field: Field

    @property
    def width(self) -> int:
        return min(enum.value_width(self.field), 64)


def dictionaries(spec: Spec) -> list[Dictionary]:
    return [Dictionary(f.dictionary, entity, f) for entity in spec.entities
            for f in entity.fields if f.dictionary]


def find(spec: Spec, key: str) -> Dictionary | None:
    return next((d for d in dictionaries(spec) if d.key == key), None)


class Cache:
    """One app's copy of the table: the counter it was read at, and key -> values."""

    def __init__(self) -> None:
        self.loaded: tuple[int, dict[str, tuple[EnumValue, ...]]] | None = None

    def values(self, session: Session, key: str) -> tuple[EnumValue, ...] | None:
        now = versions.counter(session, KIND)
        loaded = self.loaded
        if loaded is None or loaded[0] != now:
            loaded = (now, load(session))
            self.loaded = loaded
        return loaded[1].get(key)


def load(session: Session) -> dict[str, tuple[EnumValue, ...]]:
    out: dict[str, list[EnumValue]] = {}
    rows = session.connection().execute(
        select(DictionaryValue.dictionary, DictionaryValue.value, DictionaryValue.label_zh,
               DictionaryValue.label_en, DictionaryValue.enabled)
        .order_by(DictionaryValue.dictionary, DictionaryValue.position, DictionaryValue.id))
    for key, value, zh, en, enabled in rows:
        # the English pages name a value without an English label by its Chinese one; the
        # table (and the 数据字典 page) keep it empty
        out.setdefault(key, []).append(EnumValue(value, Label(zh, en or zh), bool(enabled)))
    return {k: tuple(v) for k, v in out.items()}


class Source:
    """generator.types.enum.Dictionary for the current app (None outside one)."""

    def values(self, f: Field) -> tuple[EnumValue, ...] | None:
        if not has_app_context():
            return None
        cache: Cache | None = current_app.extensions.get("dictionary")
        if cache is None:
            return None
        return cache.values(generated().session, f.dictionary)


SOURCE = Source()


def init_app(app: Any) -> None:
    app.extensions["dictionary"] = Cache()
    enum.use_dictionary(SOURCE)


# -- changes -------------------------------------------------------------------------------
class Refused(ValueError):
    """A change that cannot be made; str() says why, in the reader's language."""


def stored_rows(session: Session, item: Dictionary) -> list[DictionaryValue]:
    return list(session.scalars(select(DictionaryValue).where(
        DictionaryValue.dictionary == item.key).order_by(DictionaryValue.position,
                                                         DictionaryValue.id)))


def rows(session: Session, item: Dictionary) -> list[DictionaryValue]:
    """The table's rows of the dictionary, the YAML's values copied in first if it has none."""
    found = stored_rows(session, item)
    if found:
        return found
    for position, v in enumerate(item.field.values, start=1):
        row = DictionaryValue(dictionary=item.key, value=v.value, label_zh=v.label.zh,
                              label_en=english(v.label), position=position * 10, enabled=True)
        session.add(row)
        found.append(row)
    session.flush()
    return found


def usage(session: Session, item: Dictionary) -> dict[str, int]:
    """value -> how many rows of the entity hold it (every row, whoever's)."""
    model = generated().models[item.entity.qualified]
    column = getattr(model, item.field.column)
    return {value: count for value, count in session.execute(
        select(column, func.count()).where(column.is_not(None)).group_by(column))}


def english(label: Label) -> str:
    """The English label the YAML gave, or nothing (the loader copies zh into a missing en)."""
    return "" if label.en == label.zh else label.en


def _clean_label(text: str, what: str) -> str:
    text = (text or "").strip()
    if not text:
        raise Refused(_("%(what)s is required.", what=what))
    if len(text) > LABEL_MAX:
        raise Refused(_("%(what)s may have at most %(max)d characters.", what=what,
                        max=LABEL_MAX))
    return text


def _distinct(existing: list[DictionaryValue], value: str, zh: str, en: str) -> None:
    """Labels are how people (and spreadsheets) name a value: no two alike, none a value."""
    for row in existing:
        if row.value == value:
            continue
        taken_en = bool(en) and en in (row.label_en, row.value)
        if zh in (row.label_zh, row.value) or taken_en:
            raise Refused(_("The label 「%(label)s」 is already used by 「%(other)s」.",
                            label=en if taken_en else zh, other=row.label_zh))


def add(session: Session, item: Dictionary, value: str, zh: str, en: str,
        position: int | None) -> DictionaryValue:
    existing = rows(session, item)
    value = (value or "").strip()
    if not value:
        raise Refused(_("%(what)s is required.", what=_("Dictionary value")))
    if len(value) > item.width:
        raise Refused(_("%(what)s may have at most %(max)d characters.",
                        what=_("Dictionary value"), max=item.width))
    if not VALUE_PATTERN.match(value):
        raise Refused(_("The value 「%(value)s」 may hold only letters, digits, _ . and -, "
                        "starting with a letter or a digit (no spaces).", value=value))
    if any(row.value == value for row in existing):
        raise Refused(_("The value %(value)s is already in this dictionary.", value=value))
    zh = _clean_label(zh, _("Dictionary label"))
    en = (en or "").strip()[:LABEL_MAX]
    _distinct(existing, value, zh, en)
    if position is None:
        position = max([r.position for r in existing] + [0]) + 10
    row = DictionaryValue(dictionary=item.key, value=value, label_zh=zh, label_en=en,
                          position=position, enabled=True)
    session.add(row)
    _changed(session, item, value, {"label": [None, zh], "position": [None, position]})
    return row


def change(session: Session, item: Dictionary, value: str, zh: str, en: str, position: int,
           enabled: bool) -> None:
    """Relabel, reorder, disable or enable one value."""
    existing = rows(session, item)
    row = next((r for r in existing if r.value == value), None)
    if row is None:
        raise Refused(_("The value %(value)s is not in this dictionary.", value=value))
    zh = _clean_label(zh, _("Dictionary label"))
    en = (en or "").strip()[:LABEL_MAX]
    _distinct(existing, value, zh, en)
    before = {"label": row.label_zh, "label_en": row.label_en, "position": row.position,
              "enabled": row.enabled}
    after = {"label": zh, "label_en": en, "position": position, "enabled": enabled}
    diff = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    if not diff:
        return
    row.label_zh, row.label_en, row.position, row.enabled = zh, en, position, enabled
    _changed(session, item, value, diff)


def delete(session: Session, item: Dictionary, value: str) -> None:
    """Only a value no row holds: rows keep their values, so one in use is only disabled."""
    existing = rows(session, item)
    row = next((r for r in existing if r.value == value), None)
    if row is None:
        raise Refused(_("The value %(value)s is not in this dictionary.", value=value))
    used = usage(session, item).get(value, 0)
    if used:
        raise Refused(_("「%(label)s」 is used by %(count)d records and cannot be deleted; "
                        "disable it instead.", label=row.label_zh, count=used))
    session.delete(row)
    _changed(session, item, value, {"label": [row.label_zh, None]})


def _changed(session: Session, item: Dictionary, value: str, diff: dict[str, Any]) -> None:
    trail.record(session, AUDIT_ACTION, entity=item.entity.qualified, changes={
        "dictionary": item.field.label.zh, "value": value, **diff})
    versions.bump(session, KIND)
