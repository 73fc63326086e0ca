"""Assembling and saving the PDF file so that the same inputs give the same bytes anywhere.

What could make two renders differ, and what this module does about it:

* dates: none are written (no CreationDate/ModDate, no XMP dates, no attachment dates);
* the file /ID: qpdf's deterministic ID, a hash of the written content, not a random one;
* object numbering and order: qpdf renumbers in a fixed traversal order; we build the
  objects in a fixed order and never use object streams;
* compression: none. zlib's output differs between implementations (zlib-ng, which some
  distributions and CPython builds ship, compresses differently from madler's zlib), so
  deflate would tie the bytes to the machine. The subset fonts keep the file small anyway;
* font bytes: our own subsetter (see ``sfnt_subset``), not a library whose output may move.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from xml.sax.saxutils import escape

import pikepdf
from pikepdf import Array, Dictionary, Name, String

from certificate.pdf.canvas import Canvas
from certificate.pdf.font_embedding import embed_font
from certificate.pdf.fontfiles import LoadedFont
from certificate.pdf.templates.base import DocumentMeta

PDF_VERSION = "1.7"


@dataclass(frozen=True)
class Attachment:
    name: str
    data: bytes
    mime: str
    description: str


def _xmp(meta: DocumentMeta) -> bytes:
    def alt(value: str) -> str:
        return f'<rdf:Alt><rdf:li xml:lang="x-default">{escape(value)}</rdf:li></rdf:Alt>'

    def bag(values: Sequence[str]) -> str:
        return "<rdf:Bag>" + "".join(f"<rdf:li>{escape(v)}</rdf:li>" for v in values) + "</rdf:Bag>"

    body = (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        '<rdf:Description rdf:about=""'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/"'
        ' xmlns:pdf="http://ns.adobe.com/pdf/1.3/"'
        ' xmlns:xmp="http://ns.adobe.com/xap/1.0/">\n'
        "<dc:format>application/pdf</dc:format>\n"
        f"<dc:title>{alt(meta.title)}</dc:title>\n"
        f"<dc:description>{alt(meta.subject)}</dc:description>\n"
        f"<dc:subject>{bag(meta.keywords)}</dc:subject>\n"
        f"<dc:language>{bag([meta.lang])}</dc:language>\n"
        f"<dc:creator><rdf:Seq><rdf:li>{escape(meta.author)}</rdf:li></rdf:Seq></dc:creator>\n"
        f"<pdf:Keywords>{escape(', '.join(meta.keywords))}</pdf:Keywords>\n"
        f"<xmp:CreatorTool>{escape(meta.creator)}</xmp:CreatorTool>\n"
        "</rdf:Description>\n"
        "</rdf:RDF>\n"
        "</x:xmpmeta>\n"
        '<?xpacket end="r"?>'
    )
    return body.encode("utf-8")


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
