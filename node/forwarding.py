"""A follower's forwards to the leader, coalesced per event-loop turn.

Under load a follower's clients submit one transaction per request, many per loop turn. Sent
one by one, each costs a p2p message both ways, an encryption, a task on the leader and a
msgpack round: about a tenth of the leader's CPU per transaction. ``ForwardBatcher`` holds
what arrives during one turn and sends it as one ``fwd`` message (up to the chunk limits);
the leader answers the whole message at once and each caller gets its own slice back. An
idle follower pays nothing: a lone forward still leaves at the end of the turn it came in.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from node.engine_types import TxResult

Answers = list[TxResult]


@dataclass
class _Group:
    raws: list[bytes] = field(default_factory=list)
    size: int = 0
    #: (offset in ``raws``, count, the caller's future)
    callers: list[tuple[int, int, asyncio.Future[Answers]]] = field(default_factory=list)


class ForwardBatcher:
    """Coalesces ``forward(raws)`` calls made in one loop turn into calls of ``send``."""

    def __init__(self, send: Callable[[list[bytes]], Awaitable[Answers]], *, max_items: int,
                 max_bytes: int) -> None:
        self._send = send
        self._max_items = max_items
        self._max_bytes = max_bytes
        self._groups: list[_Group] = []
        self._scheduled = False
        self._tasks: set[asyncio.Task[None]] = set()

    async def forward(self, raws: list[bytes]) -> Answers:
        """``send``'s answers for ``raws``, in order; raises whatever ``send`` raised."""
        size = sum(len(r) for r in raws)
        g = self._groups[-1] if self._groups else None
        if g is None or (g.raws and (len(g.raws) + len(raws) > self._max_items or g.size + size > self._max_bytes)):
            g = _Group()
            self._groups.append(g)
        fut: asyncio.Future[Answers] = asyncio.get_running_loop().create_future()
        g.callers.append((len(g.raws), len(raws), fut))
        g.raws.extend(raws)
        g.size += size
        if not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)
        return await fut

    def _flush(self) -> None:
        self._scheduled = False
        groups, self._groups = self._groups, []
        for g in groups:
            task = asyncio.get_running_loop().create_task(self._run(g))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _run(self, g: _Group) -> None:
        try:
            answers = await self._send(g.raws)
        except Exception as exc:
            for _, _, fut in g.callers:
                if not fut.done():
                    fut.set_exception(exc)
            return
        for start, n, fut in g.callers:
            if not fut.done():
                fut.set_result(answers[start:start + n])
