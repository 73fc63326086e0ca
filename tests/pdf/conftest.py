"""Shared renders: each (kind, level, lang) is rendered once per test session."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from certificate.pdf import render_certificate
from tests.pdf.factory import BASE_URL, KINDS, Issued, issue_one


@functools.cache
def issued(kind: str, level: int) -> Issued:
    return issue_one(kind, level)


@functools.cache
def rendered(kind: str, level: int, lang: str) -> bytes:
    c = issued(kind, level)
    return render_certificate(c.record, c.proof, lang="ms" if lang == "ms" else "en", base_url=BASE_URL)


CASES = [(k, lvl, lang) for k, lvl in KINDS for lang in ("ms", "en")]


@pytest.fixture(params=CASES, ids=[f"{k}{lvl}-{lang}" for k, lvl, lang in CASES])
def case_pdf(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Issued, str, Path]:
    kind, level, lang = request.param
    path = tmp_path / f"{kind}{level}-{lang}.pdf"
    path.write_bytes(rendered(kind, level, lang))
    return issued(kind, level), lang, path
