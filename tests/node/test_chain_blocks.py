"""Followers refuse bad blocks, and every replica skips the same committed entries.

Unit level: a ``ChainState`` (and an ``Engine``) over a real LevelDB ``Store`` in a temp dir,
fed blocks built with ``certificate.block.make_block`` and then spoiled one way at a time.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from certificate import canonical
from certificate.block import Block, BlockHeader, make_block
from certificate.hashing import sha256
from certificate.keys import SigningKey
from certificate.merkle import merkle_root
from certificate.tx import Signature, Transaction, issue_tx
from node.chain.state import BlockRejected, ChainState, Head
from node.consensus import Entry, EntryType, HardState
from node.engine import Engine
from node.engine_prefetch import absorb, prepare_block
from node.genesis import Genesis, parse_genesis
from node.metrics import Metrics
from node.storage.db import Store
from tests.node.helpers import make_record

NODES = ("jpk", "mampu")


@dataclasses.dataclass
class World:
    genesis: Genesis
    node_keys: dict[str, SigningKey]
    issuer: SigningKey
    chain_id: str

    def block(self, head: Head, txs: list[Transaction], *, proposer: str = "jpk", key: SigningKey | None = None,
              prev: bytes | None = None, height: int | None = None, time_ms: int | None = None,
              chain_id: str | None = None) -> Block:
        return make_block(height=head.height + 1 if height is None else height,
                          prev_hash=head.hash if prev is None else prev,
                          time_ms=head.time_ms + 1000 if time_ms is None else time_ms,
                          txs=[t.encode() for t in txs], proposer=proposer,
                          key=key or self.node_keys.get(proposer) or SigningKey.generate(),
                          chain_id=chain_id or self.chain_id)

    def issue(self, key: SigningKey | None = None) -> Transaction:
        return issue_tx(make_record(), key or self.issuer, self.chain_id)


@pytest.fixture
def world() -> World:
    node_keys = {n: SigningKey.generate() for n in NODES}
    issuer = SigningKey.generate()
    chain_id = f"unit-{os.urandom(3).hex()}"
    doc = {
        "chain_id": chain_id, "qr_base_url": "http://127.0.0.1:1",
        "members": [{"node_id": n, "name": n, "public_key": k.public.hex, "p2p": f"127.0.0.1:{9000 + i}"}
                    for i, (n, k) in enumerate(node_keys.items())],
        "issuers": [{"public_key": issuer.public.hex, "name": "Pegawai"}],
        "admins": {"threshold": 1, "keys": []},
    }
    return World(parse_genesis(doc), node_keys, issuer, chain_id)


class Replica:
    """A ChainState over its own LevelDB, with the raft log replaced by a dict of entries."""

    def __init__(self, path: Path, genesis: Genesis) -> None:
        self.store = Store(path)
        self.entries: dict[int, bytes] = {}
        self.state = ChainState(self.store, genesis, self.entries.__getitem__)

    def apply(self, block: Block | bytes, index: int) -> None:
        data = block if isinstance(block, bytes) else block.encode()
        self.entries[index] = data
        self.state.apply_block(data, index)

    def snapshot(self) -> tuple[Head, int, bytes]:
        return self.state.head, self.state.applied_index, self.state.state_digest()


@pytest.fixture
def replica(tmp_path: Path, world: World) -> Iterator[Replica]:
    r = Replica(tmp_path / "db", world.genesis)
    yield r
    r.store.close()


def _resign(block: Block, header: BlockHeader, key: SigningKey, chain_id: str) -> Block:
    return Block(header, key.sign("block", chain_id, header.encode()), block.txs)


def test_a_valid_block_applies_and_is_readable(replica: Replica, world: World) -> None:
    tx = world.issue()
    block = world.block(replica.state.head, [tx])
    replica.apply(block, 1)
    assert replica.state.head == Head(1, block.hash, block.header.time_ms)
    assert replica.state.tx_location(tx.id) == (1, 0)
    assert replica.state.block(1) == block


SPOILERS: dict[str, Callable[[World, Head], bytes]] = {
    "signed by a key that is not the proposer's":
        lambda w, h: w.block(h, [w.issue()], key=SigningKey.generate()).encode(),
    "proposed by a non-member":
        lambda w, h: w.block(h, [w.issue()], proposer="stranger").encode(),
    "signed for another chain":
        lambda w, h: w.block(h, [w.issue()], chain_id=w.chain_id + "-x").encode(),
    "signature bytes flipped":
        lambda w, h: (lambda b: Block(b.header, bytes([b.signature[0] ^ 1]) + b.signature[1:], b.txs))(
            w.block(h, [w.issue()])).encode(),
    "bad prev hash":
        lambda w, h: w.block(h, [w.issue()], prev=os.urandom(32)).encode(),
    "skips a height":
        lambda w, h: w.block(h, [w.issue()], height=h.height + 2).encode(),
    "repeats the head's height":
        lambda w, h: w.block(h, [w.issue()], height=h.height).encode(),
    "older than its parent":
        lambda w, h: w.block(h, [w.issue()], time_ms=h.time_ms - 1).encode(),
    "transactions swapped after signing (Merkle root)":
        lambda w, h: (lambda b: Block(b.header, b.signature, (w.issue().encode(),)))(w.block(h, [w.issue()])).encode(),
    "tx_count disagrees":
        lambda w, h: (lambda b: _resign(b, dataclasses.replace(b.header, tx_count=2), w.node_keys["jpk"],
                                        w.chain_id))(w.block(h, [w.issue()])).encode(),
    "a transaction with a bad signature":
        lambda w, h: (lambda t: w.block(h, [Transaction(t.type, t.body, (Signature(w.issuer.public.raw,
                                                                                   os.urandom(64)),))]))(
            w.issue()).encode(),
    "a transaction by an unregistered issuer":
        lambda w, h: w.block(h, [w.issue(SigningKey.generate())]).encode(),
    "the same certificate twice":
        lambda w, h: (lambda r: w.block(h, [issue_tx(r, w.issuer, w.chain_id),
                                            issue_tx(dataclasses.replace(r, holder_name="ALI BIN AHMAD"),
                                                     w.issuer, w.chain_id)]))(make_record()).encode(),
    "not a block at all": lambda w, h: os.urandom(200),
    "canonical but wrong shape": lambda w, h: canonical.encode({"header": {}, "sig": b"", "txs": []}),
}


@pytest.mark.parametrize("spoil", list(SPOILERS), ids=list(SPOILERS))
def test_a_spoiled_block_is_rejected_and_changes_nothing(replica: Replica, world: World, spoil: str) -> None:
    replica.apply(world.block(replica.state.head, [world.issue()]), 1)
    before = replica.snapshot()
    bad = SPOILERS[spoil](world, replica.state.head)
    with pytest.raises(BlockRejected):
        replica.apply(bad, 2)
    assert replica.snapshot() == before
    # and the chain still extends normally afterwards
    replica.apply(world.block(replica.state.head, [world.issue()]), 3)
    assert replica.state.head.height == 2


def test_a_verified_transaction_does_not_vouch_for_a_forged_copy(replica: Replica, world: World) -> None:
    """The signature cache must cover the signatures, not just the id (which excludes them)."""
    mine = world.issue(SigningKey.generate())
    replica.state.verified.add(mine)  # as admission does after checking mine's signature
    forged = Transaction(mine.type, mine.body, (Signature(world.issuer.public.raw, os.urandom(64)),))
    assert forged.id == mine.id
    with pytest.raises(BlockRejected, match="signature"):
        replica.apply(world.block(replica.state.head, [forged]), 1)
    good = world.issue()
    replica.state.verified.add(good)
    replica.apply(world.block(replica.state.head, [good]), 1)
    assert replica.state.head.height == 1


def _engine(path: Path, world: World) -> tuple[Engine, Store]:
    store = Store(path)
    sent: list[tuple[str, bytes]] = []
    return Engine("mampu", world.genesis, world.node_keys["mampu"], store,
                  lambda to, data: sent.append((to, data)), Metrics()), store


def test_engines_skip_the_same_committed_entries_and_reach_the_same_state(tmp_path: Path, world: World) -> None:
    """Committed raft entries that hold a bad block (an old leader's orphan, a forged block) are
    skipped by every replica in the same way, so all replicas keep identical state."""
    g = Head(0, world.genesis.hash, 0)
    b1 = world.block(g, [world.issue()])
    h1 = Head(1, b1.hash, b1.header.time_ms)
    orphan = world.block(g, [world.issue()], proposer="mampu")  # also height 1, loses the race
    forged = world.block(h1, [world.issue()], key=SigningKey.generate())
    b2 = world.block(h1, [world.issue(), world.issue()])
    entries = [(1, EntryType.NOOP, b""), (2, EntryType.NORMAL, b1.encode()),
               (3, EntryType.NORMAL, orphan.encode()), (4, EntryType.NORMAL, forged.encode()),
               (5, EntryType.NORMAL, b"\x00garbage"), (6, EntryType.NORMAL, b2.encode())]
    results = []
    for name in ("a", "b"):
        engine, store = _engine(tmp_path / name, world)
        try:
            engine.raftlog.save(HardState(term=1, vote=None, commit=6), [Entry(1, i, t, d) for i, t, d in entries])
            for i, t, d in entries:
                engine._apply(i, t, d)
            st = engine.state
            assert st.applied_index == 6
            assert st.head == Head(2, b2.hash, b2.header.time_ms)
            assert engine.metrics.values["blocks_skipped_total"] == 3
            assert engine.metrics.values["blocks_applied_total"] == 2
            assert st.block(1) == b1 and st.block(2) == b2
            results.append(st.state_digest())
        finally:
            store.close()
    assert results[0] == results[1]
    # A restart over the same data re-applies nothing and keeps the same state.
    engine, store = _engine(tmp_path / "a", world)
    try:
        for i, t, d in entries:
            engine._apply(i, t, d)
        assert engine.state.state_digest() == results[0]
        assert engine.metrics.values.get("blocks_skipped_total", 0) == 0
    finally:
        store.close()


def test_merkle_root_helper_matches_make_block(world: World) -> None:
    # sanity for the spoilers above: a block's root is the RFC 6962 root of its encoded txs
    txs = [world.issue() for _ in range(3)]
    b = world.block(Head(0, world.genesis.hash, 0), txs)
    assert b.header.merkle_root == merkle_root([t.encode() for t in txs])


@pytest.mark.parametrize("spoil", list(SPOILERS), ids=list(SPOILERS))
def test_the_catch_up_worker_never_vouches_a_spoiled_block_in(replica: Replica, world: World, spoil: str) -> None:
    """Whatever the worker (node/engine_prefetch.py) vouches for about a spoiled block, the
    block is still rejected: the rules, the linkage and whatever failed are checked anyway."""
    replica.apply(world.block(replica.state.head, [world.issue()]), 1)
    before = replica.snapshot()
    bad = SPOILERS[spoil](world, replica.state.head)
    absorb(replica.state, prepare_block(bad, world.chain_id, world.genesis.member_keys))
    with pytest.raises(BlockRejected):
        replica.apply(bad, 2)
    assert replica.snapshot() == before


def test_a_vouched_block_applies_exactly_as_a_checked_one(tmp_path: Path, world: World) -> None:
    checked, vouched = Replica(tmp_path / "a", world.genesis), Replica(tmp_path / "b", world.genesis)
    try:
        for i in range(1, 4):
            data = world.block(checked.state.head, [world.issue() for _ in range(3)]).encode()
            prepared = prepare_block(data, world.chain_id, world.genesis.member_keys)
            assert prepared.block == sha256(data) and len(prepared.txs) == 3
            absorb(vouched.state, prepared)
            checked.apply(data, i)
            vouched.apply(data, i)
            assert vouched.state.block(i) == checked.state.block(i)
        assert vouched.snapshot() == checked.snapshot()
    finally:
        checked.store.close()
        vouched.store.close()


def test_a_vouched_digest_covers_only_its_own_bytes(replica: Replica, world: World) -> None:
    """The worker vouched for one block: another block of the same height and transactions
    (signed by a stranger) is checked in full and refused."""
    head = replica.state.head
    txs = [world.issue()]
    good = world.block(head, txs).encode()
    forged = world.block(head, txs, key=SigningKey.generate()).encode()
    absorb(replica.state, prepare_block(good, world.chain_id, world.genesis.member_keys))
    with pytest.raises(BlockRejected, match="signature"):
        replica.apply(forged, 1)
    replica.apply(good, 1)
    assert replica.state.head.height == 1
