"""Layered views of chain state, so validation can run ahead of what is on disk.

A block is checked by applying its transactions to an ``Overlay`` over the stored state; only
if every transaction passes are the overlay's writes committed, in one batch. The leader stacks
one overlay per in-flight block to validate new transactions against blocks not yet committed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

import msgpack

from node.storage.db import Batch, Store

_DELETED = object()


class Reader(Protocol):
    def get(self, key: bytes) -> bytes | None: ...


def unpack(raw: bytes | None) -> Any:
    return None if raw is None else msgpack.unpackb(raw, raw=False)


def pack(value: Any) -> bytes:
    packed: bytes = msgpack.packb(value, use_bin_type=True)
    return packed


class StoreReader:
    def __init__(self, store: Store) -> None:
        self._store = store

    def get(self, key: bytes) -> bytes | None:
        return self._store.get(key)


class Overlay:
    """Pending writes over a base reader; reads see the writes first."""

    def __init__(self, base: Reader) -> None:
        self.base = base
        self.writes: dict[bytes, bytes | object] = {}

    def get(self, key: bytes) -> bytes | None:
        v = self.writes.get(key)
        if v is _DELETED:
            return None
        if v is not None:
            assert isinstance(v, bytes)
            return v
        return self.base.get(key)

    def get_obj(self, key: bytes) -> Any:
        return unpack(self.get(key))

    def put(self, key: bytes, value: bytes) -> None:
        self.writes[key] = value

    def put_obj(self, key: bytes, value: Any) -> None:
        self.writes[key] = pack(value)

    def delete(self, key: bytes) -> None:
        self.writes[key] = _DELETED

    def items(self) -> Iterator[tuple[bytes, bytes | None]]:
        for k, v in self.writes.items():
            yield k, (None if v is _DELETED else v)  # type: ignore[misc]

    def write_to(self, wb: Batch) -> None:
        """Add these writes (deletions included) to ``wb``, a batch committed in one piece."""
        for k, v in self.items():
            if v is None:
                wb.delete(k)
            else:
                wb.put(k, v)
