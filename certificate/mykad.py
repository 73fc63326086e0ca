"""MyKad (Malaysian identity card) numbers: how holders and the public find certificates.

A MyKad number is ``YYMMDD-PB-###G``: birth date, place-of-birth code, a serial whose last digit
is odd for men and even for women.  The department's guideline tells the public to enter it
*without* dashes, so the verification form refuses dashes with a message saying exactly that,
while the batch importer (``strip_separators=True``) accepts the printed ``YYMMDD-PB-###G`` form
that spreadsheets are full of.

Refusals never echo the number back: messages end up in logs, and a MyKad number is personal data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Final, Literal

from certificate.errors import ValidationError

__all__ = [
    "MAX_INPUT_LEN",
    "MESSAGES",
    "PLACE_CODES",
    "MyKad",
    "is_valid_mykad",
    "parse_mykad",
]

#: English message per refusal code; ``{...}`` fields are the error's ``params``.  The portal
#: keys its Malay wording by the same codes and fills in the same params.
MESSAGES: Final[dict[str, str]] = {
    "mykad.not_text": "the MyKad number must be text",
    "mykad.empty": "enter a MyKad number",
    "mykad.too_long": "far too long for a MyKad number (12 digits)",
    "mykad.fullwidth": "use ordinary digits 0-9, not full-width characters",
    "mykad.separators": "enter the MyKad number without dashes or spaces",
    "mykad.separator_position": "dashes or spaces may only follow the 6th and the 8th digit (YYMMDD-PB-###G)",
    "mykad.non_digit": "a MyKad number has only the digits 0-9; found {char}",
    "mykad.length": "a MyKad number has 12 digits; this one has {count}",
    "mykad.date": "the first 6 digits (YYMMDD) are not a real date of birth",
    "mykad.future_date": "the first 6 digits (YYMMDD) are a date of birth in the future",
    "mykad.place_code": "digits 7-8 ({place_code}) are not a place-of-birth code in use",
}

#: The longest input that is looked at at all.  Anything longer is refused before any per-char
#: work, so a 10 kB paste (or a hostile request) costs nothing.
MAX_INPUT_LEN: Final = 64

#: Place-of-birth codes issued by the National Registration Department: states (01-16, 21-59),
#: foreign regions and countries (60-68, 71-72, 74-79, 83-93), unknown state (82),
#: stateless (98) and unknown / refugee (99).  Everything else is a typo.
PLACE_CODES: Final[frozenset[str]] = frozenset(
    f"{n:02d}"
    for lo, hi in ((1, 16), (21, 59), (60, 68), (71, 72), (74, 79), (82, 82), (83, 93), (98, 99))
    for n in range(lo, hi + 1)
)

_DIGITS: Final = frozenset("0123456789")
# Characters people type or paste between the groups: ASCII hyphen and space, the Unicode
# hyphens and dashes word processors substitute, the minus sign and no-break space.
_SEPARATORS: Final = frozenset("- \u00a0\u2010\u2011\u2012\u2013\u2014\u2212")
# Standard positions of a separator, counted in digits before it: YYMMDD-PB-###G.
_SEPARATOR_AFTER: Final = (6, 8)
_FULLWIDTH_FIRST: Final = 0xFF01  # FULLWIDTH EXCLAMATION MARK ... FULLWIDTH TILDE
_FULLWIDTH_LAST: Final = 0xFF5E

Gender = Literal["M", "F"]


def _refuse(code: str, field: str | None, **params: Any) -> ValidationError:
    return ValidationError(code, MESSAGES[code].format(**params), field=field, **params)


def _describe(char: str) -> str:
    """Name a character so that an invisible or confusable one is still recognisable."""
    if char.isprintable() and not char.isspace():
        return f"'{char}' (U+{ord(char):04X})"
    return f"U+{ord(char):04X}"


@dataclass(frozen=True)
class MyKad:
    """A MyKad number that passed every check, with what it tells."""

    number: str
    birth_date: date
    place_code: str
    gender: Gender

    @property
    def masked(self) -> str:
        """For display to third parties: birth date and last two digits, the rest starred.

        Enough for a person to recognise their own number on a results page, not enough to
        copy someone else's number from a screen or printout.
        """
        return f"{self.number[:6]}-**-**{self.number[10:]}"

    @property
    def formatted(self) -> str:
        return f"{self.number[:6]}-{self.number[6:8]}-{self.number[8:]}"

    def __repr__(self) -> str:
        # Dataclass repr would put the full number into logs and tracebacks.
        return f"MyKad({self.masked!r})"

    def __str__(self) -> str:
        return self.masked


def _collect_digits(text: str, *, strip_separators: bool, field: str | None) -> str:
    """Return the digits of ``text`` or refuse with the most specific code for what is wrong."""
    digits: list[str] = []
    separator_at: set[int] = set()
    for char in text:
        if char in _DIGITS:
            digits.append(char)
        elif char in _SEPARATORS:
            if not strip_separators:
                raise _refuse("mykad.separators", field)
            position = len(digits)
            if position not in _SEPARATOR_AFTER or position in separator_at:
                raise _refuse("mykad.separator_position", field)
            separator_at.add(position)
        else:
            raise _refuse("mykad.non_digit", field, char=_describe(char))
    if separator_at and len(digits) != 12:
        # "900101-01-123" is a short number, not a separator problem; say so.
        raise _refuse("mykad.length", field, count=len(digits))
    return "".join(digits)


def _birth_date(yymmdd: str, today: date, field: str | None) -> date:
    """Pick the century: the most recent reading of YYMMDD that is not in the future.

    Both 19YY and 20YY are tried so that 29 February 2000 (a leap day that 1900 lacks) is
    accepted and 31 February is refused whichever century is meant.
    """
    yy, mm, dd = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:6])
    real = False
    for century in (2000, 1900):  # the more recent reading first: the first in the past wins
        try:
            born = date(century + yy, mm, dd)
        except ValueError:
            continue
        if born <= today:
            return born
        real = True
    raise _refuse("mykad.future_date" if real else "mykad.date", field)


def _digits_of(text: str, *, strip_separators: bool, field: str | None) -> str:
    text = text.strip()
    if not text:
        raise _refuse("mykad.empty", field)
    if any(_FULLWIDTH_FIRST <= ord(c) <= _FULLWIDTH_LAST for c in text):
        raise _refuse("mykad.fullwidth", field)
    return _collect_digits(text, strip_separators=strip_separators, field=field)


def parse_mykad(
    text: str,
    *,
    strip_separators: bool = False,
    today: date | None = None,
    field: str | None = "ic",
) -> MyKad:
    """Check a MyKad number as typed by a person or read from a batch file.

    Surrounding whitespace is forgiven (it comes from copy and paste and changes nothing);
    separators inside the number are refused unless ``strip_separators`` is set, in which case
    only the standard positions of ``YYMMDD-PB-###G`` are accepted.  ``today`` decides which
    birth dates are in the future (tests pin it; callers use the default).
    """
    if text is None:
        raise _refuse("mykad.empty", field)
    if not isinstance(text, str):
        raise _refuse("mykad.not_text", field)
    if len(text) > MAX_INPUT_LEN:
        raise _refuse("mykad.too_long", field)
    if len(text) == 12 and text.isascii() and text.isdigit():
        # Already the bare number (how every stored record holds it, so every node checks this
        # for every certificate): stripping and the separator checks would change nothing.
        # isascii first: isdigit alone also takes Arabic-Indic and full-width digits.
        number = text
    else:
        number = _digits_of(text, strip_separators=strip_separators, field=field)
    if len(number) != 12:
        raise _refuse("mykad.length", field, count=len(number))
    birth_date = _birth_date(number[:6], today or date.today(), field)
    place_code = number[6:8]
    if place_code not in PLACE_CODES:
        raise _refuse("mykad.place_code", field, place_code=place_code)
    gender: Gender = "M" if int(number[11]) % 2 else "F"
    return MyKad(number=number, birth_date=birth_date, place_code=place_code, gender=gender)


def is_valid_mykad(text: str, *, strip_separators: bool = False, today: date | None = None) -> bool:
    try:
        parse_mykad(text, strip_separators=strip_separators, today=today)
    except ValidationError:
        return False
    return True
