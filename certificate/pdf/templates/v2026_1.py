"""Template 2026.1: the first released design of the SPKM eCertificate.

Released: never edit this module, its wording or its ornaments (see ``templates/base.py``);
the golden-file test pins the bytes it produces.

Layout, top to bottom on A4 portrait: emblem and department; the award's name in full and its
level; the award text (holder, MyKad number, programme, NOSS code, method, centre, JPPS
date), vertically centred in its band and shrunk as a whole if it would not fit; the
signatory; a bottom band with the QR code on the left and the certificate number on the
right; and a footer naming the block that holds the certificate and this template version.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from certificate.pdf.canvas import RGB, Canvas
from certificate.pdf.fontfiles import FontFile
from certificate.pdf.qrcode import QUIET_ZONE, draw_qr, qr_size
from certificate.pdf.templates import v2026_1_ornaments as orn
from certificate.pdf.templates.base import DocumentMeta, RenderInput, Template
from certificate.pdf.templates.v2026_1_wording import (
    TEXT,
    kind_title,
    long_date,
    method_title,
    mykad_display,
)
from certificate.pdf.textlayout import Block, FontSet, fit

VERSION: Final = "2026.1"
WIDTH: Final = 595.28
HEIGHT: Final = 841.89
CX: Final = WIDTH / 2
TEXT_WIDTH: Final = 440.0

INK: Final[RGB] = (0.13, 0.13, 0.15)
MUTED: Final[RGB] = (0.36, 0.37, 0.40)

FONTS: Final = {
    "serif": FontFile(
        "NotoSerif-Regular.ttf",
        "9d7583b7dc9e812afd32a14280c5cac3160012efe50c8d08938f4fea266ff67f",
        "NotoSerif-Regular", serif=True,
    ),
    "serif-bold": FontFile(
        "NotoSerif-Bold.ttf",
        "0af0ff2be8f84910fb21ec5fe1b6b7395e3073250502a334baf6ca2f860c88fe",
        "NotoSerif-Bold", serif=True, bold=True,
    ),
    "serif-italic": FontFile(
        "NotoSerif-Italic.ttf",
        "bc25600aa27cd409e1e5b3d86340df3a329bb860fcfbe57a03a95070b229e1b0",
        "NotoSerif-Italic", serif=True, italic=True,
    ),
    "sans": FontFile(
        "NotoSans-Regular.ttf",
        "89c3c497f618fdaa0b2d1e98fef93582f28c71debd2c4a8cdf41f190ced2909d",
        "NotoSans-Regular",
    ),
    "cjk": FontFile(
        "DroidSansFallbackFull.ttf",
        "acb6440a713d880a13a21b468ba7cd43f5a2b2934972e51be791c880730777b8",
        "DroidSansFallback",
    ),
}
FIELD_FONTS: Final = {
    "holder_name": "serif-bold",
    "programme_ms": "serif-bold",
    "programme_en": "serif-bold",
    "centre_name": "serif",
    "jpps_ref": "sans",
}


@dataclass
class _Item:
    """One paragraph of the award text, fitted later at the band's scale."""

    text: str
    font: str
    max_size: float
    min_size: float = 0.0
    max_lines: int = 1
    color: RGB = INK
    space_before: float = 0.0
    tracking: float = 0.0
    shrink_first: bool = True  # shrink to stay on one line before wrapping (display lines)
    block: Block | None = field(default=None)


def _line_height(size: float) -> float:
    return size * 1.3


def _height(item: _Item, scale: float) -> float:
    assert item.block is not None
    return item.space_before * scale + len(item.block.lines) * _line_height(item.block.size)


def _fit(fonts: FontSet, item: _Item, scale: float) -> Block:
    size = item.max_size * scale
    return fit(
        fonts.glyphs(item.text, item.font),
        max_width=TEXT_WIDTH,
        max_size=round(size * 2) / 2,
        min_size=round((item.min_size or item.max_size) * scale * 2) / 2,
        max_lines=item.max_lines,
        single_line_min=round(size * (0.8 if item.shrink_first else 1.0) * 2) / 2,
        tracking=item.tracking,
    )


