"""Logins ended by "log out", remembered until they would have expired anyway.

Sessions are encrypted cookies, so the node keeps no session table: logging out replaces the
browser's cookie, but a copy taken before (a shared computer, a proxy log, malware) would still
decrypt. Each login therefore carries a random ``sid``; logging out lists it here until the
login's own expiry (``auth_at + LOGIN_MAX_AGE``), and ``session_holder`` refuses listed sids.

The list is kept per node (a cookie is only ever sent to the host that set it) in a small
append-only file in the node's data directory, so a restart does not bring copied cookies back
to life. Expired entries are dropped when the file is loaded and when it is compacted.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Final

log = logging.getLogger(__name__)

# A bound on memory and file size; at 200,000 logouts inside one login lifetime (2 h) on one
# node the soonest-expiring entries are forgotten first (logged), since they matter least.
MAX_ENTRIES: Final = 200_000
MAX_SID_LEN: Final = 64


class LogoutList:
    def __init__(self, path: Path | None, *, max_entries: int = MAX_ENTRIES,
                 clock: Callable[[], float] = time.time) -> None:
        self._path = path
        self._max = max_entries
        self._clock = clock
        self._until: dict[str, float] = {}
        self._lines = 0
        if path is not None:
            self._load(path)

    def __contains__(self, sid: object) -> bool:
        until = self._until.get(sid) if isinstance(sid, str) else None
        return until is not None and until > self._clock()

    def __len__(self) -> int:
        return len(self._until)

    def add(self, sid: str, until: float) -> None:
        """Refuse ``sid`` from now until ``until`` (seconds since the epoch)."""
        if not sid or len(sid) > MAX_SID_LEN or until <= self._clock():
            return
        self._until[sid] = until
        if len(self._until) > self._max:
            self._forget_oldest()
        if self._path is None:
            return
        if self._lines > 2 * len(self._until) + 1000:
            self._rewrite(self._path)
            return
        with open(self._path, "a", encoding="utf-8") as f:
            f.write(json.dumps([sid, until]) + "\n")
        self._lines += 1

    def _forget_oldest(self) -> None:
        now = self._clock()
        self._until = {s: u for s, u in self._until.items() if u > now}
        excess = len(self._until) - self._max
        if excess > 0:
            log.warning("logout list full (%d); forgetting the %d soonest-expiring logouts", self._max, excess)
            for sid in sorted(self._until, key=self._until.__getitem__)[:excess]:
                del self._until[sid]

    def _load(self, path: Path) -> None:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return
        now = self._clock()
        for line in text.splitlines():
            try:
                sid, until = json.loads(line)
            except (ValueError, TypeError):
                continue  # a line torn by a crash mid-append
            if isinstance(sid, str) and isinstance(until, (int, float)) and until > now:
                self._until[sid] = float(until)
        if len(self._until) > self._max:
            self._forget_oldest()
        self._rewrite(path)

    def _rewrite(self, path: Path) -> None:
        now = self._clock()
        self._until = {s: u for s, u in self._until.items() if u > now}
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            f.writelines(json.dumps([s, u]) + "\n" for s, u in self._until.items())
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        self._lines = len(self._until)
