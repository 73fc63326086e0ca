"""Certificate numbers with a check character, so a mistyped number is refused, not looked up.

Format ``{KIND}{LEVEL}-{YY}-{BODY}-{CHECK}``, e.g. ``SKM3-26-7H3K9P2M-X``:

* KIND and LEVEL: SKM1-3, DKM4, DLKM5, PC1-5 (a Penyata Pencapaian can be at any level);
* YY: the last two digits of the year of issue (2000-2099);
* BODY: eight symbols, derived from the batch row so that a rerun gives the same number;
* CHECK: one symbol that makes the whole number (every symbol but the dashes) valid.

The alphabet has 31 symbols, ``0-9`` and the capital letters without I, O, Q, U and V (the ones
read as 1, 0, 0, V and U, or that spell words).  31 is prime, which is what the check relies on.

The check is an ISO 7064-style pure system with modulus 31 and radix 2: for the symbols
``v_1 .. v_n`` of the number followed by the check ``c``, a number is valid when::

    v_1 * 2^n + v_2 * 2^(n-1) + ... + v_n * 2 + c  ==  1   (mod 31)

computed as ``P = 0; for each v: P = (P + v) * 2 mod 31``, then ``c = (1 - P) mod 31``.

Why it catches every single substitution and every adjacent transposition: every weight is a
power of 2, which is invertible modulo the prime 31.  Substituting ``a`` by ``b`` at weight
``2^k`` changes the sum by ``(b - a) * 2^k``; swapping neighbours ``a, b`` at weights
``2^(k+1), 2^k`` changes it by ``(a - b) * (2^(k+1) - 2^k) = (a - b) * 2^k``.  In both cases
``0 < |a - b| < 31``, so the change is a product of two non-zero residues of a prime modulus and
never 0: the sum leaves 1 and the number is refused.  The same argument covers a swap across one
symbol (factor ``3 * 2^k``).  Not caught: swaps of symbols exactly 5 apart (2 has order 5
modulo 31), and some multiple-symbol errors (1 in 31 pass).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final

from certificate.errors import ValidationError
from certificate.hashing import sha256

__all__ = [
    "ALPHABET",
    "KIND_LEVELS",
    "MESSAGES",
    "CertNo",
    "derive_cert_no",
    "make_cert_no",
    "normalise_cert_no",
    "parse_cert_no",
    "parse_normal_cert_no",
]

ALPHABET: Final = "0123456789ABCDEFGHJKLMNPRSTWXYZ"
MODULUS: Final = 31
BODY_LEN: Final = 8
_VALUE: Final[dict[str, int]] = {symbol: value for value, symbol in enumerate(ALPHABET)}
_EXCLUDED: Final = frozenset("IOQUV")

#: Levels each kind of award can carry (SPEC section 1).
KIND_LEVELS: Final[dict[str, tuple[int, ...]]] = {
    "SKM": (1, 2, 3),
    "DKM": (4,),
    "DLKM": (5,),
    "PC": (1, 2, 3, 4, 5),
}

#: Longest input looked at: the canonical form is at most 19 characters.
MAX_INPUT_LEN: Final = 64

MESSAGES: Final[dict[str, str]] = {
    "certno.not_text": "the certificate number must be text",
    "certno.empty": "enter a certificate number",
    "certno.too_long": "far too long for a certificate number",
    "certno.format": (
        "a certificate number looks like SKM3-26-7H3K9P2M-X: kind and level, year, "
        "8 letters or digits and 1 check character"
    ),
    "certno.kind": "unknown kind of certificate {kind}; expected SKM, DKM, DLKM or PC",
    "certno.level": "a {kind} certificate cannot be at level {level}",
    "certno.year": "the year of issue must be between 2000 and 2099, not {year}",
    "certno.body": "the body of a certificate number is 8 symbols from {alphabet}",
    "certno.symbol": (
        "certificate numbers never contain the letters I, O, Q, U or V (found {char}); did you mean 1 or 0?"
    ),
    "certno.check": ("mistyped certificate number: its check character does not match; compare every character again"),
}

_DASHED: Final = re.compile(r"([A-Z]+)([0-9])-([0-9]{2})-([A-Z0-9]{8})-([A-Z0-9])")
_COMPACT: Final = re.compile(r"([A-Z]+)([0-9])([0-9]{2})([A-Z0-9]{8})([A-Z0-9])")


def _refuse(code: str, **params: Any) -> ValidationError:
    return ValidationError(code, MESSAGES[code].format(**params), field="cert_no", **params)


def _weighted(symbols: str) -> int:
    p = 0
    for symbol in symbols:
        p = (p + _VALUE[symbol]) * 2 % MODULUS
    return p


def _check_char(symbols: str) -> str:
    """The check symbol for ``symbols`` (the number without dashes and without its check)."""
    return ALPHABET[(1 - _weighted(symbols)) % MODULUS]


@dataclass(frozen=True)
class CertNo:
    kind: str
    level: int
    year: int
    body: str
    check: str

    @property
    def text(self) -> str:
        return f"{self.kind}{self.level}-{self.year % 100:02d}-{self.body}-{self.check}"

    def __str__(self) -> str:
        return self.text


def _check_kind_level(kind: str, level: int) -> None:
    if kind not in KIND_LEVELS:
        raise _refuse("certno.kind", kind=kind)
    if level not in KIND_LEVELS[kind]:
        raise _refuse("certno.level", kind=kind, level=level)


def make_cert_no(kind: str, level: int, year: int, body: str) -> str:
    """Assemble a number from its parts and append the check character."""
    _check_kind_level(kind, level)
    if isinstance(year, bool) or not 2000 <= year <= 2099:
        raise _refuse("certno.year", year=year)
    if len(body) != BODY_LEN or any(symbol not in _VALUE for symbol in body):
        raise _refuse("certno.body", alphabet=ALPHABET)
    prefix = f"{kind}{level}{year % 100:02d}{body}"
    return f"{kind}{level}-{year % 100:02d}-{body}-{_check_char(prefix)}"


def derive_cert_no(kind: str, level: int, year: int, seed: bytes) -> str:
    """A number derived from ``seed`` alone, so rerunning a batch row reproduces it.

    The body is the first 8 base-31 digits of SHA-256(seed) (least significant first).  With
    31^8 (about 8.5e11) bodies per kind, level and year, two rows can still collide: the chain
    refuses a duplicate cert_no, and the issuer then derives again from a different seed.
    """
    n = int.from_bytes(sha256(seed), "big")
    symbols = []
    for _ in range(BODY_LEN):
        n, digit = divmod(n, MODULUS)
        symbols.append(ALPHABET[digit])
    return make_cert_no(kind, level, year, "".join(symbols))


def parse_cert_no(text: str) -> CertNo:
    """Read a number as a person typed it: any case, surrounding spaces, with or without dashes.

    Refusals go from the coarsest to the finest problem, so the message points at what a person
    can fix: shape, kind, level, a letter that is never used, and last the check character.
    """
    if text is None:
        raise _refuse("certno.empty")
    if not isinstance(text, str):
        raise _refuse("certno.not_text")
    if len(text) > MAX_INPUT_LEN:
        raise _refuse("certno.too_long")
    text = text.strip()
    if not text:
        raise _refuse("certno.empty")
    if not text.isascii():
        # Checked before upper(): "ß".upper() is "SS" and "ı".upper() is "I".
        raise _refuse("certno.format")
    text = text.upper()
    match = _DASHED.fullmatch(text) or _COMPACT.fullmatch(text)
    if match is None:
        raise _refuse("certno.format")
    return _checked(match)


def _checked(match: re.Match[str]) -> CertNo:
    kind, level_digit, yy, body, check = match.groups()
    level = int(level_digit)
    _check_kind_level(kind, level)
    for symbol in body + check:
        if symbol in _EXCLUDED:
            raise _refuse("certno.symbol", char=symbol)
    if (_weighted(f"{kind}{level}{yy}{body}") + _VALUE[check]) % MODULUS != 1:
        raise _refuse("certno.check")
    return CertNo(kind=kind, level=level, year=2000 + int(yy), body=body, check=check)


def parse_normal_cert_no(text: str) -> CertNo | None:
    """The number ``text`` spells, if ``text`` is exactly its normal spelling (``.text``).

    None for everything else, valid loose spellings included: what stored records and
    transactions are checked with (every node, every transaction), without the steps that
    forgive a person's typing.
    """
    # The dashed pattern has only A-Z, 0-9 and dashes, so stripping and upper-casing a match
    # would change nothing, and ``.text`` writes the same groups back in the same places.
    match = _DASHED.fullmatch(text) if isinstance(text, str) and len(text) <= MAX_INPUT_LEN else None
    if match is None:
        return None
    try:
        return _checked(match)
    except ValidationError:
        return None


def normalise_cert_no(text: str) -> str:
    """The one spelling under which a number is stored and looked up."""
    return parse_cert_no(text).text
