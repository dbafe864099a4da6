"""系统管理 → 数据字典: the `dictionary: true` enums and their values, as RuoYi's 字典管理.

The first page lists the dictionaries (entity, field, how many values, how many in use); a
dictionary's page lists its values (排序, 字典键值, 字典标签, 状态, 使用记录数) with 修改 and 删除
on each and 新增 above. Changes go through app/system/dictionary.py (checked, audited, seen by
every host at its next request).
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext

from app.context import db_session, generated, security
from app.labels import current_locale
from app.system import dictionary
from generator.permissions import (
    DICTIONARY_MENU,
    DICTIONARY_VIEW,
    SYSTEM_CATEGORY,
    right,
)
from generator.spec import Label
from generator.types import enum


def _position(raw: str | None) -> int | None:
    text = (raw or "").strip()
    if not text:
        return None
    if not text.lstrip("-").isdigit() or abs(int(text)) > 1_000_000:
        raise dictionary.Refused(_("The display order must be a whole number."))
    return int(text)


class DictionaryView(BaseView):
    route_base = "/system/dictionary"
    class_permission_name = DICTIONARY_VIEW
    base_permissions = [right("list"), right("edit")]
    method_permission_name = {"list": "list", "values": "list", "add": "edit",
                              "change": "edit", "delete": "edit"}
    default_view = "list"

    def _item(self, key: str) -> dictionary.Dictionary:
        found = dictionary.find(generated().spec, key)
        if found is None:
            abort(404)
        return found

    @expose("/")
    @has_access
    def list(self) -> Any:
        locale = current_locale()
        rows = []
        for item in dictionary.dictionaries(generated().spec):
            shown = enum.values_of(item.field)
            rows.append({"key": item.key, "entity": item.entity.label.get(locale),
                         "field": item.field.label.get(locale), "count": len(shown),
                         "disabled": sum(1 for v in shown if not v.enabled)})
        return self.render_template("admin/dictionary_list.html", title=_("Data dictionary"),
                                    rows=rows)

    @expose("/<key>/")
    @has_access
    def values(self, key: str, typed: dict[str, str] | None = None,
               edited: dict[str, Any] | None = None) -> Any:
        """The values; `typed`: what a refused 新增 held, `edited`: what a refused change of
        one value held (its row shows it again, not the stored one)."""
        item = self._item(key)
        locale = current_locale()
        used = dictionary.usage(db_session(), item)
        stored = {r.value: r for r in dictionary.stored_rows(db_session(), item)}
        values = [{"value": v.value, "zh": v.label.zh,
                   "en": dictionary.english(Label(v.label.zh, stored[v.value].label_en or "")
                                            if v.value in stored else v.label),
                   "position": stored[v.value].position if v.value in stored else i * 10,
                   "enabled": v.enabled, "used": used.get(v.value, 0)}
                  for i, v in enumerate(enum.values_of(item.field), start=1)]
        for row in values:
            if edited and row["value"] == edited["value"]:
                row.update({k: edited[k] for k in ("zh", "en", "position", "enabled")})
        title = _("Data dictionary") + " - " + item.entity.label.get(locale) + " · " + (
            item.field.label.get(locale))
        return self.render_template(
            "admin/dictionary_values.html", title=title, item=item, values=values,
            typed=typed or {},
            width=item.width, may_edit=security().has_access(right("edit"), DICTIONARY_VIEW))

    def _apply(self, key: str, work: Any, done: str) -> Any:
        item = self._item(key)
        session = db_session()
        try:
            work(session, item)
        except dictionary.Refused as exc:
            session.rollback()
            flash(str(exc), "danger")
        else:
            session.commit()
            flash(done, "success")
        return redirect(url_for(".values", key=key))

    @expose("/<key>/add", methods=["POST"])
    @has_access
    def add(self, key: str) -> Any:
        form = request.form
        item = self._item(key)
        session = db_session()
        try:
            dictionary.add(session, item, form.get("value", ""), form.get("label_zh", ""),
                           form.get("label_en", ""), _position(form.get("position")))
        except dictionary.Refused as exc:  # the page again, with what was typed
            session.rollback()
            flash(str(exc), "danger")
            return self.values(key, typed={k: form.get(k, "") for k in (
                "value", "label_zh", "label_en", "position")})
        session.commit()
        flash(_("The value has been added."), "success")
        return redirect(url_for(".values", key=key))

    @expose("/<key>/change", methods=["POST"])
    @has_access
    def change(self, key: str) -> Any:
        form = request.form

        item = self._item(key)
        session = db_session()
        try:
            dictionary.change(session, item, form.get("value", ""), form.get("label_zh", ""),
                              form.get("label_en", ""), _position(form.get("position")) or 0,
                              form.get("enabled") == "1")
        except dictionary.Refused as exc:  # the page again, the row holding what was typed
            session.rollback()
            flash(str(exc), "danger")
            return self.values(key, edited={
                "value": form.get("value", ""), "zh": form.get("label_zh", ""),
                "en": form.get("label_en", ""), "position": form.get("position", ""),
                "enabled": form.get("enabled") == "1"})
        session.commit()
        flash(_("The value has been saved."), "success")
        return redirect(url_for(".values", key=key))

    @expose("/<key>/delete", methods=["POST"])
    @has_access
    def delete(self, key: str) -> Any:
        value = request.form.get("value", "")
        return self._apply(key, lambda session, item: dictionary.delete(session, item, value),
                           _("The value has been deleted."))


def init_app(appbuilder: Any) -> None:
    if not dictionary.dictionaries(generated().spec):
        return  # no enum is a dictionary: no screen
    appbuilder.add_view(DictionaryView, DICTIONARY_MENU, label=lazy_gettext("Data dictionary"),
                        category=SYSTEM_CATEGORY, icon="fa-book")
