"""Names in any script a MyKad may carry: printed correctly, or refused before issuance."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from certificate.errors import ValidationError
from certificate.pdf import check_renderable, render_certificate
from tests.pdf.factory import BASE_URL, issue_one, make_record

PRINTABLE = {
    "Chinese": "TAN WEI MING 陈伟明",
    "Chinese only": "黄丽娟",
    "Japanese": "田中 さくら",
    "Turkish": "ŞÜKRÜ ĞÖKHAN YILDIZ ıİ",
    "Vietnamese": "NGUYỄN THỊ HƯƠNG",
    "Latin Extended": "ŁUKASZ ŻÓŁKIEWSKI ÆØÅ ŒUVRE ÐÞ ǅ",
    "Greek": "ΑΛΈΞΑΝΔΡΟΣ ΠΑΠΑΔΌΠΟΥΛΟΣ",
    "Cyrillic": "ИВАН ПЕТРОВИЧ",
    "punctuation": "MUTHU A/L RAMASAMY @ RAMA",
}
REFUSED = {
    "Tamil": ("முத்துசாமி", "TAMIL"),
    "Tamil after Latin": ("MUTHU A/L முத்து", "TAMIL"),
    "Jawi": ("محمد", "ARABIC"),
    "Hangul": ("김민준", "HANGUL"),
    "combining mark": ("N\u0308OEL", "COMBINING DIAERESIS"),
    "CJK extension B": ("\U00020000ABC", "CJK UNIFIED IDEOGRAPH-20000"),
}


def _text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "c.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return " ".join(out.split())


@pytest.mark.parametrize("name", sorted(PRINTABLE))
def test_printable_names_render_and_stay_extractable(name: str, tmp_path: Path) -> None:
    cert = issue_one("SKM", 3, holder_name=PRINTABLE[name])
    check_renderable(cert.record)
    for lang in ("ms", "en"):
        pdf = render_certificate(cert.record, cert.proof, lang=lang, base_url=BASE_URL)
        assert cert.record.holder_name in _text(pdf, tmp_path)


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_unprintable_names_are_refused_naming_the_characters(name: str) -> None:
    text, unicode_name = REFUSED[name]
    cert = issue_one("SKM", 3, holder_name=text)
    with pytest.raises(ValidationError) as refused:
        check_renderable(cert.record)
    assert refused.value.code == "pdf.glyphs"
    assert refused.value.field == "holder_name"
    assert unicode_name in refused.value.message
    assert refused.value.params["chars"]
    with pytest.raises(ValidationError) as again:
        render_certificate(cert.record, cert.proof, lang="ms", base_url=BASE_URL)
    assert again.value.code == "pdf.glyphs"


def test_programme_and_centre_are_checked_too() -> None:
    record = make_record(centre_name="PUSAT LATIHAN முத்து")
    with pytest.raises(ValidationError) as refused:
        check_renderable(record)
    assert refused.value.field == "centre_name"


_ALPHABET = st.characters(
    codec="utf-8",
    categories=["Lu", "Ll", "Lo", "Mn", "Zs", "Po", "Pd", "Lm", "Sk"],
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(_ALPHABET, min_size=1, max_size=60))
def test_any_name_renders_or_is_refused_never_crashes(name: str) -> None:
    try:
        cert = issue_one("SKM", 3, holder_name=name)
    except ValidationError:
        return  # the record rules refused it first
    try:
        check_renderable(cert.record)
    except ValidationError as exc:
        assert exc.code == "pdf.glyphs"
        return
    pdf = render_certificate(cert.record, cert.proof, lang="en", base_url=BASE_URL)
    assert pdf.startswith(b"%PDF-1.7")
