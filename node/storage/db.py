"""LevelDB with a checksum on every value.

LevelDB's own block CRCs catch torn disk blocks, but not a value that was altered in place by
hand, by a buggy tool or by a swapped file. Every value here is stored as
``crc32(key || value) || value``; a mismatch on read raises ``CorruptionError`` and the node
stops rather than serve it. Mixing the key into the checksum also catches values moved
between keys.
"""

from __future__ import annotations

import json
import os
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType

import plyvel

_CRC = struct.Struct(">I")


class StorageError(Exception):
    """The data directory cannot be used (missing, locked, not a LevelDB)."""


class CorruptionError(StorageError):
    """A stored value failed its checksum: the disk or someone altered it."""


def _seal(key: bytes, value: bytes) -> bytes:
    return _CRC.pack(zlib.crc32(value, zlib.crc32(key))) + value


def _open(key: bytes, raw: bytes) -> bytes:
    if len(raw) < 4 or _CRC.unpack_from(raw)[0] != zlib.crc32(memoryview(raw)[4:], zlib.crc32(key)):
        raise CorruptionError(f"stored value for key {key[:40]!r} fails its checksum")
    return raw[4:]


# Test hook for the chaos harness (scripts/chaos.py "slow-disk"): when the node is started with
# SPKM_DISK_FAULTS=NAME, the file NAME beside its data directory may hold
# {"fsync_delay_ms": N, "fail": false}; every synced write then waits N ms first (a slow or
# saturated disk), or fails ("fail": true, a dying disk). Re-read at most every 0.2 s, so the
# harness can switch it while the node runs. Unset in production: one attribute check per write.
DISK_FAULTS_ENV = "SPKM_DISK_FAULTS"


class DiskFaults:
    def __init__(self, file: Path) -> None:
        self._file = file
        self._lock = threading.Lock()
        self._read_at = -1.0
        self._delay = 0.0
        self._fail = False

    def before_sync(self) -> None:
        now = time.monotonic()
        if now - self._read_at > 0.2:
            with self._lock:
                self._read_at = now
                try:
                    spec = json.loads(self._file.read_text())
                    self._delay = max(0.0, float(spec.get("fsync_delay_ms", 0))) / 1000
                    self._fail = spec.get("fail") is True
                except (OSError, ValueError, TypeError, AttributeError):
                    self._delay, self._fail = 0.0, False
        if self._fail:
            raise StorageError(f"synced write failed (injected by {DISK_FAULTS_ENV})")
        if self._delay:
            time.sleep(self._delay)


class Batch:
    """An atomic group of writes; nothing is visible until ``commit``."""

    def __init__(self, db: plyvel.DB, sync: bool, faults: DiskFaults | None = None) -> None:
        self._wb = db.write_batch(sync=sync)
        self._faults = faults if sync else None

    def put(self, key: bytes, value: bytes) -> None:
        self._wb.put(key, _seal(key, value))

    def delete(self, key: bytes) -> None:
        self._wb.delete(key)

    def commit(self) -> None:
        if self._faults is not None:
            self._faults.before_sync()
        self._wb.write()

    def __enter__(self) -> Batch:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        if et is None:
            self.commit()
        else:
            self._wb.clear()


