"""Certificate proofs: checkable offline with the node keys, and nothing in them can be changed."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from certificate.block import Block, make_block
from certificate.certno import make_cert_no
from certificate.errors import SignatureError, ValidationError
from certificate.keys import PublicKey, SigningKey
from certificate.merkle import inclusion_path
from certificate.proof import CertificateProof
from certificate.tx import Transaction, issue_tx, revoke_tx
from tests.certificate.test_record import make_record

CHAIN = "spkm-test"
ISSUER = SigningKey(bytes([1]) * 32)
NODE_KEYS = {name: SigningKey(bytes([20 + i]) * 32) for i, name in enumerate(("jpk", "mampu"))}
MEMBERS: dict[str, PublicKey] = {name: key.public for name, key in NODE_KEYS.items()}
N = 11
REVOKE_INDEX = 6


def _issue(i: int) -> Transaction:
    record = make_record(
        cert_no=make_cert_no("SKM", 3, 2026, f"{i:08d}"), holder_ic=f"9001011{i:05d}"
    )
    return issue_tx(record, ISSUER, CHAIN)


def _txs() -> list[Transaction]:
    txs = [_issue(i) for i in range(N)]
    txs[REVOKE_INDEX] = revoke_tx(txs[0].record.cert_no, "Salah nama", "2026-11-21T00:00:00Z",
                                  ISSUER, CHAIN)
    return txs


TXS = _txs()
BLOCK = make_block(height=3, prev_hash=bytes(32), time_ms=1_790_000_000_000,
                   txs=[t.encode() for t in TXS], proposer="mampu", key=NODE_KEYS["mampu"],
                   chain_id=CHAIN)
ISSUE_INDEXES = [i for i in range(N) if i != REVOKE_INDEX]


def proof(index: int = 3) -> CertificateProof:
    return CertificateProof.from_block(BLOCK, index, CHAIN)


@pytest.mark.parametrize("index", ISSUE_INDEXES)
def test_every_certificate_in_the_block_proves(index: int) -> None:
    p = proof(index)
    assert p.path == tuple(inclusion_path(BLOCK.txs, index))
    record, tx = p.verify(MEMBERS, chain_id=CHAIN)
    assert record == TXS[index].record
    assert tx == TXS[index]
    assert p.verify(MEMBERS)[0] == record


def test_single_tx_block() -> None:
    b = make_block(height=1, prev_hash=bytes(32), time_ms=0, txs=[TXS[0].encode()],
                   proposer="jpk", key=NODE_KEYS["jpk"], chain_id=CHAIN)
    p = CertificateProof.from_block(b, 0, CHAIN)
    assert p.path == ()
    assert p.verify(MEMBERS)[0] == TXS[0].record


def test_non_issue_tx_is_refused() -> None:
    with pytest.raises(ValidationError) as err:
        proof(REVOKE_INDEX).verify(MEMBERS)
    assert err.value.code == "proof.tx_type"


def test_round_trips() -> None:
    p = proof()
    assert CertificateProof.decode(p.encode()) == p
    as_json = p.to_json()
    # Really JSON: survives a trip through text.
    assert CertificateProof.from_json(json.loads(json.dumps(as_json))) == p
    assert as_json["tx"] == p.tx.hex()
    assert as_json["header"]["merkle_root"] == BLOCK.header.merkle_root.hex()
    assert CertificateProof.from_dict(p.to_dict()) == p


def test_expected_chain_id() -> None:
    with pytest.raises(ValidationError) as err:
        proof().verify(MEMBERS, chain_id="spkm-prod")
    assert err.value.code == "proof.chain"


def test_unknown_proposer() -> None:
    with pytest.raises(SignatureError):
        proof().verify({"jpk": MEMBERS["jpk"]})
    # The right name with the wrong key.
    with pytest.raises(SignatureError):
        proof().verify({"mampu": MEMBERS["jpk"]})


def _flip(data: bytes, i: int = 0) -> bytes:
    return data[:i] + bytes([data[i] ^ 1]) + data[i + 1 :]


def _tampered(p: CertificateProof) -> list[CertificateProof]:
    h = p.header
    out = [
        dataclasses.replace(p, chain_id="spkm-prod"),
        dataclasses.replace(p, tx=TXS[4].encode()),
        dataclasses.replace(p, index=p.index + 1),
        dataclasses.replace(p, index=p.index - 1),
        dataclasses.replace(p, path=p.path[:-1]),
        dataclasses.replace(p, path=(*p.path, bytes(32))),
        dataclasses.replace(p, path=tuple(reversed(p.path))),
        dataclasses.replace(p, header_sig=_flip(p.header_sig)),
        dataclasses.replace(p, header_sig=NODE_KEYS["mampu"].sign("tx", CHAIN, h.encode())),
        dataclasses.replace(p, header=dataclasses.replace(h, height=h.height + 1)),
        dataclasses.replace(p, header=dataclasses.replace(h, prev_hash=_flip(h.prev_hash))),
        dataclasses.replace(p, header=dataclasses.replace(h, merkle_root=_flip(h.merkle_root))),
        dataclasses.replace(p, header=dataclasses.replace(h, time_ms=h.time_ms + 1)),
        dataclasses.replace(p, header=dataclasses.replace(h, proposer="jpk")),
        dataclasses.replace(p, header=dataclasses.replace(h, tx_count=h.tx_count + 1)),
        dataclasses.replace(p, header=dataclasses.replace(h, tx_count=h.tx_count - 1)),
    ]
    out += [dataclasses.replace(p, tx=_flip(p.tx, i)) for i in range(0, len(p.tx), 7)]
    for i in range(len(p.path)):
        path = list(p.path)
        path[i] = _flip(path[i], 31)
        out.append(dataclasses.replace(p, path=tuple(path)))
    return out


@pytest.mark.parametrize("index", [0, 3, 10])
def test_tampering_with_any_field_fails(index: int) -> None:
    p = proof(index)
    for bad in _tampered(p):
        assert bad != p
        with pytest.raises((ValidationError, SignatureError)):
            bad.verify(MEMBERS)


def test_another_blocks_header_does_not_prove() -> None:
    other = make_block(height=3, prev_hash=bytes(32), time_ms=1_790_000_000_000,
                       txs=[t.encode() for t in TXS[:5]], proposer="mampu",
                       key=NODE_KEYS["mampu"], chain_id=CHAIN)
    p = dataclasses.replace(proof(3), header=other.header, header_sig=other.signature)
    with pytest.raises(ValidationError):
        p.verify(MEMBERS)


def test_issuer_signature_must_hold() -> None:
    tx = TXS[3]
    bad_sig = dataclasses.replace(tx.sigs[0], sig=_flip(tx.sigs[0].sig))
    forged_tx = Transaction(tx.type, tx.body, (bad_sig,)).encode()
    txs = [*BLOCK.txs]
    txs[3] = forged_tx
    b = make_block(height=3, prev_hash=bytes(32), time_ms=1, txs=txs, proposer="mampu",
                   key=NODE_KEYS["mampu"], chain_id=CHAIN)
    with pytest.raises(SignatureError):
        CertificateProof.from_block(b, 3, CHAIN).verify(MEMBERS)


def _json() -> dict[str, Any]:
    return proof().to_json()


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: {k: v for k, v in d.items() if k != "path"},
        lambda d: {**d, "extra": 1},
        lambda d: {**d, "tx": "zz"},
        lambda d: {**d, "tx": 5},
        lambda d: {**d, "index": "3"},
        lambda d: {**d, "index": True},
        lambda d: {**d, "path": "ab" * 32},
        lambda d: {**d, "path": ["ab" * 31]},
        lambda d: {**d, "header": "x"},
        lambda d: {**d, "header": {**d["header"], "merkle_root": None}},
        lambda d: {**d, "header": {**d["header"], "height": "3"}},
        lambda d: {**d, "header_sig": ["00"]},
        lambda d: {**d, "chain_id": 7},
        lambda d: [d],
        lambda d: None,
    ],
)
def test_from_json_refuses_malformed(mutate: Any) -> None:
    with pytest.raises(ValidationError):
        CertificateProof.from_json(mutate(_json()))


def test_decode_refuses_non_canonical() -> None:
    data = proof().encode()
    with pytest.raises(ValidationError):
        CertificateProof.decode(data + b"\x00")


def test_block_helper_matches_manual_construction() -> None:
    p = proof(5)
    manual = CertificateProof(CHAIN, BLOCK.txs[5], 5, tuple(inclusion_path(BLOCK.txs, 5)),
                              BLOCK.header, BLOCK.signature)
    assert p == manual
    assert isinstance(BLOCK, Block)
