"""Verifying an uploaded certificate PDF (SPEC section 8).

A PDF is authentic exactly when its bytes equal the re-render of the record it carries, and
that record is proven (issuer signature, Merkle path, block signed by a chain member) and is
on the chain in that very block. Everything else gets a verdict that says what is wrong:
the steps run from the cheapest and most basic (is it a PDF at all?) to the most specific
(is the still-genuine certificate revoked?).
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from certificate.errors import SignatureError, ValidationError
from certificate.keys import PublicKey
from certificate.pdf.extract import Extracted, ExtractFailure, extract, extract_isolated
from certificate.pdf.render import (
    PARAMS_ATTACHMENT,
    PARAMS_FORMAT,
    PROOF_ATTACHMENT,
    normalise_base_url,
    render_certificate,
)
from certificate.pdf.templates import LANGS, TEMPLATES, Lang
from certificate.proof import CertificateProof
from certificate.record import CertificateRecord

WANTED: Final = (PROOF_ATTACHMENT, PARAMS_ATTACHMENT)


class VerdictCode(enum.Enum):
    AUTHENTIC = "authentic"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"
    EDITED = "edited"
    NOT_OURS = "not_ours"
    NOT_PDF = "not_pdf"
    UNREADABLE = "unreadable"


# One summary per verdict in each language, for the portal to show beside the details.
VERDICT_MESSAGES: Final[dict[VerdictCode, dict[Lang, str]]] = {
    VerdictCode.AUTHENTIC: {
        "ms": "Sijil ini tulen dan sah: ia sama seperti yang direkodkan dalam rantaian blok SPKM.",
        "en": "This certificate is authentic and valid: it is exactly as recorded on the SPKM blockchain.",
    },
    VerdictCode.REVOKED: {
        "ms": "Sijil ini tulen tetapi telah dibatalkan dan tidak lagi sah.",
        "en": "This certificate is genuine but has been revoked and is no longer valid.",
    },
    VerdictCode.SUPERSEDED: {
        "ms": "Sijil ini tulen tetapi telah digantikan oleh sijil yang lebih baharu.",
        "en": "This certificate is genuine but has been replaced by a newer certificate.",
    },
    VerdictCode.EDITED: {
        "ms": "Fail PDF ini telah diubah suai: ia tidak sama dengan sijil yang direkodkan.",
        "en": "This PDF has been altered: it does not match the certificate on record.",
    },
    VerdictCode.NOT_OURS: {
        "ms": "Fail ini bukan sijil elektronik yang dikeluarkan melalui rantaian blok SPKM.",
        "en": "This file is not an electronic certificate issued on the SPKM blockchain.",
    },
    VerdictCode.NOT_PDF: {
        "ms": "Fail ini bukan fail PDF.",
        "en": "This file is not a PDF.",
    },
    VerdictCode.UNREADABLE: {
        "ms": "Fail PDF ini tidak dapat dibaca (rosak, disulitkan atau terlalu besar).",
        "en": "This PDF cannot be read (damaged, encrypted or too large).",
    },
}


@dataclass(frozen=True)
class ChainStatus:
    """What the live chain says about a certificate number."""

    cert_no: str
    status: Literal["valid", "revoked", "superseded"]
    block_height: int
    block_hash: str  # hex SHA-256 of the header of the block that holds the issue
    superseded_by: str | None = None
    revocation_reason: str | None = None


@dataclass(frozen=True)
class PdfVerdict:
    code: VerdictCode
    message: str  # English, specific to this file
    cert_no: str | None = None
    record: CertificateRecord | None = None
    chain: ChainStatus | None = None

    @property
    def authentic(self) -> bool:
        return self.code is VerdictCode.AUTHENTIC

    @property
    def superseded_by(self) -> str | None:
        return self.chain.superseded_by if self.chain else None

    def summary(self, lang: Lang) -> str:
        return VERDICT_MESSAGES[self.code][lang]


@dataclass(frozen=True)
class _Params:
    cert_no: str
    lang: Lang
    base_url: str
    template: str


def _params(data: bytes) -> _Params | None:
    try:
        doc = json.loads(data.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        return None
    keys = {"base_url", "cert_no", "format", "lang", "template"}
    if not isinstance(doc, dict) or set(doc) != keys or not all(isinstance(v, str) for v in doc.values()):
        return None
    if doc["format"] != PARAMS_FORMAT:
        return None
    lang: Any = doc["lang"]
    return _Params(doc["cert_no"], lang, doc["base_url"], doc["template"])


def _status_note(chain: ChainStatus) -> str:
    if chain.status == "revoked":
        return f"; the certificate itself is revoked ({chain.revocation_reason or 'no reason given'})"
    if chain.status == "superseded":
        return f"; the certificate itself is superseded by {chain.superseded_by or 'a newer one'}"
    return ""


def verify_pdf(
    data: bytes,
    *,
    node_keys: Mapping[str, PublicKey],
    lookup: Callable[[str], ChainStatus | None],
    allowed_base_urls: Collection[str],
    isolate: bool = True,
    timeout: float = 10.0,
) -> PdfVerdict:
    """The verdict on an uploaded file. Never raises for anything in the file.

    ``lookup`` asks the live chain about a cert_no (None: not on the chain); its own errors
    (node unreachable) propagate, since they say nothing about the file. With ``isolate``
    (the default) the untrusted file is parsed in a child process with a ``timeout``.
    """
    V = VerdictCode
    try:
        got: Extracted = (extract_isolated(data, WANTED, timeout=timeout) if isolate
                          else extract(data, WANTED))
    except ExtractFailure as exc:
        return PdfVerdict(V.NOT_PDF if exc.kind == "not_pdf" else V.UNREADABLE, exc.message)

    proof_bytes = got.attachments.get(PROOF_ATTACHMENT)
    params_bytes = got.attachments.get(PARAMS_ATTACHMENT)
    if proof_bytes is None:
        return PdfVerdict(V.NOT_OURS, "the PDF carries no eCertificate proof attachment")
    try:
        proof = CertificateProof.decode(proof_bytes)
    except (ValidationError, ValueError):
        return PdfVerdict(V.NOT_OURS, "the attached proof is not a certificate proof")
    try:
        record, _tx = proof.verify(node_keys)
    except (ValidationError, SignatureError, ValueError) as exc:
        return PdfVerdict(V.NOT_OURS, f"the attached proof does not verify: {exc}")
    return _judge(data, got, record, proof, lookup, allowed_base_urls, params_bytes)


def _judge(
    data: bytes,
    got: Extracted,
    record: CertificateRecord,
    proof: CertificateProof,
    lookup: Callable[[str], ChainStatus | None],
    allowed_base_urls: Collection[str],
    params_bytes: bytes | None,
) -> PdfVerdict:
    """The verdict once the attached proof is known to be genuine."""
    V = VerdictCode
    chain = lookup(record.cert_no)

    def verdict(code: VerdictCode, message: str) -> PdfVerdict:
        return PdfVerdict(code, message, record.cert_no, record, chain)

    if chain is None:
        return verdict(V.NOT_OURS, f"certificate {record.cert_no} is not on this chain")
    if chain.block_hash.lower() != proof.header.hash.hex():
        return verdict(V.NOT_OURS, f"the chain holds {record.cert_no} in block {chain.block_height}, "
                       "not in the block this proof names")
    note = _status_note(chain)

    params = _params(params_bytes) if params_bytes is not None else None
    if params is None:
        return verdict(V.EDITED, "the render parameters attachment is missing or altered" + note)
    if params.cert_no != record.cert_no:
        return verdict(V.EDITED, f"the attachments disagree: parameters name {params.cert_no[:40]!r}, "
                       f"the proof is for {record.cert_no}" + note)
    if params.template not in TEMPLATES:
        return verdict(V.UNREADABLE, f"the PDF names template {params.template[:20]!r}, which this "
                       "software does not know; a newer version may")
    if params.lang not in LANGS:
        return verdict(V.EDITED, f"unknown language {params.lang[:10]!r} in the render parameters" + note)
    try:
        allowed = {normalise_base_url(u) for u in allowed_base_urls}
        base_url = normalise_base_url(params.base_url)
    except ValidationError:
        allowed, base_url = set(), ""
    if base_url not in allowed:
        return verdict(V.EDITED, f"the QR code points to {params.base_url[:80]!r}, which is not an "
                       "official verification address" + note)
    try:
        expected = render_certificate(record, proof, lang=params.lang, base_url=base_url,
                                      template=params.template)
    except ValidationError as exc:
        return verdict(V.UNREADABLE, f"the certificate cannot be re-rendered: {exc}")

    if expected != data:
        same_page = got.content is not None and got.content == extract(expected, ()).content
        what = ("the visible page is unchanged but the file was modified after it was issued "
                "(re-saved, appended to or signed)" if same_page
                else "the visible page differs from the certificate on the chain")
        return verdict(V.EDITED, what + note)
    if chain.status == "revoked":
        return verdict(V.REVOKED, f"certificate {record.cert_no} was revoked: "
                       f"{chain.revocation_reason or 'no reason given'}")
    if chain.status == "superseded":
        return verdict(V.SUPERSEDED, f"certificate {record.cert_no} was superseded by "
                       f"{chain.superseded_by or 'a newer certificate'}")
    return verdict(V.AUTHENTIC, f"certificate {record.cert_no} is authentic and valid "
                   f"(block {chain.block_height})")
