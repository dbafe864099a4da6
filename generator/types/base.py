"""What a field type is: one object per type owns everything the type means.

Code elsewhere asks the field's type object (`field.kind`) and never compares the type's
name. A type object owns:

- its YAML keys and their checks (`keys`, `read`, `bound`), used by generator/checks;
- its database column(s) (`columns`), used by generator/models;
- one parser for every door (`parse`): form text, list inputs, JSON bodies, spreadsheet
  cells, query arguments and YAML values all become the same typed value or the same
  message;
- its validation of a typed value (`validate`);
- how a value reads on screens, in the history and in the audit log (`display`), in a
  spreadsheet cell (`cell`) and in an input box (`text`);
- what the screens build for it: the form control, the list input, the search control,
  the import template's hint and example.

Messages are English msgids with named placeholders (`Message`); app/ translates them, so
this package stays free of Flask. `N_` marks a msgid for extraction into the catalog.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

if TYPE_CHECKING:
    from generator.spec import Field

INT64 = (-(2**63), 2**63 - 1)  # what an integer column holds on every database
ROW_ID_MAX = 2**31 - 1  # row ids are INTEGER: 32 bits on PostgreSQL
MAX_LENGTH_BOUND = 1_000_000
LENGTH_ALLOWED = "a whole number of characters (0 or more)"


def N_(msgid: str) -> str:  # noqa: N802 - the conventional name of a no-op gettext marker
    """Mark a msgid for the catalog; it is translated where it is shown."""
    return msgid


MSG_REQUIRED = N_("This field is required.")


class Render(NamedTuple):
    """What formatting for people needs from the app: the locale and its gettext, and the
    name of an account by its id (`user` fields; None: names are not at hand)."""

    locale: str
    gettext: Callable[..., str]
    person: Callable[[int], str] | None = None


@dataclass(frozen=True)
class Message:
    """A message for a person: an English msgid and its named placeholders, or a text the
    YAML gives in both languages (`label`, a generator.spec.Label)."""

    msgid: str
    params: Mapping[str, Any] = field(default_factory=dict)
    label: Any = None

    def render(self, render: Render) -> str:
        if self.label is not None:
            return str(self.label.get(render.locale))
        params = {k: v.get(render.locale) if isinstance(v, Joined) else v
                  for k, v in self.params.items()}
        return render.gettext(self.msgid, **params)


class Joined(tuple):  # type: ignore[type-arg]
    """Labels (generator.spec.Label) as one placeholder value, joined in the reader's
    language: "境内企业、境外企业"."""

    def get(self, locale: str) -> str:
        return "、".join(label.get(locale) for label in self)


class Invalid(ValueError):
    """A value a person typed or sent cannot be read as the field's type."""

    def __init__(self, msgid: str, **params: Any):
        super().__init__(msgid)
        self.message = Message(msgid, params)


class SchemaValue(ValueError):
    """A value written in the YAML does not fit the field: what is wrong, what is allowed."""

    def __init__(self, message: str, allowed: str):
        super().__init__(message)
        self.message, self.allowed = message, allowed


class Bad:
    """A YAML value that does not fit (see FieldType.bound)."""

    def __repr__(self) -> str:
        return "BAD"


BAD = Bad()


class Reader:
    """What a type's YAML checks need from the checker (generator/checks/context.py)."""

    def err(self, code: str, where: Any, path: str, message: str, allowed: str = "") -> None:
        raise NotImplementedError

    def expect(self, value: Any, kind: type, where: Any, path: str) -> bool:
        raise NotImplementedError

    def label(self, node: Any, key: str, path: str, fallback: str) -> Any:
        raise NotImplementedError

    def integer(self, node: Any, key: str, path: str, default: int, lo: int, hi: int) -> int:
        raise NotImplementedError

    def hook_ref(self, name: Any, params: Any, where: Any, path: str, point: str) -> Any:
        """A checked hook reference (generator.spec.HookRef) or None."""
        raise NotImplementedError

    def kind(self, value: Any) -> str:
        """What a YAML value is, in words ("a mapping", "text" ...)."""
        raise NotImplementedError

    def names(self, node: Any, key: str, path: str) -> list[tuple[str, Any]]:
        """A list of names under `key`, each with where it is written."""
        raise NotImplementedError

    def known_role(self, role: str, at: Any, path: str) -> bool:
        """Whether `role` is defined (an unknown one is reported)."""
        raise NotImplementedError


