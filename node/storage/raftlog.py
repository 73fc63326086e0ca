"""The Raft log and hard state in LevelDB: the consensus core's durable memory.

The Ready contract says entries and hard state must be on disk before any message that
depends on them leaves the node, so ``save`` writes both in one synced batch. Reads are served
from a small in-memory tail cache because the leader reads recent entries constantly.
"""

from __future__ import annotations

import struct
from collections import OrderedDict
from collections.abc import Sequence

import msgpack

from node.consensus import Entry, EntryType, HardState
from node.storage.db import CorruptionError, Store

_HS = b"R:hs"
_E = b"R:e:"
_IDX = struct.Struct(">Q")
_CACHE = 4096


def _ekey(index: int) -> bytes:
    return _E + _IDX.pack(index)


class RaftLog:
    """Implements the consensus ``Storage`` protocol over a ``Store``."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._cache: OrderedDict[int, Entry] = OrderedDict()
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
        with self._store.batch(sync=sync) as wb:
            if entries:
                first = entries[0].index
                for i in range(first, self._last + 1):
                    wb.delete(_ekey(i))
                    self._cache.pop(i, None)
                for e in entries:
                    wb.put(_ekey(e.index), msgpack.packb([e.term, e.type.name, e.data]))
            if hard_state is not None:
                wb.put(_HS, msgpack.packb([hard_state.term, hard_state.vote, hard_state.commit]))
        if entries:
            self._last = entries[-1].index
            for e in entries:
                self._remember(e)
        if hard_state is not None:
            self._hs = hard_state

    def _remember(self, e: Entry) -> None:
        self._cache[e.index] = e
        if len(self._cache) > _CACHE:
            self._cache.popitem(last=False)

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
