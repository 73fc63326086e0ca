"""Activation codes: what a candidate needs, besides a MyKad number, to open a portal account.

A MyKad number is printed on documents, photocopied at every counter and typed into the public
verification page, so it proves nothing about who is registering.  Each certificate therefore
gets an activation code that the training centre hands to its candidate on paper; registering
needs the MyKad number *and* the code of one of that holder's certificates.

Shape: ``XXXX-XXXX-XXXX-XXXX``, 15 random symbols and one check symbol from the 31-symbol
alphabet of certificate numbers (digits and capitals without I, O, Q, U, V), so it survives
being read aloud, handwritten and retyped.  15 symbols carry 15 * log2(31) = 74.3 bits: the
digest below is public (it travels in the issue transaction and every block is public), so
the code must resist an offline search of its digest, not only rate-limited guessing on the
portal; at 10^11 SHA-256 a second a search takes thousands of years per certificate, and the
chain id and cert_no in the digest make every search start from scratch.

The check symbol is the certificate number's ISO 7064 mod-31 check, so every single-symbol
substitution and every swap of neighbours is refused as a typo instead of counting as a failed
login attempt.

Codes are *derived*, not stored: HMAC-SHA256 keyed with the issuer's private key seed over the
cert_no, so rerunning a batch reproduces the very codes of the first run (the result file can
be regenerated), nobody without the issuer key can compute them, and nodes need only the digest.
Consequence to keep in mind: whoever holds an issuer key can compute the codes of every
certificate that key issued, which is no more than that key could already do (it can issue).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any, Final

from certificate.certno import ALPHABET, _check_char, normalise_cert_no
from certificate.errors import ValidationError
from certificate.keys import PREFIX, SigningKey

__all__ = [
    "CODE_SYMBOLS",
    "DATA_SYMBOLS",
    "MESSAGES",
    "activation_digest",
    "check_activation_code",
    "format_activation_code",
    "make_activation_code",
    "normalise_activation_code",
]

DATA_SYMBOLS: Final = 15
CODE_SYMBOLS: Final = DATA_SYMBOLS + 1
GROUP: Final = 4
#: HMAC message prefix: the issuer seed also signs (Ed25519), so its other use is kept apart.
_DERIVE_PREFIX: Final = b"spkm-activation\x00"
#: Digest prefix, in the style of every other domain-separated object of the chain.
_DIGEST_PREFIX: Final = PREFIX + b"activation\x00"
_MAX_INPUT: Final = 64
_VALUES: Final[frozenset[str]] = frozenset(ALPHABET)
# Letters the alphabet leaves out because they are read as digits; mapping them back makes a
# code copied from handwriting work instead of failing (the check still guards the result).
_LOOKALIKES: Final[dict[str, str]] = {"O": "0", "Q": "0", "I": "1"}
_SEPARATORS: Final = frozenset("- \t\u00a0\u2010\u2011\u2012\u2013\u2014\u2212_.")

MESSAGES: Final[dict[str, str]] = {
    "activation.not_text": "the activation code must be text",
    "activation.empty": "enter the activation code",
    "activation.too_long": "far too long for an activation code",
    "activation.character": "activation codes have only letters and digits; found {char}",
    "activation.symbol": "activation codes never contain the letters U or V (found {char})",
    "activation.length": "an activation code has 16 letters and digits (XXXX-XXXX-XXXX-XXXX); this one has {count}",
    "activation.check": "mistyped activation code: compare every character with the paper again",
}


def _refuse(code: str, **params: Any) -> ValidationError:
    return ValidationError(code, MESSAGES[code].format(**params), field="activation_code", **params)


def format_activation_code(symbols: str) -> str:
    """``XXXXXXXXXXXXXXXX`` -> ``XXXX-XXXX-XXXX-XXXX`` (no checking)."""
    return "-".join(symbols[i : i + GROUP] for i in range(0, len(symbols), GROUP))


def make_activation_code(key: SigningKey, cert_no: str) -> str:
    """The code of ``cert_no`` under the issuer ``key``: the same inputs always give the same code.

    The 256-bit HMAC is read as a number and its 15 lowest base-31 digits taken; the bias that
    leaves (2^256 is not a multiple of 31^15) is below 2^-180 and irrelevant.
    """
    cert = normalise_cert_no(cert_no)
    mac = hmac.new(key.seed, _DERIVE_PREFIX + cert.encode("ascii"), hashlib.sha256).digest()
    n = int.from_bytes(mac, "big")
    data = []
    for _ in range(DATA_SYMBOLS):
        n, digit = divmod(n, len(ALPHABET))
        data.append(ALPHABET[digit])
    body = "".join(data)
    return format_activation_code(body + _check_char(body))


def normalise_activation_code(text: str) -> str:
    """The one spelling of a code as typed by a person, or a refusal saying what to fix.

    Forgiven: any case, spaces or dashes anywhere (or none), and O/Q/I written for 0/1.
    """
    if text is None:
        raise _refuse("activation.empty")
    if not isinstance(text, str):
        raise _refuse("activation.not_text")
    if len(text) > _MAX_INPUT:
        raise _refuse("activation.too_long")
    symbols = []
    for char in text:
        if char in _SEPARATORS:
            continue
        # ASCII first: "ß".upper() is "SS" and "ı".upper() is "I".
        if not char.isascii() or not char.isalnum():
            shown = f"'{char}'" if char.isprintable() and not char.isspace() else f"U+{ord(char):04X}"
            raise _refuse("activation.character", char=shown)
        upper = char.upper()
        upper = _LOOKALIKES.get(upper, upper)
        if upper not in _VALUES:
            raise _refuse("activation.symbol", char=upper)
        symbols.append(upper)
    if not symbols:
        raise _refuse("activation.empty")
    if len(symbols) != CODE_SYMBOLS:
        raise _refuse("activation.length", count=len(symbols))
    body, check = "".join(symbols[:-1]), symbols[-1]
    if _check_char(body) != check:
        raise _refuse("activation.check")
    return format_activation_code(body + check)


def activation_digest(chain_id: str, cert_no: str, code: str) -> bytes:
    """What a node stores to check a code without being able to recover it.

    SHA-256 over the domain prefix, the chain id, the normal cert_no and the normal code,
    NUL-separated (none of them can contain NUL).  Binding chain and cert_no means a digest
    never validates the same code for another certificate, and no search over codes can be
    reused from one certificate to the next.
    """
    if not isinstance(chain_id, str) or not chain_id or "\x00" in chain_id:
        raise ValidationError("activation.chain_id", "chain id must be non-empty text without NUL")
    cert = normalise_cert_no(cert_no)
    normal = normalise_activation_code(code)
    payload = b"\x00".join((chain_id.encode("utf-8"), cert.encode("ascii"), normal.encode("ascii")))
    return hashlib.sha256(_DIGEST_PREFIX + payload).digest()


def check_activation_code(chain_id: str, cert_no: str, text: str, digest: bytes) -> bool:
    """True when ``text`` (as typed) is the code whose digest is ``digest``.

    A malformed or mistyped code is simply False here; callers that want to tell the person
    *why* call ``normalise_activation_code`` first and show its message.
    """
    try:
        candidate = activation_digest(chain_id, cert_no, text)
    except ValidationError:
        return False
    return isinstance(digest, bytes) and hmac.compare_digest(candidate, digest)
