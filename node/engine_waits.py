"""Waiting for the engine: until a transaction commits, a read point is confirmed, an index
is applied. Mixed into ``Engine`` (split from engine.py by responsibility); the futures live in
``Waiters`` and are resolved by the engine as it applies entries and gets read states."""

from __future__ import annotations

import asyncio
import os

from node.chain.state import ChainState
from node.consensus import NotLeader, RawNode, Role
from node.engine_types import Committed, Waiters
from node.genesis import Genesis


class WaitRoom:
    """The attributes below are the engine's."""

    genesis: Genesis
    raft: RawNode
    state: ChainState
    role: Role
    waiters: Waiters
    _loop: asyncio.AbstractEventLoop | None

    def kick(self) -> None: ...

    def wait_tx(self, tx_id: bytes) -> asyncio.Future[Committed]:
        assert self._loop is not None
        fut: asyncio.Future[Committed] = self._loop.create_future()
        loc = self.state.tx_location(tx_id)
        if loc is not None:
            fut.set_result(Committed(tx_id, loc[0], self.state.block_hash(loc[0]) or b""))
        else:
            self.waiters.tx.setdefault(tx_id, []).append(fut)
        return fut

    def forget_waiter(self, tx_id: bytes, fut: asyncio.Future[Committed]) -> None:
        lst = self.waiters.tx.get(tx_id)
        if lst and fut in lst:
            lst.remove(fut)
            if not lst:
                del self.waiters.tx[tx_id]

    async def read_barrier(self, timeout: float = 2.0) -> None:
        """Linearizable read: confirm with a quorum, then wait to apply up to that point."""
        assert self._loop is not None
        if len(self.genesis.members) == 1 and self.role is Role.LEADER:
            return
        ctx = os.urandom(8)
        fut: asyncio.Future[int] = self._loop.create_future()
        self.waiters.reads[ctx] = fut
        try:
            self.raft.read_index(ctx)
        except NotLeader:
            self.waiters.reads.pop(ctx, None)
            raise
        self.kick()
        try:
            index = await asyncio.wait_for(fut, timeout)
        finally:
            self.waiters.reads.pop(ctx, None)
        await self.wait_applied(index, timeout)

    async def wait_applied(self, index: int, timeout: float) -> None:
        if index <= self.state.applied_index:
            return
        assert self._loop is not None
        fut: asyncio.Future[None] = self._loop.create_future()
        self.waiters.applied.append((index, fut))
        await asyncio.wait_for(fut, timeout)


    def _wake_applied(self) -> None:
        if not self.waiters.applied:
            return
        keep = []
        for idx, fut in self.waiters.applied:
            if idx <= self.state.applied_index:
                if not fut.done():
                    fut.set_result(None)
            else:
                keep.append((idx, fut))
        self.waiters.applied = keep
