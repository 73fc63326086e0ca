"""Rendering a certificate: record + proof -> one A4 page, the proof attached.

The output is a pure function of (record, proof, lang, base_url, template): no clock, no
randomness, no machine fonts. That is what lets any node, or the verifier of an uploaded
file, re-render a PDF and compare bytes.
"""

from __future__ import annotations

import json
import unicodedata
from typing import Final

from certificate.errors import ValidationError
from certificate.pdf.canvas import Canvas
from certificate.pdf.document import Attachment, build_pdf
from certificate.pdf.templates import CURRENT_TEMPLATE, LANGS, TEMPLATES, Lang, RenderInput, Template
from certificate.proof import CertificateProof
from certificate.record import CertificateRecord
from certificate.tx import Transaction

PROOF_ATTACHMENT: Final = "ecert-proof.bin"
PARAMS_ATTACHMENT: Final = "ecert-render.json"
PARAMS_FORMAT: Final = "spkm-ecert-render/1"
MAX_BASE_URL: Final = 200


def get_template(version: str) -> Template:
    template = TEMPLATES.get(version)
    if template is None:
        raise ValidationError(
            "pdf.template", f"unknown certificate template {version[:40]!r}; known: {', '.join(TEMPLATES)}"
        )
    return template


def normalise_base_url(base_url: str) -> str:
    """The portal address printed in the QR code, without a trailing slash."""
    url = base_url.strip().rstrip("/")
    if (
        not url.startswith(("https://", "http://"))
        or len(url) > MAX_BASE_URL
        or not url.isascii()
        or any(c.isspace() or c in "\"'<>\\" for c in url)
    ):
        raise ValidationError("pdf.base_url", f"base URL must be an http(s) URL, got {base_url[:60]!r}")
    return url


def _describe(char: str) -> str:
    name = unicodedata.name(char, "unnamed character")
    return f"{char!r} (U+{ord(char):04X} {name})"


def check_renderable(record: CertificateRecord, template: str = CURRENT_TEMPLATE) -> None:
    """Refuse a record the template cannot print correctly, naming the characters.

    Run before issuance: a certificate that cannot be printed must not be issued. Scripts
    that need shaping (Tamil, Arabic/Jawi, Devanagari...) and combining marks are refused
    even where a font has the glyphs, because drawing them unshaped would misspell the name.
    """
    tpl = get_template(template)
    fonts = tpl.fontset()
    for field, font in tpl.field_fonts.items():
        value = getattr(record, field)
        missing = fonts.missing(value, font)
        if missing:
            listed = ", ".join(_describe(c) for c in missing[:8])
            more = f" and {len(missing) - 8} more" if len(missing) > 8 else ""
            raise ValidationError(
                "pdf.glyphs",
                f"certificate template {tpl.version} cannot print {listed}{more}: it prints "
                "Latin, Greek, Cyrillic and Chinese/Japanese characters only (scripts that "
                "need text shaping, such as Tamil or Jawi, are not supported); write the "
                "name as on the MyKad in Latin letters",
                field=field,
                chars="".join(missing),
            )


def render_params(cert_no: str, lang: str, base_url: str, template: str) -> bytes:
    """The attachment that tells a verifier how to re-render this exact file."""
    doc = {"base_url": base_url, "cert_no": cert_no, "format": PARAMS_FORMAT, "lang": lang,
           "template": template}
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def render_certificate(
    record: CertificateRecord,
    proof: CertificateProof,
    *,
    lang: Lang,
    base_url: str,
    template: str = CURRENT_TEMPLATE,
) -> bytes:
    """One A4 page in ``lang``, QR code to ``{base_url}/sijil/{cert_no}``, proof attached.

    Raises ValidationError for an unknown template or language, a bad base URL, a proof that
    does not carry this record, or characters the template cannot print (``pdf.glyphs``).
    """
    tpl = get_template(template)
    if lang not in LANGS:
        raise ValidationError("pdf.lang", f"language must be one of {', '.join(LANGS)}")
    url = normalise_base_url(base_url)
    try:
        proven = Transaction.decode(proof.tx).record
    except (ValidationError, ValueError, KeyError):
        raise ValidationError("pdf.proof", "the proof does not carry an issued record") from None
    if proven != record:
        raise ValidationError("pdf.proof", f"the proof is for {proven.cert_no}, not {record.cert_no}")
    check_renderable(record, tpl.version)

    inp = RenderInput(record=record, proof=proof, lang=lang, base_url=url)
    fonts = tpl.fontset()
    canvas = Canvas()
    tpl.draw(canvas, fonts, inp)
    attachments = [
        Attachment(PROOF_ATTACHMENT, proof.encode(), "application/octet-stream",
                   "SPKM eCertificate: signed record and its blockchain proof"),
        Attachment(PARAMS_ATTACHMENT, render_params(record.cert_no, lang, url, tpl.version),
                   "application/json", "SPKM eCertificate: render parameters"),
    ]
    return build_pdf(page_size=tpl.page_size, canvas=canvas, fonts={k: fonts.font(k) for k in canvas.used},
                     attachments=attachments, meta=tpl.metadata(inp))
