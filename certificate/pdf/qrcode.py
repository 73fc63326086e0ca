"""The verification QR code, drawn as vector rectangles.

Vectors print sharp at any resolution and keep the file free of images. The symbol is fixed
by the content alone: byte mode, error level M and mask 0 are pinned rather than left to the
library's heuristics, so a newer segno can never pick a different symbol for the same URL.
"""

from __future__ import annotations

from typing import Final

import segno

from certificate.pdf.canvas import RGB, Canvas

QUIET_ZONE: Final = 4  # modules of white around the symbol, as ISO/IEC 18004 requires


def qr_matrix(content: str) -> list[list[bool]]:
    code = segno.make(content, error="m", mode="byte", mask=0, micro=False, boost_error=False)
    return [[bool(v) for v in row] for row in code.matrix]


def qr_size(content: str, module: float) -> float:
    """Width of the symbol in points, quiet zone not included."""
    return len(qr_matrix(content)) * module


def draw_qr(canvas: Canvas, content: str, x: float, y: float, module: float, color: RGB) -> float:
    """Draw the symbol with its lower-left corner at (x, y); returns its width.

    Keep ``QUIET_ZONE`` modules clear around it. All modules are one path filled once, so
    rasterisers leave no seams between neighbouring modules.
    """
    matrix = qr_matrix(content)
    n = len(matrix)
    size = n * module
    canvas.save()
    canvas.fill_color(color)
    for r, row in enumerate(matrix):
        top = y + size - (r + 1) * module
        c = 0
        while c < n:
            if not row[c]:
                c += 1
                continue
            start = c
            while c < n and row[c]:
                c += 1
            canvas.rect(x + start * module, top, (c - start) * module, module)
    canvas.fill()
    canvas.restore()
    return size
