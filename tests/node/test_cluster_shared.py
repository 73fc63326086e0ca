"""One real 4-node cluster (processes, LevelDB, sockets) shared by tests that leave it healthy.

Every test here leaves the cluster as it found it apart from new blocks, so they can share it;
tests that kill, pause or wipe nodes live in their own modules with their own clusters.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import subprocess
import sys
from datetime import UTC, datetime

import msgpack
import pytest

from certificate.keys import SigningKey, write_key_file
from certificate.record import utc_timestamp
from certificate.tx import ISSUER_ADD, ISSUER_REMOVE, Signature, Transaction, governance_tx, issue_tx
from node.consensus import Message, MessageType
from node.metrics import parse_text
from node.p2p import Member, PeerNetwork
from tests.node.helpers import (
    NAMES,
    ROOT,
    ClusterHandle,
    free_ports,
    get,
    make_record,
    post_tx,
    wait_for,
)

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(180)]


def _now() -> str:
    return utc_timestamp(datetime.now(UTC))


def _assert_nowhere(c: ClusterHandle, cert_no: str, height_before: int) -> None:
    """The refused transaction reached no block: head unchanged, certificate unknown everywhere."""
    for n in NAMES:
        assert c.cert(n, cert_no).status == 404, n
    lead = c.leader()
    st = c.status(lead)
    assert st is not None
    assert st["height"] == height_before, "a refused transaction must not produce a block"


def _height(c: ClusterHandle) -> int:
    return c.same_head()[0]


# --- issuing and reading ----------------------------------------------------------------------

def test_issue_through_follower_then_read_it_from_every_node(shared_cluster: ClusterHandle) -> None:
    c = shared_cluster
    follower = c.follower()
    rec = make_record()
    tx = issue_tx(rec, c.issuer, c.chain_id)
    r = post_tx(c.urls[follower], tx)
    assert r.status == 201, r.body
    assert r.body["tx_id"] == tx.id_hex
    height, block_hash = r.body["height"], r.body["block_hash"]
    # 201 from a follower means it is applied there already: readable at once, no waiting.
    here = c.cert(follower, rec.cert_no)
    assert here.status == 200 and here.body["record"] == rec.to_dict()
    for n in NAMES:
        got = c.cert(n, rec.cert_no)
        assert got.status == 200, (n, got.body)
        assert got.body["record"] == rec.to_dict()
        assert got.body["status"] == "valid"
        assert got.body["block"] == {"height": height, "hash": block_hash}
        assert get(f"{c.urls[n]}/api/v1/blocks/{height}").body["hash"] == block_hash
        holders = get(f"{c.urls[n]}/api/v1/holders/{rec.holder_ic}/certificates").body
        assert [h["record"]["cert_no"] for h in holders["certificates"]] == [rec.cert_no]


def test_batch_through_every_node_and_resubmission_is_idempotent(shared_cluster: ClusterHandle) -> None:
    c = shared_cluster
    issued = [cert for n in NAMES for cert in c.issue(3, via=n)]
    height, _ = c.same_head(min_height=max(i.height for i in issued))
    for n in NAMES:
        for cert in issued:
            got = c.cert(n, cert.cert_no)
            assert got.status == 200 and got.body["block"]["height"] == cert.height
    # The same transaction again: same id, same place, one effect.
    again = post_tx(c.urls[NAMES[2]], issued[0].tx)
    assert again.status == 201
    assert (again.body["tx_id"], again.body["height"]) == (issued[0].tx.id_hex, issued[0].height)
    assert c.same_head()[0] == height
    # Another transaction with a cert_no already on the chain: 409, and no new block.
    clash = dataclasses.replace(make_record(), cert_no=issued[1].cert_no)
    r = post_tx(c.urls[c.follower()], issue_tx(clash, c.issuer, c.chain_id))
    assert r.status == 409 and r.body["error"]["code"] == "cert.duplicate"
    assert c.same_head()[0] == height


def test_wait_none_answers_202_and_the_transaction_commits(shared_cluster: ClusterHandle) -> None:
    c = shared_cluster
    rec = make_record()
    r = post_tx(c.urls[c.follower()], issue_tx(rec, c.issuer, c.chain_id), wait=False)
    assert r.status == 202, r.body
    wait_for(lambda: all(c.cert(n, rec.cert_no).status == 200 for n in NAMES), 15, "the 202 tx on every node")


def test_every_node_is_healthy_and_exports_metrics(shared_cluster: ClusterHandle) -> None:
    c = shared_cluster
    for n in NAMES:
        assert get(f"{c.urls[n]}/healthz").status == 200
        text = get(f"{c.urls[n]}/metrics").body
        assert "spkm_chain_height" in text and "spkm_raft_term" in text
        # LevelDB's compaction state, read from the node's own store at scrape time
        values = parse_text(text)
        assert values["spkm_storage_compaction_seconds_total"] >= 0
        assert values["spkm_storage_compaction_pending"] in (0, 1)
        assert values["spkm_storage_level0_files"] >= 0
        st = c.status(n)
        assert st is not None and {p["node_id"] for p in st["peers"]} == set(NAMES) - {n}


# --- transactions that must never reach a block -------------------------------------------------

@pytest.mark.parametrize("via", ["leader", "follower"])
def test_transaction_signed_by_an_unregistered_key_is_refused(shared_cluster: ClusterHandle, via: str) -> None:
    c = shared_cluster
    node = c.leader() if via == "leader" else c.follower()
    before = _height(c)
    rec = make_record()
    r = post_tx(c.urls[node], issue_tx(rec, SigningKey.generate(), c.chain_id))
    assert r.status == 403, r.body
    assert r.body["error"]["code"] == "tx.issuer"
    _assert_nowhere(c, rec.cert_no, before)


def test_bad_signature_and_altered_transaction_are_refused(shared_cluster: ClusterHandle) -> None:
    c = shared_cluster
    before = _height(c)
    rec = make_record()
    good = issue_tx(rec, c.issuer, c.chain_id)
    # a signature that is not a signature
    garbage = Transaction(good.type, good.body, (Signature(c.issuer.public.raw, os.urandom(64)),))
    # altered after signing: the holder's name changed, the signature kept
    altered_record = {**rec.to_dict(), "holder_name": "SOMEONE ELSE"}
    altered = Transaction(good.type, {"record": altered_record}, good.sigs)
    # signed for another chain (domain separation): valid Ed25519, wrong chain id
    other_chain = issue_tx(rec, c.issuer, c.chain_id + "-other")
    for node in (c.follower(), c.leader()):
        for tx in (garbage, altered, other_chain):
            r = post_tx(c.urls[node], tx)
            assert r.status == 400, r.body
            assert r.body["error"]["code"] == "tx.signature"
    _assert_nowhere(c, rec.cert_no, before)


def test_a_signature_check_is_not_borrowed_by_a_forged_copy(shared_cluster: ClusterHandle) -> None:
    """Regression: the node cached "signature verified" by transaction id, and the id does not
    cover the signatures. Anyone could submit a record signed with their own key (refused: not
    an issuer), then the same body with the real issuer's key and 64 random bytes as the
    signature: the leader skipped the check, committed a forged certificate, and forked from
    its followers, which checked the signature and skipped the block."""
    c = shared_cluster
    before = _height(c)
    rec = make_record()
    mine = issue_tx(rec, SigningKey.generate(), c.chain_id)
    forged = Transaction(mine.type, mine.body, (Signature(c.issuer.public.raw, os.urandom(64)),))
    assert forged.id == mine.id
    for node in (c.leader(), c.follower()):
        assert post_tx(c.urls[node], mine).status == 403
        r = post_tx(c.urls[node], forged)
        assert r.status == 400, r.body
        assert r.body["error"]["code"] == "tx.signature"
    _assert_nowhere(c, rec.cert_no, before)
    c.same_head()


# --- governance -------------------------------------------------------------------------------

def test_issuer_registry_needs_the_admin_threshold_and_removal_keeps_old_certificates(
        shared_cluster: ClusterHandle) -> None:
    c = shared_cluster
    a1, a2, a3 = (c.admin(i) for i in (1, 2, 3))
    officer = SigningKey.generate()
    url = c.urls[c.follower()]
    before = _height(c)
    proposal = governance_tx(ISSUER_ADD, officer.public, "Pegawai Baharu", _now())
    for signers in ([a1], [a1, SigningKey.generate()], [SigningKey.generate(), SigningKey.generate()]):
        tx = proposal
        for k in signers:
            tx = tx.signed_by(k, c.chain_id)
        r = post_tx(url, tx)
        assert r.status == 403, (len(signers), r.body)
        assert r.body["error"]["code"] == "gov.threshold"
    assert _height(c) == before
    rec0 = make_record()
    assert post_tx(url, issue_tx(rec0, officer, c.chain_id)).status == 403  # not yet an issuer

    r = post_tx(url, proposal.signed_by(a1, c.chain_id).signed_by(a3, c.chain_id))
    assert r.status == 201, r.body
    rec1 = make_record()
    r = post_tx(c.urls[c.leader()], issue_tx(rec1, officer, c.chain_id))
    assert r.status == 201, r.body

    removal = governance_tx(ISSUER_REMOVE, officer.public, "Pegawai Baharu", _now())
    assert post_tx(url, removal.signed_by(a2, c.chain_id)).status == 403
    r = post_tx(url, removal.signed_by(a2, c.chain_id).signed_by(a3, c.chain_id))
    assert r.status == 201, r.body

    rec2 = make_record()
    r = post_tx(url, issue_tx(rec2, officer, c.chain_id))
    assert r.status == 403 and r.body["error"]["code"] == "tx.issuer"
    c.same_head()
    for n in NAMES:
        assert c.cert(n, rec2.cert_no).status == 404
        old = c.cert(n, rec1.cert_no)
        assert old.status == 200 and old.body["status"] == "valid", (n, old.body)
        assert old.body["issuer_key"] == officer.public.hex


# --- strangers ------------------------------------------------------------------------------

async def test_a_stranger_key_gets_nothing_through_p2p(shared_cluster: ClusterHandle) -> None:
    """A raw p2p client that claims to be a member (or is a non-member) but holds a key not in
    genesis is refused at the handshake: its connection never authenticates and nothing it
    sends (here: a vote request with a huge term) reaches the Raft core."""
    c = shared_cluster
    target = "jpk"
    term_before = max(st["term"] for st in c.statuses().values() if st)
    stranger = SigningKey.generate()
    received: list[tuple[str, bytes]] = []
    nets = []
    for claimed in ("mampu", "intruder"):
        [port] = free_ports(1)
        members = {
            claimed: Member(claimed, stranger.public.raw, "127.0.0.1", port),
            target: Member(target, c.pubkey(target).raw, "127.0.0.1", c.p2p_port(target)),
        }
        net = PeerNetwork(claimed, stranger, c.genesis_hash(), members, "127.0.0.1", port,
                          lambda peer, payload: received.append((peer, payload)),
                          backoff_initial=0.05, backoff_cap=0.2)
        await net.start()
        nets.append(net)
        vote = Message(MessageType.VOTE, target, claimed, term_before + 1000, log_term=10**6, index=10**6)
        for _ in range(5):
            net.send(target, msgpack.packb(["raft", vote.to_dict()], use_bin_type=True))
    try:
        await asyncio.sleep(2.0)
        for net in nets:
            assert net.connected_peers() == set()
            assert net.stats()[target]["dial_failures"] > 0
    finally:
        for net in nets:
            await net.stop()
    assert received == []
    sts = c.statuses()
    assert all(st is not None and st["term"] < term_before + 1000 for st in sts.values())
    log = (c.dir / target / "node.log").read_text()
    assert "refused inbound connection" in log
    c.same_head()


def test_a_node_whose_key_is_not_in_genesis_refuses_to_start(shared_cluster: ClusterHandle) -> None:
    c = shared_cluster
    d = c.dir / "stranger"
    d.mkdir(exist_ok=True)
    write_key_file(d / "stranger.key", SigningKey.generate())
    http_port, p2p_port = free_ports(2)
    common = (f'data_dir = "data"\ngenesis_file = "{c.dir / "genesis.json"}"\n'
              f'p2p_listen = "127.0.0.1:{p2p_port}"\nhttp_listen = "127.0.0.1:{http_port}"\n')
    (d / "as-member.toml").write_text(f'node_id = "mampu"\nkey_file = "stranger.key"\n{common}')
    (d / "as-new.toml").write_text(f'node_id = "intruder"\nkey_file = "stranger.key"\n{common}')
    cases = {"as-member.toml": "is not the key the genesis file lists", "as-new.toml": "is not a member"}
    procs = {cfg: subprocess.Popen([sys.executable, "-m", "node", "--config", str(d / cfg)], cwd=ROOT,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                   text=True)
             for cfg in cases}
    for cfg, words in cases.items():
        _out, err = procs[cfg].communicate(timeout=60)
        assert procs[cfg].returncode == 2, err
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and words in lines[0], err
    c.same_head()


def test_demo_issues_sample_certificates_with_every_verdict(shared_cluster: ClusterHandle) -> None:
    """``cluster.py up --demo`` on a running cluster: an approved meeting, issued, revoked,
    superseded and corrected certificates, and approved candidates still pending."""
    import csv

    c = shared_cluster
    res = c.script("up", "--demo")
    assert "demo:" in res.stdout and "certificates issued" in res.stdout, res.stdout
    with (c.dir / "demo-holders.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    url = c.urls[c.follower()]
    verdicts = {"revoked": "revoked", "superseded": "superseded", "correction": "valid", "": "valid"}
    for row in rows:
        if row["cert_no"]:
            got = get(f"{url}/api/v1/certificates/{row['cert_no']}")
            assert got.status == 200 and got.body["status"] == verdicts[row["note"]], (row, got.body)
        else:
            st = get(f"{url}/api/v1/holders/{row['ic']}/status")
            assert st.status == 200 and st.body["pending"], (row, st.body)
    assert {r["note"] for r in rows} >= {"revoked", "superseded", "correction"}
    c.same_head()
