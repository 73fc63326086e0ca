"""Vendored fonts are pinned, and the embedded subsets draw exactly the original glyphs."""

from __future__ import annotations

import hashlib
import io
import re

import pikepdf
import pytest
from fontTools.ttLib import TTFont

from certificate.pdf import TEMPLATES, render_certificate
from certificate.pdf.fontfiles import FONT_DIR, FontFile, FontIntegrityError, load_font
from tests.pdf.factory import BASE_URL, issue_one


def test_every_pinned_font_matches_its_file() -> None:
    for template in TEMPLATES.values():
        for spec in template.fonts.values():
            digest = hashlib.sha256((FONT_DIR / spec.filename).read_bytes()).hexdigest()
            assert digest == spec.sha256, spec.filename


def test_a_font_that_differs_from_its_pin_is_refused() -> None:
    bad = FontFile("NotoSans-Regular.ttf", "0" * 64, "NotoSans-Regular")
    with pytest.raises(FontIntegrityError, match="SHA-256"):
        load_font(bad)


def test_vendored_fonts_stay_small_and_licensed() -> None:
    total = sum(p.stat().st_size for p in FONT_DIR.iterdir())
    assert total < 25 * 1024 * 1024
    assert (FONT_DIR / "OFL.txt").exists() and (FONT_DIR / "LICENSE-Apache-2.0.txt").exists()


def _embedded_fonts(pdf_bytes: bytes) -> list[tuple[str, TTFont, dict[int, str], list[float]]]:
    out = []
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        for font in pdf.pages[0].Resources.Font.values():
            cid_font = font.DescendantFonts[0]
            data = cid_font.FontDescriptor.FontFile2.read_bytes()
            cmap = font.ToUnicode.read_bytes().decode()
            to_text = {int(cid, 16): bytes.fromhex(t).decode("utf-16-be")
                       for cid, t in re.findall(r"<([0-9A-F]{4})> <([0-9A-F]+)>", cmap.split("endcodespacerange")[1])}
            widths = [float(w) for w in cid_font.W[1]]
            out.append((str(font.BaseFont).split("+")[1], TTFont(io.BytesIO(data)), to_text, widths))
    return out


def test_subset_glyphs_equal_the_original_glyphs() -> None:
    cert = issue_one("DKM", 4, holder_name="TAN WEI MING 陈伟明 ŞÜKRÜ")
    pdf = render_certificate(cert.record, cert.proof, lang="ms", base_url=BASE_URL)
    files = {spec.postscript_name: spec for spec in TEMPLATES["2026.1"].fonts.values()}
    for ps_name, subset, to_text, widths in _embedded_fonts(pdf):
        original = TTFont(FONT_DIR / files[ps_name].filename)
        orig_cmap, orig_glyf = original.getBestCmap(), original["glyf"]
        sub_order, sub_glyf = subset.getGlyphOrder(), subset["glyf"]
        assert subset.getBestCmap() == {ord(t): sub_order[cid] for cid, t in to_text.items()}
        upem = original["head"].unitsPerEm
        for cid, text in to_text.items():
            orig_name = orig_cmap[ord(text)]
            mine = sub_glyf[sub_order[cid]]
            theirs = orig_glyf[orig_name]
            assert mine.getCoordinates(sub_glyf)[0] == theirs.getCoordinates(orig_glyf)[0], text
            assert subset["hmtx"][sub_order[cid]] == original["hmtx"][orig_name], text
            assert widths[cid] == pytest.approx(original["hmtx"][orig_name][0] * 1000 / upem, abs=1e-3)
        assert len(sub_order) < 200
