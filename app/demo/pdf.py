"""One-page PDF letters in Chinese, made with pypdf alone.

The text uses STSong-Light, one of the Adobe CJK fonts every PDF reader supplies, addressed
through the predefined UniGB-UCS2-H encoding, so nothing has to be embedded.
"""

from __future__ import annotations

import io

from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    ContentStream,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

A4 = (595, 842)


def _name(text: str) -> NameObject:
    return NameObject("/" + text)


def _font() -> DictionaryObject:
    widths = ArrayObject([NumberObject(n) for n in (1, 95, 500, 814, 939, 500)])  # half-width
    descendant = DictionaryObject({
        _name("Type"): _name("Font"), _name("Subtype"): _name("CIDFontType0"),
        _name("BaseFont"): _name("STSong-Light"), _name("DW"): NumberObject(1000),
        _name("W"): widths,
        _name("CIDSystemInfo"): DictionaryObject({
            _name("Registry"): TextStringObject("Adobe"),
            _name("Ordering"): TextStringObject("GB1"),
            _name("Supplement"): NumberObject(2)}),
    })
    return DictionaryObject({
        _name("Type"): _name("Font"), _name("Subtype"): _name("Type0"),
        _name("BaseFont"): _name("STSong-Light"), _name("Encoding"): _name("UniGB-UCS2-H"),
        _name("DescendantFonts"): ArrayObject([descendant]),
    })


def _show(text: str) -> str:
    return f"<{text.encode('utf-16-be').hex()}> Tj"


def letter(title: str, paragraphs: list[str], signature: list[str]) -> bytes:
    """A4 page: a centred title, the paragraphs (wrapped), the signature lines on the right."""
    writer = PdfWriter()
    page = writer.add_blank_page(*A4)
    page[_name("Resources")] = DictionaryObject({
        _name("Font"): DictionaryObject({_name("F1"): _font()})})
    size, width = 13, A4[0] - 144
    per_line = int(width // size)
    ops = ["BT", "/F1 22 Tf", f"{(A4[0] - 22 * len(title)) / 2:.0f} 760 Td", _show(title),
           f"/F1 {size} Tf", f"{72 - (A4[0] - 22 * len(title)) / 2:.0f} -50 Td"]
    for paragraph in paragraphs:
        text = "\u3000\u3000" + paragraph  # two ideographic spaces open a paragraph
        for start in range(0, len(text), per_line):
            ops += [_show(text[start:start + per_line]), f"0 -{size * 2} Td"]
    ops.append(f"{width - size * max(len(s) for s in signature):.0f} -{size * 2} Td")
    for line in signature:
        ops += [_show(line), f"0 -{size * 2} Td"]
    ops.append("ET")
    content = ContentStream(None, writer)
    content.set_data("\n".join(ops).encode("ascii"))
    page.replace_contents(content)
    writer.add_metadata({"/Title": title})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
