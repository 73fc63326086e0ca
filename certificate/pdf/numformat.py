"""How numbers are written into the PDF.

Every coordinate passes through ``fmt`` so the text of the file never depends on how a
platform prints floats: three decimals (1/1000 pt, far below any printer's resolution),
no exponent, no trailing zeros, no "-0".
"""

from __future__ import annotations

from typing import Final

# Pages repeat most of their numbers (ornaments, QR grid, font sizes), so their text is
# kept. Bounded (emptied when full); dict reads and writes are atomic, so threads may share
# it. Equal keys always print alike: 2 and 2.0, or 0.0 and -0.0, give the same text.
_CACHE_SIZE: Final = 1 << 16
_cache: dict[float, str] = {}


def _format(value: float) -> str:
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def fmt(value: float) -> str:
    text = _cache.get(value)
    if text is None:
        text = _format(value)
        if len(_cache) >= _CACHE_SIZE:
            _cache.clear()
        _cache[value] = text
    return text
