"""Attacks on what enters the chain, end to end on a real 4-node cluster (through followers too).

Each test names the product line that is its defence; remove that line and the test fails.
"""

from __future__ import annotations

import base64
import dataclasses
from datetime import UTC, datetime, timedelta

import msgpack
import pytest

from certificate.keys import SigningKey
from certificate.record import utc_timestamp
from certificate.tx import ISSUER_ADD, ISSUER_REMOVE, Signature, Transaction, governance_tx, issue_tx, revoke_tx
from tests.node.helpers import NAMES, ClusterHandle, get, make_record, post_tx, post_txs

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(300)]


def committed_count(c: ClusterHandle, node: str, tx: Transaction) -> int:
    """How many times ``tx``'s id appears in the blocks of ``node`` (read block by block)."""
    height = c.status(node)["height"]  # type: ignore[index]
    n = 0
    for h in range(1, height + 1):
        for t in get(f"{c.urls[node]}/api/v1/blocks/{h}").body["txs"]:
            if Transaction.decode(base64.b64decode(t)).id == tx.id:
                n += 1
    return n


def error_code(reply: object) -> str | None:
    body = getattr(reply, "body", None)
    return body.get("error", {}).get("code") if isinstance(body, dict) else None


# --- forged issuer signatures ------------------------------------------------------------------------

def test_a_forged_or_foreign_signature_is_refused_by_every_node(cluster: ClusterHandle) -> None:
    """Defences: node/chain/rules.py ``check_signatures`` (tx.verified_signers verifies every
    signature over the tx domain and chain id) and ``_require_issuer`` (key must be registered);
    node/service.py ``submit`` checks signatures on the follower before forwarding."""
    c = cluster
    rec = make_record()
    good = issue_tx(rec, c.issuer, c.chain_id)
    stranger = issue_tx(rec, SigningKey.generate(), c.chain_id)  # a valid signature, unregistered key
    forged = Transaction(good.type, good.body, (Signature(c.issuer.public.raw, bytes(64)),))
    other_chain = issue_tx(rec, c.issuer, c.chain_id + "-test")  # the issuer's key, another chain
    altered = Transaction(good.type, {**good.body, "record": {**good.body["record"], "holder_name": "SOMEONE ELSE"}},
                          good.sigs)
    for node in NAMES:
        assert post_tx(c.urls[node], stranger).status == 403
        for bad in (forged, other_chain, altered):
            r = post_tx(c.urls[node], bad)
            assert r.status == 400 and error_code(r) == "tx.signature", (node, r.body)
    assert get(f"{c.urls[NAMES[0]]}/api/v1/certificates/{rec.cert_no}").status == 404
    assert post_tx(c.urls[c.follower()], good).status == 201


def test_a_copy_of_a_committed_transaction_with_forged_signatures_is_refused(cluster: ClusterHandle) -> None:
    """The tx id covers only {type, body}, so a copy with a forged signature has the *same id*.
    Defences: node/chain/state.py ``VerifiedCache._key`` (keyed by the whole signed encoding, not
    the id) and node/service.py ``submit`` (signatures checked before the 'already committed'
    lookup). Without them the forgery would be answered 201 'committed' as if it were genuine."""
    c = cluster
    [cert] = c.issue(1, via=c.leader())
    forged = Transaction(cert.tx.type, cert.tx.body, (Signature(c.issuer.public.raw, bytes(64)),))
    assert forged.id == cert.tx.id
    for node in NAMES:
        r = post_tx(c.urls[node], forged)
        assert r.status == 400 and error_code(r) == "tx.signature", (node, r.body)


# --- replay -----------------------------------------------------------------------------------------

