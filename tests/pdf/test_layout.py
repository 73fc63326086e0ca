"""Long names and titles wrap and shrink but never leave the page or overlap anything."""

from __future__ import annotations

import csv
import re
import subprocess
from pathlib import Path

import pytest

from certificate.pdf import render_certificate
from certificate.pdf.canvas import Canvas, TextExtent
from certificate.pdf.qrcode import qr_size
from certificate.pdf.templates import TEMPLATES, RenderInput
from certificate.pdf.templates.v2026_1 import FONTS
from certificate.pdf.textlayout import FontSet, Glyph, fit, width, wrap
from tests.pdf.factory import BASE_URL, issue_one
from tests.shared_files import shared

PROGRAMMES = shared("data/programmes.csv")
PAGE_W, PAGE_H = 595.28, 841.89
FRAME = 30.0  # inside the inner gold rule

def _qr_box(cert_no: str) -> tuple[float, float, float, float]:
    """The QR code and its quiet zone (template 2026.1: 2.25 pt modules at (60, 60))."""
    side = qr_size(f"{BASE_URL}/sijil/{cert_no}", 2.25)
    return 60 - 9, 60 - 9, 60 + side + 9, 60 + side + 9


def _longest(column: str) -> str:
    if not PROGRAMMES.exists():
        pytest.skip("shared programme list not available")
    with PROGRAMMES.open(encoding="utf-8") as f:
        return max((row[column] for row in csv.DictReader(f)), key=len)


LONG_NAME = "SITI NURUL AIN BINTI MUHAMMAD KHAIRUL ANUAR @ " + "ABDULLAH " * 12
EXTREMES = {
    "longest programme": dict(programme_ms=_longest("program") if PROGRAMMES.exists() else "X",
                              programme_en="Ultrasonic Testing - Welded Construction (Thickness "
                                           "Measurement & Lamination) for the Oil & Gas Industry"),
    "150-character name": dict(holder_name=LONG_NAME[:150].strip()),
    "150 characters, no spaces": dict(holder_name="A" * 150),
    "longest centre": dict(centre_name=_longest("institusi") if PROGRAMMES.exists() else "X"),
    "200-character titles": dict(programme_ms=("Pengurusan Operasi Sistem Teknologi " * 6)[:200].strip(),
                                 programme_en=("Management of Technology System Operations " * 5)[:200].strip(),
                                 centre_name=("PUSAT LATIHAN KEMAHIRAN BERSEPADU " * 7)[:200].strip()),
    "widest letters everywhere": dict(holder_name="MW" * 75, programme_ms="WM " * 66 + "WM",
                                      programme_en="MW" * 100, centre_name="W" * 200),
    "everything long": dict(holder_name=LONG_NAME[:150].strip(),
                            programme_ms=("Pengurusan Operasi Sistem Teknologi " * 6)[:200].strip(),
                            programme_en=("Management of Technology System Operations " * 5)[:200].strip(),
                            centre_name=("PUSAT LATIHAN KEMAHIRAN BERSEPADU " * 7)[:200].strip(),
                            holder_ic="991231-14-9999"),
}


def _extents(lang: str, kind: str = "DLKM", level: int = 5, **overrides: str) -> tuple[list[TextExtent], str]:
    cert = issue_one(kind, level, **overrides)
    template = TEMPLATES["2026.1"]
    canvas = Canvas()
    template.draw(canvas, template.fontset(), RenderInput(cert.record, cert.proof, lang, BASE_URL))  # type: ignore[arg-type]
    return canvas.text_extents(), cert.record.cert_no


def _box(e: TextExtent) -> tuple[float, float, float, float]:
    # ink from just below the baseline (descenders) to above the capitals and CJK tops
    return e.x0, e.baseline - 0.24 * e.size, e.x1, e.baseline + 0.9 * e.size


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@pytest.mark.parametrize("lang", ["ms", "en"])
@pytest.mark.parametrize("case", sorted(EXTREMES))
def test_extreme_text_stays_inside_and_apart(case: str, lang: str) -> None:
    extents, cert_no = _extents(lang, **EXTREMES[case])
    qr_box = _qr_box(cert_no)
    boxes = [_box(e) for e in extents]
    for e, box in zip(extents, boxes, strict=True):
        assert box[0] >= FRAME and box[2] <= PAGE_W - FRAME, e
        assert box[1] >= FRAME and box[3] <= PAGE_H - FRAME, e
        assert not _overlap(box, qr_box), e
        assert e.size >= 5, e
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not _overlap(a, b), (extents[boxes.index(a)], extents[boxes.index(b)])


def test_drawn_text_is_the_record(tmp_path: Path) -> None:
    """What is drawn, joined line by line, is the record's text, nothing lost or added."""
    fields = EXTREMES["everything long"]
    drawn = " ".join(e.text for e in _extents("en", **fields)[0])
    for value in (fields["holder_name"], fields["programme_en"], fields["centre_name"]):
        assert " ".join(value.split()) in drawn


def test_every_word_inside_the_frame_per_pdftotext(tmp_path: Path) -> None:
    cert = issue_one("SKM", 2, **EXTREMES["everything long"])
    path = tmp_path / "long.pdf"
    path.write_bytes(render_certificate(cert.record, cert.proof, lang="ms", base_url=BASE_URL))
    html = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    words = re.findall(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<', html)
    assert len(words) > 60
    for x0, y0, x1, y1, word in words:
        assert float(x0) >= FRAME and float(x1) <= PAGE_W - FRAME, word
        assert float(y0) >= FRAME and float(y1) <= PAGE_H - FRAME, word


def _glyphs(text: str) -> list[Glyph]:
    return FontSet(FONTS, ("cjk",)).glyphs(text, "serif-bold")


def test_wrap_never_exceeds_the_width_and_keeps_every_character() -> None:
    text = "PEMERIKSAAN ULTRASONIK-BINAAN BERKIMPALAN/PAIP " + "X" * 80 + " 陈伟明陈伟明陈伟明"
    glyphs = _glyphs(text)
    for max_width in (40.0, 90.0, 200.0, 440.0):
        lines = wrap(glyphs, 14, max_width)
        assert all(width(line, 14) <= max_width for line in lines)
        drawn = "".join(g.text for line in lines for g in line)
        assert drawn.replace(" ", "") == text.replace(" ", "")
        assert all(line and line[0].text != " " and line[-1].text != " " for line in lines)


def test_balanced_lines() -> None:
    block = fit(_glyphs("MALAYSIAN ADVANCED SKILLS DIPLOMA"), max_width=440, max_size=24,
                min_size=17, max_lines=2, single_line_min=19, tracking=1.6)
    texts = ["".join(g.text for g in line) for line in block.lines]
    assert texts == ["MALAYSIAN ADVANCED", "SKILLS DIPLOMA"]


def test_fit_shrinks_within_bounds() -> None:
    short = fit(_glyphs("ALI"), max_width=440, max_size=22, min_size=11, max_lines=4)
    assert short.size == 22 and len(short.lines) == 1
    long = fit(_glyphs("MUHAMMAD " * 16), max_width=440, max_size=22, min_size=11, max_lines=4)
    assert 11 <= long.size < 22 and len(long.lines) <= 4
    absurd = fit(_glyphs("W" * 2000), max_width=100, max_size=22, min_size=11, max_lines=2)
    assert len(absurd.lines) <= 2 and all(absurd.line_width(i) <= 100 for i in range(len(absurd.lines)))
