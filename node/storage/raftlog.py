"""The Raft log and hard state in LevelDB: the consensus core's durable memory.

The Ready contract says entries and hard state must be on disk before any message that
depends on them leaves the node, so ``save`` writes both in one synced batch. The engine runs
that fsync in a worker thread: ``prepare`` builds the batch on the loop thread, the worker only
``commit``s it (plyvel releases the GIL), and ``saved`` updates what this object remembers once
the write is durable. Reads are served from an in-memory tail cache because the leader reads
recent entries constantly; it is bounded in bytes (a block can be megabytes).
"""

from __future__ import annotations

import struct
from collections import OrderedDict
from collections.abc import Sequence

import msgpack

from node.consensus import Entry, EntryType, HardState
from node.storage.db import Batch, CorruptionError, Store

_HS = b"R:hs"
_E = b"R:e:"
_IDX = struct.Struct(">Q")
#: Bytes of entry data the tail cache keeps (whole entries; at least the newest one).
CACHE_BYTES = 64 << 20


def _ekey(index: int) -> bytes:
    return _E + _IDX.pack(index)


class RaftLog:
    """Implements the consensus ``Storage`` protocol over a ``Store``."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._cache: OrderedDict[int, Entry] = OrderedDict()
        self._cache_bytes = 0
        self.cache_limit = CACHE_BYTES
        last = 0
        for key in store.keys(_E, reverse=True):
            last = _IDX.unpack(key[len(_E):])[0]
            break
        self._last = last
        raw = store.get(_HS)
        if raw is None:
            self._hs = HardState(term=0, vote=None, commit=0)
        else:
            try:
                term, vote, commit = msgpack.unpackb(raw)
            except Exception:
                raise CorruptionError("raft hard state is unreadable") from None
            self._hs = HardState(term=term, vote=vote, commit=commit)

    # --- the Storage protocol -------------------------------------------------------------
    def initial_state(self) -> HardState:
        return self._hs

    def first_index(self) -> int:
        return 1

    def last_index(self) -> int:
        return self._last

    def term(self, index: int) -> int:
        if index == 0:
            return 0
        return self._entry(index).term

    def entries(self, lo: int, hi: int, max_size: int | None = None) -> list[Entry]:
        out: list[Entry] = []
        size = 0
        for i in range(lo, hi):
            e = self._entry(i)
            size += len(e.data)
            if out and max_size is not None and size > max_size:
                break
            out.append(e)
        return out

    # --- writes ---------------------------------------------------------------------------
    def save(self, hard_state: HardState | None, entries: Sequence[Entry], *, sync: bool = True) -> None:
        """Persist new entries (truncating any conflicting tail) and hard state atomically."""
        if hard_state is None and not entries:
            return
        self.prepare(hard_state, entries, sync=sync).commit()
        self.saved(hard_state, entries)

    def prepare(self, hard_state: HardState | None, entries: Sequence[Entry], *, sync: bool) -> Batch:
        """The batch ``save`` would write. Commit it (any thread), then call ``saved``; until
        then this object still describes the log as it was, and no other save may start."""
        wb = self._store.batch(sync=sync)
        if entries:
            first = entries[0].index
            for i in range(first, self._last + 1):
                wb.delete(_ekey(i))
            for e in entries:
                wb.put(_ekey(e.index), msgpack.packb([e.term, e.type.name, e.data]))
        if hard_state is not None:
            wb.put(_HS, msgpack.packb([hard_state.term, hard_state.vote, hard_state.commit]))
        return wb

    def saved(self, hard_state: HardState | None, entries: Sequence[Entry]) -> None:
        """The batch from ``prepare`` is durable."""
        if entries:
            for i in range(entries[0].index, self._last + 1):
                self._forget(i)
            self._last = entries[-1].index
            for e in entries:
                self._remember(e)
        if hard_state is not None:
            self._hs = hard_state

    def _forget(self, index: int) -> None:
        e = self._cache.pop(index, None)
        if e is not None:
            self._cache_bytes -= len(e.data)

    def _remember(self, e: Entry) -> None:
        self._forget(e.index)
        self._cache[e.index] = e
        self._cache_bytes += len(e.data)
        while self._cache_bytes > self.cache_limit and len(self._cache) > 1:
            _, old = self._cache.popitem(last=False)
            self._cache_bytes -= len(old.data)

    def _entry(self, index: int) -> Entry:
        e = self._cache.get(index)
        if e is not None:
            return e
        if not 1 <= index <= self._last:
            raise IndexError(f"raft log has no entry {index} (last is {self._last})")
        raw = self._store.get(_ekey(index))
        if raw is None:
            raise self._store.corrupted(CorruptionError(f"raft log entry {index} is missing"))
        try:
            term, type_name, data = msgpack.unpackb(raw)
            e = Entry(term=term, index=index, type=EntryType[type_name], data=data)
        except Exception:
            raise self._store.corrupted(CorruptionError(f"raft log entry {index} is unreadable")) from None
        self._remember(e)
        return e

    def entry_data(self, index: int) -> bytes:
        return self._entry(index).data
