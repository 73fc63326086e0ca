"""The chaos harness's slow/failing disk hook in node/storage/db.py, and the Store's refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from node.storage import db
from node.storage.db import DISK_FAULTS_ENV, StorageError, Store


def test_without_the_variable_there_is_no_hook(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DISK_FAULTS_ENV, raising=False)
    store = Store(tmp_path / "data")
    assert store._faults is None
    store.close()


def test_a_failing_disk_refuses_synced_writes_and_stores_nothing(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DISK_FAULTS_ENV, "disk_faults")
    store = Store(tmp_path / "data")
    (tmp_path / "disk_faults").write_text(json.dumps({"fail": True}))
    with pytest.raises(StorageError, match="injected"), store.batch(sync=True) as wb:
        wb.put(b"k", b"v")
    with pytest.raises(StorageError):
        store.put(b"k2", b"v", sync=True)
    assert store.get(b"k") is None and store.get(b"k2") is None
    store.put(b"k3", b"v")  # unsynced writes (caches, never acknowledged) are not the hook's business
    store.close()


def test_a_slow_disk_delays_each_synced_write_and_can_be_switched_off(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DISK_FAULTS_ENV, "disk_faults")
    slept: list[float] = []
    monkeypatch.setattr(db.time, "sleep", slept.append)
    clock = [100.0]
    monkeypatch.setattr(db.time, "monotonic", lambda: clock[0])
    store = Store(tmp_path / "data")
    (tmp_path / "disk_faults").write_text(json.dumps({"fsync_delay_ms": 250}))
    with store.batch(sync=True) as wb:
        wb.put(b"a", b"1")
    with store.batch(sync=False) as wb:
        wb.put(b"b", b"2")
    assert slept == [0.25] and store.get(b"a") == b"1" and store.get(b"b") == b"2"
    (tmp_path / "disk_faults").write_text("{}")
    clock[0] += 1
    store.put(b"c", b"3", sync=True)
    assert slept == [0.25]
    (tmp_path / "disk_faults").write_text("not json")  # a half-written file is no fault
    clock[0] += 1
    store.put(b"d", b"4", sync=True)
    assert slept == [0.25] and store.get(b"d") == b"4"
    store.close()
