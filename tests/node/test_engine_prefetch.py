"""The catch-up worker process vouches only for signatures that verify, by exact bytes."""

from __future__ import annotations

import asyncio
from concurrent.futures import Future
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest

from certificate.block import Block, make_block
from certificate.errors import ValidationError
from certificate.hashing import sha256
from certificate.keys import SigningKey
from certificate.tx import Signature, Transaction
from node.chain.state import DecodedCache, VerifiedCache
from node.consensus import Entry, EntryType
from node.engine_prefetch import LOOKAHEAD, START_BEHIND, WORKER_QUEUE, Prefetcher, prepare_block
from scripts.bench_chain import TxFactory

CHAIN = "spkm-prefetch-test"


def forged(raw: bytes) -> bytes:
    """The same transaction (same id) with a signature that does not verify."""
    tx = Transaction.decode(raw)
    bad = Signature(tx.sigs[0].key, bytes(64))
    return replace(tx, sigs=(bad,)).encode()


def block_bytes(raws: list[bytes]) -> bytes:
    return make_block(height=1, prev_hash=bytes(32), time_ms=1_795_000_000_000, txs=raws, proposer="jpk",
                      key=SigningKey.generate(), chain_id=CHAIN).encode()


def test_only_verified_transactions_come_back_and_by_their_whole_encoding() -> None:
    good = TxFactory(SigningKey.generate(), CHAIN, "pf").raws(3)
    bad = forged(good[1])
    digests = prepare_block(block_bytes([good[0], bad, good[2]]), CHAIN, {}).txs
    assert digests == [Transaction.decode(good[0]).digest, Transaction.decode(good[2]).digest]
    cache = VerifiedCache()
    cache.add_digests(digests)
    assert Transaction.decode(good[0]) in cache
    assert Transaction.decode(bad) not in cache  # same id as good[1], other signatures
    assert Transaction.decode(good[1]) not in cache
    assert prepare_block(block_bytes(good), "another-chain", {}).txs == []  # signatures are per chain
    assert prepare_block(b"not a block", CHAIN, {}) == (None, [], [])


def test_the_block_is_vouched_for_only_if_it_verifies() -> None:
    key = SigningKey.generate()
    raws = TxFactory(SigningKey.generate(), CHAIN, "pf4").raws(3)
    data = make_block(height=1, prev_hash=bytes(32), time_ms=1_795_000_000_000, txs=raws, proposer="jpk",
                      key=key, chain_id=CHAIN).encode()
    prepared = prepare_block(data, CHAIN, {"jpk": key.public})
    assert prepared.block == sha256(data)
    assert prepared.merkle_levels == Block.decode(data).merkle_levels
    assert Block.decode_vouched(data, prepared.merkle_levels) == Block.decode(data)
    stranger = SigningKey.generate().public
    for members in ({}, {"jpk": stranger}):  # not a member, or signed by another key
        assert prepare_block(data, CHAIN, members)[:2] == (None, [])
    assert prepare_block(data, "another-chain", {"jpk": key.public})[:2] == (None, [])


class _State:
    def __init__(self) -> None:
        self.verified = VerifiedCache()
        self.decoded = DecodedCache()
        self.genesis = SimpleNamespace(member_keys={})
        self.blocks: list[bytes] = []

    def vouch_block(self, digest: bytes, merkle_levels: list[list[bytes]]) -> None:
        self.blocks.append(digest)


