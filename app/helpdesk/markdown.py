"""Markdown of the content pages as HTML that can only format: markdown-it-py (CommonMark and
tables, raw HTML off, so `<script>` in the text stays text), then nh3 (Ammonia) keeps the short
list of tags below and links to http(s), mailto and tel only — a second guard whatever the
parser lets through."""

from __future__ import annotations

from functools import cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

TAGS = {"p", "br", "strong", "em", "h1", "h2", "h3", "h4", "ul", "ol", "li", "blockquote",
        "a", "hr", "table", "thead", "tbody", "tr", "th", "td", "code", "pre"}
ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto", "tel"}


@cache
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False}).enable("table")


def render(text: str) -> Markup:
    html = _parser().render(text or "")
    cleaned = nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES, url_schemes=URL_SCHEMES,
                        link_rel="noopener noreferrer")
    return Markup(cleaned)  # noqa: S704 - cleaned by nh3 just now
