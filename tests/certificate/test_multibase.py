"""base58btc, multibase, varint and did:key: known values, round trips, refusals."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from certificate import multibase
from certificate.errors import ValidationError
from certificate.keys import PublicKey
from tests.certificate.w3c_vectors import KEY_PAIR, W3C_METHOD


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        (b"", ""),
        (b"\x00", "1"),
        (b"\x00\x00\x28\x7f\xb4\xcd", "11233QC4"),
        (b"Hello World!", "2NEpo7TZRRrLZSi2U"),
        (
            b"The quick brown fox jumps over the lazy dog.",
            "USm3fpXnKG5EUBx2ndxBDMPVciP5hGey2Jh4NDv6gmeo1LkMeiKrLJUUBk6Z",
        ),
        (b"\xff", "5Q"),
    ],
)
def test_base58btc_known_values(raw: bytes, text: str) -> None:
    assert multibase.b58encode(raw) == text
    assert multibase.b58decode(text) == raw


@given(st.binary(max_size=100))
def test_base58_round_trip(raw: bytes) -> None:
    assert multibase.b58decode(multibase.b58encode(raw)) == raw
    assert multibase.multibase_decode(multibase.multibase_encode(raw)) == raw


@given(st.text(alphabet=multibase.ALPHABET, max_size=60))
def test_every_base58_text_has_one_decoding(text: str) -> None:
    assert multibase.b58encode(multibase.b58decode(text)) == text


@pytest.mark.parametrize("text", ["0", "O", "I", "l", "abc+", "é", "1 1"])
def test_base58_refuses_foreign_characters(text: str) -> None:
    with pytest.raises(ValidationError):
        multibase.b58decode(text)


def test_multibase_needs_the_base58btc_prefix() -> None:
    for text in ("", "f00", "m" + "A" * 4, "Z6Mk"):
        with pytest.raises(ValidationError):
            multibase.multibase_decode(text)
    with pytest.raises(ValidationError):
        multibase.b58decode("2" * (multibase.MAX_TEXT + 1))


@pytest.mark.parametrize(
    ("value", "encoded"), [(0, b"\x00"), (1, b"\x01"), (0x7F, b"\x7f"), (0xED, b"\xed\x01"),
                           (0x1300, b"\x80\x26"), (300, b"\xac\x02")]
)
def test_varint(value: int, encoded: bytes) -> None:
    assert multibase.varint_encode(value) == encoded
    assert multibase.varint_decode(encoded + b"rest") == (value, len(encoded))


@pytest.mark.parametrize(
    "data", [b"", b"\x80", b"\xed\x81", b"\x80\x00", b"\xed\x80\x00", b"\xff" * 10]
)
def test_varint_refuses_truncated_or_padded_forms(data: bytes) -> None:
    with pytest.raises(ValidationError):
        multibase.varint_decode(data)


@given(st.binary(min_size=32, max_size=32))
def test_did_key_round_trip(raw: bytes) -> None:
    key = PublicKey(raw)
    did = multibase.did_key(key)
    assert did.startswith("did:key:z6Mk")
    assert multibase.public_key_from_did_key(did) == key
    assert multibase.public_key_from_did_key(multibase.did_key_verification_method(key)) == key


@pytest.mark.parametrize(
    "text",
    [
        "",
        "did:web:example.org",
        "did:key:",
        "did:key:z",
        "did:key:6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
        W3C_METHOD.split("#")[0] + "#key-1",
        W3C_METHOD + "x",
        "did:key:" + KEY_PAIR["privateKeyMultibase"],  # an Ed25519 *secret* key
        "did:key:" + multibase.multibase_encode(b"\xed\x01" + bytes(31)),  # short key
        "did:key:" + multibase.multibase_encode(b"\xed\x01" + bytes(33)),  # long key
        "did:key:" + multibase.multibase_encode(b"\xe7\x01" + bytes(33)),  # secp256k1
        "did:key:" + multibase.multibase_encode(b"\xed\x81\x00" + bytes(32)),  # padded varint
        "did:key:1.0:" + W3C_METHOD.split(":")[-1],
        "did:key:z6Mk0OIl",
    ],
)
def test_malformed_did_key_is_a_validation_error(text: str) -> None:
    with pytest.raises(ValidationError):
        multibase.public_key_from_did_key(text)


def test_non_string_did_key_is_a_validation_error() -> None:
    for value in (None, 5, b"did:key:z6Mk"):
        with pytest.raises(ValidationError):
            multibase.public_key_from_did_key(value)  # type: ignore[arg-type]


def test_secret_key_multibase_is_checked() -> None:
    with pytest.raises(ValidationError):
        multibase.seed_from_multibase(KEY_PAIR["publicKeyMultibase"])
    with pytest.raises(ValidationError):
        multibase.seed_from_multibase(multibase.multibase_encode(b"\x80\x26" + bytes(31)))


