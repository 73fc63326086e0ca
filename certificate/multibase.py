"""Multibase base58btc, multicodec-prefixed keys and ``did:key`` for Ed25519.

The W3C VC export names its signing key the way wallets and verifiers expect: a ``did:key``
(``did:key:z6Mk...``) whose text *is* the public key, so a verifier needs no registry or
network look-up to check a proof.  Its layers, innermost first:

* multicodec: an unsigned LEB128 varint naming the key type (0xed for an Ed25519 public key,
  0x1300 for an Ed25519 seed) followed by the raw key bytes;
* multibase: the letter ``z`` followed by base58btc (Bitcoin alphabet) of those bytes;
* did:key: ``did:key:`` + the multibase text; its one verification method is the DID with the
  same text as fragment (``did:key:z6Mk...#z6Mk...``).

Every decoder here refuses rather than repairs: a non-minimal varint, a foreign alphabet, a
wrong key length or a fragment that names a different key are all ``ValidationError``.  Each
key then has exactly one text form, so comparing texts compares keys.
"""

from __future__ import annotations

from typing import Final

from certificate.errors import ValidationError
from certificate.keys import PublicKey

ALPHABET: Final = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INDEX: Final = {c: i for i, c in enumerate(ALPHABET)}

BASE58BTC_PREFIX: Final = "z"
ED25519_PUB: Final = 0xED
"""Multicodec code of a 32-byte Ed25519 public key."""
ED25519_PRIV: Final = 0x1300
"""Multicodec code of a 32-byte Ed25519 private key (its seed)."""

DID_KEY_PREFIX: Final = "did:key:"
MAX_TEXT: Final = 1024
"""Longest base58 text decoded: base58 is quadratic, and nothing we read is near this long."""


def b58encode(data: bytes) -> str:
    zeros = len(data) - len(data.lstrip(b"\x00"))
    number = int.from_bytes(data, "big")
    digits: list[str] = []
    while number:
        number, rem = divmod(number, 58)
        digits.append(ALPHABET[rem])
    return "1" * zeros + "".join(reversed(digits))


def b58decode(text: str) -> bytes:
    """Inverse of ``b58encode``; every text has one decoding and re-encodes to itself."""
    if not isinstance(text, str):
        raise ValidationError("base58.type", "base58 text must be a string")
    if len(text) > MAX_TEXT:
        raise ValidationError("base58.length", f"base58 text longer than {MAX_TEXT} characters")
    number = 0
    for char in text:
        digit = _INDEX.get(char)
        if digit is None:
            raise ValidationError("base58.char", f"{char!r} is not a base58btc character")
        number = number * 58 + digit
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\x00" * zeros + body


def multibase_encode(data: bytes) -> str:
    """Multibase text in base58btc, the only base the eddsa cryptosuites and did:key use."""
    return BASE58BTC_PREFIX + b58encode(data)


def multibase_decode(text: str) -> bytes:
    if not isinstance(text, str) or not text.startswith(BASE58BTC_PREFIX):
        raise ValidationError(
            "multibase.prefix", "expected multibase base58btc text (starting with 'z')"
        )
    return b58decode(text[1:])


def varint_encode(value: int) -> bytes:
    if value < 0:
        raise ValueError("a varint is unsigned")
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def varint_decode(data: bytes) -> tuple[int, int]:
    """(value, bytes used) of the unsigned varint at the start of ``data``.

    The multiformats varint is minimal and at most 9 bytes; longer or padded forms
    (``0x80 0x00`` for 0) would give one code two spellings, so they are refused.
    """
    value = 0
    for i, byte in enumerate(data[:9]):
        value |= (byte & 0x7F) << (7 * i)
        if not byte & 0x80:
            if byte == 0 and i > 0:
                raise ValidationError("varint.padded", "varint is not in its shortest form")
            return value, i + 1
    raise ValidationError("varint.truncated", "truncated or overlong varint")


def multicodec_encode(code: int, payload: bytes) -> bytes:
    return varint_encode(code) + payload


def multicodec_decode(data: bytes) -> tuple[int, bytes]:
    """(multicodec code, payload) of multicodec-prefixed bytes."""
    code, used = varint_decode(data)
    return code, data[used:]


def decode_multikey(text: str) -> tuple[int, bytes]:
    """(multicodec code, key bytes) of a multibase key such as ``publicKeyMultibase``."""
    return multicodec_decode(multibase_decode(text))


def public_key_to_multibase(key: PublicKey) -> str:
    return multibase_encode(multicodec_encode(ED25519_PUB, key.raw))


def public_key_from_multibase(text: str) -> PublicKey:
    code, raw = decode_multikey(text)
    if code != ED25519_PUB:
        raise ValidationError("multikey.codec", f"multicodec 0x{code:x} is no Ed25519 public key")
    if len(raw) != 32:
        raise ValidationError("multikey.length", "an Ed25519 public key is 32 bytes")
    return PublicKey(raw)


def seed_from_multibase(text: str) -> bytes:
    """The 32-byte Ed25519 seed of a ``privateKeyMultibase`` (multicodec 0x1300)."""
    code, raw = decode_multikey(text)
    if code != ED25519_PRIV:
        raise ValidationError("multikey.codec", f"multicodec 0x{code:x} is no Ed25519 secret key")
    if len(raw) != 32:
        raise ValidationError("multikey.length", "an Ed25519 secret key is 32 bytes")
    return raw


def did_key(key: PublicKey) -> str:
    """``did:key:z6Mk...`` of an Ed25519 public key."""
    return DID_KEY_PREFIX + public_key_to_multibase(key)


def did_key_verification_method(key: PublicKey) -> str:
    """The single verification method of the key's did:key: ``did:key:z6Mk...#z6Mk...``."""
    multibase = public_key_to_multibase(key)
    return f"{DID_KEY_PREFIX}{multibase}#{multibase}"


def public_key_from_did_key(text: str) -> PublicKey:
    """The public key that a ``did:key`` DID or its verification method names.

    A fragment, when present, must repeat the DID's own key: did:key documents have exactly
    that one verification method, so any other fragment names nothing.
    """
    if not isinstance(text, str) or not text.startswith(DID_KEY_PREFIX):
        raise ValidationError("didkey.prefix", "not a did:key identifier")
    did, has_fragment, fragment = text.partition("#")
    identifier = did[len(DID_KEY_PREFIX):]
    if has_fragment and fragment != identifier:
        raise ValidationError("didkey.fragment", "did:key fragment does not name the DID's key")
    if ":" in identifier or "/" in identifier or "?" in identifier:
        raise ValidationError("didkey.form", "did:key with a path, query or version is unsupported")
    try:
        return public_key_from_multibase(identifier)
    except ValidationError as exc:
        raise ValidationError("didkey.key", f"did:key holds no Ed25519 key: {exc}") from None
