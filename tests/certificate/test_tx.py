"""Transactions: ids, signatures, one encoding per transaction, and each type's body rules."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from certificate import canonical
from certificate.errors import SignatureError, ValidationError
from certificate.hashing import sha256
from certificate.keys import SigningKey
from certificate.tx import (
    APPROVE,
    ISSUE,
    ISSUER_ADD,
    ISSUER_REMOVE,
    MAX_SIGS,
    REVOKE,
    Signature,
    Transaction,
    approve_txs,
    governance_tx,
    issue_tx,
    revoke_tx,
)
from tests.certificate.test_record import CERT_NO, make_record

CHAIN = "spkm-test"
ISSUER = SigningKey(bytes([1]) * 32)
ADMINS = [SigningKey(bytes([10 + i]) * 32) for i in range(3)]
NEW_ISSUER = SigningKey(bytes([2]) * 32)
STAMP = "2026-11-20T01:02:03Z"


def signed_issue() -> Transaction:
    return issue_tx(make_record(), ISSUER, CHAIN)


def candidate(i: int = 0, **changes: Any) -> dict[str, Any]:
    return {
        "ic": f"9001011{i:05d}",
        "name": "Ahmad bin Abu",
        "kind": "SKM",
        "level": 3,
        "noss_code": "MC-024-3:2012",
        "programme_ms": "Pemasangan Elektrik",
        "centre_code": "AB123",
        **changes,
    }


# --- issue: round trip, id, signatures ---------------------------------------------------


def test_issue_round_trip() -> None:
    tx = signed_issue()
    data = tx.encode()
    back = Transaction.decode(data)
    assert back == tx
    assert back.encode() == data
    assert back.record == make_record()
    assert back.type == ISSUE
    assert [k.raw for k in back.verified_signers(CHAIN)] == [ISSUER.public.raw]


def test_id_is_hash_of_canonical_type_and_body() -> None:
    tx = signed_issue()
    expected = sha256(canonical.encode({"type": ISSUE, "body": {"record": make_record().to_dict()}}))
    assert tx.id == expected
    assert tx.id_hex == expected.hex()
    assert tx.signing_bytes == canonical.encode({"type": ISSUE, "body": tx.body})


def test_same_transaction_twice_is_identical() -> None:
    first, second = signed_issue(), signed_issue()
    assert first.encode() == second.encode()
    assert first.id == second.id
    # Resigning, or another signer, never changes the id.
    assert first.signed_by(ISSUER, CHAIN).encode() == first.encode()
    assert first.signed_by(ADMINS[0], CHAIN).id == first.id


def test_signature_bound_to_chain_and_domain() -> None:
    tx = signed_issue()
    with pytest.raises(SignatureError):
        tx.verified_signers("spkm-prod")
    sig = tx.sigs[0]
    block_sig = ISSUER.sign("block", CHAIN, tx.signing_bytes)
    with pytest.raises(SignatureError):
        Transaction(tx.type, tx.body, (Signature(sig.key, block_sig),)).verified_signers(CHAIN)
    with pytest.raises(SignatureError):
        Transaction(tx.type, tx.body).verified_signers(CHAIN)


def test_signature_does_not_carry_over_to_another_body() -> None:
    tx = signed_issue()
    other = make_record(holder_name="Siti Nur Aisyah binti Ahmadi")
    forged = Transaction(ISSUE, {"record": other.to_dict()}, tx.sigs)
    with pytest.raises(SignatureError):
        Transaction.decode(forged.encode()).verified_signers(CHAIN)


def _outcome(data: bytes) -> str:
    try:
        tx = Transaction.decode(data)
    except ValidationError:
        return "undecodable"
    try:
        tx.verified_signers(CHAIN)
    except SignatureError:
        return "bad signature"
    return "verified"


ISSUE_BYTES = signed_issue().encode()


def test_every_single_bit_flip_is_caught() -> None:
    for pos in range(len(ISSUE_BYTES)):
        for bit in (0x01, 0x80):
            data = bytearray(ISSUE_BYTES)
            data[pos] ^= bit
            assert _outcome(bytes(data)) != "verified", pos


@settings(max_examples=400, deadline=None)
@given(st.integers(0, len(ISSUE_BYTES) - 1), st.integers(1, 255))
def test_every_single_byte_mutation_is_caught(pos: int, delta: int) -> None:
    data = bytearray(ISSUE_BYTES)
    data[pos] = (data[pos] + delta) % 256
    # Only ValidationError or SignatureError may escape: anything else fails the test.
    assert _outcome(bytes(data)) in ("undecodable", "bad signature")


@settings(max_examples=200, deadline=None)
@given(st.integers(0, len(ISSUE_BYTES)), st.binary(min_size=1, max_size=3))
def test_insertions_and_truncations_are_caught(pos: int, extra: bytes) -> None:
    assert _outcome(ISSUE_BYTES[:pos] + extra + ISSUE_BYTES[pos:]) != "verified"
    if pos < len(ISSUE_BYTES):
        assert _outcome(ISSUE_BYTES[:pos]) == "undecodable"


def test_record_of_non_issue_transaction() -> None:
    tx = revoke_tx(CERT_NO, "Salah nama", STAMP, ISSUER, CHAIN)
    with pytest.raises(ValueError):
        _ = tx.record


# --- transaction shape ---------------------------------------------------------------


def _with(tx: Transaction, **changes: Any) -> dict[str, Any]:
    return {**tx.to_dict(), **changes}


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: {**d, "extra": 1},
        lambda d: {k: v for k, v in d.items() if k != "sigs"},
        lambda d: {**d, "type": "mint"},
        lambda d: {**d, "type": ["issue"]},
        lambda d: {**d, "body": [d["body"]]},
        lambda d: {**d, "sigs": d["sigs"][0]},
        lambda d: {**d, "sigs": [d["sigs"][0][:1]]},
        lambda d: {**d, "sigs": [[d["sigs"][0][0], d["sigs"][0][1][:63]]]},
        lambda d: {**d, "sigs": [[d["sigs"][0][0][:31], d["sigs"][0][1]]]},
        lambda d: {**d, "sigs": [[d["sigs"][0][0].hex(), d["sigs"][0][1]]]},
        lambda d: {**d, "sigs": d["sigs"] * 2},
        lambda d: {**d, "sigs": [[bytes([i]) * 32, bytes(64)] for i in range(MAX_SIGS + 1)]},
        lambda d: {**d, "body": {**d["body"], "note": "x"}},
        lambda d: {**d, "body": {}},
        lambda d: {**d, "body": {"record": {**d["body"]["record"], "kind": "skm"}}},
        lambda d: "not a tx",
    ],
)
def test_from_dict_refuses_bad_shapes(mutate: Any) -> None:
    with pytest.raises(ValidationError):
        Transaction.from_dict(mutate(signed_issue().to_dict()))


def test_signatures_have_one_order() -> None:
    tx = governance_tx(ISSUER_ADD, NEW_ISSUER.public, "Pegawai Baharu", STAMP)
    a = tx.signed_by(ADMINS[2], CHAIN).signed_by(ADMINS[0], CHAIN).signed_by(ADMINS[1], CHAIN)
    b = tx.signed_by(ADMINS[1], CHAIN).signed_by(ADMINS[2], CHAIN).signed_by(ADMINS[0], CHAIN)
    assert a.encode() == b.encode()
    assert [s.key for s in a.sigs] == sorted(s.key for s in a.sigs)
    # Built by hand in any order, the constructor sorts; a decoder refuses unsorted bytes.
    assert Transaction(a.type, a.body, tuple(reversed(a.sigs))) == a
    unsorted = {**a.to_dict(), "sigs": list(reversed(a.to_dict()["sigs"]))}
    with pytest.raises(ValidationError, match="sorted"):
        Transaction.from_dict(unsorted)
    with pytest.raises(ValidationError):
        Transaction.decode(canonical.encode(unsorted))


# --- revoke --------------------------------------------------------------------------


def test_revoke_normalises_and_round_trips() -> None:
    tx = revoke_tx(CERT_NO.replace("-", "").lower(), "  Salah   nama\npemegang ", STAMP, ISSUER, CHAIN)
    assert tx.type == REVOKE
    assert tx.body == {"cert_no": CERT_NO, "reason": "Salah nama pemegang", "revoked_at": STAMP}
    assert Transaction.decode(tx.encode()) == tx
    assert tx.verified_signers(CHAIN)[0] == ISSUER.public


@pytest.mark.parametrize(
    "changes",
    [
        {"cert_no": CERT_NO.lower()},
        {"cert_no": CERT_NO[:-1] + ("A" if CERT_NO[-1] != "A" else "B")},
        {"cert_no": 5},
        {"reason": ""},
        {"reason": "   "},
        {"reason": "two  spaces"},
        {"reason": " leading"},
        {"reason": "bell\x07"},
        {"reason": "bidi\u202eoverride"},
        {"reason": "Jose\u0301"},
        {"reason": "x" * 501},
        {"reason": None},
        {"revoked_at": "2026-11-20"},
        {"revoked_at": "2026-11-31T00:00:00Z"},
        {"revoked_at": 1700000000},
        {"extra": 1},
    ],
)
def test_revoke_body_refusals(changes: dict[str, Any]) -> None:
    body = {"cert_no": CERT_NO, "reason": "Salah nama", "revoked_at": STAMP, **changes}
    with pytest.raises(ValidationError):
        Transaction.from_dict({"type": REVOKE, "body": body, "sigs": []})
    with pytest.raises(ValidationError):
        Transaction.from_dict(
            {"type": REVOKE, "body": {k: v for k, v in body.items() if k != "reason"}, "sigs": []}
        )


# --- governance ----------------------------------------------------------------------


def test_governance_m_of_n() -> None:
    proposal = governance_tx(ISSUER_ADD, NEW_ISSUER.public, " Pegawai  Baharu ", STAMP)
    assert proposal.sigs == ()
    assert proposal.body == {"key": NEW_ISSUER.public.raw, "name": "Pegawai Baharu",
                             "proposed_at": STAMP}
    with pytest.raises(SignatureError):
        proposal.verified_signers(CHAIN)
    two = proposal.signed_by(ADMINS[0], CHAIN).signed_by(ADMINS[1], CHAIN)
    back = Transaction.decode(two.encode())
    assert back == two
    assert back.id == proposal.id
    assert {k.raw for k in back.verified_signers(CHAIN)} == {ADMINS[0].public.raw,
                                                             ADMINS[1].public.raw}
    # One forged co-signature spoils the whole transaction.
    bad = Transaction(two.type, two.body, (*two.sigs, Signature(ADMINS[2].public.raw, bytes(64))))
    with pytest.raises(SignatureError):
        Transaction.decode(bad.encode()).verified_signers(CHAIN)
    # A co-signature for another chain does not count here.
    other_chain = proposal.signed_by(ADMINS[2], "spkm-prod")
    with pytest.raises(SignatureError):
        Transaction.decode(
            Transaction(two.type, two.body, (*two.sigs, *other_chain.sigs)).encode()
        ).verified_signers(CHAIN)


def test_governance_remove_and_refusals() -> None:
    remove = governance_tx(ISSUER_REMOVE, NEW_ISSUER.public, "Pegawai Baharu", STAMP)
    add = governance_tx(ISSUER_ADD, NEW_ISSUER.public, "Pegawai Baharu", STAMP)
    assert remove.id != add.id
    with pytest.raises(ValidationError):
        governance_tx(ISSUE, NEW_ISSUER.public, "x", STAMP)
    with pytest.raises(ValidationError):
        governance_tx(ISSUER_ADD, NEW_ISSUER.public, "   ", STAMP)
    with pytest.raises(ValidationError):
        governance_tx(ISSUER_ADD, NEW_ISSUER.public, "Pegawai", "yesterday")
    good = add.to_dict()
    for body in (
        {**good["body"], "key": good["body"]["key"][:31]},
        {**good["body"], "key": good["body"]["key"].hex()},
        {**good["body"], "name": "Pegawai  Baharu"},
        {**good["body"], "name": "x" * 121},
        {**good["body"], "proposed_at": "2026-02-29T00:00:00Z"},
        {**good["body"], "reason": "x"},
        {k: v for k, v in good["body"].items() if k != "name"},
    ):
        with pytest.raises(ValidationError):
            Transaction.from_dict({**good, "body": body})


@pytest.mark.parametrize("tx_type", [ISSUE, REVOKE, APPROVE, ISSUER_ADD, ISSUER_REMOVE])
def test_every_type_refuses_an_empty_body(tx_type: str) -> None:
    with pytest.raises(ValidationError):
        Transaction.from_dict({"type": tx_type, "body": {}, "sigs": []})


# --- decode_vouched: what decode would have made, for bytes decode already accepted -----------


def _every_type() -> list[Transaction]:
    gov = governance_tx(ISSUER_ADD, NEW_ISSUER.public, "Agensi Baru", STAMP)
    for admin in ADMINS:
        gov = gov.signed_by(admin, CHAIN)
    return [
        signed_issue(),
        Transaction(ISSUE, {"record": make_record().to_dict()}).signed_by(ISSUER, CHAIN),
        revoke_tx(CERT_NO, "Salah cetak", STAMP, ISSUER, CHAIN),
        *approve_txs("JPPS/2026/11/01", "2026-11-02", [candidate(0), candidate(1)], ISSUER, CHAIN),
        gov,
    ]


@pytest.mark.parametrize("n", range(5))
def test_decode_vouched_equals_decode(n: int) -> None:
    raw = _every_type()[n].encode()
    checked, vouched = Transaction.decode(raw), Transaction.decode_vouched(raw, sha256(raw))
    assert vouched == checked
    assert (vouched.id, vouched.signing_bytes, vouched.digest, vouched.encode()) == (
        checked.id, checked.signing_bytes, checked.digest, raw)
    assert vouched.verified_signers(CHAIN) == checked.verified_signers(CHAIN)
    if checked.type == ISSUE:
        assert vouched.record == checked.record
        assert vouched.record.to_dict() == checked.record.to_dict()


@pytest.mark.parametrize("n_sigs", [0, 1, 2, 15, 16])
def test_signing_bytes_are_cut_out_right_for_any_number_of_signatures(n_sigs: int) -> None:
    """Both decoders cut the signed bytes out of the encoding (no re-packing): the cut must
    give exactly the canonical ``{type, body}``, or every id and signature check is wrong."""
    keys = [SigningKey(bytes([50 + i]) * 32) for i in range(n_sigs)]
    tx = governance_tx(ISSUER_ADD, NEW_ISSUER.public, "Agensi Baru", STAMP)
    for k in keys:
        tx = tx.signed_by(k, CHAIN)
    raw = tx.encode()
    for decoded in (Transaction.decode(raw), Transaction.decode_vouched(raw, sha256(raw))):
        assert "signing_bytes" in decoded.__dict__  # cut at decode, not packed again later
        assert decoded.signing_bytes == canonical.encode({"type": tx.type, "body": tx.body})
        if n_sigs:
            assert len(decoded.verified_signers(CHAIN)) == n_sigs
        else:
            with pytest.raises(SignatureError):
                decoded.verified_signers(CHAIN)
