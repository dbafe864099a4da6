"""A module's operation manual (帮助文档) as a PDF, made with pypdf alone from its text file.

The text file is Markdown of a small kind: `#` the title, `##` and `###` headings, `- ` list
items, other lines paragraphs (a blank line ends one). The font is app/pdf_cjk.py's.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from app.pdf_cjk import A4, font, name, show

MARGIN = 64
SIZES = {"title": 20, "h2": 15, "h3": 13, "p": 11, "li": 11}
BULLET = "●"


@dataclass(frozen=True)
class Block:
    kind: str  # title, h2, h3, p, li
    text: str


def parse(text: str) -> list[Block]:
    """The blocks of the manual's text, in order."""
    blocks: list[Block] = []
    paragraph: list[str] = []

    def close() -> None:
        if paragraph:
            blocks.append(Block("p", "".join(paragraph)))
            paragraph.clear()

    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            close()
            continue
        for mark, kind in (("### ", "h3"), ("## ", "h2"), ("# ", "title")):
            if line.startswith(mark):
                close()
                blocks.append(Block(kind, line[len(mark):].strip()))
                break
        else:
            if line.startswith(("- ", "* ")):
                close()
                blocks.append(Block("li", line[2:].strip()))
            else:
                paragraph.append(line)
    close()
    return blocks


def _width(text: str, size: int) -> float:
    return sum(size / 2 if ord(ch) < 128 else size for ch in text)


def _wrap(text: str, size: int, width: float) -> list[str]:
    lines, line = [], ""
    for ch in text:
        if line and _width(line + ch, size) > width:
            lines.append(line)
            line = ""
        line += ch
    return lines + [line] if line else lines


def render(text: str, title: str) -> bytes:
    """The manual as an A4 PDF: pages filled from the top, headings kept with what follows."""
    width = A4[0] - 2 * MARGIN
    pages: list[list[str]] = [[]]
    y: float = A4[1] - MARGIN
    for block in parse(text):
        size = SIZES[block.kind]
        indent = size * 2 if block.kind == "li" else 0
        body = block.text if block.kind != "p" else "\u3000\u3000" + block.text
        lines = _wrap(body, size, width - indent)
        before = {"title": 0, "h2": size, "h3": size * 0.6}.get(block.kind, 0)
        needed = before + size * 1.7 * (min(len(lines), 2) if block.kind[0] == "h" else 1)
        if y - needed < MARGIN:
            pages.append([])
            y = A4[1] - MARGIN
        y -= before
        for number, line in enumerate(lines):
            if y - size * 1.7 < MARGIN:
                pages.append([])
                y = A4[1] - MARGIN
            y -= size * 1.7
            x: float = MARGIN + indent
            if block.kind == "title":
                x = (A4[0] - _width(line, size)) / 2
            if block.kind == "li" and number == 0:
                pages[-1].append(f"/F1 {size} Tf 1 0 0 1 {MARGIN + size / 2:.1f} {y:.1f} Tm "
                                 + show(BULLET))
            pages[-1].append(f"/F1 {size} Tf 1 0 0 1 {x:.1f} {y:.1f} Tm " + show(line))
        if block.kind == "title":
            y -= size
    from pypdf import PdfWriter  # on first use, like app/pdf_cjk.py
    from pypdf.generic import ContentStream, DictionaryObject

    writer = PdfWriter()
    cjk = font()
    for number, ops in enumerate(pages, start=1):
        page = writer.add_blank_page(*A4)
        page[name("Resources")] = DictionaryObject({
            name("Font"): DictionaryObject({name("F1"): cjk})})
        footer = f"- {number} / {len(pages)} -"
        ops = ops + [f"/F1 9 Tf 1 0 0 1 {(A4[0] - _width(footer, 9)) / 2:.1f} 36 Tm "
                     + show(footer)]
        content = ContentStream(None, writer)
        content.set_data(("BT\n" + "\n".join(ops) + "\nET").encode("ascii"))
        page.replace_contents(content)
    writer.add_metadata({"/Title": title})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
