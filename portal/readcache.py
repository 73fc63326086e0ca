"""A bounded cache of read answers keyed by what they were computed from.

A holder's certificates (with their statuses and proofs) are a pure function of the holder and
the chain state, and the state changes only when a block is applied, i.e. with the head height.
So an answer stored under ``(holder, height)`` is exact for as long as the height is the same,
and entries of older heights are simply never asked for again and age out. Bounded by bytes,
not entries, because an answer's size grows with the holder's certificates.

Random holders rarely repeat, so most answers are built afresh; what they share is per block
(its hash, header and signature, the same for its ~250 certificates), and ``HeightCache`` keeps
that, already encoded, by height.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class AnswerCache:
    def __init__(self, max_bytes: int = 16 << 20, max_item: int = 256 << 10) -> None:
        self._items: OrderedDict[Hashable, bytes] = OrderedDict()
        self._bytes = 0
        self._max_bytes = max_bytes
        self._max_item = max_item  # one huge answer must not flush everything else

    def get(self, key: Hashable) -> bytes | None:
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def put(self, key: Hashable, value: bytes) -> None:
        if len(value) > self._max_item:
            return
        old = self._items.pop(key, None)
        if old is not None:
            self._bytes -= len(old)
        self._items[key] = value
        self._bytes += len(value)
        while self._bytes > self._max_bytes:
            _, dropped = self._items.popitem(last=False)
            self._bytes -= len(dropped)

    def __len__(self) -> int:
        return len(self._items)


class HeightCache(Generic[T]):
    """What an answer needs of one applied block, by height, computed once by ``make``: a block
    never changes once applied, so an entry is never stale, only evicted (least recently used)."""

    def __init__(self, make: Callable[[int], T], size: int = 8192) -> None:
        self._make = make
        self._items: OrderedDict[int, T] = OrderedDict()
        self._size = size

    def __call__(self, height: int) -> T:
        value = self._items.get(height)
        if value is not None:
            self._items.move_to_end(height)
            return value
        value = self._items[height] = self._make(height)
        if len(self._items) > self._size:
            self._items.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._items)


__all__ = ["AnswerCache", "HeightCache"]
