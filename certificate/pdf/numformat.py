"""How numbers are written into the PDF.

Every coordinate passes through ``fmt`` so the text of the file never depends on how a
platform prints floats: three decimals (1/1000 pt, far below any printer's resolution),
no exponent, no trailing zeros, no "-0".
"""

from __future__ import annotations


def fmt(value: float) -> str:
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
