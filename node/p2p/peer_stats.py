"""Counters per peer, kept as plain integers so ``stats()`` is cheap enough to scrape often."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass
class PeerStats:
    """What an operator needs to see why a peer is slow, silent or refused.

    ``frames_sent``/``bytes_sent`` count payloads handed to the socket (not acknowledged by the
    peer); ``bytes_*`` are payload bytes without framing or encryption overhead.
    """

    connected: bool = False
    inbound_connected: bool = False
    frames_sent: int = 0
    bytes_sent: int = 0
    frames_received: int = 0
    bytes_received: int = 0
    queued: int = 0
    drops: int = 0
    connects: int = 0
    reconnects: int = 0
    dial_failures: int = 0
    bad_frames: int = 0
    last_error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ListenerStats:
    """Inbound connections that never became an authenticated peer session."""

    accepted: int = 0
    refused: int = 0
    overflow: int = 0
    handshaking: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
