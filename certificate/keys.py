"""Ed25519 keys, key files and domain-separated signatures.

Every signature covers ``b"spkm-ecert/v1\\0" + kind + b"\\0" + chain_id + b"\\0" + payload``, so
a signature made for one kind of object (a transaction, a block, a handshake) or for one chain
is never valid for another.  Third parties check proofs offline, so this layout is contract.
"""

from __future__ import annotations

import base64
import json
import os
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


def signing_input(domain: SignatureDomain, chain_id: str, payload: bytes) -> bytes:
    if domain not in DOMAINS:
        raise ValueError(f"unknown signature domain {domain!r}")
    return PREFIX + domain.encode() + b"\x00" + chain_id.encode() + b"\x00" + payload


def key_id(public_key: bytes) -> str:
    """Short stable name of a public key: the first 16 hex digits of its SHA-256."""
    return sha256(public_key).hex()[:16]


@dataclass(frozen=True)
class PublicKey:
    raw: bytes

    def __post_init__(self) -> None:
        if len(self.raw) != 32:
            raise ValidationError("key.length", "an Ed25519 public key is 32 bytes")

    @classmethod
    def from_hex(cls, text: str) -> PublicKey:
        try:
            raw = bytes.fromhex(text)
        except ValueError:
            raise ValidationError("key.hex", "public key is not hexadecimal") from None
        return cls(raw)

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


def write_key_file(path: Path, key: SigningKey) -> None:
    """Write ``key`` to a new file readable only by its owner; never overwrite."""
    doc = {
        "type": KEY_FILE_TYPE,
        "public_key": key.public.hex,
        "key_id": key.public.id,
        "seed": base64.b64encode(key.seed).decode(),
    }
    data = (json.dumps(doc, indent=2) + "\n").encode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def read_key_file(path: Path) -> SigningKey:
    """Load a key file, with one clear error for every way it can be wrong."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValidationError("keyfile.missing", f"key file {path} does not exist") from None
    except OSError as exc:
        raise ValidationError("keyfile.unreadable", f"cannot read key file {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ValidationError("keyfile.format", f"key file {path} is not a key file") from None
    try:
        doc = json.loads(text)
        if not isinstance(doc, dict) or doc.get("type") != KEY_FILE_TYPE:
            raise ValueError
        key = SigningKey(base64.b64decode(doc["seed"], validate=True))
    except (ValueError, KeyError, TypeError, ValidationError):
        raise ValidationError("keyfile.format", f"key file {path} is not a valid key file") from None
    if doc.get("public_key") not in (None, key.public.hex):
        raise ValidationError("keyfile.mismatch", f"key file {path}: public key does not match seed")
    return key
