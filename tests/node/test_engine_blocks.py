"""The leader validates each transaction once: admission applies it into the open block it
will travel in, building only signs, and a moved tip sends everything through admission again.

One engine with a one-member genesis, on a real LevelDB, driven by its own asyncio loop.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

import node.engine_blocks as engine_blocks
from certificate.keys import SigningKey
from certificate.tx import Transaction, issue_tx
from node.chain.state import Head
from node.chain.view import Overlay
from node.engine import Engine
from node.engine_blocks import OpenBlock
from node.genesis import parse_genesis
from node.metrics import Metrics
from node.storage.db import Store
from tests.node.helpers import make_record


@dataclasses.dataclass
class Solo:
    engine: Engine
    issuer: SigningKey
    chain_id: str

    def issue(self, **kw: Any) -> Transaction:
        return issue_tx(make_record(**kw), self.issuer, self.chain_id)


@pytest.fixture
async def solo(tmp_path: Path) -> AsyncIterator[Solo]:
    key, issuer = SigningKey.generate(), SigningKey.generate()
    chain_id = f"unit-{os.urandom(3).hex()}"
    genesis = parse_genesis({
        "chain_id": chain_id, "qr_base_url": "http://127.0.0.1:1",
        "members": [{"node_id": "jpk", "name": "jpk", "public_key": key.public.hex, "p2p": "127.0.0.1:9000"}],
        "issuers": [{"public_key": issuer.public.hex, "name": "Pegawai"}],
        "admins": {"threshold": 1, "keys": []},
    })
    store = Store(tmp_path / "db")
    engine = Engine("jpk", genesis, key, store, lambda to, data: None, Metrics())
    engine.start(asyncio.get_running_loop())
    for _ in range(200):
        if engine.leader_ready():
            break
        await asyncio.sleep(0.01)
    assert engine.leader_ready()
    yield Solo(engine, issuer, chain_id)
    engine.stop()
    if engine._apply_task is not None:
        engine._apply_task.cancel()
    store.close()


async def test_each_transaction_is_validated_once(solo: Solo, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[bytes] = []
    real = engine_blocks.apply_tx

    def counting(view: Any, tx: Transaction, *a: Any, **kw: Any) -> None:
        calls.append(tx.id)
        real(view, tx, *a, **kw)

    monkeypatch.setattr(engine_blocks, "apply_tx", counting)
    eng = solo.engine
    txs = [solo.issue() for _ in range(5)]
    waits = [eng.wait_tx(tx.id) for tx in txs]
    for tx in txs:
        assert eng.admit(tx, tx.encode()).status == 202
    done = await asyncio.wait_for(asyncio.gather(*waits), 10)
    assert sorted(calls) == sorted(tx.id for tx in txs)  # admission only; building reused it
    for tx, c in zip(txs, done, strict=True):
        assert eng.state.tx_location(tx.id) == (c.height, eng.state.tx_location(tx.id)[1])  # type: ignore[index]
        assert eng.state.cert_entry(tx.record.cert_no) is not None
    assert not eng.pool and not eng.open_blocks and not eng.inflight


def hold(eng: Engine) -> None:
    """Stop block building (proposals) but keep admission as it is for a settled leader."""
    eng._maybe_propose = lambda: None  # type: ignore[method-assign]


def release(eng: Engine) -> None:
    del eng._maybe_propose  # type: ignore[method-assign]
    eng.kick()


async def test_a_duplicate_in_the_open_block_is_refused_at_admission(solo: Solo) -> None:
    eng = solo.engine
    hold(eng)
    rec = make_record()
    a = issue_tx(rec, solo.issuer, solo.chain_id)
    b = issue_tx(dataclasses.replace(rec, holder_name="ALI BIN AHMAD"), solo.issuer, solo.chain_id)
    assert eng.admit(a, a.encode()).status == 202
    res = eng.admit(b, b.encode())
    assert (res.status, res.code) == (409, "cert.duplicate")
    assert list(eng.pool) == [a.id] and len(eng.open_blocks) == 1 and not eng.unplaced


async def test_open_blocks_fill_up_and_chain(solo: Solo) -> None:
    eng = solo.engine
    eng.params = dataclasses.replace(eng.params, block_max_txs=2)
    hold(eng)
    txs = [solo.issue() for _ in range(5)]
    for tx in txs:
        assert eng.admit(tx, tx.encode()).status == 202
    assert [len(ob.txs) for ob in eng.open_blocks] == [2, 2, 1]
    assert [tx for ob in eng.open_blocks for tx, _ in ob.txs] == txs
    waits = [eng.wait_tx(tx.id) for tx in txs]
    release(eng)
    done = await asyncio.wait_for(asyncio.gather(*waits), 10)
    heights = [c.height for c in done]
    assert heights == sorted(heights) and len(set(heights)) == 3


async def test_an_unsettled_leader_checks_now_and_places_later(solo: Solo) -> None:
    eng = solo.engine
    eng.params = dataclasses.replace(eng.params, block_max_txs=2)
    ready_at = eng.lead_start
    eng.lead_start = 10**9  # as if still applying the previous leader's blocks
    txs = [solo.issue() for _ in range(5)]
    for tx in txs:
        assert eng.admit(tx, tx.encode()).status == 202
    assert not eng.open_blocks and [t for t, _ in eng.unplaced] == txs and len(eng.pool) == 5
    waits = [eng.wait_tx(tx.id) for tx in txs]
    eng.lead_start = ready_at
    eng.kick()
    done = await asyncio.wait_for(asyncio.gather(*waits), 10)
    assert len({c.height for c in done}) == 3 and not eng.unplaced and not eng.pool


async def test_a_moved_tip_sends_open_blocks_through_admission_again(solo: Solo) -> None:
    eng = solo.engine
    rejected: list[bytes] = []
    eng.on_reject = lambda tx_id, exc: rejected.append(tx_id)
    rec = make_record()
    a = issue_tx(rec, solo.issuer, solo.chain_id)
    keep = solo.issue()
    # Open blocks filled on a tip that has since moved: another block took a's number.
    twin = issue_tx(dataclasses.replace(rec, holder_name="ALI BIN AHMAD"), solo.issuer, solo.chain_id)
    w = eng.wait_tx(twin.id)
    assert eng.admit(twin, twin.encode()).status == 202
    await asyncio.wait_for(w, 10)
    stale = OpenBlock(Head(eng.state.head.height - 1, b"old", 0), 0, Overlay(eng.state.reader),
                      [(a, a.encode()), (keep, keep.encode())], 2)
    eng.open_blocks.append(stale)
    eng.pool.update({a.id: (a, a.encode()), keep.id: (keep, keep.encode())})
    wa, wk = eng.wait_tx(a.id), eng.wait_tx(keep.id)
    eng.kick()
    with pytest.raises(Exception, match="already issued"):
        await asyncio.wait_for(wa, 5)
    await asyncio.wait_for(wk, 5)
    assert rejected == [a.id] and not eng.pool and not eng.open_blocks and not eng.unplaced
