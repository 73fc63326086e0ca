"""LevelDB's compaction state as the node reads it for /metrics and the benchmarks: the
``leveldb.stats`` table parsed, the size triggers applied, and a bulk-loaded database settled
by ``scripts.bench_chain.settle``."""

from __future__ import annotations

import os
from pathlib import Path

import plyvel
from hypothesis import given
from hypothesis import strategies as st

from node.storage import leveldb_stats as ls
from node.storage.db import Store
from scripts.bench_chain import settle

BUILT = """                               Compactions
Level  Files Size(MB) Time(sec) Read(MB) Write(MB)
--------------------------------------------------
  0       16       23         1        0        23
  1        7       12         0        0         0
  2       44       84         0        0         0
"""
SETTLED = """                               Compactions
Level  Files Size(MB) Time(sec) Read(MB) Write(MB)
--------------------------------------------------
  1        5        8         0        0         0
  2       51       99         2       40        38
  3        7       12         0        0         0
"""


def pending(text: str) -> bool:
    return ls.compaction_pending(ls.parse(text))


def test_the_table_is_read_row_by_row() -> None:
    levels = ls.parse(SETTLED)
    assert [lv.level for lv in levels] == [1, 2, 3]
    assert levels[1] == ls.Level(2, 51, 99.0, 2.0, 40.0, 38.0)
    assert ls.compaction_seconds(ls.parse(BUILT)) == 1.0
    assert ls.level0_files(ls.parse(BUILT)) == 16 and ls.level0_files(levels) == 0


def test_a_full_level_or_four_level0_files_means_work_pending() -> None:
    assert pending(BUILT)
    assert not pending(SETTLED)
    assert pending(SETTLED.replace("  1        5        8", "  1        5       10"))
    assert pending(SETTLED.replace("  2       51       99", "  2       51      100"))
    assert pending("  0        4        1         0        0         1\n")
    assert not pending("  0        3        1         0        0         1\n")
    assert not pending("")


@given(st.text())
def test_any_text_parses_without_error(text: str) -> None:
    for lv in ls.parse(text):  # only rows of six numbers
        assert lv.level >= 0 and lv.files >= 0


def _stats(path: Path) -> str:
    db = plyvel.DB(str(path))
    try:
        return str(db.get_property(b"leveldb.stats").decode())
    finally:
        db.close()


def _pile_up(path: Path, rounds: int) -> None:
    """Overlapping rewrites in small memtables: a pile of level-0 files."""
    db = plyvel.DB(str(path), create_if_missing=True, write_buffer_size=64 << 10)
    try:
        for rnd in range(rounds):
            with db.write_batch() as wb:
                for i in range(0, 3000, 7):
                    wb.put(f"k{(i * 13 + rnd) % 3000:05d}".encode(), rnd.to_bytes(2, "big") + os.urandom(398))
    finally:
        db.close()


def test_a_store_reports_its_own_tree(tmp_path: Path) -> None:
    store = Store(tmp_path / "db")
    try:
        for i in range(200):
            store.put(f"k{i}".encode(), os.urandom(100))
        text = store.leveldb_stats()
        assert "Compactions" in text and "Files Size(MB)" in text  # LevelDB's own table
        assert not ls.compaction_pending(ls.parse(text))
    finally:
        store.close()


def test_settle_leaves_a_bulk_loaded_database_with_nothing_pending(tmp_path: Path) -> None:
    # LevelDB compacts in the background while the writes go on, and on a busy machine it can
    # catch up before the close: write more until it is handed over with work pending.
    was_pending = False
    for _ in range(10):
        _pile_up(tmp_path, 60)
        was_pending = pending(_stats(tmp_path))
        if was_pending:
            break
    assert was_pending
    db = plyvel.DB(str(tmp_path))
    expected = dict(db.iterator())
    db.close()
    settle(tmp_path)
    assert not pending(_stats(tmp_path))
    db = plyvel.DB(str(tmp_path))
    try:
        assert dict(db.iterator()) == expected
    finally:
        db.close()


def test_metrics_text_reads_back_as_rendered() -> None:
    from node.metrics import Metrics, parse_text

    m = Metrics()
    m.set("storage_compaction_seconds_total", 18.25)
    m.set("storage_compaction_pending", 1)
    m.observe("storage_sync_seconds", 0.003)
    values = parse_text(m.render())
    assert values["spkm_storage_compaction_seconds_total"] == 18.25
    assert values["spkm_storage_compaction_pending"] == 1
    assert values["spkm_storage_level0_files"] == 0  # every known series is rendered, unset ones as 0
    assert values['spkm_storage_sync_seconds_bucket{le="0.005"}'] == 1
    assert values["spkm_storage_sync_seconds_count"] == 1
