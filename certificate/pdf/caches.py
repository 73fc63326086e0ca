"""The renderer's caches, in one place: what they hold, their bounds, how to empty them.

Every cache holds the result of a pure function of pinned inputs (font files, wording,
text), so a warm render and a cold render write the same bytes; each is bounded, and each
is safe to share between threads (``functools.lru_cache`` locks; the dict caches rely on
single get/set operations being atomic and on racing writers storing equal values).
"""

from __future__ import annotations

from typing import Final

from certificate.pdf import (
    canvas,
    font_embedding,
    numformat,
    pdfwriter,
    qrcode,
    qrencode,
    sfnt_subset,
    textlayout,
)

#: name -> the maximum number of entries it may hold
BOUNDS: Final[dict[str, int]] = {
    "numformat": numformat._CACHE_SIZE,
    "operators": canvas.OP_CACHE_SIZE,
    "shapes": canvas.SHAPE_CACHE_SIZE,
    "glyph classes": textlayout.CLASS_CACHE_SIZE,
    "glyph choice (per font set)": textlayout._Chooser.MAX_PICKS,
    "glyph runs": textlayout._run.cache_info().maxsize or 0,
    "fitted blocks": textlayout._fit.cache_info().maxsize or 0,
    "font sets": textlayout.MAX_FONT_SETS,
    "qr matrices": qrcode._matrix.cache_info().maxsize or 0,
    "qr runs": qrcode._runs.cache_info().maxsize or 0,
    "qr operators": qrcode._rect_ops.cache_info().maxsize or 0,
    "qr grids": qrcode._grid.cache_info().maxsize or 0,
    "qr layouts (one per version)": qrencode.MAX_VERSION,
    "font programs": font_embedding._program.cache_info().maxsize or 0,
    "glyph offsets (per font)": sfnt_subset._MAX_FONTS,
    "pdf strings": pdfwriter._qpdf_string.cache_info().maxsize or 0,
    "pdf names": pdfwriter.MAX_NAMES,
}


def sizes() -> dict[str, int]:
    """How many entries each cache holds now (glyph choice: summed over font sets)."""
    choosers = list(textlayout._choosers.values())
    return {
        "numformat": len(numformat._cache),
        "operators": len(canvas._op_text),
        "shapes": len(canvas._shape_ops),
        "glyph classes": len(textlayout._classes),
        "glyph choice (per font set)": max((len(c.picks) for c in choosers), default=0),
        "glyph runs": textlayout._run.cache_info().currsize,
        "fitted blocks": textlayout._fit.cache_info().currsize,
        "font sets": len(textlayout._choosers),
        "qr matrices": qrcode._matrix.cache_info().currsize,
        "qr runs": qrcode._runs.cache_info().currsize,
        "qr operators": qrcode._rect_ops.cache_info().currsize,
        "qr grids": qrcode._grid.cache_info().currsize,
        "qr layouts (one per version)": len(qrencode._layouts),
        "font programs": font_embedding._program.cache_info().currsize,
        "glyph offsets (per font)": len(sfnt_subset._offsets),
        "pdf strings": pdfwriter._qpdf_string.cache_info().currsize,
        "pdf names": len(pdfwriter._names),
    }


def clear() -> None:
    """Empty every cache (the parsed font files stay loaded)."""
    numformat._cache.clear()
    canvas._op_text.clear()
    canvas._shape_ops.clear()
    textlayout._classes.clear()
    textlayout._run.cache_clear()
    textlayout._fit.cache_clear()
    textlayout._choosers.clear()
    qrcode._matrix.cache_clear()
    qrcode._runs.cache_clear()
    qrcode._rect_ops.cache_clear()
    qrcode._grid.cache_clear()
    qrencode._layouts.clear()
    font_embedding._program.cache_clear()
    sfnt_subset._offsets.clear()
    pdfwriter._qpdf_string.cache_clear()
    pdfwriter._names.clear()
