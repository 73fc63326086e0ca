"""Decoders of remotely supplied bytes: a clean ``ValidationError``/``SignatureError`` or a value
that re-encodes to exactly the input; never another exception, never a hang.

Targets: ``Transaction.decode`` (HTTP API, forwarded p2p batches, blocks), ``Block.decode`` and
``Block.verify`` (every committed raft entry), ``CertificateProof.from_json`` / ``decode`` /
``verify`` (the JSON API and the proof embedded in an uploaded PDF), and the raft message
decoder ``Message.from_dict`` (every p2p frame after decryption). Inputs are arbitrary bytes,
structure-aware mutations of valid objects (each field swapped for a value of another type or
range) and byte-level mutations of valid encodings.
"""

from __future__ import annotations

import contextlib
from typing import Any

import msgpack
from hypothesis import given
from hypothesis import strategies as st

from certificate import canonical
from certificate.block import Block, make_block
from certificate.errors import SignatureError, ValidationError
from certificate.keys import SigningKey
from certificate.proof import CertificateProof
from certificate.tx import Transaction, issue_tx, revoke_tx
from node.consensus.message import Message
from tests.certificate.test_record import make_record
from tests.fuzz.settings import FUZZ

CHAIN = "fuzz-chain"
ISSUER = SigningKey(bytes([7]) * 32)
NODE = SigningKey(bytes([8]) * 32)
ISSUE = issue_tx(make_record(), ISSUER, CHAIN)
REVOKE = revoke_tx(ISSUE.record.cert_no, "salah cetak", "2026-11-20T01:02:03Z", ISSUER, CHAIN)
BLOCK = make_block(height=3, prev_hash=bytes(32), time_ms=1_700_000_000_000, txs=[ISSUE.encode(), REVOKE.encode()],
                   proposer="jpk", key=NODE, chain_id=CHAIN)
PROOF = CertificateProof.from_block(BLOCK, 0, CHAIN)
EXPECTED = (ValidationError, SignatureError)

# Any msgpack-encodable value, including the types the canonical form refuses (floats, big ints).
leaf = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**64), max_value=2**64 - 1),
                 st.floats(allow_nan=True), st.text(max_size=40), st.binary(max_size=80))
values = st.recursive(leaf, lambda kids: st.one_of(st.lists(kids, max_size=5),
                                                     st.dictionaries(st.text(max_size=10), kids, max_size=5)),
                      max_leaves=20)


