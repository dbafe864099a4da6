"""Spec objects of the service portal's module and root keys: a module's menu `links` and the
root `registration:` (注册账号). Plain frozen objects, re-exported by generator/spec.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from generator.spec import Label


@dataclass(frozen=True)
class MenuLink:
    """A menu entry of a module opening another module's entity list (企业空间 → 企业主体信息:
    基础数据's 企业信息); shown to whoever may open that list."""

    entity: str  # qualified entity name
    label: Label
    icon: str = "fa-link"
    user_classes: tuple[str, ...] = ()  # empty: everyone who may open the list


@dataclass(frozen=True)
class Registration:
    """`registration:` (注册账号): which provinces' units may ask for an account, and the role
    the account of an approved application holds."""

    regions: tuple[str, ...]  # GB/T 2260 province codes
    role: str
    kind: str = "enterprise"  # the unit kind of the organisation created on approval
    # roles whose accounts in `regions` give their 身份证号 before any business (seed 003 10.2)
    id_no_roles: tuple[str, ...] = ()
