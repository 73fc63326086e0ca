"""Catch-up help: decode, validate and signature-check queued committed blocks in a worker process.

A follower re-syncing a long chain spends nearly all its time in ``ChainState.check_block``,
and most of that decoding transactions and verifying their signatures, on the one core the
event loop runs on. While blocks wait in the apply queue, a worker process (the machine's other
core) runs the full ``Transaction.decode`` on each of their transactions and checks its
signatures, and hands back the digests of the whole signed encodings that passed both. It also
decodes and verifies the block itself (proposer signature, Merkle root) and vouches for it by
the digest of its bytes, with the Merkle tree it built. The loop adds the transaction digests to
the state's ``VerifiedCache`` (signature checks skipped) and ``DecodedCache`` (those exact bytes
are only unpacked, ``Transaction.decode_vouched``), and the block's to the state's vouched
blocks (``Block.decode_vouched``, no ``Block.verify``); linkage to the head and every rule of
``node/chain/rules.py`` still runs on the loop. A digest covers the exact bytes (signatures
included) the worker was given, and whatever it did not vouch for is decoded and verified by
the loop as usual, so a dead worker costs only speed. The worker is handed the furthest blocks
of a short window and the loop checks in full the nearer ones it reaches unsent, so neither
waits for the other (``Prefetcher.ahead``). It only starts when a follower is well behind, so
the idle commit path never pays for a round trip to another process.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from collections.abc import Iterable, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import islice
from typing import NamedTuple

from certificate.block import Block
from certificate.errors import SignatureError, ValidationError
from certificate.hashing import sha256
from certificate.keys import PublicKey
from certificate.tx import Transaction
from node.chain.state import ChainState
from node.consensus import Entry, EntryType

log = logging.getLogger("node.engine")

#: Blocks waiting to be applied before the worker is used: the node is catching up.
START_BEHIND = 8
#: How far ahead of the block being applied the worker is handed blocks.
LOOKAHEAD = 10
#: Blocks the worker may have unfinished: one to work on, and enough waiting that it does not
#: run dry while the loop checks a block in full (it is handed more only between blocks).
WORKER_QUEUE = 3


class Prepared(NamedTuple):
    """What the worker vouches for, each by the SHA-256 of the exact bytes it was given."""

    #: The block's bytes, if ``Block.decode`` accepted them and ``Block.verify`` passed
    #: (proposer signature by a member, Merkle root); None otherwise.
    block: bytes | None
    #: That block's Merkle tree (``Block.merkle_levels``), which the loop stores.
    merkle_levels: list[list[bytes]]
    #: The transactions that ``Transaction.decode`` accepts and whose signatures all verify.
    txs: list[bytes]


def prepare_block(data: bytes, chain_id: str, members: Mapping[str, PublicKey]) -> Prepared:
    """In the worker: check the block and each of its transactions as ``check_block`` would
    (all but the rules, which need the state) and vouch for what passed.
    Only digests (and the Merkle tree) travel back: unpickling whole decoded transactions cost
    the loop's process about as much as decoding them again, so the loop only unpacks the
    bytes vouched for (``Transaction.decode_vouched``, ``Block.decode_vouched``)."""
    try:
        block = Block.decode(data)
    except ValidationError:
        return Prepared(None, [], [])
    vouched: bytes | None = None
    try:
        block.verify(chain_id, members)
        vouched = sha256(data)
    except (SignatureError, ValidationError):
        pass
    out = []
    for raw in block.txs:
        try:
            tx = Transaction.decode(raw)
            tx.verified_signers(chain_id)
        except (ValidationError, ValueError, SignatureError):
            continue
        out.append(tx.digest)
    return Prepared(vouched, block.merkle_levels if vouched is not None else [], out)


def absorb(state: ChainState, prepared: Prepared) -> None:
    """Tell the state what the worker vouched for (before ``check_block`` of that block)."""
    state.verified.add_digests(prepared.txs)
    state.decoded.vouch(prepared.txs)
    if prepared.block is not None:
        state.vouch_block(prepared.block, prepared.merkle_levels)


class Prefetcher:
    def __init__(self, chain_id: str, state: ChainState) -> None:
        self._chain_id = chain_id
        self._state = state
        self._pool: ProcessPoolExecutor | None = None
        self._futs: dict[int, Future[Prepared]] = {}
        self._broken = False

    def ahead(self, queue: Iterable[Entry], queued: int) -> None:
        """Hand the worker blocks of ``queue`` (the apply queue, in order, the entry about to be
        applied first).

        The worker gets the *furthest* blocks of the window it has not been given, and never
        more than ``WORKER_QUEUE`` unfinished at a time; the loop checks in full the nearer ones
        it reaches unsent. When the worker is the faster of the two it is handed every block
        before the loop reaches it, and the loop only applies; when it is the slower (it decodes
        and verifies, the loop given its word only applies), the loop takes a share of the
        blocks in full instead of waiting for it, so both cores stay busy.
        """
        if self._broken or (queued < START_BEHIND and not self._futs):
            return
        busy = sum(1 for f in self._futs.values() if not f.done())
        if busy >= WORKER_QUEUE:
            return
        window = list(islice(queue, LOOKAHEAD))
        unsent = [e for e in window[1:]  # never the one about to be applied: the loop is on it
                  if e.type is not EntryType.NOOP and e.data and e.index not in self._futs]
        for e in unsent[-(WORKER_QUEUE - busy):]:
            try:
                self._futs[e.index] = self._worker().submit(prepare_block, e.data, self._chain_id,
                                                            self._state.genesis.member_keys)
            except Exception as exc:  # no processes here (limits, a sandbox): do without
                log.warning("catch-up worker unavailable, applying on one core: %s", exc)
                self._broken = True
                return

    def _worker(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawn: forking a process that runs threads (the Raft disk writer) can deadlock.
            self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
        return self._pool

    async def take(self, index: int) -> None:
        """Before applying entry ``index``: fill the caches with the worker's results for it,
        waiting if the worker is on it; if it has not started, the loop does the work itself."""
        fut = self._futs.pop(index, None)
        if fut is None:
            return
        if not fut.done() and fut.cancel():
            return
        try:
            prepared = await asyncio.wrap_future(fut)
        except Exception as exc:  # a dead worker only costs speed
            log.warning("catch-up worker failed, applying on one core: %s", exc)
            self._broken = True
            return
        absorb(self._state, prepared)

    def forget(self) -> None:
        """Entries queued may be gone (a leader's own blocks): drop what is pending."""
        for fut in self._futs.values():
            fut.cancel()
        self._futs.clear()

    def close(self) -> None:
        self.forget()
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
