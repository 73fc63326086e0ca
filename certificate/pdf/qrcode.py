"""The verification QR code, drawn as vector rectangles.

Vectors print sharp at any resolution and keep the file free of images. The symbol is fixed
by the content alone: byte mode, error level M and mask 0 are pinned rather than left to the
library's heuristics, so a newer segno can never pick a different symbol for the same URL.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Final

import segno

from certificate.pdf.canvas import RGB, Canvas
from certificate.pdf.numformat import fmt
from certificate.pdf.qrencode import Matrix, qr_matrix_m0

QUIET_ZONE: Final = 4  # modules of white around the symbol, as ISO/IEC 18004 requires



@lru_cache(maxsize=64)
def _matrix(content: str) -> Matrix:
    # Bounded and thread-safe (lru_cache); a render asks twice (size, then draw) and a
    # verifier re-renders what was just rendered, so a few recent symbols are all it needs.
    if content.isascii():  # what the base URL rules guarantee; segno writes ASCII as is
        fast = qr_matrix_m0(content.encode("ascii"))
        if fast is not None:
            return fast
    return segno_matrix(content)


def segno_matrix(content: str) -> Matrix:
    """The symbol as segno makes it: the definition ``qrencode`` reproduces."""
    code = segno.make(content, error="m", mode="byte", mask=0, micro=False, boost_error=False)
    return tuple(tuple(bool(v) for v in row) for row in code.matrix)


def qr_matrix(content: str) -> list[list[bool]]:
    return [list(row) for row in _matrix(content)]


def qr_size(content: str, module: float) -> float:
    """Width of the symbol in points, quiet zone not included."""
    return len(_matrix(content)) * module


@lru_cache(maxsize=64)
def _runs(content: str) -> tuple[tuple[int, int, int], ...]:
    """(row, first column, length) of each horizontal run of dark modules, top to bottom."""
    runs = []
    for r, row in enumerate(_matrix(content)):
        n = len(row)
        c = 0
        while c < n:
            if not row[c]:
                c += 1
                continue
            start = c
            while c < n and row[c]:
                c += 1
            runs.append((r, start, c - start))
    return tuple(runs)


@lru_cache(maxsize=16)
def _grid(x: float, y: float, module: float, n: int) -> tuple[list[str], list[str], list[str], str]:
    """The text of each column's x, each row's top and each run length's width."""
    size = n * module
    xs = [fmt(x + start * module) for start in range(n)]
    tops = [fmt(y + size - (r + 1) * module) for r in range(n)]
    widths = [fmt(length * module) for length in range(n + 1)]
    return xs, tops, widths, fmt(module)


@lru_cache(maxsize=64)
def _rect_ops(content: str, x: float, y: float, module: float) -> tuple[str, ...]:
    """The ``re`` operators of the dark runs, exactly as ``Canvas.rect`` writes them."""
    xs, tops, widths, height = _grid(x, y, module, len(_matrix(content)))
    return tuple(f"{xs[start]} {tops[r]} {widths[length]} {height} re" for r, start, length in _runs(content))


def draw_qr(canvas: Canvas, content: str, x: float, y: float, module: float, color: RGB) -> float:
    """Draw the symbol with its lower-left corner at (x, y); returns its width.

    Keep ``QUIET_ZONE`` modules clear around it. All modules are one path filled once, so
    rasterisers leave no seams between neighbouring modules.
    """
    size = len(_matrix(content)) * module
    canvas.save()
    canvas.fill_color(color)
    canvas.extend_ops(_rect_ops(content, x, y, module))
    canvas.fill()
    canvas.restore()
    return size