def test_a_real_worker_process_fills_the_cache_of_a_node_far_behind(tmp_path: Path) -> None:
    good = TxFactory(SigningKey.generate(), CHAIN, "pf2").raws(4)
    data = block_bytes([good[0], forged(good[1]), good[2], good[3]])
    state = _State()
    pf = Prefetcher(CHAIN, state)  # type: ignore[arg-type]

    async def go() -> None:
        pf.ahead([Entry(term=1, index=6, type=EntryType.NORMAL, data=data),
                  Entry(term=1, index=7, type=EntryType.NORMAL, data=data)], queued=START_BEHIND)
        assert 6 not in pf._futs  # the loop is about to apply it: the worker would only delay it
        fut = pf._futs[7]
        for _ in range(600):  # take() does the work itself for a block the worker has not begun
            if fut.running() or fut.done():
                break
            await asyncio.sleep(0.05)
        await pf.take(7)

    try:
        asyncio.run(go())
    finally:
        pf.close()
    txs = [Transaction.decode(r) for r in good]
    assert [tx in state.verified for tx in txs] == [True, False, True, True]
    assert state.decoded.decode(good[0]) == txs[0]  # vouched: only unpacked
    assert state.decoded.decode(forged(good[1])).sigs != txs[1].sigs  # not vouched: decoded


def test_only_the_exact_vouched_bytes_skip_the_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    """A digest vouches for its own bytes only: any other bytes (another signature, a
    non-canonical spelling, garbage) are decoded and checked in full."""
    good = TxFactory(SigningKey.generate(), CHAIN, "pf3").raws(2)
    cache = DecodedCache()
    cache.vouch([Transaction.decode(good[0]).digest])
    calls: list[bytes] = []
    real = Transaction.decode_vouched.__func__  # type: ignore[attr-defined]

    def spy(cls: type[Transaction], raw: bytes, digest: bytes) -> Transaction:
        calls.append(raw)
        return real(cls, raw, digest)  # type: ignore[no-any-return]

    monkeypatch.setattr(Transaction, "decode_vouched", classmethod(spy))
    assert cache.decode(good[0]).digest == sha256(good[0])
    assert calls == [good[0]]
    forgery = forged(good[0])
    assert cache.decode(forgery).encode() == forgery and calls == [good[0]]
    assert cache.decode(good[1]) == Transaction.decode(good[1]) and calls == [good[0]]
    with pytest.raises(ValidationError):
        cache.decode(good[0] + b"\x00")  # trailing byte: not the vouched bytes
    with pytest.raises(ValidationError):
        cache.decode(b"\xc1")


class _Pool:
    """Stands in for the worker process: takes blocks, finishes none unless told."""

    def __init__(self) -> None:
        self.sent: list[bytes] = []
        self.futs: list[Future[object]] = []

    def submit(self, fn: object, data: bytes, *args: object) -> Future[object]:
        self.sent.append(data)
        self.futs.append(Future())
        return self.futs[-1]


def test_the_worker_gets_the_furthest_blocks_and_the_loop_the_nearest() -> None:
    """The worker (decode + verify) may be slower per block than the loop given its word, so
    it takes the far end of the window and the loop checks in full what it reaches unsent."""
    pool = _Pool()
    pf = Prefetcher(CHAIN, _State())  # type: ignore[arg-type]
    pf._worker = lambda: pool  # type: ignore[assignment, method-assign, return-value]
    queue = [Entry(term=1, index=i, type=EntryType.NORMAL, data=b"block%d" % i) for i in range(1, 30)]
    queue.insert(3, Entry(term=1, index=99, type=EntryType.NOOP, data=b""))
    pf.ahead(queue, len(queue))
    furthest = [e.data for e in queue[:LOOKAHEAD] if e.data][-WORKER_QUEUE:]
    assert pool.sent == furthest
    pf.ahead(queue[1:], len(queue) - 1)
    assert len(pool.sent) == WORKER_QUEUE  # it has enough unfinished work: nothing more
    pool.futs[0].set_result(None)
    pf.ahead(queue[1:], len(queue) - 1)
    assert pool.sent[-1] == queue[LOOKAHEAD].data  # one done: one more, again the furthest
    asyncio.run(pf.take(queue[0].index))  # never sent: the loop checks it itself
    assert queue[0].data not in pool.sent and not any(f.cancelled() for f in pool.futs)
