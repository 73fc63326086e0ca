"""Assembling and saving the PDF file so that the same inputs give the same bytes anywhere.

What could make two renders differ, and what this module does about it:

* dates: none are written (no CreationDate/ModDate, no XMP dates, no attachment dates);
* the file /ID: qpdf's deterministic ID, a hash of the written content, not a random one;
* object numbering and order: a fixed traversal order (qpdf's, see ``pdfwriter``), no
  object streams;
* compression: none. zlib's output differs between implementations (zlib-ng, which some
  distributions and CPython builds ship, compresses differently from madler's zlib), so
  deflate would tie the bytes to the machine. The subset fonts keep the file small anyway;
* font bytes: our own subsetter (see ``sfnt_subset``), not a library whose output may move.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from xml.sax.saxutils import escape

from certificate.pdf.canvas import Canvas
from certificate.pdf.font_embedding import embed_font
from certificate.pdf.fontfiles import LoadedFont
from certificate.pdf.pdfwriter import Name, Num, Obj, Str, Value, write_pdf
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


def _file_spec(item: Attachment) -> Obj:
    stream = Obj({
        "Type": Name("EmbeddedFile"),
        "Subtype": Name(item.mime.replace("/", "#2F")),
        "Params": {"Size": len(item.data), "CheckSum": Str(hashlib.md5(item.data).digest())},
    }, item.data)
    return Obj({
        "Type": Name("Filespec"),
        "F": Str(item.name),
        "UF": Str(item.name),
        "Desc": Str(item.description),
        "AFRelationship": Name("Data"),
        "EF": {"F": stream, "UF": stream},
    })


def build_pdf(
    *,
    page_size: tuple[str, str],
    canvas: Canvas,
    fonts: Mapping[str, LoadedFont],
    attachments: Sequence[Attachment],
    meta: DocumentMeta,
) -> bytes:
    keys = sorted(canvas.used)
    resource = {key: f"F{i + 1}" for i, key in enumerate(keys)}
    embedded = {key: embed_font(fonts[key], canvas.used[key]) for key in keys}
    content = canvas.serialize(resource, {k: e.new_gid for k, e in embedded.items()},
                               {k: e.codes for k, e in embedded.items()})
    pages = Obj({"Type": Name("Pages"), "Count": 1})
    page = Obj({
        "Type": Name("Page"),
        "MediaBox": [0, 0, Num(str(Decimal(page_size[0]))), Num(str(Decimal(page_size[1])))],
        "Resources": {
            "Font": {resource[k]: embedded[k].font for k in keys},
            "ProcSet": [Name("PDF"), Name("Text")],
        },
        "Contents": Obj({}, content),
        "Parent": pages,
    })
    kids: list[Value] = [page]
    pages.value = {**pages.value, "Kids": kids}

    specs = [_file_spec(item) for item in attachments]
    names: list[Value] = []
    for item, spec in sorted(zip(attachments, specs, strict=True), key=lambda p: p[0].name):
        names.append(Str(item.name))
        names.append(spec)
    root = Obj({
        "Type": Name("Catalog"),
        "Pages": pages,
        "Names": {"EmbeddedFiles": {"Names": names}},
        "AF": list(specs),
        "Lang": Str(meta.lang),
        "ViewerPreferences": {"DisplayDocTitle": True},
        "Metadata": Obj({"Type": Name("Metadata"), "Subtype": Name("XML")}, _xmp(meta)),
    })
    info = Obj({
        "Title": Str(meta.title),
        "Subject": Str(meta.subject),
        "Keywords": Str(", ".join(meta.keywords)),
        "Author": Str(meta.author),
        "Creator": Str(meta.creator),
    })
    return write_pdf(root, info)