def test_the_same_transaction_twice_has_one_effect(cluster: ClusterHandle) -> None:
    """Defences: certificate/tx.py (id = hash of {type, body}), node/chain/rules.py ``apply_tx``
    ('tx.duplicate'), node/engine.py ``admit`` and node/service.py ``submit`` (an id already on the
    chain is answered with its first place, never admitted again)."""
    c = cluster
    tx = issue_tx(make_record(), c.issuer, c.chain_id)
    first = post_tx(c.urls[c.follower()], tx)
    assert first.status == 201
    # at once, concurrently through every node, and in one batch twice
    again = [post_tx(c.urls[n], tx) for n in NAMES]
    batch = post_txs(c.urls[NAMES[2]], [tx, tx])
    for r in again:
        assert r.status == 201 and (r.body["height"], r.body["block_hash"]) == (first.body["height"],
                                                                                first.body["block_hash"])
    assert [r["status"] for r in batch.body["results"]] == [201, 201]
    c.same_head()
    assert committed_count(c, NAMES[3], tx) == 1


def test_an_old_governance_transaction_replayed_later_has_no_effect(cluster: ClusterHandle) -> None:
    """The replay that only the transaction-id check stops: an admin-signed ``issuer.add`` of a key
    is replayed after the key was removed. Every signature in it is valid and the key is not an
    issuer any more, so the rules alone would add it again. Defence: node/chain/rules.py
    ``apply_tx`` first line (``K.tx(tx.id)`` already on the chain -> 'tx.duplicate') and
    node/service.py / node/engine.py answering the earlier place for a known id."""
    c = cluster
    officer = SigningKey.generate()
    now = datetime.now(UTC)
    add = governance_tx(ISSUER_ADD, officer.public, "Pegawai Sementara", utc_timestamp(now))
    add = add.signed_by(c.admin(1), c.chain_id).signed_by(c.admin(2), c.chain_id)
    remove = governance_tx(ISSUER_REMOVE, officer.public, "Pegawai Sementara",
                           utc_timestamp(now + timedelta(seconds=1)))
    remove = remove.signed_by(c.admin(2), c.chain_id).signed_by(c.admin(3), c.chain_id)
    added = post_tx(c.urls[c.leader()], add)
    assert added.status == 201, added.body
    assert post_tx(c.urls[NAMES[1]], issue_tx(make_record(), officer, c.chain_id)).status == 201
    assert post_tx(c.urls[NAMES[2]], remove).status == 201
    replay = post_tx(c.urls[NAMES[3]], add)
    assert replay.status == 201 and replay.body["height"] == added.body["height"]  # its old place
    r = post_tx(c.urls[NAMES[0]], issue_tx(make_record(), officer, c.chain_id))
    assert r.status == 403 and error_code(r) == "tx.issuer", r.body
    # the same add with other (valid) admin signatures is the same transaction: still no effect
    resigned = governance_tx(ISSUER_ADD, officer.public, "Pegawai Sementara", utc_timestamp(now))
    resigned = resigned.signed_by(c.admin(1), c.chain_id).signed_by(c.admin(3), c.chain_id)
    assert resigned.id == add.id
    assert post_tx(c.urls[NAMES[1]], resigned).status == 201
    assert post_tx(c.urls[NAMES[0]], issue_tx(make_record(), officer, c.chain_id)).status == 403


def test_a_revoked_certificate_is_not_revived_by_replaying_its_issue(cluster: ClusterHandle) -> None:
    """Defences: node/chain/rules.py ``apply_tx`` ('tx.duplicate') and ``_issue`` ('cert.duplicate')."""
    c = cluster
    [cert] = c.issue(1, via=NAMES[1])
    now = utc_timestamp(datetime.now(UTC))
    assert post_tx(c.urls[NAMES[2]], revoke_tx(cert.cert_no, "Ujian keselamatan", now, c.issuer,
                                               c.chain_id)).status == 201
    assert post_tx(c.urls[NAMES[3]], cert.tx).status == 201  # the old place, no new effect
    # a re-signed copy with a different issued_at is a new transaction for the same cert_no: refused
    rec2 = dataclasses.replace(cert.record, issued_at=utc_timestamp(datetime.now(UTC) + timedelta(minutes=1)))
    r = post_tx(c.urls[NAMES[0]], issue_tx(rec2, c.issuer, c.chain_id))
    assert r.status == 409 and error_code(r) == "cert.duplicate", r.body
    for node in NAMES:
        assert get(f"{c.urls[node]}/api/v1/certificates/{cert.cert_no}").body["status"] == "revoked"


