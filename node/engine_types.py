"""Plain values the engine hands out or keeps per block, and small helpers around them.

Split from ``engine.py`` so the engine module holds only the driving logic; everything here
is re-exported by ``node.engine``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from certificate.block import Block
from certificate.errors import ValidationError
from certificate.tx import MAX_TX_BYTES, Transaction
from node.chain.rules import TxRejected
from node.chain.state import DecodedCache, Head
from node.chain.view import Overlay


@dataclass
class Inflight:
    index: int
    data: bytes
    block: Block
    overlay: Overlay
    head: Head
    txs: list[tuple[Transaction, bytes]]


@dataclass(frozen=True)
class Committed:
    tx_id: bytes
    height: int
    block_hash: bytes


@dataclass
class TxResult:
    """Outcome of admitting one transaction: HTTP-like status plus what a client needs."""

    status: int
    tx_id: str | None = None
    code: str | None = None
    message: str | None = None
    height: int | None = None
    block_hash: str | None = None

    def to_wire(self) -> list[Any]:
        return [self.status, self.tx_id, self.code, self.message, self.height, self.block_hash]

    @classmethod
    def from_wire(cls, v: Any) -> TxResult:
        if not isinstance(v, list) or len(v) != 6 or not isinstance(v[0], int):
            raise ValueError("malformed tx result")
        return cls(*v)


@dataclass
class Waiters:
    tx: dict[bytes, list[asyncio.Future[Committed]]] = field(default_factory=dict)
    reads: dict[bytes, asyncio.Future[int]] = field(default_factory=dict)
    applied: list[tuple[int, asyncio.Future[None]]] = field(default_factory=list)


#: Room for what an entry adds to its block in an AppendEntries (raft fields, msgpack headers).
ENTRY_OVERHEAD = 64 << 10


#: Bytes of entry data per AppendEntries when a follower is behind: about 7 full blocks of 250
#: certificates, so a re-syncing follower writes (and fsyncs) several blocks per Ready, not one.
CATCH_UP_BYTES = 1 << 20
#: Wire bytes an entry adds beside its data (term, index, type, msgpack headers), with room.
ENTRY_WIRE = 256


def message_limits(block_max_bytes: int, max_frame: int, send_queue_bytes: int) -> tuple[int, int, int]:
    """Entries and bytes of entry data per AppendEntries, and AppendEntries in flight per
    follower, so that each message fits one frame and a follower's window fits its send queue.

    A lagging follower is sent a backlog, and an oversize send stops the leader's engine. The
    first entry always goes whatever its size: a block is at most ``block_max_bytes`` of
    transactions, or one transaction of up to ``MAX_TX_BYTES``, plus a header, and genesis
    keeps that within a frame. Further entries go while the data stays under the byte cap.
    The p2p send queue drops its oldest frames when full, so a window of messages that could
    exceed it would lose entries and send the follower back to probing: half of it at most.
    """
    count = 64
    size = max(0, min(CATCH_UP_BYTES, max_frame - ENTRY_OVERHEAD - count * ENTRY_WIRE))
    largest = max(size + count * ENTRY_WIRE, max(block_max_bytes, MAX_TX_BYTES) + ENTRY_OVERHEAD)
    inflight = max(4, min(256, (send_queue_bytes // 2) // largest))
    return count, size, inflight


def decode_tx(raw: bytes, cache: DecodedCache | None = None) -> Transaction:
    try:
        return cache.decode(raw) if cache is not None else Transaction.decode(raw)
    except ValidationError as exc:
        raise TxRejected(exc.code, str(exc)) from None
