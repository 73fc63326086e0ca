"""Blocks: the header hash, the proposer's signature and what a block says about its txs."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from certificate import canonical
from certificate.block import HEADER_FIELDS, Block, BlockHeader, make_block
from certificate.errors import SignatureError, ValidationError
from certificate.hashing import sha256
from certificate.keys import PublicKey, SigningKey
from certificate.merkle import merkle_root

CHAIN = "spkm-test"
NODE_KEYS = {name: SigningKey(bytes([20 + i]) * 32) for i, name in enumerate(("jpk", "mampu"))}
MEMBERS: dict[str, PublicKey] = {name: key.public for name, key in NODE_KEYS.items()}
TXS = [f"tx {i}".encode() for i in range(5)]
PREV = sha256(b"genesis")


def block(**changes: Any) -> Block:
    args: dict[str, Any] = {
        "height": 7,
        "prev_hash": PREV,
        "time_ms": 1_790_000_000_000,
        "txs": TXS,
        "proposer": "jpk",
        "key": NODE_KEYS["jpk"],
        "chain_id": CHAIN,
        **changes,
    }
    return make_block(**args)


def test_make_block_round_trip() -> None:
    b = block()
    assert b.header.merkle_root == merkle_root(TXS)
    assert b.header.tx_count == len(TXS)
    assert b.height == 7
    data = b.encode()
    back = Block.decode(data)
    assert back == b
    assert back.encode() == data
    assert back.hash == b.hash == sha256(canonical.encode(b.header.to_dict()))
    back.verify(CHAIN, MEMBERS)


def test_empty_block() -> None:
    b = block(txs=[])
    assert b.header.merkle_root == sha256(b"")
    Block.decode(b.encode()).verify(CHAIN, MEMBERS)


def test_hash_covers_every_header_field() -> None:
    header = block().header
    for name in HEADER_FIELDS:
        value = getattr(header, name)
        changed: Any
        if isinstance(value, int):
            changed = value + 1
        elif isinstance(value, bytes):
            changed = bytes([value[0] ^ 1]) + value[1:]
        else:
            changed = "mampu"
        assert dataclasses.replace(header, **{name: changed}).hash != header.hash, name


def test_bad_signature() -> None:
    b = block()
    bad = Block(b.header, bytes([b.signature[0] ^ 1]) + b.signature[1:], b.txs)
    with pytest.raises(SignatureError):
        bad.verify(CHAIN, MEMBERS)


def test_signature_for_another_chain() -> None:
    with pytest.raises(SignatureError):
        block(chain_id="spkm-prod").verify(CHAIN, MEMBERS)


def test_signature_in_another_domain() -> None:
    b = block()
    tx_sig = NODE_KEYS["jpk"].sign("tx", CHAIN, b.header.encode())
    with pytest.raises(SignatureError):
        Block(b.header, tx_sig, b.txs).verify(CHAIN, MEMBERS)


def test_wrong_proposer() -> None:
    # Named "mampu" but signed by jpk's key.
    with pytest.raises(SignatureError):
        block(proposer="mampu").verify(CHAIN, MEMBERS)
    # Not a member at all.
    with pytest.raises(SignatureError, match="non-member"):
        block(proposer="intruder").verify(CHAIN, MEMBERS)


def test_tampered_header() -> None:
    b = block()
    for changes in ({"height": 8}, {"time_ms": 1}, {"prev_hash": sha256(b"other")}):
        forged = Block(dataclasses.replace(b.header, **changes), b.signature, b.txs)
        with pytest.raises(SignatureError):
            forged.verify(CHAIN, MEMBERS)


def test_tampered_tx() -> None:
    b = block()
    txs = list(b.txs)
    txs[2] = b"tx 2!"
    with pytest.raises(ValidationError, match="Merkle"):
        Block(b.header, b.signature, tuple(txs)).verify(CHAIN, MEMBERS)
    # Reordered transactions change the root too.
    with pytest.raises(ValidationError, match="Merkle"):
        Block(b.header, b.signature, tuple(reversed(b.txs))).verify(CHAIN, MEMBERS)


def test_wrong_tx_count() -> None:
    b = block()
    with pytest.raises(ValidationError, match="tx_count"):
        Block(b.header, b.signature, b.txs[:-1]).verify(CHAIN, MEMBERS)
    with pytest.raises(ValidationError, match="tx_count"):
        Block(b.header, b.signature, (*b.txs, b"extra")).verify(CHAIN, MEMBERS)
    # A header signed with a lying tx_count is refused although its signature is good.
    header = dataclasses.replace(b.header, tx_count=4)
    sig = NODE_KEYS["jpk"].sign("block", CHAIN, header.encode())
    with pytest.raises(ValidationError, match="tx_count"):
        Block(header, sig, b.txs).verify(CHAIN, MEMBERS)


def test_bad_merkle_root() -> None:
    b = block()
    header = dataclasses.replace(b.header, merkle_root=merkle_root(TXS[:4]))
    sig = NODE_KEYS["jpk"].sign("block", CHAIN, header.encode())
    with pytest.raises(ValidationError, match="Merkle"):
        Block(header, sig, b.txs).verify(CHAIN, MEMBERS)


def _raw() -> dict[str, Any]:
    decoded: dict[str, Any] = canonical.decode(block().encode())
    return decoded


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: {**d, "extra": 1},
        lambda d: {k: v for k, v in d.items() if k != "sig"},
        lambda d: {**d, "sig": d["sig"][:63]},
        lambda d: {**d, "sig": d["sig"].hex()},
        lambda d: {**d, "txs": [t.decode() for t in d["txs"]]},
        lambda d: {**d, "txs": b"".join(d["txs"])},
        lambda d: {**d, "header": {**d["header"], "height": -1}},
        lambda d: {**d, "header": {**d["header"], "height": True}},
        lambda d: {**d, "header": {**d["header"], "time_ms": "now"}},
        lambda d: {**d, "header": {**d["header"], "tx_count": None}},
        lambda d: {**d, "header": {**d["header"], "prev_hash": d["header"]["prev_hash"][:31]}},
        lambda d: {**d, "header": {**d["header"], "merkle_root": d["header"]["merkle_root"].hex()}},
        lambda d: {**d, "header": {**d["header"], "proposer": ""}},
        lambda d: {**d, "header": {**d["header"], "proposer": "x" * 65}},
        lambda d: {**d, "header": {**d["header"], "proposer": b"jpk"}},
        lambda d: {**d, "header": {**d["header"], "chain": "x"}},
        lambda d: {**d, "header": [d["header"]]},
        lambda d: [d],
    ],
)
def test_decode_refuses_bad_shapes(mutate: Any) -> None:
    with pytest.raises(ValidationError):
        Block.decode(canonical.encode(mutate(_raw())))


def test_decode_refuses_non_canonical_bytes() -> None:
    data = block().encode()
    with pytest.raises(ValidationError):
        Block.decode(data + b"\x00")
    with pytest.raises(ValidationError):
        Block.decode(data[:-1])


def test_header_from_dict_round_trip() -> None:
    header = block().header
    assert BlockHeader.from_dict(header.to_dict()) == header
