"""The pikepdf/qpdf assembly that released template 2026.1 PDFs were first written with.

Kept only as the reference that ``certificate/pdf/pdfwriter.py`` must reproduce byte for byte
(see test_pdfwriter.py); the renderer itself no longer goes through pikepdf objects.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

import pikepdf
from pikepdf import Array, Dictionary, Name, String

from certificate.pdf.canvas import Canvas
from certificate.pdf.document import Attachment, _xmp
from certificate.pdf.fontfiles import LoadedFont
from certificate.pdf.numformat import fmt
from certificate.pdf.sfnt_subset import subset_font
from certificate.pdf.templates.base import DocumentMeta

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


PDF_VERSION = "1.7"


def _file_spec(pdf: pikepdf.Pdf, item: Attachment) -> pikepdf.Object:
    stream = pikepdf.Stream(pdf, item.data)
    stream.Type = Name.EmbeddedFile
    stream.Subtype = Name("/" + item.mime.replace("/", "#2F"))
    stream.Params = Dictionary(Size=len(item.data), CheckSum=String(hashlib.md5(item.data).digest()))
    spec = Dictionary(
        Type=Name.Filespec,
        F=String(item.name),
        UF=String(item.name),
        Desc=String(item.description),
        AFRelationship=Name.Data,
        EF=Dictionary(F=stream, UF=stream),
    )
    return pdf.make_indirect(spec)


def build_pdf(
    *,
    page_size: tuple[str, str],
    canvas: Canvas,
    fonts: Mapping[str, LoadedFont],
    attachments: Sequence[Attachment],
    meta: DocumentMeta,
) -> bytes:
    pdf = pikepdf.new()
    keys = sorted(canvas.used)
    resource = {key: f"F{i + 1}" for i, key in enumerate(keys)}
    embedded = {key: embed_font(pdf, fonts[key], canvas.used[key]) for key in keys}
    content = canvas.serialize(resource, {k: e.new_gid for k, e in embedded.items()})
    page = Dictionary(
        Type=Name.Page,
        MediaBox=Array([0, 0, Decimal(page_size[0]), Decimal(page_size[1])]),
        Resources=Dictionary(
            Font=Dictionary({"/" + resource[k]: embedded[k].font for k in keys}),
            ProcSet=Array([Name.PDF, Name.Text]),
        ),
        Contents=pikepdf.Stream(pdf, content),
    )
    pdf.pages.append(pikepdf.Page(pdf.make_indirect(page)))

    specs = [_file_spec(pdf, item) for item in attachments]
    names = Array()
    for item, spec in sorted(zip(attachments, specs, strict=True), key=lambda p: p[0].name):
        names.append(String(item.name))
        names.append(spec)
    root = pdf.Root
    root.Names = Dictionary(EmbeddedFiles=Dictionary(Names=names))
    root.AF = Array(specs)
    root.Lang = String(meta.lang)
    root.ViewerPreferences = Dictionary(DisplayDocTitle=True)
    metadata = pikepdf.Stream(pdf, _xmp(meta))
    metadata.Type = Name.Metadata
    metadata.Subtype = Name.XML
    root.Metadata = metadata
    pdf.trailer.Info = pdf.make_indirect(
        Dictionary(
            Title=String(meta.title),
            Subject=String(meta.subject),
            Keywords=String(", ".join(meta.keywords)),
            Author=String(meta.author),
            Creator=String(meta.creator),
        )
    )
    out = io.BytesIO()
    pdf.save(
        out,
        deterministic_id=True,
        compress_streams=False,
        stream_decode_level=pikepdf.StreamDecodeLevel.none,
        object_stream_mode=pikepdf.ObjectStreamMode.disable,
        normalize_content=False,
        linearize=False,
        qdf=False,
        fix_metadata_version=False,
        force_version=PDF_VERSION,
        recompress_flate=False,
    )
    return out.getvalue()