def _draw_block(canvas: Canvas, block: Block, font: str, top: float, color: RGB) -> float:
    """Draw centred lines below ``top``; return the new top."""
    canvas.fill_color(color)
    y = top
    for i, line in enumerate(block.lines):
        baseline = y - block.size * 1.0
        embolden = ("cjk",) if font == "serif-bold" else ()
        canvas.text(line, CX - block.line_width(i) / 2, baseline, block.size,
                    tracking=block.tracking, embolden=embolden)
        y -= _line_height(block.size)
    return y


def _award_items(inp: RenderInput) -> list[_Item]:
    t = TEXT[inp.lang]
    r = inp.record
    programme = r.programme_ms if inp.lang == "ms" else r.programme_en
    return [
        _Item(t["certify"], "serif-italic", 13, color=MUTED),
        _Item(r.holder_name, "serif-bold", 24, 11, 4, space_before=12, tracking=0.3),
        _Item(t["ic"].format(ic=mykad_display(r.holder_ic)), "sans", 10, color=MUTED,
              space_before=2, tracking=0.6),
        _Item(t[f"award.{r.kind}"], "serif-italic", 13, 9, 2, color=MUTED, space_before=26,
              shrink_first=False),
        _Item(programme, "serif-bold", 18, 9, 4, space_before=10),
        _Item(t["noss"].format(noss=r.noss_code), "sans", 10, color=MUTED, space_before=2,
              tracking=0.6),
        _Item(t["method"].format(method=method_title(r.method, inp.lang), abbr=r.method),
              "serif-italic", 12.5, 9, 2, color=MUTED, space_before=26, shrink_first=False),
        _Item(t["centre"].format(name=r.centre_name, code=r.centre_code), "serif", 13, 8, 3,
              space_before=4),
        _Item(t["approved"].format(date=long_date(r.jpps_date, inp.lang)), "serif-italic",
              12.5, 9, 2, color=MUTED, space_before=26, shrink_first=False),
    ]


def _award_text(canvas: Canvas, fonts: FontSet, inp: RenderInput, top: float, bottom: float) -> None:
    """The award text, centred in the band [bottom, top], shrunk as a whole until it fits."""
    items = _award_items(inp)
    scale = 1.0
    while True:
        for item in items:
            item.block = _fit(fonts, item, scale)
        total = sum(_height(item, scale) for item in items)
        if total <= top - bottom or scale < 0.5:
            break
        scale -= 0.05
    y = top - max(0.0, (top - bottom - total) * 0.45)
    for item in items:
        assert item.block is not None
        y -= item.space_before * scale
        y = _draw_block(canvas, item.block, item.font, y, item.color)


def _single(fonts: FontSet, text: str, font: str, size: float, tracking: float = 0.0,
            max_width: float = TEXT_WIDTH) -> Block:
    return fit(fonts.glyphs(text, font), max_width=max_width, max_size=size, min_size=size * 0.6,
               max_lines=1, single_line_min=size * 0.6, tracking=tracking)



def _right(canvas: Canvas, block: Block, x: float, baseline: float, color: RGB) -> None:
    canvas.fill_color(color)
    canvas.text(block.lines[0], x - block.line_width(0), baseline, block.size, tracking=block.tracking)


def _lines_left(canvas: Canvas, blocks: Sequence[Block], x: float, top: float, color: RGB) -> None:
    y = top
    canvas.fill_color(color)
    for block in blocks:
        for line in block.lines:
            y -= _line_height(block.size)
            canvas.text(line, x, y, block.size, tracking=block.tracking)


