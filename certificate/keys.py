"""Ed25519 keys, key files and domain-separated signatures.

Every signature covers ``b"spkm-ecert/v1\\0" + kind + b"\\0" + chain_id + b"\\0" + payload``, so
a signature made for one kind of object (a transaction, a block, a handshake) or for one chain
is never valid for another.  Third parties check proofs offline, so this layout is contract.
"""

from __future__ import annotations

import base64
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

import nacl.exceptions
import nacl.signing

from certificate.errors import SignatureError, ValidationError
from certificate.hashing import sha256

SignatureDomain = Literal["tx", "block", "handshake", "approval"]
DOMAINS: Final = ("tx", "block", "handshake", "approval")
PREFIX: Final = b"spkm-ecert/v1\x00"
KEY_FILE_TYPE: Final = "spkm-ecert-ed25519"
_HEX64: Final = re.compile(r"[0-9a-fA-F]{64}")
_MAX_KEY_FILE: Final = 64 * 1024


def signing_input(domain: SignatureDomain, chain_id: str, payload: bytes) -> bytes:
    """The exact bytes an Ed25519 signature covers.

    The NUL separators only keep the fields apart if no field can contain NUL: a chain id
    "a\\0b" would otherwise let a signature for chain "a" over b"b\\0..." double as one for
    chain "a\\0b", so such ids are refused outright.
    """
    if domain not in DOMAINS:
        raise ValueError(f"unknown signature domain {domain!r}")
    if not isinstance(chain_id, str) or not chain_id or "\x00" in chain_id:
        raise ValidationError("key.chain_id", "chain id must be non-empty text without NUL")
    try:
        chain = chain_id.encode()
    except UnicodeEncodeError:
        raise ValidationError("key.chain_id", "chain id is not valid Unicode") from None
    return PREFIX + domain.encode() + b"\x00" + chain + b"\x00" + payload


def key_id(public_key: bytes) -> str:
    """Short stable name of a public key: the first 16 hex digits of its SHA-256."""
    return sha256(public_key).hex()[:16]


@dataclass(frozen=True)
class PublicKey:
    raw: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.raw, bytes) or len(self.raw) != 32:
            raise ValidationError("key.length", "an Ed25519 public key is 32 bytes")

    @classmethod
    def from_hex(cls, text: str) -> PublicKey:
        # bytes.fromhex skips whitespace; one key must have one spelling in configs and logs.
        if not isinstance(text, str) or not _HEX64.fullmatch(text):
            raise ValidationError("key.hex", "public key must be 64 hexadecimal digits")
        return cls(bytes.fromhex(text))

    @property
    def hex(self) -> str:
        return self.raw.hex()

    @property
    def id(self) -> str:
        return key_id(self.raw)

    def verify(self, domain: SignatureDomain, chain_id: str, payload: bytes, sig: bytes) -> None:
        """Raise SignatureError unless ``sig`` signs ``payload`` in this domain and chain."""
        if len(sig) != 64:
            raise SignatureError("an Ed25519 signature is 64 bytes")
        try:
            nacl.signing.VerifyKey(self.raw).verify(signing_input(domain, chain_id, payload), sig)
        except nacl.exceptions.BadSignatureError:
            raise SignatureError(f"bad {domain} signature by key {self.id}") from None

    def is_valid(self, domain: SignatureDomain, chain_id: str, payload: bytes, sig: bytes) -> bool:
        try:
            self.verify(domain, chain_id, payload, sig)
        except SignatureError:
            return False
        return True


class SigningKey:
    """An Ed25519 private key. Its repr never shows the secret."""

    def __init__(self, seed: bytes) -> None:
        if len(seed) != 32:
            raise ValidationError("key.length", "an Ed25519 seed is 32 bytes")
        self._key = nacl.signing.SigningKey(seed)
        self.public = PublicKey(bytes(self._key.verify_key))

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(os.urandom(32))

    @property
    def seed(self) -> bytes:
        return bytes(self._key)

    def sign(self, domain: SignatureDomain, chain_id: str, payload: bytes) -> bytes:
        return bytes(self._key.sign(signing_input(domain, chain_id, payload)).signature)

    def sign_raw(self, message: bytes) -> bytes:
        """Plain Ed25519 over ``message``: only for formats with their own rules (W3C VC)."""
        return bytes(self._key.sign(message).signature)

    def __repr__(self) -> str:
        return f"SigningKey(public={self.public.id})"


def write_key_file(path: str | os.PathLike[str], key: SigningKey) -> None:
    """Write ``key`` to a new file readable only by its owner; never overwrite.

    O_EXCL makes "never overwrite" hold even against a concurrent writer (the refusal is
    ``FileExistsError``; other failures are the ``OSError`` itself, which callers turn into one
    line), and the explicit fchmod makes the mode exactly 0600 whatever the umask.  A failed
    write removes the partial file so that rerunning the command works.
    """
    path = Path(path)
    doc = {
        "type": KEY_FILE_TYPE,
        "public_key": key.public.hex,
        "key_id": key.public.id,
        "seed": base64.b64encode(key.seed).decode(),
    }
    data = (json.dumps(doc, indent=2) + "\n").encode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        path.unlink(missing_ok=True)
        raise
    os.close(fd)


def read_key_file(path: str | os.PathLike[str]) -> SigningKey:
    """Load a key file, with one clear error for every way it can be wrong."""
    path = Path(path)
    try:
        with path.open("rb") as f:
            data = f.read(_MAX_KEY_FILE + 1)
    except FileNotFoundError:
        raise ValidationError("keyfile.missing", f"key file {path} does not exist") from None
    except IsADirectoryError:
        raise ValidationError("keyfile.unreadable", f"key file {path} is a directory") from None
    except OSError as exc:
        raise ValidationError(
            "keyfile.unreadable", f"cannot read key file {path}: {exc.strerror}"
        ) from None
    if len(data) > _MAX_KEY_FILE:
        raise ValidationError("keyfile.format", f"{path} is too large to be a key file")
    try:
        doc = json.loads(data.decode("utf-8"))
    except ValueError:
        raise ValidationError("keyfile.format", f"{path} is not a key file (not JSON)") from None
    if not isinstance(doc, dict) or doc.get("type") != KEY_FILE_TYPE:
        found = doc.get("type") if isinstance(doc, dict) else None
        what = f"its type is {found[:40]!r}" if isinstance(found, str) else "it has no type"
        raise ValidationError(
            "keyfile.format", f"{path} is not an {KEY_FILE_TYPE} key file ({what})"
        )
    seed_text = doc.get("seed")
    try:
        if not isinstance(seed_text, str):
            raise ValueError
        seed = base64.b64decode(seed_text, validate=True)
    except ValueError:
        raise ValidationError(
            "keyfile.format", f"key file {path}: seed is missing or not base64"
        ) from None
    if len(seed) != 32:
        raise ValidationError("keyfile.format", f"key file {path}: seed is not 32 bytes")
    key = SigningKey(seed)
    if doc.get("public_key") not in (None, key.public.hex):
        raise ValidationError(
            "keyfile.mismatch", f"key file {path}: public key does not match seed"
        )
    return key
