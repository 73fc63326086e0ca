"""Embedding a subset font as a PDF Type0 / CIDFontType2 font with Identity-H encoding.

Identity-H lets the content stream address any glyph by its id, so one font object serves
Latin, Greek, Cyrillic or CJK alike; the ToUnicode CMap maps those ids back to text, which is
what keeps names and programme titles extractable (pdftotext, screen readers, search).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

import pikepdf
from pikepdf import Array, Dictionary, Name

from certificate.pdf.fontfiles import LoadedFont
from certificate.pdf.numformat import fmt
from certificate.pdf.sfnt_subset import subset_font

_FLAG_SERIF = 1 << 1
_FLAG_SYMBOLIC = 1 << 2
_FLAG_NONSYMBOLIC = 1 << 5
_FLAG_ITALIC = 1 << 6


@dataclass(frozen=True)
class EmbeddedFont:
    """A font ready for the page: its dictionary and how old glyph ids map to CIDs."""

    font: pikepdf.Object
    new_gid: dict[int, int]


def _tag(data: bytes) -> str:
    """Six capital letters derived from the subset bytes: the PDF subset prefix."""
    digest = hashlib.sha256(data).digest()
    return "".join(chr(ord("A") + b % 26) for b in digest[:6])


def _num(value: float) -> Decimal:
    return Decimal(fmt(value))


def _widths(font: LoadedFont, new_gid: Mapping[int, int]) -> Array:
    """The W array: one run of consecutive CIDs with their advance widths."""
    by_cid = sorted((cid, font.advance(old)) for old, cid in new_gid.items())
    return Array([0, Array([_num(w) for _, w in by_cid])])


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


def embed_font(pdf: pikepdf.Pdf, font: LoadedFont, used: Mapping[int, str]) -> EmbeddedFont:
    """Subset ``font`` to the glyphs in ``used`` (glyph id -> the text it shows) and embed it."""
    chars: dict[int, int] = {}
    for gid, text in sorted(used.items()):
        if len(text) == 1:
            chars.setdefault(ord(text), gid)
    subset = subset_font(font.tables, chars)
    spec = font.spec
    base_name = Name("/" + _tag(subset.data) + "+" + spec.postscript_name)

    file_stream = pikepdf.Stream(pdf, subset.data)
    file_stream.Length1 = len(subset.data)
    m = font.metrics
    flags = _FLAG_NONSYMBOLIC if spec.serif or spec.bold or spec.italic else _FLAG_SYMBOLIC
    if spec.serif:
        flags |= _FLAG_SERIF
    if spec.italic:
        flags |= _FLAG_ITALIC
    descriptor = Dictionary(
        Type=Name.FontDescriptor,
        FontName=base_name,
        Flags=flags,
        FontBBox=Array([_num(v) for v in m.bbox]),
        ItalicAngle=_num(m.italic_angle),
        Ascent=_num(m.ascent),
        Descent=_num(m.descent),
        CapHeight=_num(m.cap_height),
        StemV=140 if spec.bold else 80,
        FontFile2=file_stream,
    )
    cid_font = Dictionary(
        Type=Name.Font,
        Subtype=Name.CIDFontType2,
        BaseFont=base_name,
        CIDSystemInfo=Dictionary(Registry="Adobe", Ordering="Identity", Supplement=0),
        FontDescriptor=pdf.make_indirect(descriptor),
        W=_widths(font, subset.new_gid),
        CIDToGIDMap=Name.Identity,
    )
    text_by_cid = {subset.new_gid[gid]: text for gid, text in used.items()}
    type0 = Dictionary(
        Type=Name.Font,
        Subtype=Name.Type0,
        BaseFont=base_name,
        Encoding=Name("/Identity-H"),
        DescendantFonts=Array([pdf.make_indirect(cid_font)]),
        ToUnicode=pikepdf.Stream(pdf, _to_unicode(text_by_cid)),
    )
    return EmbeddedFont(pdf.make_indirect(type0), subset.new_gid)
