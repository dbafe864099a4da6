"""Chinese text in a PDF made with pypdf alone (the demo's letters, the modules' manuals).

The text uses STSong-Light, one of the Adobe CJK fonts every PDF reader supplies, addressed
through the predefined UniGB-UCS2-H encoding, so nothing has to be embedded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pypdf loads when a PDF is made, not at start-up
    from pypdf.generic import DictionaryObject, NameObject

A4 = (595, 842)


def name(text: str) -> NameObject:
    from pypdf.generic import NameObject

    return NameObject("/" + text)


def font() -> DictionaryObject:
    from pypdf.generic import ArrayObject, DictionaryObject, NumberObject, TextStringObject

    widths = ArrayObject([NumberObject(n) for n in (1, 95, 500, 814, 939, 500)])  # half-width
    descendant = DictionaryObject({
        name("Type"): name("Font"), name("Subtype"): name("CIDFontType0"),
        name("BaseFont"): name("STSong-Light"), name("DW"): NumberObject(1000),
        name("W"): widths,
        name("CIDSystemInfo"): DictionaryObject({
            name("Registry"): TextStringObject("Adobe"),
            name("Ordering"): TextStringObject("GB1"),
            name("Supplement"): NumberObject(2)}),
    })
    return DictionaryObject({
        name("Type"): name("Font"), name("Subtype"): name("Type0"),
        name("BaseFont"): name("STSong-Light"), name("Encoding"): name("UniGB-UCS2-H"),
        name("DescendantFonts"): ArrayObject([descendant]),
    })


def show(text: str) -> str:
    """The text-showing operator for `text` (two bytes a character, UCS-2)."""
    return f"<{text.encode('utf-16-be').hex()}> Tj"
