"""The cached benchmark chains are handed over with no LevelDB compaction pending, so the node
measured next does not spend its load compacting the build's backlog."""

from __future__ import annotations

import os
from pathlib import Path

import plyvel

from scripts.bench_chain import compaction_pending, settle

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
  2       51       99         0        0         0
  3        7       12         0        0         0
"""


def test_a_full_level_or_many_level0_files_means_work_pending() -> None:
    assert compaction_pending(BUILT)
    assert not compaction_pending(SETTLED)
    assert compaction_pending(SETTLED.replace("  1        5        8", "  1        5       10"))
    assert compaction_pending(SETTLED.replace("  2       51       99", "  2       51      100"))
    assert compaction_pending("  0        4        1         0        0         1\n")
    assert not compaction_pending("  0        3        1         0        0         1\n")
    assert not compaction_pending("")


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


def test_settle_leaves_a_written_database_with_nothing_pending(tmp_path: Path) -> None:
    # LevelDB compacts in the background while the writes go on, and on a busy machine it can
    # catch up before the close: write more until it is handed over with work pending.
    pending = False
    for _ in range(10):
        _pile_up(tmp_path, 60)
        pending = compaction_pending(_stats(tmp_path))
        if pending:
            break
    assert pending
    db = plyvel.DB(str(tmp_path))
    expected = dict(db.iterator())
    db.close()
    settle(tmp_path)
    assert not compaction_pending(_stats(tmp_path))
    db = plyvel.DB(str(tmp_path))
    try:
        assert dict(db.iterator()) == expected
    finally:
        db.close()
