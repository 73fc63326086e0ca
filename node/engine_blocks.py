"""The leader's side of the engine: admitting transactions and building blocks from them.

A transaction is validated once. Admission applies it straight into the *open* block it will
travel in, on top of the in-flight blocks (``node/chain/view.py`` overlays), at its final
position; building the block later only signs what is already there, and the leader applies
its own committed block with the same overlay (``ChainState.apply_prepared``). A block's time
is fixed when it opens (its first transaction's admission): its transactions were validated
with that time, and it is never older than its parent's.

Batching stays adaptive: with no block in flight an open block is proposed at once (one
transaction when idle); while ``max_inflight_blocks`` are in flight, transactions fill open
blocks of up to ``block_max_txs`` / ``block_max_bytes`` that go out as slots free up.

If the tip moves under the open blocks (a foreign block applied, a leader change), their
effects are stale: their transactions go back to ``unplaced`` and are placed again on the new
tip, a block's worth per step, and those that no longer pass are refused to whoever waits.
A new leader that has not yet applied its predecessor's blocks only checks what it admits
(against the tip it has) and places it once the tip is settled.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from certificate.block import make_block
from certificate.keys import SigningKey
from certificate.tx import Transaction
from node.chain.rules import BlockContext, TxRejected, apply_tx, check_signatures, claimed_signers
from node.chain.state import ChainState, Head
from node.chain.view import Overlay
from node.consensus import NotLeader, RawNode, Role
from node.engine_types import Inflight, TxResult, Waiters
from node.genesis import Genesis
from node.metrics import Metrics

if TYPE_CHECKING:
    from node.genesis import Params

POOL_LIMIT = 50_000


@dataclass
class OpenBlock:
    """A block being filled: its parent, its time, and its transactions' combined effects."""

    parent: Head
    time_ms: int
    overlay: Overlay
    txs: list[tuple[Transaction, bytes]] = field(default_factory=list)
    size: int = 0


