"""Ways to alter a certificate PDF, for the verification tests."""

from __future__ import annotations

import io
import re
import zlib

import pikepdf

from certificate.pdf import PARAMS_ATTACHMENT, PROOF_ATTACHMENT


def _to_unicode(font: pikepdf.Object) -> dict[str, str]:
    """hex CID -> text, from a font's ToUnicode CMap."""
    cmap = font.ToUnicode.read_bytes().decode("ascii")
    return {cid: bytes.fromhex(text).decode("utf-16-be")
            for cid, text in re.findall(r"<([0-9A-F]{4})> <([0-9A-F]+)>", cmap.split("endcodespacerange")[1])}


def change_visible_text(data: bytes, old: str, new_char: str) -> bytes:
    """Change the first character of the drawn text ``old`` to ``new_char``, in place.

    Only the content stream's bytes change (same length, so the xref stays valid): exactly
    what someone editing the name in a PDF editor's "edit text" mode would produce.
    """
    with pikepdf.open(io.BytesIO(data)) as pdf:
        page = pdf.pages[0]
        content = page.Contents.read_raw_bytes().decode("ascii")
        fonts = {str(k)[1:]: _to_unicode(v) for k, v in page.Resources.Font.items()}
    current = ""
    for line in content.splitlines():
        if line.endswith(" Tf"):
            current = line.split()[0][1:]
        match = re.fullmatch(r"<([0-9A-F]+)> Tj", line)
        if not match:
            continue
        codes = re.findall("....", match.group(1))
        mapping = fonts[current]
        if "".join(mapping[c] for c in codes) == old:
            inverse = {v: k for k, v in mapping.items()}
            forged = inverse[new_char] + "".join(codes[1:])
            assert data.count(match.group(1).encode()) == 1
            return data.replace(match.group(1).encode(), forged.encode())
    raise AssertionError(f"text {old!r} not drawn in one run")


def replace_attachments(data: bytes, replacements: dict[str, bytes]) -> bytes:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        for name, new in replacements.items():
            spec = pdf.attachments[name]
            spec.obj.EF.F.write(new)
        out = io.BytesIO()
        pdf.save(out)
        return out.getvalue()


def strip_attachments(data: bytes) -> bytes:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        del pdf.Root.Names
        del pdf.Root.AF
        out = io.BytesIO()
        pdf.save(out)
        return out.getvalue()


def append_incremental_update(data: bytes) -> bytes:
    """Append a valid incremental update that replaces the document information."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        size = int(pdf.trailer.Size)
        root = pdf.Root.objgen[0]
    prev = int(data.rsplit(b"startxref", 1)[1].split()[0])
    body = data + b"\n"
    obj_at = len(body)
    body += f"{size} 0 obj\n<< /Title (Forged title) /Producer (editor) >>\nendobj\n".encode()
    xref_at = len(body)
    body += (
        f"xref\n0 1\n0000000000 65535 f \n{size} 1\n{obj_at:010d} 00000 n \n"
        f"trailer\n<< /Size {size + 1} /Root {root} 0 R /Info {size} 0 R /Prev {prev} >>\n"
        f"startxref\n{xref_at}\n%%EOF\n"
    ).encode()
    return body


def encrypt(data: bytes) -> bytes:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        out = io.BytesIO()
        pdf.save(out, encryption=pikepdf.Encryption(owner="owner", user="", R=6))
        return out.getvalue()


def with_bomb_attachment(data: bytes) -> bytes:
    """The proof attachment replaced by a Flate stream that inflates to 64 MB."""
    bomb = zlib.compress(b"\0" * (64 * 1024 * 1024), 9)
    with pikepdf.open(io.BytesIO(data)) as pdf:
        pdf.attachments[PROOF_ATTACHMENT].obj.EF.F.write(bomb, filter=pikepdf.Name.FlateDecode)
        out = io.BytesIO()
        pdf.save(out)
        return out.getvalue()


def plain_pdf() -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595.28, 841.89))
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


__all__ = [
    "PARAMS_ATTACHMENT",
    "PROOF_ATTACHMENT",
    "append_incremental_update",
    "change_visible_text",
    "encrypt",
    "plain_pdf",
    "replace_attachments",
    "strip_attachments",
    "with_bomb_attachment",
]