def draw(canvas: Canvas, fonts: FontSet, inp: RenderInput) -> None:
    t = TEXT[inp.lang]
    r = inp.record
    canvas.save()
    canvas.fill_color(orn.WHITE)
    canvas.rect(0, 0, WIDTH, HEIGHT)
    canvas.fill()
    canvas.restore()
    orn.rosette(canvas, CX, 405, 150, 42)
    orn.frame(canvas, WIDTH, HEIGHT)

    # Header: emblem, department, ministry.
    orn.emblem(canvas, CX, HEIGHT - 92, 36)
    dept = _single(fonts, t["dept"], "sans", 10.5, tracking=2.2)
    _draw_block(canvas, dept, "sans", HEIGHT - 136, orn.NAVY)
    ministry = _single(fonts, t["ministry"], "sans", 7.5, tracking=1.4)
    _draw_block(canvas, ministry, "sans", HEIGHT - 152, MUTED)
    orn.ornamental_rule(canvas, CX, HEIGHT - 176, 150)

    # The award's name in full, and its level.
    title = fit(fonts.glyphs(kind_title(r.kind, inp.lang).upper(), "serif-bold"), max_width=TEXT_WIDTH,
                max_size=24, min_size=17, max_lines=2, single_line_min=19, tracking=1.6)
    below_title = _draw_block(canvas, title, "serif-bold", HEIGHT - 192, orn.NAVY)
    level = _single(fonts, t["level"].format(level=r.level), "serif", 12, tracking=4)
    level_top = below_title - 6
    _draw_block(canvas, level, "serif", level_top, orn.GOLD)
    level_mid = level_top - level.size * 0.64
    orn.short_rules(canvas, CX, level_mid, level.line_width(0) / 2 + 12, 36)

    _award_text(canvas, fonts, inp, level_top - 44, 218)

    # Signatory.
    orn_rule_y = 196.0
    canvas.save()
    canvas.stroke_color(orn.GOLD)
    canvas.line_width(0.6)
    canvas.move(CX - 110, orn_rule_y)
    canvas.line(CX + 110, orn_rule_y)
    canvas.stroke()
    canvas.restore()
    sig = _single(fonts, t["signatory"], "serif-bold", 11)
    _draw_block(canvas, sig, "serif-bold", orn_rule_y - 5, INK)
    sig_org = _single(fonts, t["signatory_org"], "serif", 9)
    _draw_block(canvas, sig_org, "serif", orn_rule_y - 20, MUTED)
    electronic = _single(fonts, t["electronic"], "serif-italic", 7.5)
    _draw_block(canvas, electronic, "serif-italic", orn_rule_y - 36, MUTED)

    # Bottom band: QR code and verification URL on the left, certificate number on the right.
    module = 2.25
    qr_x, qr_y = 60.0, 60.0
    size = qr_size(inp.verify_url, module)
    draw_qr(canvas, inp.verify_url, qr_x, qr_y, module, orn.NAVY)
    text_x = qr_x + size + QUIET_ZONE * module
    caption_width = WIDTH / 2 - text_x + 30
    scan = fit(fonts.glyphs(t["scan"], "sans"), max_width=caption_width, max_size=7.5,
               min_size=6, max_lines=2)
    url = fit(fonts.glyphs(inp.verify_url, "sans"), max_width=caption_width, max_size=7.5,
              min_size=5, max_lines=3)
    scan_height = len(scan.lines) * _line_height(scan.size)
    caption_top = qr_y + size / 2 + (scan_height + len(url.lines) * _line_height(url.size)) / 2
    _lines_left(canvas, [scan], text_x, caption_top, MUTED)
    _lines_left(canvas, [url], text_x, caption_top - scan_height, orn.NAVY)

    right = WIDTH - 60
    label = _single(fonts, t["cert_no"], "sans", 7.5, tracking=1.2, max_width=200)
    middle = qr_y + size / 2
    _right(canvas, label, right, middle + 14, MUTED)
    number = _single(fonts, r.cert_no, "serif-bold", 13, tracking=0.8, max_width=200)
    _right(canvas, number, right, middle - 4, orn.NAVY)
    ref = _single(fonts, t["jpps_ref"].format(ref=r.jpps_ref), "sans", 7.5, max_width=200)
    _right(canvas, ref, right, middle - 18, MUTED)

    footer = _single(fonts, t["footer"].format(height=inp.block_height, hash=inp.block_hash[:16],
                                               version=VERSION), "sans", 6.5, tracking=0.3)
    _draw_block(canvas, footer, "sans", 44, MUTED)


def metadata(inp: RenderInput) -> DocumentMeta:
    t = TEXT[inp.lang]
    r = inp.record
    kind = kind_title(r.kind, inp.lang)
    programme = r.programme_ms if inp.lang == "ms" else r.programme_en
    return DocumentMeta(
        title=t["doc_title"].format(kind=kind, level=r.level, name=r.holder_name),
        subject=f"{kind} · {programme} · {r.noss_code} · {r.cert_no}",
        keywords=(r.cert_no, kind, r.noss_code, programme),
        author=t["author"],
        creator=f"SPKM eCertificate template {VERSION}",
        lang=inp.lang,
    )


TEMPLATE: Final = Template(
    version=VERSION,
    page_size=("595.28", "841.89"),
    fonts=FONTS,
    fallbacks=("cjk",),
    field_fonts=FIELD_FONTS,
    draw=draw,
    metadata=metadata,
)
