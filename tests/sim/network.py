"""A virtual network: every message gets a delivery time on the virtual clock.

Faults are decided with the simulation's seeded RNG, so a seed replays exactly. Links are
checked at delivery time, so messages already in flight when a partition starts are lost and
ones sent just before it heals may still arrive late (as on a real network).
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable
from dataclasses import dataclass

from node.consensus import Message


@dataclass
class LinkFaults:
    drop: float = 0.0  # probability a message is lost
    dup: float = 0.0  # probability a message is delivered twice
    delay: float = 0.0  # probability a message is held back by up to ``max_extra_delay``
    max_extra_delay: int = 0
    min_latency: int = 1
    max_latency: int = 3


class Network:
    def __init__(self, rng: random.Random, faults: LinkFaults | None = None) -> None:
        self.rng = rng
        self.faults = faults or LinkFaults()
        self._queue: list[tuple[int, int, Message]] = []
        self._seq = 0
        self.blocked: set[tuple[str, str]] = set()  # (from, to) links that lose everything
        self.sent = 0
        self.delivered = 0
        # Scenario tests drop chosen messages with these (return False to drop).
        self.filters: list[Callable[[Message], bool]] = []

    def __len__(self) -> int:
        return len(self._queue)

    def send(self, m: Message, now: int) -> None:
        self.sent += 1
        f = self.faults
        rng = self.rng
        if f.drop and rng.random() < f.drop:
            return
        copies = 2 if f.dup and rng.random() < f.dup else 1
        for _ in range(copies):
            at = now + rng.randint(f.min_latency, f.max_latency)
            if f.delay and rng.random() < f.delay:
                at += rng.randint(1, f.max_extra_delay)
            self._seq += 1
            heapq.heappush(self._queue, (at, self._seq, m))

    def due(self, now: int) -> list[Message]:
        """Messages to deliver at ``now`` whose link is up, in delivery order."""
        q = self._queue
        out: list[Message] = []
        while q and q[0][0] <= now:
            m = heapq.heappop(q)[2]
            if (m.frm, m.to) in self.blocked:
                continue
            if self.filters and any(not f(m) for f in self.filters):
                continue
            out.append(m)
        self.delivered += len(out)
        return out

    def clear(self) -> None:
        self._queue.clear()

    # ---- partitions ----------------------------------------------------------------------

    def isolate(self, groups: list[list[str]]) -> None:
        """Symmetric partition: nodes talk only within their group."""
        self.blocked = {
            (a, b)
            for g in groups
            for h in groups
            if g is not h
            for a in g
            for b in h
        }

    def cut(self, frm: str, to: str) -> None:
        self.blocked.add((frm, to))

    def heal(self) -> None:
        self.blocked = set()