class Store:
    """A checksummed LevelDB. ``on_corruption`` (if set) hears of every failed checksum before
    the ``CorruptionError`` is raised, so the node can stop whichever code path found it."""

    def __init__(self, path: Path, *, create: bool = True) -> None:
        self.path = path
        self.on_corruption: Callable[[CorruptionError], None] | None = None
        faults_name = os.environ.get(DISK_FAULTS_ENV)
        self._faults = DiskFaults(path.parent / faults_name) if faults_name else None
        if create:
            try:
                path.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                what = "is not a directory" if path.exists() else f"cannot be created: {exc.strerror}"
                raise StorageError(f"data directory {path} {what}") from None
        try:
            # Bloom filters: most point reads while applying look for keys that do not exist
            # (a new tx id, a new cert_no); the filter answers those without reading SST blocks.
            # A 64 MB memtable: a follower re-syncing writes the Raft log and the state at
            # tens of MB/s, and with 16 MB LevelDB's background compaction took as much CPU as
            # the whole apply loop (bench.py sync 28 -> 25 s). Memory is taken as written.
            self._db = plyvel.DB(str(path), create_if_missing=create, paranoid_checks=True,
                                 lru_cache_size=64 << 20, write_buffer_size=64 << 20, bloom_filter_bits=10)
        except plyvel.IOError as exc:
            if "lock" in _short(exc).lower():
                raise StorageError(f"data directory {path} is in use by another process "
                                   f"(is this node already running?)") from None
            raise StorageError(f"cannot open data directory {path}: {_short(exc)}") from None
        except plyvel.CorruptionError as exc:
            raise CorruptionError(f"data directory {path} is corrupt: {_short(exc)}") from None
        except plyvel.Error as exc:
            raise StorageError(f"cannot open data directory {path}: {_short(exc)}") from None

    def get(self, key: bytes) -> bytes | None:
        try:
            raw = self._db.get(key)
            return None if raw is None else _open(key, raw)
        except plyvel.CorruptionError as exc:
            raise self.corrupted(CorruptionError(f"{self.path}: {_short(exc)}")) from None
        except CorruptionError as exc:
            raise self.corrupted(exc) from None

    def corrupted(self, exc: CorruptionError) -> CorruptionError:
        """Tell ``on_corruption`` (if any) and return ``exc`` for raising."""
        if self.on_corruption is not None:
            self.on_corruption(exc)
        return exc

    def put(self, key: bytes, value: bytes, *, sync: bool = False) -> None:
        if sync and self._faults is not None:
            self._faults.before_sync()
        self._db.put(key, _seal(key, value), sync=sync)

    def batch(self, *, sync: bool = False) -> Batch:
        return Batch(self._db, sync, self._faults)

    def items(self, prefix: bytes, *, reverse: bool = False, start: bytes | None = None,
              stop: bytes | None = None) -> Iterator[tuple[bytes, bytes]]:
        kwargs: dict[str, object] = {"prefix": prefix} if start is None and stop is None else {
            "start": start or prefix, "stop": stop or _prefix_end(prefix)}
        try:
            for k, raw in self._db.iterator(reverse=reverse, **kwargs):
                yield k, _open(k, raw)
        except plyvel.CorruptionError as exc:
            raise self.corrupted(CorruptionError(f"{self.path}: {_short(exc)}")) from None
        except CorruptionError as exc:
            raise self.corrupted(exc) from None

    def keys(self, prefix: bytes, *, reverse: bool = False) -> Iterator[bytes]:
        try:
            yield from self._db.iterator(prefix=prefix, include_value=False, reverse=reverse)
        except plyvel.CorruptionError as exc:
            raise self.corrupted(CorruptionError(f"{self.path}: {_short(exc)}")) from None

    def leveldb_stats(self) -> str:
        """LevelDB's ``leveldb.stats`` table (see ``node.storage.leveldb_stats``)."""
        raw = self._db.get_property(b"leveldb.stats")
        return raw.decode() if raw else ""

    def raw_items(self) -> Iterator[tuple[bytes, bytes]]:
        """Every stored pair as it is on disk (for audits and tests)."""
        yield from self._db.iterator()

    def raw_put(self, key: bytes, raw: bytes) -> None:
        """Write bytes without sealing them: only for tests that simulate corruption."""
        self._db.put(key, raw, sync=True)

    def close(self) -> None:
        if not self._db.closed:
            self._db.close()


def _prefix_end(prefix: bytes) -> bytes:
    return prefix[:-1] + bytes([prefix[-1] + 1]) if prefix and prefix[-1] < 255 else prefix + b"\xff"


def _short(exc: Exception) -> str:
    arg = exc.args[0] if exc.args else ""
    text = arg.decode("utf-8", "replace") if isinstance(arg, bytes) else str(exc)
    return text.strip().splitlines()[0][:200] if text.strip() else type(exc).__name__