class BlockBuilder:
    """Mixed into ``Engine``; the attributes below are the engine's."""

    node_id: str
    genesis: Genesis
    key: SigningKey
    params: Params
    metrics: Metrics
    raft: RawNode
    state: ChainState
    role: Role
    lead_start: int | None
    waiters: Waiters
    on_reject: Callable[[bytes, TxRejected], None] | None
    pool: OrderedDict[bytes, tuple[Transaction, bytes]]
    inflight: deque[Inflight]
    inflight_ids: set[bytes]
    open_blocks: deque[OpenBlock]
    unplaced: deque[tuple[Transaction, bytes]]  # in the pool, not yet in an open block

    def kick(self) -> None: ...

    def leader_ready(self) -> bool:
        return (
            self.role is Role.LEADER
            and self.lead_start is not None
            and self.lead_start >= 0
            and self.state.applied_index >= self.lead_start
        )

    def _tip(self) -> tuple[Head, Any]:
        if self.inflight:
            last = self.inflight[-1]
            return Head(last.block.height, last.block.hash, last.block.header.time_ms), last.overlay
        return self.state.head, self.state.reader

    def admit(self, tx: Transaction, raw: bytes) -> TxResult:
        """Leader: check a transaction against committed and in-flight state and the blocks
        being filled, and put it in one."""
        tid = tx.id_hex
        loc = self.state.tx_location(tx.id)
        if loc is not None:
            return TxResult(200, tid, "tx.committed", "already committed", loc[0],
                            (self.state.block_hash(loc[0]) or b"").hex())
        if tx.id in self.pool or tx.id in self.inflight_ids:
            return TxResult(202, tid, "tx.pending", "already pending")
        if self.role is not Role.LEADER:
            return TxResult(503, tid, "node.no_leader", "this node is no longer the leader")
        if len(self.pool) >= POOL_LIMIT:
            return TxResult(503, tid, "node.busy", "too many pending transactions")
        try:
            if tx not in self.state.verified:
                check_signatures(tx, self.genesis)
                self.state.verified.add(tx)
            if self.unplaced or not self.leader_ready():
                # The tip is not settled (a new leader applying its predecessor's blocks) or
                # older transactions wait to be placed: check now for a prompt answer, place
                # later in order.
                head, base = self._tip()
                apply_tx(Overlay(base), tx, self.genesis, BlockContext(head.height + 1, head.time_ms, 0),
                         signers=claimed_signers(tx))
                self.unplaced.append((tx, raw))
                self.pool[tx.id] = (tx, raw)
            else:
                self._place(tx, raw)
        except TxRejected as exc:
            return TxResult(exc.status, tid, exc.code, exc.message)
        self.kick()
        return TxResult(202, tid, "tx.accepted", "accepted")

    def _place(self, tx: Transaction, raw: bytes) -> None:
        """Apply ``tx`` into the last open block with room (opening one if needed)."""
        ob = self.open_blocks[-1] if self.open_blocks else None
        if ob is None or len(ob.txs) >= self.params.block_max_txs or (
                ob.txs and ob.size + len(raw) > self.params.block_max_bytes):
            if ob is not None:
                parent = Head(ob.parent.height + 1, b"", ob.time_ms)  # hash known once signed
                base: Any = ob.overlay
            else:
                parent, base = self._tip()
            now = max(int(time.time() * 1000), parent.time_ms)
            ob = OpenBlock(parent, now, Overlay(base))
            self.open_blocks.append(ob)
        # A scratch layer, merged only on success: a refused transaction leaves no trace.
        scratch = Overlay(ob.overlay)
        try:
            apply_tx(scratch, tx, self.genesis, BlockContext(ob.parent.height + 1, ob.time_ms, len(ob.txs)),
                     signers=claimed_signers(tx))
        except TxRejected:
            if not ob.txs:
                self.open_blocks.pop()  # opened for this transaction alone
            raise
        ob.overlay.writes.update(scratch.writes)
        ob.txs.append((tx, raw))
        ob.size += len(raw)
        self.pool[tx.id] = (tx, raw)

    def _maybe_propose(self) -> None:
        if not (self.open_blocks or self.unplaced) or not self.leader_ready():
            return
        if len(self.inflight) >= self.params.max_inflight_blocks:
            return
        head, _ = self._tip()
        if self.open_blocks:
            ob = self.open_blocks[0]
            if ob.parent.hash != head.hash or ob.parent.height != head.height:
                self._reopen()  # the tip moved under the open blocks: validate again on it
        self._place_some()
        if not self.open_blocks:
            return
        ob = self.open_blocks[0]
        block = make_block(height=head.height + 1, prev_hash=head.hash, time_ms=ob.time_ms,
                           txs=[raw for _, raw in ob.txs], proposer=self.node_id, key=self.key,
                           chain_id=self.genesis.chain_id)
        data = block.encode()
        try:
            index = self.raft.propose(data)
        except NotLeader:
            return
        self.open_blocks.popleft()
        if self.open_blocks:  # the next open block now sits on a known block
            nxt = self.open_blocks[0]
            nxt.parent = Head(block.height, block.hash, ob.time_ms)
        for tx, _ in ob.txs:
            del self.pool[tx.id]
        self.inflight.append(Inflight(index, data, block, ob.overlay, Head(block.height, block.hash, ob.time_ms),
                                      ob.txs))
        self.inflight_ids.update(t.id for t, _ in ob.txs)
        self.metrics.inc("blocks_proposed_total")

    def _reopen(self, extra: list[tuple[Transaction, bytes]] | None = None) -> None:
        """Send every transaction of the open blocks (``extra`` first) back to be placed
        again, in order, on the current tip."""
        txs = list(extra or [])
        for ob in self.open_blocks:
            txs.extend(ob.txs)
        self.open_blocks.clear()
        self.unplaced.extendleft(reversed(txs))
        for tx, raw in txs:
            self.pool[tx.id] = (tx, raw)

    def _place_some(self) -> None:
        """Place waiting transactions, about one block's worth per call so that a long queue
        (a new leader's backlog) is validated a block at a time, not in one long stall."""
        budget = self.params.block_max_txs
        while self.unplaced and budget:
            tx, raw = self.unplaced.popleft()
            budget -= 1
            if self.state.tx_location(tx.id) is not None:
                self.pool.pop(tx.id, None)
                continue
            try:
                self._place(tx, raw)
            except TxRejected as exc:
                self.pool.pop(tx.id, None)
                self.reject_waiters(tx.id, exc)
                if self.on_reject is not None:
                    self.on_reject(tx.id, exc)  # followers may be waiting for it on a client's behalf
        if self.unplaced:
            self.kick()

    def _drop_speculation(self, *, requeue: bool) -> None:
        """Forget blocks proposed but not applied (orphaned by a leader change); with
        ``requeue`` (still leader) their transactions and the open blocks' are admitted again."""
        back = [item for inf in self.inflight for item in inf.txs] if requeue else []
        self.inflight.clear()
        self.inflight_ids.clear()
        if requeue and self.role is Role.LEADER:
            self._reopen(back)
        else:
            self.open_blocks.clear()
            self.unplaced.clear()
            self.pool.clear()

    def reject_waiters(self, tx_id: bytes, exc: TxRejected) -> None:
        """Whoever waits for ``tx_id`` to commit learns it never will, and why."""
        for fut in self.waiters.tx.pop(tx_id, []):
            if not fut.done():
                fut.set_exception(exc)
