"""LevelDB's own account of its tree (the ``leveldb.stats`` property), for operators and benchmarks.

LevelDB compacts in a background thread of the node's process: after a bulk load, and under a
random-read load too (a table searched in vain too often is compacted away: "seek
compactions"). While it does, reads and writes compete with it for the process's CPU, and
level-0 files piling up slow every read and eventually stall writes. ``/metrics`` exports what
this module reads, so an operator can see it, and the benchmarks wait for it to end before
measuring the node's steady state.
"""

from __future__ import annotations

from dataclasses import dataclass

#: LevelDB (db/version_set.cc): level 0 is compacted at 4 files, level L >= 1 once it holds
#: more than 10 MiB x 10^(L-1).
L0_COMPACTION_TRIGGER = 4
LEVEL1_MIB = 10.0


@dataclass(frozen=True)
class Level:
    level: int
    files: int
    size_mib: float
    compaction_s: float
    read_mib: float
    written_mib: float


def parse(stats: str) -> list[Level]:
    """The rows of ``leveldb.stats``' table (only levels holding files or having compacted)."""
    out = []
    for line in stats.splitlines():
        cols = line.split()
        if len(cols) != 6 or not cols[0].isdigit():
            continue
        try:
            out.append(Level(int(cols[0]), int(cols[1]), *(float(c) for c in cols[2:])))
        except ValueError:
            continue
    return out


def compaction_pending(levels: list[Level]) -> bool:
    """Would LevelDB start a size-triggered compaction of this tree?"""
    return any((lv.level == 0 and lv.files >= L0_COMPACTION_TRIGGER)
               or (lv.level >= 1 and lv.size_mib >= LEVEL1_MIB * 10 ** (lv.level - 1)) for lv in levels)


def compaction_seconds(levels: list[Level]) -> float:
    """Time spent compacting since the database was opened."""
    return sum(lv.compaction_s for lv in levels)


def level0_files(levels: list[Level]) -> int:
    return sum(lv.files for lv in levels if lv.level == 0)