# --- a removed issuer ------------------------------------------------------------------------------------

def test_a_removed_issuer_key_can_neither_issue_nor_revoke(cluster: ClusterHandle) -> None:
    """Defences: node/chain/rules.py ``_require_issuer`` (``removed_height`` set -> 403) and
    ``_governance`` (M-of-N admin signatures, admins only)."""
    c = cluster
    officer = SigningKey.generate()
    t0 = datetime.now(UTC)
    add = governance_tx(ISSUER_ADD, officer.public, "Pegawai Berpindah", utc_timestamp(t0))
    one_admin = add.signed_by(c.admin(1), c.chain_id)
    r = post_tx(c.urls[NAMES[0]], one_admin)
    assert r.status == 403 and error_code(r) == "gov.threshold", r.body
    admin_and_issuer = one_admin.signed_by(c.issuer, c.chain_id)
    r = post_tx(c.urls[NAMES[0]], admin_and_issuer)
    assert r.status == 403 and error_code(r) in ("gov.threshold", "gov.signer"), r.body
    assert post_tx(c.urls[NAMES[0]], one_admin.signed_by(c.admin(2), c.chain_id)).status == 201
    before = issue_tx(make_record(), officer, c.chain_id)
    assert post_tx(c.urls[NAMES[1]], before).status == 201
    remove = governance_tx(ISSUER_REMOVE, officer.public, "Pegawai Berpindah",
                           utc_timestamp(t0 + timedelta(seconds=1)))
    assert post_tx(c.urls[NAMES[2]], remove.signed_by(c.admin(1), c.chain_id)
                   .signed_by(c.admin(3), c.chain_id)).status == 201
    for node in NAMES:
        r = post_tx(c.urls[node], issue_tx(make_record(), officer, c.chain_id))
        assert r.status == 403 and error_code(r) == "tx.issuer", (node, r.body)
        r = post_tx(c.urls[node], revoke_tx(before.record.cert_no, "Cubaan", utc_timestamp(datetime.now(UTC)),
                                            officer, c.chain_id))
        assert r.status == 403 and error_code(r) == "tx.issuer", (node, r.body)
    # what it issued while registered stays valid (history is not rewritten)
    got = get(f"{c.urls[NAMES[3]]}/api/v1/certificates/{before.record.cert_no}")
    assert got.status == 200 and got.body["status"] == "valid"


def test_a_block_of_an_unregistered_issuer_never_reaches_the_chain(cluster: ClusterHandle) -> None:
    """A batch mixing good and forged transactions: only the good ones are committed, and the
    blocks on every node verify (``verify-chain`` re-checks every signature). Defence:
    node/engine.py ``admit`` and ``_maybe_propose`` (each tx checked against the rules before it
    enters a block) and node/chain/state.py ``check_block`` on every node."""
    c = cluster
    good = [issue_tx(make_record(), c.issuer, c.chain_id) for _ in range(3)]
    bad = [issue_tx(make_record(), SigningKey.generate(), c.chain_id) for _ in range(3)]
    mixed = [good[0], bad[0], good[1], bad[1], good[2], bad[2]]
    r = post_txs(c.urls[c.follower()], mixed)
    assert [x["status"] for x in r.body["results"]] == [201, 403, 201, 403, 201, 403]
    height, _ = c.same_head()
    raw_bad = {t.encode() for t in bad}
    for h in range(max(1, height - 5), height + 1):
        for t in get(f"{c.urls[NAMES[0]]}/api/v1/blocks/{h}").body["txs"]:
            assert base64.b64decode(t) not in raw_bad
            msgpack.unpackb(base64.b64decode(t))
