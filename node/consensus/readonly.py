"""ReadIndex bookkeeping on the leader (Raft thesis §6.4).

A read is linearizable at the leader's commit index *at the time the read arrived*, provided
that (a) the leader has committed an entry of its own term (so its commit index is at least
every previously committed index) and (b) it was still the leader after the read arrived,
which a quorum proves by acknowledging a heartbeat sent after that moment.

Every read gets a sequence number; heartbeats carry the newest one in their context and
followers echo it. A follower echoing ``seq`` has acknowledged this leader after every read
numbered ``<= seq`` arrived, so a read is confirmed once a quorum (counting the leader) has
echoed a number at least as large as its own. Sequence numbers, not the client's ``ctx``,
are what travel, so two clients using the same ``ctx`` cannot confuse each other.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

_SEQ_BYTES = 8


@dataclass(frozen=True, slots=True)
class ReadRequest:
    seq: int
    index: int
    ctx: bytes
    requester: str


class ReadOnly:
    def __init__(self) -> None:
        self._seq = 0  # never reset: a number is never reused, even across terms
        self._pending: deque[ReadRequest] = deque()
        self._acked: dict[str, int] = {}
        # Reads that arrived before this leader committed an entry of its term.
        self.waiting_for_commit: list[tuple[bytes, str]] = []

    def reset(self) -> None:
        """Forget everything: a node that stops being leader must never answer these."""
        self._pending.clear()
        self._acked.clear()
        self.waiting_for_commit.clear()

    def __len__(self) -> int:
        return len(self._pending)

    def add(self, index: int, ctx: bytes, requester: str) -> None:
        self._seq += 1
        self._pending.append(ReadRequest(self._seq, index, ctx, requester))

    def heartbeat_context(self) -> bytes:
        if not self._pending:
            return b""
        return self._seq.to_bytes(_SEQ_BYTES, "big")

    def ack(self, frm: str, ctx: bytes) -> None:
        if len(ctx) != _SEQ_BYTES:
            return
        seq = int.from_bytes(ctx, "big")
        if seq > self._seq:  # not a number we ever sent
            return
        if seq > self._acked.get(frm, 0):
            self._acked[frm] = seq

    def confirmed(self, others: tuple[str, ...], quorum: int) -> list[ReadRequest]:
        """Pop the reads whose leadership check has succeeded, oldest first."""
        if not self._pending:
            return []
        if quorum <= 1:
            confirmed_seq = self._seq
        else:
            acks = sorted((self._acked.get(p, 0) for p in others), reverse=True)
            confirmed_seq = acks[quorum - 2]  # the leader itself is the quorum's last member
        out: list[ReadRequest] = []
        while self._pending and self._pending[0].seq <= confirmed_seq:
            out.append(self._pending.popleft())
        return out
