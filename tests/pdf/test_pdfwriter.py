"""Our PDF writer writes exactly the bytes qpdf (through pikepdf) wrote for the same document.

``tests/pdf/qpdf_reference.py`` is the pikepdf assembly the renderer used before; released
PDFs were written by it, so the two must agree byte for byte on any page.
"""

from __future__ import annotations

import pikepdf
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from certificate.errors import ValidationError
from certificate.pdf import check_renderable
from certificate.pdf.canvas import Canvas
from certificate.pdf.document import Attachment, build_pdf
from certificate.pdf.pdfwriter import Str
from certificate.pdf.render import PARAMS_ATTACHMENT, PROOF_ATTACHMENT, render_params
from certificate.pdf.templates import TEMPLATES, RenderInput
from tests.pdf import qpdf_reference
from tests.pdf.factory import BASE_URL, issue_one

NAMES = [
    "NUR AISYAH BINTI AHMAD FAUZI",
    "TAN WEI MING 陈伟明",
    "ΑΛΈΞΑΝΔΡΟΣ ΠΑΠΑΔΌΠΟΥΛΟΣ",
    "MUTHU A/L RAMASAMY @ RAMA",
    "O'CONNOR-SMITH",
    "ŁUKASZ ŻÓŁKIEWSKI ÆØÅ",
    "田中 さくら",
    "A",
]


def _both(name: str, lang: str, **overrides: str) -> tuple[bytes, bytes]:
    cert = issue_one("DKM", 4, holder_name=name, **overrides)
    template = TEMPLATES["2026.1"]
    inp = RenderInput(cert.record, cert.proof, lang, BASE_URL)  # type: ignore[arg-type]
    canvas = Canvas()
    fonts = template.fontset()
    template.draw(canvas, fonts, inp)
    attachments = [
        Attachment(PROOF_ATTACHMENT, cert.proof.encode(), "application/octet-stream", "proof"),
        Attachment(PARAMS_ATTACHMENT, render_params(cert.record.cert_no, lang, BASE_URL, "2026.1"),
                   "application/json", "params (and parentheses) \\ ·"),
    ]
    args = dict(page_size=template.page_size, canvas=canvas, fonts={k: fonts.font(k) for k in canvas.used},
                attachments=attachments, meta=template.metadata(inp))
    return build_pdf(**args), qpdf_reference.build_pdf(**args)  # type: ignore[arg-type]


@pytest.mark.parametrize("lang", ["ms", "en"])
@pytest.mark.parametrize("name", NAMES)
def test_same_bytes_as_qpdf(name: str, lang: str) -> None:
    ours, theirs = _both(name, lang, programme_en="Welding (Plate & Pipe), Oil & Gas")
    assert ours == theirs


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(st.characters(codec="utf-8", categories=["Lu", "Ll", "Lo", "Zs", "Po", "Pd"]),
               min_size=1, max_size=50))
def test_same_bytes_as_qpdf_for_any_name(name: str) -> None:
    try:
        check_renderable(issue_one("DKM", 4, holder_name=name).record)
    except ValidationError:
        return
    ours, theirs = _both(name, "en")
    assert ours == theirs


@pytest.mark.parametrize("value", [
    "", "abc", "a(b)c", "back\\slash", "tab\there", "new\nline", "\x00\x01", "Malaysia · x",
    "陈伟明", "ÆØÅ plain", "(((((", "x" * 300, b"\x00\xff\x10 binary", b"printable bytes",
    bytes(range(256)),
])
def test_strings_are_written_as_qpdf_writes_them(value: str | bytes) -> None:
    reference = pikepdf.String(value)
    s = Str(value)
    assert s.token.encode("latin-1") == bytes(reference.unparse())
    assert s.raw == bytes(reference)
