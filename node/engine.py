"""The node's heart: drives the Raft core, builds blocks as leader, applies committed blocks.

Everything here runs on one asyncio loop and never blocks it for long. The Raft core is a
pure state machine (``node.consensus``); this module is the "bring your own I/O" half: it
persists what the core asks (one synced LevelDB batch per Ready, fsynced in a worker thread
while the loop keeps serving), sends its messages, applies committed entries to
``ChainState`` and wakes whoever waits for a transaction or a read.

Nothing that promises durability leaves before its write: a Ready's ``messages`` (votes,
acknowledgements, anything sent in a new term) go out only once its batch is durable. Only
``early_messages`` (the leader's AppendEntries and heartbeats in a term already durable) go
out at once, so the leader's fsync runs in parallel with its followers'; the core counts
the leader's own copy towards commitment only after ``advance``.

Block production is adaptive: with no block in flight a transaction is proposed at once (low
latency when idle); while blocks are in flight new transactions queue and go out together in
the next block (throughput under load), up to ``max_inflight_blocks`` pipelined proposals.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import random
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import msgpack

from certificate.block import Block
from certificate.keys import SigningKey
from certificate.tx import Transaction
from node.chain.rules import TxRejected
from node.chain.state import BlockRejected, ChainState
from node.consensus import Config, Entry, EntryType, Message, MessageType, NotLeader, RawNode, Ready, Role
from node.engine_blocks import POOL_LIMIT, BlockBuilder, OpenBlock
from node.engine_prefetch import Prefetcher
from node.engine_types import (
    ENTRY_OVERHEAD,
    Committed,
    Inflight,
    TxResult,
    Waiters,
    decode_tx,
    message_limits,
)
from node.engine_waits import WaitRoom
from node.genesis import Genesis
from node.metrics import Metrics
from node.storage.db import Store
from node.storage.raftlog import RaftLog

__all__ = ["ENTRY_OVERHEAD", "POOL_LIMIT", "Committed", "Engine", "Inflight", "TxResult", "Waiters", "decode_tx",
           "message_limits"]

log = logging.getLogger("node.engine")
#: Committed entries up to this size (a block of a few transactions) are applied on the spot.
INLINE_APPLY_BYTES = 4 << 10


class Engine(BlockBuilder, WaitRoom):
    def __init__(self, node_id: str, genesis: Genesis, key: SigningKey, store: Store,
                 send: Callable[[str, bytes], None], metrics: Metrics, *, max_frame: int = 8 << 20,
                 send_queue_bytes: int = 64 << 20) -> None:
        self.node_id = node_id
        self.genesis = genesis
        self.key = key
        self.store = store
        self.send = send
        self.metrics = metrics
        self.params = genesis.params
        self.raftlog = RaftLog(store)
        self.state = ChainState(store, genesis, self.raftlog.entry_data)
        limits = message_limits(self.params.block_max_bytes, max_frame, send_queue_bytes)
        cfg = Config(
            node_id=node_id,
            peers=tuple(m.node_id for m in genesis.members),
            election_tick=max(3, self.params.election_timeout_ms // self.params.heartbeat_ms),
            heartbeat_tick=1,
            pre_vote=True,
            check_quorum=True,
            max_inflight=limits[2],
            max_entries_per_msg=limits[0],
            max_size_per_msg=limits[1],
            applied=self.state.applied_index,
        )
        self.raft = RawNode(cfg, self.raftlog, rng=random.Random(os.urandom(16)))
        self.role = Role.FOLLOWER
        self.leader_id: str | None = None
        self.term = 0
        self.lead_start: int | None = None
        self.pool: OrderedDict[bytes, tuple[Transaction, bytes]] = OrderedDict()
        self.inflight: deque[Inflight] = deque()
        self.inflight_ids: set[bytes] = set()
        self.open_blocks: deque[OpenBlock] = deque()
        self.unplaced: deque[tuple[Transaction, bytes]] = deque()
        self.waiters = Waiters()
        self._apply_queue: deque[Entry] = deque()
        self._apply_wakeup = asyncio.Event()
        self._applying = False
        self._apply_task: asyncio.Task[None] | None = None
        self._prefetch = Prefetcher(genesis.chain_id, self.state)
        self._scheduled = False
        self._writing = False  # a synced Ready write is running in ``_disk``
        # One thread, so writes reach LevelDB in Ready order; plyvel releases the GIL.
        self._disk = ThreadPoolExecutor(1, thread_name_prefix=f"raft-disk-{node_id}")
        self._stopped = False
        self._ticks = 0
        self._election_tick = cfg.election_tick
        self._lost_log_asked = -(10**9)
        self._lost_log_rounds = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self.on_block: list[Callable[[Block], None]] = []
        #: told when the leader drops a pooled transaction while building a block
        self.on_reject: Callable[[bytes, TxRejected], None] | None = None
        self.fatal: BaseException | None = None

    # --- driving the core -----------------------------------------------------------------
    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._apply_task = loop.create_task(self._apply_loop(), name="apply")
        if len(self.genesis.members) == 1:
            self.raft.campaign()
        self.kick()

    def tick(self) -> None:
        self._ticks += 1
        self.raft.tick()
        self.kick()

    def step_wire(self, peer: str, payload: dict[str, Any]) -> None:
        try:
            msg = Message.from_dict(payload)
        except (ValueError, TypeError, KeyError):
            log.warning("dropping malformed raft message from %s", peer)
            self.metrics.inc("p2p_bad_messages_total")
            return
        if msg.frm != peer:
            log.warning("dropping raft message from %s claiming to be %s", peer, msg.frm)
            self.metrics.inc("p2p_bad_messages_total")
            return
        self.raft.step(msg)
        if msg.type is MessageType.HEARTBEAT and msg.commit > self.raftlog.last_index():
            self._lost_log(msg)
        self.kick()

    def _lost_log(self, hb: Message) -> None:
        """The leader says we hold entries up to ``hb.commit`` but our log is shorter: our data
        directory was wiped or restored from an old copy. Raft assumes acknowledged entries are
        never lost, so this leader will not resend entries it believes we have (it probes no
        lower than what we once acknowledged). A new leader starts from scratch and probes us
        down to what we really hold, so ask this leader to hand over to another member."""
        now = self._ticks
        if now - self._lost_log_asked < 3 * self._election_tick or self.raft.leader_id != hb.frm:
            return
        self._lost_log_asked = now
        others = [m.node_id for m in self.genesis.members if m.node_id not in (self.node_id, hb.frm)]
        if not others:
            return
        target = others[self._lost_log_rounds % len(others)]
        self._lost_log_rounds += 1
        log.warning("our raft log ends at %d but leader %s says %d is ours: data was lost; asking it to "
                    "hand leadership to %s so that we are resent everything", self.raftlog.last_index(),
                    hb.frm, hb.commit, target)
        self.metrics.inc("raft_lost_log_handovers_total")
        with contextlib.suppress(NotLeader, ValueError):
            self.raft.transfer_leadership(target)

    def kick(self) -> None:
        if not self._scheduled and self._loop is not None and not self._stopped:
            self._scheduled = True
            self._loop.call_soon(self._process)

    def _process(self) -> None:
        self._scheduled = False
        if self._stopped:
            return
        try:
            if self._writing:
                self._maybe_propose()  # build the next block while the disk works
                return
            for _ in range(64):
                if self.raft.has_ready() and not self._start_ready(self.raft.ready()):
                    self._maybe_propose()
                    return  # ``_written`` carries on once the batch is durable
                self._maybe_propose()
                if not self.raft.has_ready():
                    break
            else:
                self.kick()
        except BaseException as exc:  # storage failure: stop rather than ack what isn't stored
            self._fail(exc)
            raise

    def _fail(self, exc: BaseException) -> None:
        log.critical("engine stopped: %s", exc)
        self.fatal = exc
        self._stopped = True

    def _start_ready(self, rd: Ready) -> bool:
        """Send what may go at once and start the write; True if ``rd`` is finished."""
        if rd.soft_state is not None:
            self._on_soft_state(rd.soft_state.role, rd.soft_state.leader_id, rd.soft_state.term)
        for m in rd.early_messages:
            self._send_raft(m)
        if rd.must_sync:
            assert self._loop is not None
            batch = self.raftlog.prepare(rd.hard_state, rd.entries, sync=True)
            self._writing = True
            t0 = time.perf_counter()
            fut = self._disk.submit(batch.commit)
            fut.add_done_callback(lambda f: self._loop_call(self._written, rd, t0, f))
            return False
        if rd.hard_state is not None:
            # Only the commit index moved: it can be recomputed after a crash, no fsync.
            self.raftlog.save(rd.hard_state, rd.entries, sync=False)
        self._finish_ready(rd)
        return True

    def _loop_call(self, fn: Callable[..., None], *args: Any) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(fn, *args)

    def _written(self, rd: Ready, t0: float, fut: Future[None]) -> None:
        self._writing = False
        if self._stopped:
            return
        try:
            fut.result()
            self.raftlog.saved(rd.hard_state, rd.entries)
            self.metrics.observe("storage_sync_seconds", time.perf_counter() - t0)
            self._finish_ready(rd)
        except BaseException as exc:
            self._fail(exc)
            return
        self.kick()

    def _send_raft(self, m: Message) -> None:
        self.send(m.to, msgpack.packb(["raft", m.to_dict()], use_bin_type=True))

    def _finish_ready(self, rd: Ready) -> None:
        """``rd`` is durable: send what depended on that, hand over commits, advance."""
        if rd.hard_state is not None:
            self.term = rd.hard_state.term
        if self.lead_start == -1 and self.role is Role.LEADER:
            self.lead_start = self.raftlog.last_index()
        for m in rd.messages:
            self._send_raft(m)
        if rd.committed_entries:
            self._hand_over(rd.committed_entries)
        for rs in rd.read_states:
            fut = self.waiters.reads.pop(rs.ctx, None)
            if fut is not None and not fut.done():
                fut.set_result(rs.index)
        self.raft.advance(rd)

    def _on_soft_state(self, role: Role, leader: str | None, term: int) -> None:
        was_leader = self.role is Role.LEADER
        self.role, self.leader_id, self.term = role, leader, term
        self.metrics.set("raft_term", term)
        self.metrics.set("raft_is_leader", 1 if role is Role.LEADER else 0)
        log.info("role %s leader %s", role.value, leader, extra={"term": term})
        if role is Role.LEADER and not was_leader:
            self._prefetch.forget()
            self.lead_start = -1  # set to our no-op's index once it is persisted
        if was_leader and role is not Role.LEADER:
            self.lead_start = None
            self._drop_speculation(requeue=False)
            self.pool.clear()

    # --- applying -------------------------------------------------------------------------
    def _apply(self, index: int, etype: EntryType, data: bytes) -> None:
        if index <= self.state.applied_index:
            return
        if etype is EntryType.NOOP or not data:
            self.state.mark_applied(index)
            self._wake_applied()
            return
        mine = self.inflight[0] if self.inflight and self.inflight[0].index == index else None
        try:
            if mine is not None and mine.data == data:
                self.state.apply_prepared(mine.block, mine.overlay, index)
                block, txs = mine.block, [t for t, _ in mine.txs]
            else:
                block, txs = self.state.apply_block(data, index)
        except BlockRejected as exc:
            log.warning("skipping committed entry %d: %s", index, exc)
            self.metrics.inc("blocks_skipped_total")
            self.state.mark_applied(index)
            self._drop_speculation(requeue=True)
            self._wake_applied()
            return
        self.metrics.inc("blocks_applied_total")
        self.metrics.inc("txs_applied_total", len(txs))
        self.metrics.set("chain_height", block.height)
        if self.inflight and self.inflight[0].index == index:
            done = self.inflight.popleft()
            self.inflight_ids.difference_update(t.id for t, _ in done.txs)
            now = time.time() * 1000
            self.metrics.observe("block_commit_seconds", max(0.0, now - done.block.header.time_ms) / 1000)
            if self.inflight:
                self.inflight[0].overlay.base = self.state.reader
            elif self.open_blocks:
                self.open_blocks[0].overlay.base = self.state.reader
        elif self.inflight:
            self._drop_speculation(requeue=True)
        for tx in txs:
            self.state.verified.add(tx)
            for fut in self.waiters.tx.pop(tx.id, []):
                if not fut.done():
                    fut.set_result(Committed(tx.id, block.height, block.hash))
        for cb in self.on_block:
            cb(block)
        self._wake_applied()

    def _hand_over(self, entries: list[Entry]) -> None:
        """Big blocks are applied by a separate task, one at a time with the loop free in
        between: a follower applying them must keep answering heartbeats. Cheap entries (our
        own block, whose effects admission computed; a no-op; a block of a few transactions)
        are applied right here when nothing is queued before them: waking the task would put
        a trip through the event loop on every commit's path."""
        n = 0
        if not self._apply_queue and not self._applying:
            for e in entries:
                own = bool(self.inflight) and self.inflight[0].index == e.index
                if not (own or len(e.data) <= INLINE_APPLY_BYTES):
                    break
                self._apply(e.index, e.type, e.data)
                n += 1
        if n < len(entries):
            self._apply_queue.extend(entries[n:])
            self._apply_wakeup.set()

    async def _apply_loop(self) -> None:
        while not self._stopped:
            if not self._apply_queue:
                self._apply_wakeup.clear()
                await self._apply_wakeup.wait()
                continue
            entry = self._apply_queue.popleft()
            self._applying = True  # ``_hand_over`` must not overtake this entry
            try:
                if self.role is not Role.LEADER:  # a follower catching up: use the other core
                    self._prefetch.ahead(itertools.chain((entry,), self._apply_queue), len(self._apply_queue) + 1)
                    await self._prefetch.take(entry.index)
                    if self._stopped:
                        return
                self._apply(entry.index, entry.type, entry.data)
            except Exception as exc:  # storage failure: stop rather than serve a half-known state
                log.critical("engine stopped while applying entry %d: %s", entry.index, exc)
                self.fatal = exc
                self._stopped = True
                return
            finally:
                self._applying = False
            if entry.data:
                self.kick()  # the leader may build the next block now
                await asyncio.sleep(0)

    def stop(self) -> None:
        self._stopped = True
        # A write may be running: let it end before the caller closes the store under it.
        self._disk.shutdown(wait=True)
        self._prefetch.close()
        if self._apply_task is not None:
            self._apply_task.cancel()
        for lst in self.waiters.tx.values():
            for fut in lst:
                if not fut.done():
                    fut.cancel()
        self.waiters.tx.clear()

    def status(self) -> dict[str, Any]:
        st = self.raft.status()
        return {
            "role": {Role.LEADER: "leader", Role.CANDIDATE: "candidate",
                     Role.PRE_CANDIDATE: "candidate"}.get(self.role, "follower"),
            "term": self.term,
            "leader_id": self.leader_id,
            "height": self.state.head.height,
            "head_hash": self.state.head.hash.hex(),
            "commit_index": st.get("commit", 0),
            "applied_index": self.state.applied_index,
            "pending_txs": len(self.pool),
            "inflight_blocks": len(self.inflight),
        }
