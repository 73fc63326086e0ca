"""Vector ornaments of template 2026.1: frame, emblem, background rosette, rules.

The emblem is an original design (a gear for skills around a five-petalled hibiscus), not a
government crest. Angles come from repeatedly rotating by a literal half degree: floating
point multiplication is exact IEEE arithmetic everywhere, whereas ``math.sin`` depends on the
platform's libm, which could move a coordinate by one digit on some machine.
"""

from __future__ import annotations

from typing import Final

from certificate.pdf.canvas import RGB, Canvas

NAVY: Final[RGB] = (0.106, 0.165, 0.294)
GOLD: Final[RGB] = (0.698, 0.561, 0.247)
CRIMSON: Final[RGB] = (0.647, 0.106, 0.165)
VEIN: Final[RGB] = (0.467, 0.051, 0.098)
TINT: Final[RGB] = (0.937, 0.918, 0.863)
WHITE: Final[RGB] = (1.0, 1.0, 1.0)

_COS_HALF_DEGREE: Final = 0.9999619230641713
_SIN_HALF_DEGREE: Final = 0.008726535498373935


def _unit_circle() -> tuple[tuple[float, float], ...]:
    points = [(1.0, 0.0)]
    c, s = 1.0, 0.0
    for _ in range(719):
        c, s = c * _COS_HALF_DEGREE - s * _SIN_HALF_DEGREE, c * _SIN_HALF_DEGREE + s * _COS_HALF_DEGREE
        points.append((c, s))
    return tuple(points)


_UNIT: Final = _unit_circle()


def unit(degrees: float) -> tuple[float, float]:
    """(cos, sin) of an angle that is a multiple of half a degree."""
    return _UNIT[round(degrees * 2) % 720]


def _rotate(x: float, y: float, degrees: float) -> tuple[float, float]:
    c, s = unit(degrees)
    return x * c - y * s, x * s + y * c


def frame(canvas: Canvas, width: float, height: float) -> None:
    """A navy outer rule, a gold inner rule and small gold squares in the inner corners."""
    canvas.save()
    canvas.stroke_color(NAVY)
    canvas.line_width(2.4)
    canvas.rect(20, 20, width - 40, height - 40)
    canvas.stroke()
    canvas.stroke_color(GOLD)
    canvas.line_width(0.8)
    canvas.rect(26, 26, width - 52, height - 52)
    canvas.stroke()
    canvas.line_width(0.4)
    canvas.rect(29, 29, width - 58, height - 58)
    canvas.stroke()
    canvas.fill_color(GOLD)
    for x, y in ((26, 26), (width - 26, 26), (26, height - 26), (width - 26, height - 26)):
        canvas.polygon([(x, y - 5), (x + 5, y), (x, y + 5), (x - 5, y)])
    canvas.fill()
    canvas.restore()


def rosette(canvas: Canvas, cx: float, cy: float, radius: float, spread: float) -> None:
    """A faint guilloche-like rosette of 48 circles behind the award text."""
    canvas.save()
    canvas.stroke_color(TINT)
    canvas.line_width(0.35)
    for k in range(48):
        c, s = unit(k * 7.5)
        canvas.circle(cx + spread * c, cy + spread * s, radius)
    canvas.stroke()
    canvas.restore()


def _petal(canvas: Canvas, cx: float, cy: float, r: float, degrees: float) -> None:
    """One hibiscus petal pointing at ``degrees`` (0 = up): broad, rounded, notched tip."""
    outline = [
        (0.0, 0.10), (-0.30, 0.22), (-0.62, 0.55), (-0.48, 0.88),
        (-0.36, 1.06), (-0.10, 1.04), (0.0, 0.93),
        (0.10, 1.04), (0.36, 1.06), (0.48, 0.88),
        (0.62, 0.55), (0.30, 0.22), (0.0, 0.10),
    ]
    pts = [_rotate(x * r, y * r, degrees) for x, y in outline]
    p = [(cx + x, cy + y) for x, y in pts]
    canvas.move(*p[0])
    for i in range(1, len(p), 3):
        canvas.curve(*p[i], *p[i + 1], *p[i + 2])
    canvas.close()


def emblem(canvas: Canvas, cx: float, cy: float, radius: float) -> None:
    """Gear ring (24 teeth), gold ring, crimson hibiscus with a gold heart."""
    canvas.save()
    outer, root = radius, radius - 3.6
    points = []
    for tooth in range(24):
        centre = tooth * 15
        for deg, r in ((centre - 6.5, root), (centre - 3.5, outer), (centre + 3.5, outer), (centre + 6.5, root)):
            c, s = unit(deg)
            points.append((cx + r * c, cy + r * s))
    canvas.fill_color(NAVY)
    canvas.polygon(points)
    canvas.fill()
    canvas.fill_color(WHITE)
    canvas.circle(cx, cy, radius - 7.0)
    canvas.fill()
    canvas.stroke_color(GOLD)
    canvas.line_width(1.1)
    canvas.circle(cx, cy, radius - 9.5)
    canvas.stroke()
    canvas.line_width(0.4)
    canvas.circle(cx, cy, radius - 11.2)
    canvas.stroke()

    petal = radius - 14.5
    canvas.fill_color(CRIMSON)
    canvas.stroke_color(GOLD)
    canvas.line_width(0.5)
    for k in range(5):
        _petal(canvas, cx, cy, petal, k * 72)
        canvas.fill_stroke()
    canvas.stroke_color(VEIN)
    canvas.line_width(0.45)
    for k in range(5):
        x0, y0 = _rotate(0, petal * 0.3, k * 72)
        x1, y1 = _rotate(0, petal * 0.78, k * 72)
        canvas.move(cx + x0, cy + y0)
        canvas.line(cx + x1, cy + y1)
    canvas.stroke()
    canvas.fill_color(GOLD)
    canvas.circle(cx, cy, petal * 0.2)
    canvas.fill()
    canvas.restore()


def ornamental_rule(canvas: Canvas, cx: float, y: float, half_width: float) -> None:
    """A hairline in gold with a small diamond at its centre."""
    canvas.save()
    canvas.stroke_color(GOLD)
    canvas.line_width(0.6)
    canvas.move(cx - half_width, y)
    canvas.line(cx - 7, y)
    canvas.move(cx + 7, y)
    canvas.line(cx + half_width, y)
    canvas.stroke()
    canvas.fill_color(GOLD)
    canvas.polygon([(cx - 4, y), (cx, y + 3), (cx + 4, y), (cx, y - 3)])
    canvas.fill()
    canvas.restore()


def short_rules(canvas: Canvas, cx: float, y: float, gap: float, length: float) -> None:
    """Two short gold rules either side of a centred word (e.g. the level)."""
    canvas.save()
    canvas.stroke_color(GOLD)
    canvas.line_width(0.7)
    canvas.move(cx - gap - length, y)
    canvas.line(cx - gap, y)
    canvas.move(cx + gap, y)
    canvas.line(cx + gap + length, y)
    canvas.stroke()
    canvas.restore()
