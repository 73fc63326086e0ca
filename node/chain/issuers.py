"""Whether a key is a registered issuer, without a store read for every transaction.

Every issue, revoke and approve transaction asks this of the same few keys, and the answer
changes only when a governance transaction (``issuer.add`` / ``issuer.remove``) commits. The
committed answer is kept per store; a view still sees its own overlays first, so a block's
pending governance writes count exactly as ``view.get`` would count them.

Why a cached answer is never stale: issuer entries change in the store only when an overlay
holding a write made by ``rules._governance`` is committed (the genesis entries are written
when the state is created, before any lookup). ``_governance`` calls ``written`` *before* the
write exists, and from then on that store's answer for the key is read afresh, not cached,
until the store is seen holding exactly those bytes (the write committed). A write that is
never committed (refused block, dropped speculation) leaves its key uncached for good: slower,
never wrong. Overlays may be stacked, re-based and merged (the leader copies a scratch overlay's
writes into its block) without affecting this, since the bytes are what is tracked. If a
governance write is made on a view whose store cannot be named, caching stops everywhere.
"""

from __future__ import annotations

import threading
from typing import Any
from weakref import WeakKeyDictionary

import msgpack

from node.chain import keys as K
from node.chain.view import Overlay, StoreReader
from node.storage.db import Store


class _Registry:
    """The committed answers for one store, and the governance writes not yet seen in it."""

    def __init__(self) -> None:
        self.active: dict[bytes, bool] = {}
        self.pending: dict[bytes, list[bytes]] = {}


_LOCK = threading.Lock()  # apply and admission may run on different threads
_REGISTRIES: WeakKeyDictionary[Store, _Registry] = WeakKeyDictionary()
_untracked = False  # a governance write on a view with no known store: cache nothing anymore


def _is_active(raw: bytes | None) -> bool:
    if raw is None:
        return False
    entry = msgpack.unpackb(raw, raw=False)
    return isinstance(entry, dict) and entry.get("removed_height") is None


def is_active(view: Any, issuer_key: bytes) -> bool:
    """What ``view`` says: ``issuer_key`` is registered and not removed."""
    key = K.issuer(issuer_key)
    layer = view
    while type(layer) is Overlay:
        if key in layer.writes:
            return _is_active(layer.get(key))
        layer = layer.base
    if type(layer) is not StoreReader or _untracked:
        return _is_active(layer.get(key))
    store: Store = layer._store  # the registry belongs to the store, whichever reader reads it
    with _LOCK:
        registry = _REGISTRIES.get(store)
        if registry is None:
            registry = _REGISTRIES[store] = _Registry()
        answer = registry.active.get(key)
    if answer is not None:
        return answer
    raw = layer.get(key)
    answer = _is_active(raw)
    with _LOCK:
        pending = registry.pending.get(key)
        if pending and raw in pending:
            pending.remove(raw)  # that governance write has committed
        if not pending and not _untracked:
            registry.pending.pop(key, None)
            registry.active[key] = answer
    return answer


def written(view: Any, issuer_key: bytes, raw: bytes) -> None:
    """A governance transaction is about to write ``raw`` for ``issuer_key`` into ``view``."""
    global _untracked
    key = K.issuer(issuer_key)
    layer = view
    while type(layer) is Overlay:
        layer = layer.base
    with _LOCK:
        if type(layer) is not StoreReader:
            _untracked = True
            _REGISTRIES.clear()
            return
        registry = _REGISTRIES.get(layer._store)
        if registry is None:
            registry = _REGISTRIES[layer._store] = _Registry()
        registry.active.pop(key, None)
        registry.pending.setdefault(key, []).append(raw)
