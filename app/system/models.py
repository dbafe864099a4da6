"""Tables of 数据字典 and 参数设置, and the counters that tell every host they changed."""

from __future__ import annotations

import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import Boolean, DateTime, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column


class DictionaryValue(Model):
    """One value of a `dictionary: true` enum. Once a dictionary has rows they are its whole
    list (the YAML's values were copied in on the first change)."""

    __tablename__ = "sys_dictionary_value"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dictionary: Mapped[str] = mapped_column(String(200), nullable=False, index=True)
    value: Mapped[str] = mapped_column(String(64), nullable=False)
    label_zh: Mapped[str] = mapped_column(String(100), nullable=False)
    label_en: Mapped[str] = mapped_column(String(100), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    __table_args__ = (UniqueConstraint("dictionary", "value"),)


class Setting(Model):
    """One 参数设置 value an administrator set (JSON); a parameter without a row has its
    default."""

    __tablename__ = "sys_setting"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text, nullable=False)


class Version(Model):
    """How often a kind of runtime data ("dictionary", "settings") changed: hosts compare it
    with what they cached."""

    __tablename__ = "sys_version"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    counter: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class SchemaFingerprint(Model):
    """What `schema apply` last brought the tables to (app/migrate.py `fingerprint`): while
    it is unchanged, a restart skips comparing the database table by table."""

    __tablename__ = "sys_schema_fingerprint"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), nullable=False)
    applied_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
