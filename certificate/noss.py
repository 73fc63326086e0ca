"""NOSS codes (National Occupational Skills Standard) as they appear in real programme data.

Two regular shapes exist:

* the older sector codes, ``MC-024-3:2012`` or without the year of the standard, ``I-031-3``;
* the MSIC-based codes used since about 2016, ``G452-002-3:2018`` (section letter, 3-digit group).

Both read ``SECTOR-NUMBER-LEVEL[:YEAR]``.  Real listings also carry codes that fit neither
(``B-010-3@``, ``Z-009:2015``, ``CSH3``), and the certificates awarded under them are just as real,
so this module never refuses a code for its shape: it reports what it could read and says
``regular=False``.  It refuses only what cannot be a code at all: nothing, a paragraph, or
characters no NOSS code uses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final

from certificate.errors import ValidationError

__all__ = ["MAX_LEN", "MESSAGES", "NossCode", "level_from_tahap", "parse_noss"]

MAX_LEN: Final = 40

MESSAGES: Final[dict[str, str]] = {
    "noss.not_text": "the NOSS code must be text",
    "noss.empty": "enter a NOSS code",
    "noss.too_long": "too long for a NOSS code (at most 40 characters)",
    "noss.characters": "a NOSS code has only letters, digits, spaces and - : @ / . ; found {char}",
    "noss.tahap": "unknown level '{tahap}'; expected e.g. SKM Tahap 3 or Diploma Kemahiran Malaysia",
}

_ALLOWED: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-:@/. ")
_ALNUM: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_REGULAR: Final = re.compile(
    r"(?P<sector>[A-Z]{1,2}|[A-Z][0-9]{3})-(?P<number>[0-9]{3})-(?P<level>[1-5])"
    r"(?::(?P<year>[0-9]{4}))?"
)
# Reads as much of SECTOR-NUMBER-LEVEL:YEAR as is there, in that order, and leaves the rest.
# The look-aheads keep "MC-024-31" from reading as level 3.
_LENIENT: Final = re.compile(
    r"(?P<sector>[A-Z0-9]*)"
    r"(?:-(?P<number>[0-9]{3})(?![0-9]))?"
    r"(?:-(?P<level>[0-9])(?![0-9]))?"
    r"(?::(?P<year>[0-9]{4})(?![0-9]))?"
    r"(?P<rest>.*)",
    re.DOTALL,
)
_FIRST_YEAR: Final = 1990  # no NOSS predates the National Vocational Training Council's
_LAST_YEAR: Final = 2099
_WHITESPACE_RUN: Final = re.compile(r" {2,}")


def _refuse(code: str, **params: Any) -> ValidationError:
    return ValidationError(code, MESSAGES[code].format(**params), field="noss_code", **params)


@dataclass(frozen=True)
class NossCode:
    """What a NOSS code says; ``level`` and ``year`` are None where the code does not say it."""

    code: str
    sector: str
    number: str | None
    level: int | None
    year: int | None
    regular: bool


def _year(text: str | None) -> int | None:
    if text is None:
        return None
    year = int(text)
    return year if _FIRST_YEAR <= year <= _LAST_YEAR else None


def parse_noss(text: str) -> NossCode:
    if not isinstance(text, str):
        raise _refuse("noss.empty" if text is None else "noss.not_text")
    if len(text) > 4 * MAX_LEN:
        raise _refuse("noss.too_long")  # before any per-character work
    text = text.strip()
    for char in text:
        if char not in _ALLOWED:
            # Checked before upper(): "ß".upper() is "SS" and "ı".upper() is "I".
            shown = f"'{char}'" if char.isprintable() else f"U+{ord(char):04X}"
            raise _refuse("noss.characters", char=shown)
    code = _WHITESPACE_RUN.sub(" ", text.upper())
    if not any(char in _ALNUM for char in code):
        raise _refuse("noss.empty")
    if len(code) > MAX_LEN:
        raise _refuse("noss.too_long")

    regular = _REGULAR.fullmatch(code)
    if regular is not None and (regular["year"] is None or _year(regular["year"]) is not None):
        return NossCode(
            code=code,
            sector=regular["sector"],
            number=regular["number"],
            level=int(regular["level"]),
            year=_year(regular["year"]),
            regular=True,
        )
    lenient = _LENIENT.match(code)
    assert lenient is not None  # every group is optional: it always matches
    level = int(lenient["level"]) if lenient["level"] else None
    return NossCode(
        code=code,
        sector=lenient["sector"],
        number=lenient["number"],
        level=level if level is not None and 1 <= level <= 5 else None,
        year=_year(lenient["year"]),
        regular=False,
    )


_SKM: Final = re.compile(r"(?:SKM|SIJILKEMAHIRANMALAYSIA|MALAYSIANSKILLSCERTIFICATE)(?:TAHAP|LEVEL)?([1-3])")
_LEVEL_ONLY: Final = re.compile(r"(?:TAHAP|LEVEL)([1-5])")
_NAMED_LEVELS: Final[dict[str, int | None]] = {
    "": None,
    "TIADATAHAP": None,  # "no level": short courses and micro-credentials
    "DKM": 4,
    "DKMTAHAP4": 4,
    "DIPLOMAKEMAHIRANMALAYSIA": 4,
    "MALAYSIANSKILLSDIPLOMA": 4,
    "DLKM": 5,
    "DLKMTAHAP5": 5,
    "DIPLOMALANJUTANKEMAHIRANMALAYSIA": 5,
    "MALAYSIANADVANCEDSKILLSDIPLOMA": 5,
}


def level_from_tahap(text: str) -> int | None:
    """The level named by a programme listing's ``tahap`` column; None for "Tiada Tahap".

    Spaces, punctuation and case are ignored because the listings are inconsistent about them
    ("Diploma LanjutanKemahiran Malaysia").  An unrecognised value is refused rather than read as
    "no level", so that a typo cannot silently drop a level check.
    """
    squeezed = "".join(char for char in text.upper() if char.isascii() and char.isalnum())
    if squeezed in _NAMED_LEVELS:
        return _NAMED_LEVELS[squeezed]
    match = _SKM.fullmatch(squeezed) or _LEVEL_ONLY.fullmatch(squeezed)
    if match is None:
        raise _refuse("noss.tahap", tahap=text[:60])
    return int(match[1])