class FieldType:
    """Base of every field type. Subclasses set `name` and override what differs."""

    name: ClassVar[str]
    keys: ClassVar[tuple[str, ...]] = ()  # YAML keys of this type beyond the common ones
    stored: ClassVar[bool] = True  # a value in a column of the entity's own table
    accepts_default: ClassVar[bool] = True
    # min/max mean: "length" of text, "value" of numbers and dates, None: not allowed
    bounds: ClassVar[str | None] = None
    value_allowed: ClassVar[str] = ""  # what a default or min/max looks like (schema errors)
    summable: ClassVar[bool] = False  # summaries may sum it
    orderable: ClassVar[bool] = True  # lists and the API may sort by it by default
    listed_by_default: ClassVar[bool] = True  # in the list when the YAML names no columns
    search_default: ClassVar[bool] = False  # searched when the YAML names no search fields
    display_default: ClassVar[bool] = False  # names a row when the YAML names no `display`
    searchable: ClassVar[bool] = True  # may be a search or filter field
    groupable: ClassVar[bool] = True  # a summary may group by it (stored types)
    in_expressions: ClassVar[bool] = True  # computed expressions may read it (stored types)
    in_api: ClassVar[bool] = True  # the REST API reads and writes its value
    importable: ClassVar[bool] = True  # spreadsheets may set it
    list_editable: ClassVar[bool] = True  # may be typed into the list (list_edit)
    blank_text: ClassVar[bool] = False  # a blank value may be stored as "" (not only NULL)
    keeps_text_format: ClassVar[bool] = False  # spreadsheet cells formatted as text
    # The form control app/ builds for it; None: not on forms.
    control: ClassVar[str | None] = "input"
    list_input: ClassVar[str] = "text"  # the <input type> of a list_edit cell ("select")
    # How the form's script reads the control for visible_if/required_if/readonly_if:
    # "text" (blank: None), "number", "bool" (a checkbox), "id" (a reference's row id).
    form_value: ClassVar[str] = "text"
    # The search form's input (app/search.py): "text" (包含, pinyin initials too), "choice"
    # (picked from the values' labels), "reference" (a searchable select of the target's
    # rows), "range" (from–to); None: not offered.
    search_control: ClassVar[str | None] = None
    initials: ClassVar[bool] = False  # searched text keeps its pinyin initials (<name>_initials)
    choices_fixed: ClassVar[bool] = False  # its values are a fixed list (enum, boolean)
    target_key: ClassVar[str | None] = None  # YAML key naming another entity ("to")
    multiline: ClassVar[bool] = False  # text of several lines (a review log may be one)
    refers: ClassVar[bool] = False  # the value is one row of another entity (`to`)
    lines: ClassVar[bool] = False  # the value is a list of rows of another entity
    uploads: ClassVar[bool] = False  # the value is an uploaded file
    person: ClassVar[bool] = False  # the value is a user account's id (`user`)
    resolves_by_display: ClassVar[bool] = False  # spreadsheets name a row by its text
    kept: ClassVar[bool] = False  # stored, but the app keeps it (rollups): no door writes it
    calendar: ClassVar[bool] = False  # a day or a moment: dashboards group it by year or month
    # `cell` is the stored value itself (None: blank): exports read the column as it is,
    # without a call per row (app/io/export_rows.py)
    cell_is_value: ClassVar[bool] = False

    # -- YAML ----------------------------------------------------------------------------
    def read(self, reader: Reader, body: Any, path: str, kw: dict[str, Any]) -> None:
        """Read and check the type's own keys into `kw` (the Field's arguments)."""

    def yaml_value(self, value: Any) -> Any:
        """A value as written in the YAML (a default, a min/max), typed, or BAD."""
        return BAD

    def bound(self, value: Any) -> Any:
        """A YAML min/max as the typed bound, or BAD."""
        if self.bounds == "length":
            ok = isinstance(value, int) and not isinstance(value, bool) and (
                0 <= value <= MAX_LENGTH_BOUND)
            return value if ok else BAD
        return self.yaml_value(value) if self.bounds == "value" else BAD

    @property
    def bound_allowed(self) -> str:
        """What a min/max must look like (schema errors)."""
        return LENGTH_ALLOWED if self.bounds == "length" else self.value_allowed

    def default_value(self, value: Any, kw: Mapping[str, Any]) -> Any:
        """A YAML default as the typed value; raise SchemaValue when it does not fit."""
        parsed = self.yaml_value(value)
        if parsed is BAD:
            raise SchemaValue(f"{value!r} is not a {self.name}", self.value_allowed)
        return parsed

    def derived(self, name: str) -> tuple[str, ...]:
        """Attribute names the type adds next to the field's own (they cannot be fields)."""
        return ()

    # -- database ------------------------------------------------------------------------
    def column_name(self, f: Field) -> str:
        """The column holding the value."""
        return f.name

    def columns(self, f: Field, target_table: str | None) -> list[tuple[str, Any]]:
        """(attribute, sqlalchemy Column) pairs the field stores; `target_table` is the table
        of the entity a reference points to."""
        return []

    def max_length(self, f: Field) -> int | None:
        return None

    def total(self, f: Field, value: Any) -> Any:
        """A sum of the field (summable types) as summaries show it."""
        return value

    def percent(self, f: Field) -> bool:
        """Whether the value is a fraction shown as a percentage."""
        return False

    # -- values --------------------------------------------------------------------------
    def parse(self, f: Field, raw: Any) -> Any:
        """Any door's raw value -> the typed value (None when blank), or raise Invalid."""
        return None if is_blank(raw) else raw

    def validate(self, f: Field, value: Any) -> list[Message]:
        """Rules on a typed, non-blank value (required is checked by the caller)."""
        return []

    def new_value_errors(self, f: Field, value: Any) -> list[Message]:
        """Rules only a newly given value must pass (a row keeps what it holds): a
        disabled 数据字典 value."""
        return []

    def display(self, f: Field, value: Any, render: Render) -> str:
        """A value as people read it on screens, in histories and in the audit log."""
        return "" if value is None else str(value)

    def cell(self, f: Field, value: Any, render: Render) -> Any:
        """A value as a spreadsheet holds it (numbers and dates stay typed)."""
        return "" if value is None else self.display(f, value, render)

    def text(self, f: Field, value: Any) -> str:
        """A value as typed into an input box (the inverse of parse)."""
        return "" if value is None else str(value)

    def choices(self, f: Field, render: Render, keep: Any = None,
                every: bool = False) -> list[tuple[str, str]]:
        """(value as text, label) of a type picked from a fixed list, as offered for new
        input (`keep`: the value a row holds, offered too; `every`: the values no longer
        offered as well, for searching); [] for the others."""
        return []

    def stored_value(self, f: Field, value: Any) -> Any:
        """A value as JSON keeps it (audit trail, change requests)."""
        return value

    def from_stored(self, f: Field, value: Any) -> Any:
        """The inverse of stored_value (references are resolved by the caller)."""
        return value

    # -- import templates ----------------------------------------------------------------
    def json_schema(self, f: Field, reading: bool) -> dict[str, Any]:
        """How a value travels in the REST API, as an OpenAPI 3.0 schema: `reading` as
        responses carry it, else as request bodies send it (generator/builders/openapi.py
        adds the title, the description and `nullable`)."""
        return {"type": "string"}

    def template_example(self, f: Field, render: Render) -> Any:
        return ""

    def template_rules(self, f: Field, render: Render) -> list[str]:
        return []

    def __repr__(self) -> str:
        return f"<field type {self.name}>"


def is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    return isinstance(value, list) and not value  # called per cell: no comparison


def plain_text(raw: Any) -> str:
    """A raw value as text: spreadsheets read every number as a float (3.0 -> "3")."""
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    return str(raw).strip().lstrip("\t").strip()
