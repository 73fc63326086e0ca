"""What the portal and the JSON API may ask of a node: submit, read, wait.

Followers do not build blocks: they check what they can locally (shape, signatures, already
on the chain), then forward to the leader over the authenticated p2p link and wait until the
transaction is applied on *this* node, so a client that got 201 from any node can read its
certificate back from that same node at once.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import msgpack

from certificate.tx import Transaction
from node.chain.rules import TxRejected, check_signatures
from node.consensus import NotLeader, Role
from node.engine import Committed, Engine, TxResult, decode_tx
from node.forwarding import ForwardBatcher
from node.genesis import Genesis
from node.metrics import Metrics
from node.storage import leveldb_stats

log = logging.getLogger("node.service")
FORWARD_TIMEOUT = 10.0
FORWARD_CHUNK = 250  # one leader admission round stays well under a heartbeat interval


class Unavailable(Exception):
    """No leader or no quorum right now; the client should retry (HTTP 503)."""

    def __init__(self, message: str, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class CertView:
    record: dict[str, Any]
    status: str
    height: int
    block_hash: bytes
    entry: dict[str, Any]


class NodeService:
    def __init__(self, engine: Engine, genesis: Genesis, node_name: str, public_base_url: str,
                 metrics: Metrics, *, max_frame: int = 8 << 20) -> None:
        self.engine = engine
        # A forwarded chunk travels as one p2p message: keep it to half a frame.
        self.forward_bytes = max_frame // 2
        self.genesis = genesis
        self.node_id = engine.node_id
        self.node_name = node_name
        self.public_base_url = public_base_url
        self.metrics = metrics
        self.peers_connected: Any = lambda: set()
        self._req_ids = itertools.count(1)
        self._fwd: dict[int, asyncio.Future[list[TxResult]]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._forwarder = ForwardBatcher(self._forward_now, max_items=FORWARD_CHUNK, max_bytes=self.forward_bytes)
        engine.on_reject = self._tell_rejected

    # --- p2p glue -------------------------------------------------------------------------
    def on_peer_message(self, peer: str, payload: bytes) -> None:
        try:
            msg = msgpack.unpackb(payload, raw=False, max_bin_len=32 << 20)
            kind = msg[0]
        except Exception:
            self.metrics.inc("p2p_bad_messages_total")
            return
        if kind == "raft" and len(msg) == 2 and isinstance(msg[1], dict):
            self.engine.step_wire(peer, msg[1])
        elif kind == "fwd" and len(msg) == 3:
            self._on_forward(peer, msg[1], msg[2])
        elif kind == "txrej" and len(msg) == 5:
            self._on_rejected(peer, msg[1:])
        elif kind == "fwd_res" and len(msg) == 3:
            fut = self._fwd.pop(msg[1], None) if isinstance(msg[1], int) else None
            if fut is not None and not fut.done():
                try:
                    fut.set_result([TxResult.from_wire(r) for r in msg[2]])
                except (ValueError, TypeError):
                    fut.set_exception(Unavailable("leader sent a malformed answer"))
        else:
            self.metrics.inc("p2p_bad_messages_total")

    def _on_forward(self, peer: str, req_id: Any, raws: Any) -> None:
        if not isinstance(raws, list) or not all(isinstance(r, bytes) for r in raws):
            self.metrics.inc("p2p_bad_messages_total")
            return
        task = asyncio.get_running_loop().create_task(self._answer_forward(peer, req_id, raws))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _answer_forward(self, peer: str, req_id: Any, raws: list[bytes]) -> None:
        results = []
        for i, raw in enumerate(raws):
            if i and i % 64 == 0:
                await asyncio.sleep(0)  # admitting a big batch must not starve heartbeats
            results.append(self._admit_raw(raw).to_wire())
        self.engine.send(peer, msgpack.packb(["fwd_res", req_id, results], use_bin_type=True))

    def _tell_rejected(self, tx_id: bytes, exc: TxRejected) -> None:
        """Leader: a transaction accepted earlier failed when its block was built (e.g. another
        transaction took its certificate number first). A follower that forwarded it is waiting
        for a commit on its client's behalf; tell every follower, so the client hears the
        refusal now instead of a timeout."""
        payload = msgpack.packb(["txrej", tx_id, exc.status, exc.code, exc.message[:500]], use_bin_type=True)
        for m in self.genesis.members:
            if m.node_id != self.node_id:
                self.engine.send(m.node_id, payload)

    def _on_rejected(self, peer: str, fields: list[Any]) -> None:
        tx_id, status, code, message = fields
        if not (isinstance(tx_id, bytes) and isinstance(status, int) and 400 <= status < 500
                and isinstance(code, str) and isinstance(message, str)):
            self.metrics.inc("p2p_bad_messages_total")
            return
        if peer != self.engine.leader_id:
            return  # only the leader decides what goes into blocks
        self.engine.reject_waiters(tx_id, TxRejected(code, message, status))

    def _admit_raw(self, raw: bytes) -> TxResult:
        try:
            tx = decode_tx(raw, self.engine.state.decoded)
        except TxRejected as exc:
            return TxResult(400, None, exc.code, exc.message)
        return self.engine.admit(tx, raw)

    # --- submission -----------------------------------------------------------------------
    async def submit(self, raws: Sequence[bytes], *, wait: bool, timeout: float = 15.0) -> list[TxResult]:
        """Admit a batch; with ``wait`` return only once each accepted tx is applied here."""
        t0 = time.perf_counter()
        self.metrics.inc("txs_submitted_total", len(raws))
        results: list[TxResult | None] = [None] * len(raws)
        pending: list[tuple[int, Transaction, bytes]] = []
        for i, raw in enumerate(raws):
            if i and i % 64 == 0:
                await asyncio.sleep(0)  # a big batch must not starve heartbeats
            try:
                tx = decode_tx(raw, self.engine.state.decoded)
                if tx not in self.engine.state.verified:
                    check_signatures(tx, self.genesis)
                    self.engine.state.verified.add(tx)
            except TxRejected as exc:
                results[i] = TxResult(exc.status, None, exc.code, exc.message)
                continue
            loc = self.engine.state.tx_location(tx.id)
            if loc is not None:
                results[i] = self._committed(tx.id, loc[0])
                continue
            pending.append((i, tx, raw))
        waits = {i: self.engine.wait_tx(tx.id) for i, tx, _ in pending} if wait else {}
        try:
            if pending:
                admitted = await self._admit(pending)
                for (i, _tx, _raw), res in zip(pending, admitted, strict=True):
                    results[i] = res
            if wait:
                await self._await_commits(results, waits, timeout)
        finally:
            for (_i, tx, _raw) in pending:
                fut = waits.get(_i)
                if fut is not None and not fut.done():
                    self.engine.forget_waiter(tx.id, fut)
                    fut.cancel()
        if wait:
            self.metrics.observe("tx_commit_seconds", time.perf_counter() - t0)
        bad = sum(1 for r in results if r is not None and r.status >= 400)
        if bad:
            self.metrics.inc("txs_rejected_total", bad)
        return [r if r is not None else TxResult(500, None, "internal", "no result") for r in results]

    async def _admit(self, pending: list[tuple[int, Transaction, bytes]]) -> list[TxResult]:
        eng = self.engine
        out: list[TxResult] = []
        if eng.role is Role.LEADER:
            for n, (_, tx, raw) in enumerate(pending):
                if n and n % 64 == 0:
                    await asyncio.sleep(0)
                out.append(eng.admit(tx, raw))
            return out
        chunk: list[tuple[int, Transaction, bytes]] = []
        size = 0
        for item in pending:
            if chunk and (len(chunk) >= FORWARD_CHUNK or size + len(item[2]) > self.forward_bytes):
                out += await self._forward(chunk)
                chunk, size = [], 0
            chunk.append(item)
            size += len(item[2])
        if chunk:
            out += await self._forward(chunk)
        return out

    async def _forward(self, pending: list[tuple[int, Transaction, bytes]]) -> list[TxResult]:
        """Forwards made in the same loop turn (other clients' requests) travel together."""
        return await self._forwarder.forward([raw for _, _, raw in pending])

    async def _forward_now(self, raws: list[bytes]) -> list[TxResult]:
        leader = self.engine.leader_id
        if leader is None or leader == self.node_id:
            raise Unavailable("no leader at the moment")
        eng = self.engine
        req = next(self._req_ids)
        fut: asyncio.Future[list[TxResult]] = asyncio.get_running_loop().create_future()
        self._fwd[req] = fut
        eng.send(leader, msgpack.packb(["fwd", req, raws], use_bin_type=True))
        try:
            res = await asyncio.wait_for(fut, FORWARD_TIMEOUT)
        except TimeoutError:
            raise Unavailable(f"leader {leader} did not answer") from None
        finally:
            self._fwd.pop(req, None)
        if len(res) != len(raws):
            raise Unavailable("leader answered for a different number of transactions")
        return res

    async def _await_commits(self, results: list[TxResult | None],
                             waits: dict[int, asyncio.Future[Committed]], timeout: float) -> None:
        live = {i: f for i, f in waits.items()
                if results[i] is not None and results[i].status in (200, 202)}  # type: ignore[union-attr]
        if not live:
            return
        done, _ = await asyncio.wait(live.values(), timeout=timeout)
        for i, fut in live.items():
            res = results[i]
            assert res is not None
            if fut in done and not fut.cancelled():
                exc = fut.exception()
                if isinstance(exc, TxRejected):
                    results[i] = TxResult(exc.status, res.tx_id, exc.code, exc.message)
                elif exc is None:
                    c = fut.result()
                    results[i] = TxResult(201, res.tx_id, None, None, c.height, c.block_hash.hex())
            else:
                results[i] = TxResult(503, res.tx_id, "tx.timeout",
                                      "not committed in time; resubmit the same transaction (it is idempotent)")

    def _committed(self, tx_id: bytes, height: int) -> TxResult:
        return TxResult(201, tx_id.hex(), None, None, height,
                        (self.engine.state.block_hash(height) or b"").hex())

    # --- reads ----------------------------------------------------------------------------
    async def fresh(self, timeout: float = 2.0) -> None:
        """Make the following reads linearizable, or raise Unavailable."""
        try:
            await self.engine.read_barrier(timeout)
        except (NotLeader, TimeoutError):
            raise Unavailable("this node cannot confirm it is up to date (no quorum)") from None

    def certificate(self, cert_no: str) -> CertView | None:
        state = self.engine.state
        entry = state.cert_entry(cert_no)
        if entry is None:
            return None
        # the stored record was validated when its block was applied (ChainState.cert_record)
        return CertView(state.cert_record(entry), entry["status"], entry["height"],
                        state.block_hash(entry["height"]) or b"", entry)

    def holder_certificates(self, ic: str) -> list[CertView]:
        state = self.engine.state
        return [CertView(record, entry["status"], entry["height"], state.block_hash(entry["height"]) or b"", entry)
                for entry, record in state.holder_entries(ic)]

    def render_metrics(self) -> str:
        """Prometheus text, with LevelDB's compaction state read at scrape time."""
        levels = leveldb_stats.parse(self.engine.state.store.leveldb_stats())
        self.metrics.set("storage_compaction_seconds_total", leveldb_stats.compaction_seconds(levels))
        self.metrics.set("storage_level0_files", leveldb_stats.level0_files(levels))
        self.metrics.set("storage_compaction_pending", 1 if leveldb_stats.compaction_pending(levels) else 0)
        return self.metrics.render()

    def status(self) -> dict[str, Any]:
        st = self.engine.status()
        connected = self.peers_connected()
        return {
            "node_id": self.node_id,
            "name": self.node_name,
            **st,
            "chain_id": self.genesis.chain_id,
            "peers": [
                {"node_id": m.node_id, "name": m.name, "connected": m.node_id in connected}
                for m in self.genesis.members if m.node_id != self.node_id
            ],
        }

    def healthy(self) -> bool:
        """Part of a quorum: a leader is known and enough peers are connected."""
        connected = len(self.peers_connected()) + 1
        quorum = len(self.genesis.members) // 2 + 1
        return self.engine.leader_id is not None and connected >= quorum and self.engine.fatal is None
