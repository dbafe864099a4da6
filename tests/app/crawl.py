"""What a signed-in person can reach and read: links to follow, the visible text of a page and
what in it is not Chinese. Used by tests/app/test_crawl.py."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from importlib.metadata import version
from urllib.parse import urlsplit

# Attributes a reader sees (tooltips, placeholders, image texts, labels read aloud).
SHOWN_ATTRIBUTES = {"title", "placeholder", "alt", "aria-label"}
# Buttons show their value.
BUTTON_TYPES = {"submit", "button", "reset"}
# Elements whose content is not text on the page.
SILENT = {"script", "style", "template", "noscript"}

# Latin words a Chinese government UI uses as they are (file formats, the spreadsheet and the
# word processor).
ALLOWED_WORDS = {"PDF", "pdf", "CSV", "csv", "xlsx", "XLSX", "xls", "Excel", "Word", "API", "URL",
                 "ID", "REST", "JSON", "OpenAPI", "Swagger", "PNG", "JPG", "ZIP"}
# Data, not UI: the language menu names each language in that language; 登录日志 and 在线用户
# show the browser each sign-in came from, and the crawl's client names itself as Werkzeug's.
ALLOWED_PHRASES = ("English", f"Werkzeug/{version('werkzeug')}")

# Identifiers the page marks translate="no" (the 权限矩阵's role, permission and action keys
# for auditors, next to their Chinese label) are names, not text; anything else inside such an
# element is still read.
IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]*(?::[A-Za-z0-9_]+)*")
MICROSECONDS = re.compile(r"\d:\d\d\.\d{3,}")
WORD = re.compile(r"[A-Za-z][A-Za-z_]{2,}")
RAW_KEY = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
LITERAL = re.compile(r"\b(?:None|True|False)\b")
# Codes that are data: 批准文号 (国药准字HJ20250001), 统一社会信用代码, file
# names with their extension, version-like codes. They are removed before the word check.
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
DATA_CODES = re.compile(
    r"[\w\u4e00-\u9fff-]+\.(?:pdf|xlsx|xls|csv|png|jpg|docx|zip)\b"  # a file name
    r"|\d+\s?MB\b"  # a size: 10 MB
    r"|(?<![A-Za-z])[A-Z0-9]{2,}\d[A-Z0-9]*(?![A-Za-z])"  # codes with digits: HJ20250001
    r"|(?<![A-Za-z])[A-Z]{1,2}\d+"  # 国药准字H2025…
    , re.I)


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.links: list[str] = []
        self.menu: list[str] = []
        self.title = ""
        self.icon = False
        self._silent = 0
        self._in_title = False
        self._nav = 0  # depth inside the navigation (the sidebar)
        self._stack: list[str] = []
        self._keys: list[str] = []  # tags opened with translate="no", innermost last

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag in SILENT:
            self._silent += 1
        if tag == "title":
            self._in_title = True
        if tag not in {"br", "img", "input", "meta", "link", "hr", "col", "area", "source"}:
            self._stack.append(tag)
            if values.get("translate") == "no" or self._keys:
                self._keys.append(tag)
            if self._nav or tag == "nav" or (tag == "div" and "navbar" in values.get("class", "")):
                self._nav += 1
        for name in SHOWN_ATTRIBUTES & values.keys():
            self.texts.append(values[name])
        if tag == "input" and values.get("type", "") in BUTTON_TYPES and values.get("value"):
            self.texts.append(values["value"])
        href = values.get("href", "")
        if tag == "link" and "icon" in values.get("rel", "").split():
            self.icon = True
        if tag == "a" and href and not href.startswith(("#", "javascript:", "mailto:")):
            self.links.append(href)
            if self._nav:
                self.menu.append(href)

    def handle_endtag(self, tag: str) -> None:
        if tag in SILENT and self._silent:
            self._silent -= 1
        if tag == "title":
            self._in_title = False
        if tag in self._stack:
            while self._stack:
                if self._nav:
                    self._nav -= 1
                if self._keys:
                    self._keys.pop()
                if self._stack.pop() == tag:
                    break

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        if self._keys and IDENTIFIER.fullmatch(data.strip()):
            return
        if not self._silent and data.strip():
            self.texts.append(data)


@dataclass
class Page:
    url: str
    status: int
    title: str = ""
    text: str = ""
    links: list[str] = field(default_factory=list)
    menu: list[str] = field(default_factory=list)
    icon: bool = False  # the page names a favicon


def parse(url: str, status: int, html: str) -> Page:
    parser = _Page()
    parser.feed(html)
    text = " ".join(" ".join(t.split()) for t in parser.texts)
    return Page(url, status, " ".join(parser.title.split()), text, parser.links, parser.menu,
                parser.icon)


def problems(text: str, allowed: set[str]) -> list[tuple[str, str]]:
    """(kind, what) for every piece of the text a Chinese reader should not meet. `allowed`:
    Latin values that are data on this page (user logins, …)."""
    found: list[tuple[str, str]] = []
    if "{'" in text:
        found.append(("dict literal", _around(text, text.index("{'"))))
    for match in LITERAL.finditer(text):
        found.append(("None/True/False", _around(text, match.start())))
    for match in MICROSECONDS.finditer(text):
        found.append(("microseconds", _around(text, match.start())))
    cleaned = EMAIL.sub(" ", LITERAL.sub(" ", text))
    for phrase in (*ALLOWED_PHRASES, *sorted(allowed, key=len, reverse=True)):
        cleaned = re.sub(rf"(?<![\w]){re.escape(phrase)}(?![\w])", " ", cleaned)
    cleaned = DATA_CODES.sub(" ", cleaned)
    for match in WORD.finditer(cleaned):
        word = match.group()
        if word in ALLOWED_WORDS:
            continue
        kind = "raw key" if RAW_KEY.fullmatch(word) else "English"
        found.append((kind, _around(cleaned, match.start())))
    return found


def _around(text: str, at: int) -> str:
    return " ".join(text[max(0, at - 25):at + 35].split())


def pattern(url: str) -> str:
    """The page's kind: /procurement/demand/show/17 -> /procurement/demand/show/<id>."""
    path = urlsplit(url).path
    return re.sub(r"/\d+(?=/|$)", "/<id>", path)


# Addresses a crawl must not open: they change data, sign out or download files.
UNSAFE = re.compile(r"/(delete|logout|lang|transition|action|action_post|download|export|"
                    r"template|deactivate|activate|reset|request_change|decide_change|"
                    r"transition_all|api|swagger|static|appbuilder)(/|$)|^https?://")


def follow(href: str) -> bool:
    return href.startswith("/") and not UNSAFE.search(urlsplit(href).path)
