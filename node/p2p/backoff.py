"""Reconnect delays: exponential with jitter, capped, reset after a successful handshake."""

from __future__ import annotations

import random


class Backoff:
    """Exponential reconnect delay with jitter, so restarted nodes don't dial in lockstep."""

    def __init__(self, initial: float = 0.05, cap: float = 2.0) -> None:
        if not 0 < initial <= cap:
            raise ValueError("backoff needs 0 < initial <= cap")
        self._initial = initial
        self._cap = cap
        self._attempt = 0

    def next_delay(self) -> float:
        ceiling = min(self._cap, self._initial * 2.0 ** min(self._attempt, 32))
        self._attempt += 1
        # "Equal jitter": at least half the ceiling, so a flapping peer is never hammered.
        return ceiling / 2 + random.uniform(0, ceiling / 2)

    def reset(self) -> None:
        self._attempt = 0
