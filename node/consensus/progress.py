"""The leader's view of each follower, and the flow control built on it.

A follower is either being PROBEd (we do not know where its log matches ours, so we send one
AppendEntries at a time and wait) or REPLICATEd (we know the match point and pipeline up to
``max_inflight`` AppendEntries optimistically). A rejection drops a follower back to PROBE.
"""

from __future__ import annotations

from collections import deque
from enum import Enum


class ProgressState(Enum):
    PROBE = "probe"
    REPLICATE = "replicate"


class Inflights:
    """Last indexes of AppendEntries sent but not yet acknowledged, oldest first."""

    __slots__ = ("_q", "capacity")

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._q: deque[int] = deque()

    def __len__(self) -> int:
        return len(self._q)

    def full(self) -> bool:
        return len(self._q) >= self.capacity

    def add(self, last_index: int) -> None:
        self._q.append(last_index)

    def free_le(self, index: int) -> None:
        q = self._q
        while q and q[0] <= index:
            q.popleft()

    def free_first_one(self) -> None:
        if self._q:
            self._q.popleft()

    def reset(self) -> None:
        self._q.clear()


class Progress:
    __slots__ = ("inflights", "match", "next", "probe_sent", "recent_active", "state")

    def __init__(self, next_index: int, max_inflight: int) -> None:
        self.match = 0
        self.next = next_index
        self.state = ProgressState.PROBE
        self.probe_sent = False  # PROBE: wait for an answer before probing again
        self.recent_active = False  # heard from since the last CheckQuorum round
        self.inflights = Inflights(max_inflight)

    def become_probe(self) -> None:
        self.state = ProgressState.PROBE
        self.next = self.match + 1
        self.probe_sent = False
        self.inflights.reset()

    def become_replicate(self) -> None:
        self.state = ProgressState.REPLICATE
        self.next = self.match + 1
        self.probe_sent = False
        self.inflights.reset()

    def is_paused(self) -> bool:
        if self.state is ProgressState.PROBE:
            return self.probe_sent
        return self.inflights.full()

    def sent_entries(self, last_index: int | None) -> None:
        """Record an AppendEntries ending at ``last_index`` (None: carried no entries)."""
        if self.state is ProgressState.REPLICATE:
            if last_index is not None:
                self.next = last_index + 1
                self.inflights.add(last_index)
        else:
            self.probe_sent = True

    def maybe_update(self, index: int) -> bool:
        """The follower acknowledged its log matches ours up to ``index``."""
        updated = False
        if index > self.match:
            self.match = index
            updated = True
            self.probe_sent = False
        self.next = max(self.next, index + 1)
        return updated

    def maybe_decr_to(self, rejected: int, match_hint: int) -> bool:
        """Handle a rejection of the probe at ``rejected``; False if it is stale (answers an
        older probe, or an index already known to match)."""
        if self.state is ProgressState.REPLICATE:
            if rejected <= self.match:
                return False
            self.next = self.match + 1
            return True
        if self.next - 1 != rejected:
            return False
        self.next = max(min(rejected, match_hint + 1), self.match + 1)
        self.probe_sent = False
        return True

    def describe(self) -> dict[str, object]:
        return {
            "match": self.match,
            "next": self.next,
            "state": self.state.value,
            "paused": self.is_paused(),
            "inflight": len(self.inflights),
            "recent_active": self.recent_active,
        }
