"""The schema's help desk pieces (seed 003 ch. 3, 7-10) as frozen dataclasses: content pages
(`pages:` of a module), the FAQ matching of an entity (`similar:`) and the rows of an entity
readable without signing in (`public:`). Checked by generator/checks/helpdesk.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from generator.spec import Condition, Label


@dataclass(frozen=True)
class Page:
    """A content page at `/pages/<key>`: Markdown, rendered and cleaned when shown."""

    key: str  # the address: lower-case letters, digits, - and _
    module: str
    title: Label
    body: str = ""  # Markdown written in the YAML, or
    file: str | None = None  # absolute path of a Markdown file beside the YAML
    public: bool = False  # readable without signing in
    roles: tuple[str, ...] = ()  # who reads it when signed in; empty: everybody
    menu: bool = True  # an entry in the module's menu (for those who may read it)
    icon: str = "fa-file-text-o"

    @property
    def menu_name(self) -> str:
        return f"page:{self.key}"


@dataclass(frozen=True)
class Ask:
    """Where a question that no entry answers goes: a text field of another entity."""

    entity: str  # qualified name
    field: str


@dataclass(frozen=True)
class Similar:
    """`similar:` of an entity (常见问题): the rows whose `fields` read closest to a question."""

    fields: tuple[str, ...]  # the first one is the entry's title
    top: int = 5
    label: Label | None = None  # the 咨询 page's menu entry and title (default 咨询)
    ask: Ask | None = None


@dataclass(frozen=True)
class PublicRows:
    """`public:` of an entity: the rows matching `where` are listed on 帮助中心 for everybody,
    with only `fields` (their files downloadable)."""

    where: tuple[Condition, ...]
    fields: tuple[str, ...]
