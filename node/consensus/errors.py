"""Exceptions the caller is expected to handle. Input from peers never raises: the core drops
what it cannot use, because a single bad packet must not take a node down."""

from __future__ import annotations


class NotLeader(Exception):
    """This node cannot accept the request; ``leader_id`` is where to retry, ``None`` when no
    leader is known (retry later)."""

    def __init__(self, leader_id: str | None) -> None:
        super().__init__(f"not the leader (leader: {leader_id or 'unknown'})")
        self.leader_id = leader_id


class TransferInProgress(NotLeader):
    """The leader is handing over to ``transferee`` and refuses proposals meanwhile, so the
    transferee can catch up and the handover finishes. Retry shortly."""

    def __init__(self, transferee: str) -> None:
        super().__init__(None)
        self.transferee = transferee
        self.args = (f"leadership transfer to {transferee} in progress",)
