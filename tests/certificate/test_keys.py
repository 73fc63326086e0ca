"""Key files and domain-separated Ed25519 signatures."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import get_args

import pytest

from certificate.errors import SignatureError, ValidationError
from certificate.keys import (
    DOMAINS,
    KEY_FILE_TYPE,
    PublicKey,
    SignatureDomain,
    SigningKey,
    key_id,
    read_key_file,
    signing_input,
    write_key_file,
)

SEED = bytes(range(32))
CHAIN = "spkm-test"


def test_domains_literal_matches_tuple() -> None:
    assert set(get_args(SignatureDomain)) == set(DOMAINS)


def test_key_file_round_trip_and_mode(tmp_path: Path) -> None:
    key = SigningKey.generate()
    path = tmp_path / "node.key"
    write_key_file(path, key)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    back = read_key_file(path)
    assert back.seed == key.seed
    assert back.public == key.public
    doc = json.loads(path.read_text())
    assert doc["type"] == KEY_FILE_TYPE
    assert doc["public_key"] == key.public.hex
    assert doc["key_id"] == key.public.id
    assert read_key_file(str(path)).seed == key.seed


def test_key_file_mode_ignores_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        write_key_file(tmp_path / "k", SigningKey(SEED))
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "k").stat().st_mode) == 0o600


def test_key_file_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "node.key"
    path.write_text("precious")
    with pytest.raises(FileExistsError):
        write_key_file(path, SigningKey.generate())
    assert path.read_text() == "precious"


def test_key_file_in_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        write_key_file(tmp_path / "nope" / "k", SigningKey.generate())


def _good_doc() -> dict[str, str]:
    key = SigningKey(SEED)
    return {
        "type": KEY_FILE_TYPE,
        "public_key": key.public.hex,
        "key_id": key.public.id,
        "seed": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
    }


@pytest.mark.parametrize(
    ("content", "code", "words"),
    [
        (b"", "keyfile.format", "not JSON"),
        (b"\xff\xfe\x00garbage", "keyfile.format", "not JSON"),
        (b"{not json", "keyfile.format", "not JSON"),
        (b"[]", "keyfile.format", "no type"),
        (json.dumps({**_good_doc(), "type": "ssh-ed25519"}).encode(), "keyfile.format",
         "'ssh-ed25519'"),
        (json.dumps({k: v for k, v in _good_doc().items() if k != "seed"}).encode(),
         "keyfile.format", "seed"),
        (json.dumps({**_good_doc(), "seed": "!!!"}).encode(), "keyfile.format", "base64"),
        (json.dumps({**_good_doc(), "seed": 7}).encode(), "keyfile.format", "seed"),
        (json.dumps({**_good_doc(), "seed": "AAAA"}).encode(), "keyfile.format", "32 bytes"),
        (json.dumps({**_good_doc(), "public_key": "00" * 32}).encode(), "keyfile.mismatch",
         "does not match"),
        (b" " * (65 * 1024), "keyfile.format", "too large"),
    ],
)
def test_bad_key_files(tmp_path: Path, content: bytes, code: str, words: str) -> None:
    path = tmp_path / "bad.key"
    path.write_bytes(content)
    with pytest.raises(ValidationError) as err:
        read_key_file(path)
    assert err.value.code == code
    assert words in str(err.value)
    assert str(path) in str(err.value)


def test_good_doc_fixture_is_good(tmp_path: Path) -> None:
    path = tmp_path / "good.key"
    path.write_text(json.dumps(_good_doc()))
    assert read_key_file(path).seed == SEED


def test_missing_key_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="does not exist") as err:
        read_key_file(tmp_path / "absent.key")
    assert err.value.code == "keyfile.missing"
    with pytest.raises(ValidationError, match="directory") as err:
        read_key_file(tmp_path)
    assert err.value.code == "keyfile.unreadable"


def test_signature_domain_separation() -> None:
    key = SigningKey(SEED)
    payload = b"\x81\xa1a\x01"
    sig = key.sign("tx", CHAIN, payload)
    key.public.verify("tx", CHAIN, payload, sig)
    for domain in ("block", "handshake", "approval"):
        with pytest.raises(SignatureError):
            key.public.verify(domain, CHAIN, payload, sig)
    with pytest.raises(SignatureError):
        key.public.verify("tx", "spkm-prod", payload, sig)
    with pytest.raises(SignatureError):
        key.public.verify("tx", CHAIN, payload + b"\x00", sig)
    with pytest.raises(SignatureError):
        SigningKey(bytes(32)).public.verify("tx", CHAIN, payload, sig)
    with pytest.raises(SignatureError):
        key.public.verify("tx", CHAIN, payload, sig[:63])
    # Not a plain Ed25519 signature over the payload either.
    with pytest.raises(SignatureError):
        key.public.verify("tx", CHAIN, payload, key.sign_raw(payload))
    assert key.public.is_valid("tx", CHAIN, payload, sig)
    assert not key.public.is_valid("block", CHAIN, payload, sig)


def test_signing_input_layout() -> None:
    assert signing_input("block", "c", b"P") == b"spkm-ecert/v1\x00block\x00c\x00P"
    with pytest.raises(ValueError):
        signing_input("record", "c", b"P")  # type: ignore[arg-type]
    for bad in ("", "a\x00b", "\udc00"):
        with pytest.raises(ValidationError):
            signing_input("tx", bad, b"P")


def test_key_id_stable() -> None:
    key = SigningKey(SEED)
    # Ed25519 public key of seed 00..1f, and the first 16 hex digits of its SHA-256.
    assert key.public.hex == "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8"
    assert key.public.id == key_id(key.public.raw) == "56475aa75463474c"
    assert SigningKey(SEED).public.id == key.public.id
    assert SigningKey(bytes(32)).public.id != key.public.id


def test_public_key_parsing() -> None:
    key = SigningKey(SEED).public
    assert PublicKey.from_hex(key.hex) == key
    assert PublicKey.from_hex(key.hex.upper()) == key
    spaced = key.hex[:32] + " " + key.hex[32:]
    for bad in ("", "00" * 31, "00" * 33, "zz" * 32, " " + key.hex, spaced):
        with pytest.raises(ValidationError):
            PublicKey.from_hex(bad)
    with pytest.raises(ValidationError):
        PublicKey(b"\x00" * 31)
    with pytest.raises(ValidationError):
        SigningKey(b"\x00" * 31)


def test_signing_key_repr_hides_secret() -> None:
    key = SigningKey(SEED)
    assert SEED.hex() not in repr(key)
    assert key.public.id in repr(key)
