"""Embedding a subset font as a PDF Type0 / CIDFontType2 font with Identity-H encoding.

Identity-H lets the content stream address any glyph by its id, so one font object serves
Latin, Greek, Cyrillic or CJK alike; the ToUnicode CMap maps those ids back to text, which is
what keeps names and programme titles extractable (pdftotext, screen readers, search).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from certificate.pdf.fontfiles import FontFile, LoadedFont, load_font
from certificate.pdf.numformat import fmt
from certificate.pdf.pdfwriter import Name, Num, Obj, Str
from certificate.pdf.sfnt_subset import subset_font

_FLAG_SERIF = 1 << 1
_FLAG_SYMBOLIC = 1 << 2
_FLAG_NONSYMBOLIC = 1 << 5
_FLAG_ITALIC = 1 << 6


@dataclass(frozen=True)
class EmbeddedFont:
    """A font ready for the page: its dictionary and how old glyph ids map to CIDs."""

    font: Obj
    new_gid: dict[int, int]


@dataclass(frozen=True)
class _Program:
    """Everything of an embedded font that depends on the font and its glyphs alone."""

    data: bytes  # the subset font file
    new_gid: dict[int, int]
    base_name: str
    widths: Num  # the W array
    to_unicode: bytes


def _tag(data: bytes) -> str:
    """Six capital letters derived from the subset bytes: the PDF subset prefix."""
    digest = hashlib.sha256(data).digest()
    return "".join(chr(ord("A") + b % 26) for b in digest[:6])


def _widths(font: LoadedFont, new_gid: Mapping[int, int]) -> Num:
    """The W array: one run of consecutive CIDs with their advance widths."""
    by_cid = sorted((cid, font.advance(old)) for old, cid in new_gid.items())
    return Num("[ 0 [ " + "".join(fmt(w) + " " for _, w in by_cid) + "] ]")


def _to_unicode(text_by_cid: Mapping[int, str]) -> bytes:
    lines = [
        "/CIDInit /ProcSet findresource begin",
        "12 dict begin",
        "begincmap",
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        "/CMapName /Adobe-Identity-UCS def",
        "/CMapType 2 def",
        "1 begincodespacerange",
        "<0000> <FFFF>",
        "endcodespacerange",
    ]
    items = sorted(text_by_cid.items())
    for start in range(0, len(items), 100):
        chunk = items[start : start + 100]
        lines.append(f"{len(chunk)} beginbfchar")
        for cid, text in chunk:
            lines.append(f"<{cid:04X}> <{text.encode('utf-16-be').hex().upper()}>")
        lines.append("endbfchar")
    lines += ["endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end", ""]
    return "\n".join(lines).encode("ascii")


@lru_cache(maxsize=128)
def _program(spec: FontFile, used: tuple[tuple[int, str], ...]) -> _Program:
    """Subset and describe a font for one glyph set; bounded LRU, safe across threads.

    Pages share most glyph sets (the template's wording is the same on every page of a
    language), so most fonts of a page are subset once per process.
    """
    font = load_font(spec)
    chars: dict[int, int] = {}
    for gid, text in used:  # sorted by glyph id
        if len(text) == 1:
            chars.setdefault(ord(text), gid)
    subset = subset_font(font.tables, chars)
    text_by_cid = {subset.new_gid[gid]: text for gid, text in used}
    return _Program(
        data=subset.data,
        new_gid=subset.new_gid,
        base_name=_tag(subset.data) + "+" + spec.postscript_name,
        widths=_widths(font, subset.new_gid),
        to_unicode=_to_unicode(text_by_cid),
    )


def embed_font(font: LoadedFont, used: Mapping[int, str]) -> EmbeddedFont:
    """Subset ``font`` to the glyphs in ``used`` (glyph id -> the text it shows) and embed it."""
    program = _program(font.spec, tuple(sorted(used.items())))
    spec = font.spec
    base_name = Name(program.base_name)
    m = font.metrics
    flags = _FLAG_NONSYMBOLIC if spec.serif or spec.bold or spec.italic else _FLAG_SYMBOLIC
    if spec.serif:
        flags |= _FLAG_SERIF
    if spec.italic:
        flags |= _FLAG_ITALIC
    descriptor = Obj({
        "Type": Name("FontDescriptor"),
        "FontName": base_name,
        "Flags": flags,
        "FontBBox": [Num(fmt(v)) for v in m.bbox],
        "ItalicAngle": Num(fmt(m.italic_angle)),
        "Ascent": Num(fmt(m.ascent)),
        "Descent": Num(fmt(m.descent)),
        "CapHeight": Num(fmt(m.cap_height)),
        "StemV": 140 if spec.bold else 80,
        "FontFile2": Obj({"Length1": len(program.data)}, program.data),
    })
    cid_font = Obj({
        "Type": Name("Font"),
        "Subtype": Name("CIDFontType2"),
        "BaseFont": base_name,
        "CIDSystemInfo": {"Registry": Str("Adobe"), "Ordering": Str("Identity"), "Supplement": 0},
        "FontDescriptor": descriptor,
        "W": program.widths,
        "CIDToGIDMap": Name("Identity"),
    })
    type0 = Obj({
        "Type": Name("Font"),
        "Subtype": Name("Type0"),
        "BaseFont": base_name,
        "Encoding": Name("Identity-H"),
        "DescendantFonts": [cid_font],
        "ToUnicode": Obj({}, program.to_unicode),
    })
    return EmbeddedFont(type0, dict(program.new_gid))
