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
from types import MappingProxyType

from certificate.pdf.fontfiles import FontFile, LoadedFont, load_font
from certificate.pdf.numformat import fmt
from certificate.pdf.pdfwriter import Name, Num, Obj, Str, Value
from certificate.pdf.sfnt_subset import subset_font

_FLAG_SERIF = 1 << 1
_FLAG_SYMBOLIC = 1 << 2
_FLAG_NONSYMBOLIC = 1 << 5
_FLAG_ITALIC = 1 << 6


@dataclass(frozen=True)
class EmbeddedFont:
    """A font ready for the page: its dictionary and how old glyph ids map to CIDs."""

    font: Obj
    new_gid: Mapping[int, int]
    codes: Mapping[int, str]  # old glyph id -> its CID as the content stream writes it


@dataclass(frozen=True)
class _Program:
    """Everything of an embedded font that depends on the font and its glyphs alone."""

    data: bytes  # the subset font file
    new_gid: Mapping[int, int]
    codes: Mapping[int, str]
    to_unicode: bytes
    # the font's dictionaries, less their indirect objects (read-only, shared by pages)
    descriptor: Mapping[str, Value]
    cid_font: Mapping[str, Value]
    type0: Mapping[str, Value]


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
    base_name = Name(_tag(subset.data) + "+" + spec.postscript_name)
    descriptor, cid_font, type0 = _static_parts(font, base_name, _widths(font, subset.new_gid))
    return _Program(
        data=subset.data,
        new_gid=MappingProxyType(subset.new_gid),
        codes=MappingProxyType({gid: f"{cid:04X}" for gid, cid in subset.new_gid.items()}),
        to_unicode=_to_unicode(text_by_cid),
        descriptor=MappingProxyType(descriptor),
        cid_font=MappingProxyType(cid_font),
        type0=MappingProxyType(type0),
    )


def _static_parts(font: LoadedFont, base_name: Name, widths: Num) -> tuple[dict[str, Value], ...]:
    """The descriptor, CID font and Type0 dictionaries without their indirect objects."""
    spec = font.spec
    m = font.metrics
    flags = _FLAG_NONSYMBOLIC if spec.serif or spec.bold or spec.italic else _FLAG_SYMBOLIC
    if spec.serif:
        flags |= _FLAG_SERIF
    if spec.italic:
        flags |= _FLAG_ITALIC
    descriptor: dict[str, Value] = {
        "Type": Name("FontDescriptor"),
        "FontName": base_name,
        "Flags": flags,
        "FontBBox": tuple(Num(fmt(v)) for v in m.bbox),
        "ItalicAngle": Num(fmt(m.italic_angle)),
        "Ascent": Num(fmt(m.ascent)),
        "Descent": Num(fmt(m.descent)),
        "CapHeight": Num(fmt(m.cap_height)),
        "StemV": 140 if spec.bold else 80,
    }
    cid_font: dict[str, Value] = {
        "Type": Name("Font"),
        "Subtype": Name("CIDFontType2"),
        "BaseFont": base_name,
        "CIDSystemInfo": {"Registry": Str("Adobe"), "Ordering": Str("Identity"), "Supplement": 0},
        "W": widths,
        "CIDToGIDMap": Name("Identity"),
    }
    type0: dict[str, Value] = {
        "Type": Name("Font"),
        "Subtype": Name("Type0"),
        "BaseFont": base_name,
        "Encoding": Name("Identity-H"),
    }
    return descriptor, cid_font, type0


def embed_font(font: LoadedFont, used: Mapping[int, str]) -> EmbeddedFont:
    """Subset ``font`` to the glyphs in ``used`` (glyph id -> the text it shows) and embed it."""
    program = _program(font.spec, tuple(sorted(used.items())))
    descriptor = Obj({**program.descriptor, "FontFile2": Obj({"Length1": len(program.data)}, program.data)})
    cid_font = Obj({**program.cid_font, "FontDescriptor": descriptor})
    type0 = Obj({**program.type0, "DescendantFonts": [cid_font], "ToUnicode": Obj({}, program.to_unicode)})
    return EmbeddedFont(type0, program.new_gid, program.codes)
