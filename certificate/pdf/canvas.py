"""The page content stream, written operator by operator.

Text is recorded as glyphs of the vendored fonts (not as PDF strings) because the glyph ids
in the stream are only known after each font has been subset to what the page uses; the
stream is serialised once that is done. Every number goes through ``fmt``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from itertools import groupby
from operator import attrgetter
from typing import Final, NamedTuple, cast

from certificate.pdf.numformat import fmt
from certificate.pdf.textlayout import Glyph

RGB = tuple[float, float, float]
KAPPA: Final = 0.5522847498307936  # Bezier handle length of a quarter circle, times radius

# The text of each drawing operator, by (operator, operands): ornaments, rules and the QR
# grid put the same operators on every page. Bounded (emptied when full); equal operands
# always print alike (``fmt`` depends on the value only), so sharing is safe; dict get and
# set are atomic, so threads may share it.
OP_CACHE_SIZE: Final = 1 << 15
_font_of = attrgetter("font")
_gid_of = attrgetter("gid")
# The operators of whole shapes (circles, polygons) by their arguments, likewise.
SHAPE_CACHE_SIZE: Final = 1 << 10
_shape_ops: dict[tuple[object, ...], tuple[str, ...]] = {}
_op_text: dict[tuple[str, tuple[float, ...]], str] = {}


class _TextLine(NamedTuple):
    glyphs: tuple[Glyph, ...]
    x: float
    y: float
    size: float
    tracking: float
    embolden: frozenset[str]


@dataclass(frozen=True)
class TextExtent:
    """Where a line of text was drawn: for layout checks (nothing overlaps, nothing leaves
    the page), which can then be tested without rasterising anything."""

    text: str
    x0: float
    x1: float
    baseline: float
    size: float


class Canvas:
    def __init__(self) -> None:
        self._ops: list[str | _TextLine] = []
        self._text_at: list[int] = []  # indexes of the text lines in ``_ops``
        self.used: dict[str, dict[int, str]] = {}

    def _op(self, operator: str, *numbers: float) -> None:
        key = (operator, numbers)
        text = _op_text.get(key)
        if text is None:
            text = " ".join(map(fmt, numbers)) + " " + operator if numbers else operator
            if len(_op_text) >= OP_CACHE_SIZE:
                _op_text.clear()
            _op_text[key] = text
        self._ops.append(text)

    def extend_ops(self, ops: Sequence[str]) -> None:
        """Append drawing operators already written as text (each as ``_op`` writes it)."""
        self._ops.extend(ops)

    def save(self) -> None:
        self._op("q")

    def restore(self) -> None:
        self._op("Q")

    def fill_color(self, rgb: RGB) -> None:
        self._op("rg", *rgb)

    def stroke_color(self, rgb: RGB) -> None:
        self._op("RG", *rgb)

    def line_width(self, w: float) -> None:
        self._op("w", w)

    def rect(self, x: float, y: float, w: float, h: float) -> None:
        self._op("re", x, y, w, h)

    def move(self, x: float, y: float) -> None:
        self._op("m", x, y)

    def line(self, x: float, y: float) -> None:
        self._op("l", x, y)

    def curve(self, x1: float, y1: float, x2: float, y2: float, x3: float, y3: float) -> None:
        self._op("c", x1, y1, x2, y2, x3, y3)

    def close(self) -> None:
        self._op("h")

    def fill(self) -> None:
        self._op("f")

    def stroke(self) -> None:
        self._op("S")

    def fill_stroke(self) -> None:
        self._op("B")

    def _replay(self, key: tuple[object, ...]) -> bool:
        """Append the operators a shape with this key produced before, if it did."""
        ops = _shape_ops.get(key)
        if ops is None:
            return False
        self._ops.extend(ops)
        return True

    def _remember(self, key: tuple[object, ...], start: int) -> None:
        if len(_shape_ops) >= SHAPE_CACHE_SIZE:
            _shape_ops.clear()
        _shape_ops[key] = tuple(op for op in self._ops[start:] if isinstance(op, str))

    def polygon(self, points: Sequence[tuple[float, float]]) -> None:
        key = ("polygon", tuple(tuple(p) for p in points))
        if self._replay(key):
            return
        start = len(self._ops)
        self.move(*points[0])
        for p in points[1:]:
            self.line(*p)
        self.close()
        self._remember(key, start)

    def circle(self, cx: float, cy: float, r: float) -> None:
        key = ("circle", cx, cy, r)
        if self._replay(key):
            return
        start = len(self._ops)
        k = KAPPA * r
        self.move(cx + r, cy)
        self.curve(cx + r, cy + k, cx + k, cy + r, cx, cy + r)
        self.curve(cx - k, cy + r, cx - r, cy + k, cx - r, cy)
        self.curve(cx - r, cy - k, cx - k, cy - r, cx, cy - r)
        self.curve(cx + k, cy - r, cx + r, cy - k, cx + r, cy)
        self.close()
        self._remember(key, start)

    def text(
        self,
        glyphs: Sequence[Glyph],
        x: float,
        y: float,
        size: float,
        *,
        tracking: float = 0.0,
        embolden: Collection[str] = (),
    ) -> None:
        """Draw glyphs with their origin at (x, y), in the current fill colour.

        Glyphs of the fonts in ``embolden`` are filled and stroked, so a fallback font that
        has no bold weight (CJK) does not look faint inside a bold name.
        """
        if not glyphs:
            return
        used = self.used
        for g in glyphs:
            per_font = used.get(g.font)
            if per_font is None:
                per_font = used[g.font] = {}
            if g.gid not in per_font:
                per_font[g.gid] = g.text
        self._text_at.append(len(self._ops))
        self._ops.append(_TextLine(tuple(glyphs), x, y, size, tracking, frozenset(embolden)))

    def text_extents(self) -> list[TextExtent]:
        out = []
        for op in self._ops:
            if isinstance(op, _TextLine):
                advance = sum(g.advance for g in op.glyphs) * op.size / 1000
                x1 = op.x + advance + op.tracking * (len(op.glyphs) - 1)
                out.append(TextExtent("".join(g.text for g in op.glyphs), op.x, x1, op.y, op.size))
        return out

    def serialize(
        self,
        resource: Mapping[str, str],
        new_gid: Mapping[str, Mapping[int, int]],
        codes: Mapping[str, Mapping[int, str]] | None = None,
    ) -> bytes:
        """The content stream, with glyph ids of the subset fonts and their resource names.

        ``codes``, if given, is ``new_gid`` already written as 4 hex digits per glyph.
        """
        out: list[str] = []
        codes_of = codes if codes is not None else {
            font: {gid: f"{new:04X}" for gid, new in gids.items()} for font, gids in new_gid.items()
        }
        ops = self._ops
        done = 0
        for at in self._text_at:
            out.extend(cast("list[str]", ops[done:at]))  # drawing operators, already text
            done = at + 1
            op = ops[at]
            assert isinstance(op, _TextLine)
            isolate = bool(op.embolden) and any(g.font in op.embolden for g in op.glyphs)
            if isolate:
                out.append("q")
            out.append("BT")
            out.append(f"{fmt(op.tracking)} Tc")
            out.append(f"1 0 0 1 {fmt(op.x)} {fmt(op.y)} Tm")
            size = fmt(op.size)
            for font, run in groupby(op.glyphs, key=_font_of):
                out.append(f"/{resource[font]} {size} Tf")
                bold = font in op.embolden
                if bold:
                    out.append(f"2 Tr {fmt(op.size * 0.03)} w")
                code = codes_of[font]
                out.append("<" + "".join(map(code.__getitem__, map(_gid_of, run))) + "> Tj")
                if bold:
                    out.append("0 Tr")
            out.append("ET")
            if isolate:
                out.append("Q")
        out.extend(cast("list[str]", ops[done:]))
        return ("\n".join(out) + "\n").encode("ascii")
