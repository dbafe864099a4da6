"""One-page PDF letters in Chinese, made with pypdf alone.

The font is app/pdf_cjk.py's.
"""

from __future__ import annotations

import io

from pypdf import PdfWriter
from pypdf.generic import ContentStream, DictionaryObject

from app.pdf_cjk import A4, font, name, show


def letter(title: str, paragraphs: list[str], signature: list[str]) -> bytes:
    """A4 page: a centred title, the paragraphs (wrapped), the signature lines on the right."""
    writer = PdfWriter()
    page = writer.add_blank_page(*A4)
    page[name("Resources")] = DictionaryObject({
        name("Font"): DictionaryObject({name("F1"): font()})})
    size, width = 13, A4[0] - 144
    per_line = int(width // size)
    ops = ["BT", "/F1 22 Tf", f"{(A4[0] - 22 * len(title)) / 2:.0f} 760 Td", show(title),
           f"/F1 {size} Tf", f"{72 - (A4[0] - 22 * len(title)) / 2:.0f} -50 Td"]
    for paragraph in paragraphs:
        text = "\u3000\u3000" + paragraph  # two ideographic spaces open a paragraph
        for start in range(0, len(text), per_line):
            ops += [show(text[start:start + per_line]), f"0 -{size * 2} Td"]
    ops.append(f"{width - size * max(len(s) for s in signature):.0f} -{size * 2} Td")
    for line in signature:
        ops += [show(line), f"0 -{size * 2} Td"]
    ops.append("ET")
    content = ContentStream(None, writer)
    content.set_data("\n".join(ops).encode("ascii"))
    page.replace_contents(content)
    writer.add_metadata({"/Title": title})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
