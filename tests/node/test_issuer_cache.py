"""The issuer registry cache (node/chain/issuers.py) never answers differently from the store.

Two levels: the chain rules end to end (a removed issuer's next transaction is refused whether
the answer was cached before or not, on a follower and through a leader's stacked overlays),
and a model check that drives overlays, governance writes, merges, commits and drops at random
and compares every cached answer with a plain read through the view.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from certificate.block import make_block
from certificate.keys import SigningKey
from certificate.tx import ISSUER_ADD, ISSUER_REMOVE, Transaction, governance_tx, issue_tx
from node.chain import issuers
from node.chain import keys as K
from node.chain.rules import BlockContext, TxRejected, apply_tx
from node.chain.state import BlockRejected, ChainState
from node.chain.view import Overlay, StoreReader, pack, unpack
from node.genesis import Genesis, parse_genesis
from node.storage.db import Store
from tests.node.helpers import make_record
from tests.node.test_chain_blocks import Replica

ADMIN = SigningKey(bytes([41]) * 32)
ISSUER = SigningKey(bytes([42]) * 32)
STAMP = "2026-11-20T01:02:03Z"


@pytest.fixture
def genesis() -> Genesis:
    node = SigningKey(bytes([40]) * 32)
    return parse_genesis({
        "chain_id": f"unit-{os.urandom(3).hex()}", "qr_base_url": "http://127.0.0.1:1",
        "members": [{"node_id": "jpk", "name": "jpk", "public_key": node.public.hex, "p2p": "127.0.0.1:9000"}],
        "issuers": [{"public_key": ISSUER.public.hex, "name": "Pegawai"}],
        "admins": {"threshold": 1, "keys": [{"public_key": ADMIN.public.hex, "name": "Pentadbir"}]},
    })


@pytest.fixture
def state(tmp_path: Path, genesis: Genesis) -> ChainState:
    return ChainState(Store(tmp_path / "db"), genesis, lambda i: b"")


def _gov(action: str, genesis: Genesis, name: str = "Pegawai") -> Transaction:
    return governance_tx(action, ISSUER.public, name, STAMP).signed_by(ADMIN, genesis.chain_id)


def _issue(genesis: Genesis) -> Transaction:
    return issue_tx(make_record(), ISSUER, genesis.chain_id)


def _apply(view: Overlay, tx: Transaction, genesis: Genesis, height: int) -> None:
    apply_tx(view, tx, genesis, BlockContext(height, 1_795_000_000_000 + height, 0))


def _commit(state: ChainState, overlay: Overlay) -> None:
    with state.store.batch() as wb:
        overlay.write_to(wb)


def test_removed_issuer_is_refused_after_a_cached_yes(state: ChainState, genesis: Genesis) -> None:
    warm = Overlay(state.reader)
    _apply(warm, _issue(genesis), genesis, 1)  # the answer "registered" is now cached
    block = Overlay(state.reader)
    _apply(block, _gov(ISSUER_REMOVE, genesis), genesis, 2)
    # Before the removal commits: the block's own overlay (and any stacked on it) sees it ...
    with pytest.raises(TxRejected) as refused:
        _apply(Overlay(block), _issue(genesis), genesis, 3)
    assert refused.value.code == "tx.issuer"
    # ... a view of committed state does not, and must not cache that answer past the commit.
    assert issuers.is_active(Overlay(state.reader), ISSUER.public.raw)
    _commit(state, block)
    with pytest.raises(TxRejected) as refused:
        _apply(Overlay(state.reader), _issue(genesis), genesis, 3)
    assert refused.value.code == "tx.issuer"


def test_a_merged_scratch_write_is_tracked(state: ChainState, genesis: Genesis) -> None:
    """The leader applies into a scratch overlay and copies its writes into the block."""
    assert issuers.is_active(Overlay(state.reader), ISSUER.public.raw)
    block = Overlay(state.reader)
    scratch = Overlay(block)
    _apply(scratch, _gov(ISSUER_REMOVE, genesis), genesis, 2)
    block.writes.update(scratch.writes)
    assert not issuers.is_active(Overlay(block), ISSUER.public.raw)
    assert issuers.is_active(Overlay(state.reader), ISSUER.public.raw)
    _commit(state, block)
    assert not issuers.is_active(Overlay(state.reader), ISSUER.public.raw)
    assert not issuers.is_active(state.reader, ISSUER.public.raw)


def test_a_dropped_write_changes_nothing_and_a_readd_is_seen(state: ChainState, genesis: Genesis) -> None:
    dropped = Overlay(state.reader)
    _apply(dropped, _gov(ISSUER_REMOVE, genesis), genesis, 2)
    del dropped
    assert issuers.is_active(Overlay(state.reader), ISSUER.public.raw)
    for height, action in ((3, ISSUER_REMOVE), (4, ISSUER_ADD), (5, ISSUER_REMOVE)):
        block = Overlay(state.reader)
        _apply(block, _gov(action, genesis, f"Pegawai {height}"), genesis, height)
        _commit(state, block)
        assert issuers.is_active(Overlay(state.reader), ISSUER.public.raw) == (action == ISSUER_ADD)
        assert issuers.is_active(Overlay(state.reader), ISSUER.public.raw) == (action == ISSUER_ADD)


def test_a_follower_refuses_the_removed_issuer_in_the_next_block(tmp_path: Path, genesis: Genesis) -> None:
    node_key = SigningKey(bytes([40]) * 32)
    replica = Replica(tmp_path / "r", genesis)

    def block(txs: list[Transaction]) -> bytes:
        head = replica.state.head
        return make_block(height=head.height + 1, prev_hash=head.hash, time_ms=head.time_ms + 1000,
                          txs=[t.encode() for t in txs], proposer="jpk", key=node_key,
                          chain_id=genesis.chain_id).encode()

    replica.apply(block([_issue(genesis)]), 1)
    replica.apply(block([_gov(ISSUER_REMOVE, genesis)]), 2)
    with pytest.raises(BlockRejected, match="not a registered issuer"):
        replica.state.apply_block(block([_issue(genesis)]), 3)


# --- model check -----------------------------------------------------------------------------------

KEYS = [bytes([k]) * 32 for k in (1, 2)]


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_cached_answers_equal_plain_reads(data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp))
        reader = StoreReader(store)
        with store.batch() as wb:
            wb.put(K.issuer(KEYS[0]), pack({"name": "a", "added_height": 0, "removed_height": None}))
        views: list[Overlay] = []
        height = 0
        try:
            for _ in range(data.draw(st.integers(5, 40))):
                op = data.draw(st.sampled_from(["new", "write", "merge", "commit", "drop", "rebase", "look"]))
                if op == "new" or not views:
                    base: Any = data.draw(st.sampled_from([reader, *views]))
                    views.append(Overlay(base))
                    continue
                view = data.draw(st.sampled_from(views))
                key = data.draw(st.sampled_from(KEYS))
                if op == "write":
                    height += 1
                    removed = data.draw(st.sampled_from([None, height]))
                    raw = pack({"name": "x", "added_height": height, "removed_height": removed})
                    issuers.written(view, key, raw)
                    view.put(K.issuer(key), raw)
                elif op == "merge":
                    data.draw(st.sampled_from(views)).writes.update(view.writes)
                elif op == "commit":
                    with store.batch() as wb:
                        for k, v in view.items():
                            if v is not None:
                                wb.put(k, v)
                    for other in views:
                        if other.base is view:
                            other.base = reader
                    views.remove(view)
                elif op == "drop":
                    views.remove(view)
                elif op == "rebase":
                    view.base = reader
                plain = unpack(view.get(K.issuer(key)))
                expected = plain is not None and plain["removed_height"] is None
                assert issuers.is_active(view, key) == expected, op
                fresh = unpack(store.get(K.issuer(key)))
                assert issuers.is_active(Overlay(reader), key) == (
                    fresh is not None and fresh["removed_height"] is None)
        finally:
            store.close()
