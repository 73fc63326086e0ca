"""Per-client token buckets: MyKad look-ups and logins must not be enumerable at speed."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Iterable

from aiohttp import web

MAX_CLIENTS = 100_000


class RateLimiter:
    def __init__(self, per_minute: int, exempt: Iterable[str] = (), burst: int | None = None) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst if burst is not None else max(1, per_minute // 3))
        self.exempt = frozenset(exempt)
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def allow(self, client: str, now: float | None = None) -> bool:
        if client in self.exempt:
            return True
        now = time.monotonic() if now is None else now
        tokens, last = self._buckets.pop(client, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        ok = tokens >= 1.0
        self._buckets[client] = (tokens - 1.0 if ok else tokens, now)
        while len(self._buckets) > MAX_CLIENTS:
            self._buckets.popitem(last=False)
        return ok

    def retry_after(self) -> int:
        return max(1, int(1 / self.rate) + 1) if self.rate > 0 else 60


def client_address(request: web.Request, trust_forwarded_for: bool) -> str:
    if trust_forwarded_for:
        fwd = request.headers.get("X-Forwarded-For", "")
        if fwd:
            return fwd.split(",")[0].strip()[:64]
    return request.remote or "unknown"
