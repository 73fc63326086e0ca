"""The eCertificate PDF: deterministic bilingual A4 rendering and upload verification.

``render_certificate`` prints a proven record as one A4 page with its proof attached;
``verify_pdf`` decides whether an uploaded file is such a page, unaltered, for a certificate
that is still valid; ``check_renderable`` refuses, before issuance, names no template font
can print correctly.
"""

from certificate.pdf.extract import MAX_PDF_BYTES
from certificate.pdf.render import (
    PARAMS_ATTACHMENT,
    PROOF_ATTACHMENT,
    check_renderable,
    render_certificate,
)
from certificate.pdf.templates import CURRENT_TEMPLATE, TEMPLATES, Lang, Template
from certificate.pdf.verify import (
    VERDICT_MESSAGES,
    ChainStatus,
    PdfVerdict,
    VerdictCode,
    verify_pdf,
)

__all__ = [
    "CURRENT_TEMPLATE",
    "MAX_PDF_BYTES",
    "PARAMS_ATTACHMENT",
    "PROOF_ATTACHMENT",
    "TEMPLATES",
    "VERDICT_MESSAGES",
    "ChainStatus",
    "Lang",
    "PdfVerdict",
    "Template",
    "VerdictCode",
    "check_renderable",
    "render_certificate",
    "verify_pdf",
]
