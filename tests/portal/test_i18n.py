"""The translation table is complete, and templates hold no words of their own."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from certificate import activation, certno, mykad
from certificate.pdf import VerdictCode
from portal.i18n import LANGS, TEXT, has, t

PORTAL = Path(__file__).resolve().parents[2] / "portal"
TEMPLATES = sorted((PORTAL / "templates").glob("*.html"))


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_key_has_both_languages_with_the_same_placeholders() -> None:
    for key, (ms, en) in TEXT.items():
        assert ms.strip() and en.strip(), key
        assert fields(ms) == fields(en), key


@pytest.mark.parametrize("table", [mykad.MESSAGES, certno.MESSAGES, activation.MESSAGES],
                         ids=["mykad", "certno", "activation"])
def test_every_domain_refusal_code_is_translated(table: dict[str, str]) -> None:
    for code, english in table.items():
        assert has(code), code
        assert fields(t(code, "ms")) <= fields(english) | {"char", "count"}, code


def test_every_status_and_pdf_verdict_has_words() -> None:
    for status in ("valid", "revoked", "superseded"):
        assert t(f"status.{status}", "ms") and t(f"sijil.{status}", "en", date="x")
    for code in VerdictCode:
        assert has(f"pdf.verdict.{code.value}")


def test_malay_uses_the_guideline_wording() -> None:
    malay = {t(k, "ms") for k in TEXT}
    for phrase in ("Platform Awam", "Semakan Sijil/Diploma/Diploma Lanjutan", "SEMAK SKM", "Daftar Pengguna Baru",
                   "Simpan/Cetak", "Daftar Masuk", "Cetak Sijil (Bahasa Melayu)", "Rekod Persijilan Kemahiran Malaysia",
                   "Senarai Maklumat Sijil/ Diploma/ Diploma Lanjutan Kemahiran Malaysia (Termasuk VTO/E/M)"):
        assert phrase in malay, phrase


_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
_TAG = re.compile(r"<[^>]*>", re.S)


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_templates_have_no_hard_coded_words(path: Path) -> None:
    text = _TAG.sub(" ", _JINJA.sub(" ", path.read_text()))
    text = re.sub(r"&[a-z]+;|&#\d+;", " ", text)
    words = re.findall(r"[A-Za-z]{2,}", text)
    assert not words, f"{path.name} shows words outside the translation table: {words[:10]}"


_KEY = re.compile(r"[\"']([a-z0-9_]+(?:\.[a-z0-9_]+)+)[\"']")
_PREFIXES = {k.split(".", 1)[0] for k in TEXT}
#: Codes of the chain and the JSON API that look like translation keys but are not shown as such.
_NOT_KEYS = {"account.activation", "pdf.missing"}
_CODE = [p for p in sorted(PORTAL.glob("*.py")) if p.name not in ("api.py", "openapi.py", "errors.py")]


@pytest.mark.parametrize("path", [*TEMPLATES, *_CODE], ids=lambda p: p.name)
def test_every_key_named_in_code_exists(path: Path) -> None:
    missing = []
    for key in _KEY.findall(path.read_text()):
        if key in _NOT_KEYS or key.endswith((".html", ".css", ".py", ".pdf")):
            continue
        if key.split(".", 1)[0] in _PREFIXES and not has(key):
            missing.append(key)
    assert not missing, f"{path.name}: {missing}"


def test_languages() -> None:
    assert LANGS == ("ms", "en")


def test_dates_are_written_out_and_times_shown_in_malaysia() -> None:
    from portal.pages import long_date

    assert long_date("2026-12-02", "ms") == "2 Disember 2026" and long_date("2026-12-02", "en") == "2 December 2026"
    assert long_date("2026-11-27T17:30:00Z", "ms") == "28 November 2026"  # 01:30 the next day in MYT
    assert long_date(None, "en") == "—" and long_date("not a date", "ms") == "not a date"
