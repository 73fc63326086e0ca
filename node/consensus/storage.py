"""What the core reads from durable storage, and an in-memory implementation.

The core only ever *reads* storage; writes happen in the caller when it handles a Ready, so
the caller decides how and when bytes reach the disk. ``first_index`` exists so log
compaction (snapshots) can be added later without changing the protocol: the entry just
before ``first_index`` is the snapshot point, whose term ``term()`` must still answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from .types import Entry, HardState


class Storage(Protocol):
    def initial_state(self) -> HardState:
        """The last persisted HardState (``HardState()`` for a fresh node)."""
        ...

    def first_index(self) -> int:
        """Index of the first stored entry (1 unless compacted)."""
        ...

    def last_index(self) -> int:
        """Index of the last stored entry (``first_index() - 1`` if there is none)."""
        ...

    def term(self, index: int) -> int:
        """Term of entry ``index`` for ``first_index()-1 <= index <= last_index()``
        (term 0 for index 0); may raise ``IndexError`` outside that range."""
        ...

    def entries(self, lo: int, hi: int, max_size: int | None = None) -> list[Entry]:
        """Entries ``[lo, hi)``. With ``max_size``, stop once the total data size would exceed
        it, but always return at least one entry so progress is possible."""
        ...


def limit_size(entries: list[Entry], max_size: int | None) -> list[Entry]:
    if max_size is None or not entries:
        return entries
    total = 0
    for n, e in enumerate(entries):
        total += len(e.data)
        if total > max_size and n > 0:
            return entries[:n]
    return entries


class MemoryStorage:
    """Storage kept in a list; used by tests and the simulator, where "durable" means "handed
    over by a Ready and acknowledged by advance()"."""

    def __init__(
        self, entries: Iterable[Entry] = (), hard_state: HardState | None = None
    ) -> None:
        # _ents[0] is a sentinel standing for the (future) snapshot point.
        self._ents: list[Entry] = [Entry(term=0, index=0)]
        self._hard_state = hard_state or HardState()
        ents = list(entries)
        if ents:
            self.append(ents)

    def initial_state(self) -> HardState:
        return self._hard_state

    def set_hard_state(self, hs: HardState) -> None:
        self._hard_state = hs

    def first_index(self) -> int:
        return self._ents[0].index + 1

    def last_index(self) -> int:
        return self._ents[0].index + len(self._ents) - 1

    def term(self, index: int) -> int:
        offset = self._ents[0].index
        if index < offset or index - offset >= len(self._ents):
            raise IndexError(f"entry {index} not in storage")
        return self._ents[index - offset].term

    def entries(self, lo: int, hi: int, max_size: int | None = None) -> list[Entry]:
        offset = self._ents[0].index
        if lo <= offset or hi > self.last_index() + 1 or lo > hi:
            raise IndexError(f"entries [{lo}, {hi}) not in storage")
        return limit_size(self._ents[lo - offset : hi - offset], max_size)

    def append(self, entries: list[Entry]) -> None:
        """Persist ``entries``, replacing any stored entries from ``entries[0].index`` on
        (a new leader may overwrite an uncommitted tail)."""
        if not entries:
            return
        first = entries[0].index
        offset = self._ents[0].index
        if first <= offset:
            raise ValueError(f"cannot overwrite compacted entry {first}")
        if first > self.last_index() + 1:
            raise ValueError(f"gap: appending {first} after {self.last_index()}")
        del self._ents[first - offset :]
        self._ents.extend(entries)