def paths(obj: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into nested dicts/lists (for structure-aware mutation)."""
    out = [prefix]
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += paths(v, (*prefix, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out += paths(v, (*prefix, i))
    return out


def replaced(obj: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(obj, dict):
        return {**obj, head: replaced(obj[head], rest, value)}
    copy = list(obj)
    copy[head] = replaced(obj[head], rest, value)
    return copy


def mutate_structure(data: st.DataObject, obj: Any) -> bytes:
    """Replace one node of ``obj`` (or delete/add a key) and encode with plain msgpack, so the
    result may also be non-canonical (unsorted keys, floats, non-minimal ints)."""
    choice = data.draw(st.sampled_from(paths(obj)), label="path")
    how = data.draw(st.sampled_from(["replace", "delete", "add"]), label="how")
    if how == "delete" and choice:
        parent = choice[:-1]
        p: Any = obj
        for k in parent:
            p = p[k]
        if isinstance(p, dict):
            shrunk = {k: v for k, v in p.items() if k != choice[-1]}
            obj = replaced(obj, parent, shrunk)
    elif how == "add":
        p = obj
        for k in choice:
            p = p[k]
        if isinstance(p, dict):
            obj = replaced(obj, choice, {**p, data.draw(st.text(max_size=8)): data.draw(values)})
    else:
        obj = replaced(obj, choice, data.draw(values, label="value"))
    try:
        return bytes(msgpack.packb(obj, use_bin_type=True))
    except (TypeError, ValueError, OverflowError):
        return b""


def mutate_bytes(data: st.DataObject, raw: bytes) -> bytes:
    b = bytearray(raw)
    for _ in range(data.draw(st.integers(1, 4), label="edits")):
        op = data.draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        pos = data.draw(st.integers(0, max(0, len(b) - 1)))
        if op == "flip" and b:
            b[pos] ^= data.draw(st.integers(1, 255))
        elif op == "insert":
            b[pos:pos] = data.draw(st.binary(min_size=1, max_size=8))
        elif op == "delete" and b:
            del b[pos]
        elif op == "truncate":
            del b[pos:]
    return bytes(b)


def check_tx(raw: bytes) -> None:
    try:
        tx = Transaction.decode(raw)
    except EXPECTED:
        return
    assert tx.encode() == raw
    assert Transaction.decode(tx.encode()) == tx
    with contextlib.suppress(*EXPECTED):  # whatever decoded must also survive signature checking
        tx.verified_signers(CHAIN)


def check_block(raw: bytes) -> None:
    try:
        block = Block.decode(raw)
    except EXPECTED:
        return
    assert block.encode() == raw
    with contextlib.suppress(*EXPECTED):
        block.verify(CHAIN, {"jpk": NODE.public})


@FUZZ
@given(st.binary(max_size=2048))
def test_tx_decode_arbitrary_bytes(raw: bytes) -> None:
    check_tx(raw)


@FUZZ
@given(st.data(), st.sampled_from([ISSUE, REVOKE]))
def test_tx_decode_structure_mutations(data: st.DataObject, tx: Transaction) -> None:
    check_tx(mutate_structure(data, canonical.decode(tx.encode())))


@FUZZ
@given(st.data(), st.sampled_from([ISSUE, REVOKE]))
def test_tx_decode_byte_mutations(data: st.DataObject, tx: Transaction) -> None:
    check_tx(mutate_bytes(data, tx.encode()))


@FUZZ
@given(st.binary(max_size=4096))
def test_block_decode_arbitrary_bytes(raw: bytes) -> None:
    check_block(raw)


@FUZZ
@given(st.data())
def test_block_decode_structure_mutations(data: st.DataObject) -> None:
    check_block(mutate_structure(data, canonical.decode(BLOCK.encode(), max_len=1 << 24)))


@FUZZ
@given(st.data())
def test_block_decode_byte_mutations(data: st.DataObject) -> None:
    check_block(mutate_bytes(data, BLOCK.encode()))


def check_proof(obj: Any) -> None:
    try:
        proof = CertificateProof.from_json(obj)
    except EXPECTED:
        return
    with contextlib.suppress(*EXPECTED):
        proof.verify({"jpk": NODE.public}, chain_id=CHAIN)


@FUZZ
@given(st.data())
def test_proof_from_json_structure_mutations(data: st.DataObject) -> None:
    doc = PROOF.to_json()
    choice = data.draw(st.sampled_from(paths(doc)))
    check_proof(replaced(doc, choice, data.draw(values)))


@FUZZ
@given(st.data())
def test_proof_decode_byte_mutations(data: st.DataObject) -> None:
    raw = mutate_bytes(data, PROOF.encode())
    try:
        proof = CertificateProof.decode(raw)
    except EXPECTED:
        return
    with contextlib.suppress(*EXPECTED):
        proof.verify({"jpk": NODE.public}, chain_id=CHAIN)


@FUZZ
@given(st.integers(-(2**70), 2**70), st.integers(0, 2**64))
def test_proof_verify_with_any_index_and_size(index: int, tx_count: int) -> None:
    doc = PROOF.to_json()
    doc["index"] = index
    doc["header"] = {**doc["header"], "tx_count": tx_count}
    check_proof(doc)


VALID_MSG = Message.from_dict({
    "type": "app", "to": "jpk", "frm": "mampu", "term": 3, "log_term": 2, "index": 5,
    "entries": [{"term": 3, "index": 6, "type": "normal", "data": BLOCK.encode()}],
    "commit": 5, "reject": False, "reject_hint": 0, "context": b"",
}).to_dict()


@FUZZ
@given(st.data())
def test_raft_message_decoder_structure_mutations(data: st.DataObject) -> None:
    raw = mutate_structure(data, VALID_MSG)
    try:
        obj = msgpack.unpackb(raw, raw=False, strict_map_key=False) if raw else None
    except (ValueError, msgpack.ExtraData):
        return
    try:
        msg = Message.from_dict(obj)
    except ValueError:
        return
    assert Message.from_dict(msg.to_dict()) == msg
