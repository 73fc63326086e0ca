"""The Raft log in LevelDB as the engine uses it: a write prepared on the loop thread and
committed elsewhere, and a tail cache bounded in bytes rather than entries."""

from __future__ import annotations

import threading
from pathlib import Path

from node.consensus import Entry, EntryType, HardState
from node.storage.db import Store
from node.storage.raftlog import CACHE_BYTES, RaftLog


def entry(index: int, size: int, term: int = 1) -> Entry:
    return Entry(term, index, EntryType.NORMAL, bytes([index % 251]) * size)


def test_cache_is_bounded_in_bytes(tmp_path: Path) -> None:
    assert CACHE_BYTES == 64 << 20
    store = Store(tmp_path / "db")
    log = RaftLog(store)
    log.cache_limit = 10_000
    log.save(HardState(1, None, 0), [entry(i, 1_000) for i in range(1, 51)], sync=False)
    assert log._cache_bytes <= 10_000 and len(log._cache) == 10
    assert sorted(log._cache) == list(range(41, 51))  # the newest entries stay
    assert log.entries(1, 51) == [entry(i, 1_000) for i in range(1, 51)]  # the rest from disk
    assert log._cache_bytes <= 10_000
    log.save(None, [entry(51, 50_000)], sync=False)  # bigger than the cache: kept alone
    assert list(log._cache) == [51]
    store.close()


def test_prepare_commit_saved_in_another_thread(tmp_path: Path) -> None:
    store = Store(tmp_path / "db")
    log = RaftLog(store)
    log.save(HardState(1, None, 0), [entry(i, 10) for i in range(1, 6)], sync=True)
    # A new leader's entries replace 4 and 5: the loop thread prepares, a worker commits.
    new = [entry(4, 20, term=2), entry(5, 20, term=2), entry(6, 20, term=2)]
    batch = log.prepare(HardState(2, "n1", 3), new, sync=True)
    assert log.last_index() == 5 and log.term(4) == 1  # unchanged until ``saved``
    t = threading.Thread(target=batch.commit)
    t.start()
    t.join()
    log.saved(HardState(2, "n1", 3), new)
    assert log.last_index() == 6 and log.term(4) == 2 and log.initial_state() == HardState(2, "n1", 3)
    store.close()
    reopened = RaftLog(Store(tmp_path / "db"))
    assert reopened.last_index() == 6
    assert reopened.entries(1, 7) == [entry(i, 10) for i in range(1, 4)] + new
    assert reopened.initial_state() == HardState(2, "n1", 3)
