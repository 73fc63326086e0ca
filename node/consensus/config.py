"""Static configuration of one Raft member.

Timing is counted in ticks of the caller's clock so the core has no clock of its own and the
simulator can run a cluster on virtual time.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Config:
    node_id: str
    peers: tuple[str, ...]  # every voting member, including node_id; membership is fixed
    election_tick: int = 10  # followers wait a random [election_tick, 2*election_tick) ticks
    heartbeat_tick: int = 1
    pre_vote: bool = True  # a partitioned node cannot inflate the term and depose a leader
    check_quorum: bool = True  # a leader cut off from a quorum steps down (also enables lease)
    max_inflight: int = 256  # unacknowledged AppendEntries per follower when pipelining
    max_entries_per_msg: int = 64
    # Cap (bytes of entry data) per AppendEntries besides the count; the first entry always
    # goes, so an entry as big as the cap still replicates. None: count only.
    max_size_per_msg: int | None = None
    applied: int = 0  # last index the caller's state machine has applied (restart point)
    # Cap (bytes of entry data) on committed_entries per Ready, so catching up a long chain
    # is applied in bounded batches; at least one entry is always returned. None: no cap.
    max_committed_size_per_ready: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.peers, tuple):
            object.__setattr__(self, "peers", tuple(self.peers))
        if not self.node_id:
            raise ValueError("node_id must be non-empty")
        if len(set(self.peers)) != len(self.peers):
            raise ValueError("peers must be unique")
        if self.node_id not in self.peers:
            raise ValueError("node_id must be one of peers")
        if self.heartbeat_tick < 1:
            raise ValueError("heartbeat_tick must be >= 1")
        if self.election_tick <= self.heartbeat_tick:
            raise ValueError("election_tick must be greater than heartbeat_tick")
        if self.max_inflight < 1 or self.max_entries_per_msg < 1:
            raise ValueError("max_inflight and max_entries_per_msg must be >= 1")
        if self.max_size_per_msg is not None and self.max_size_per_msg < 0:
            raise ValueError("max_size_per_msg must be >= 0")
        if self.applied < 0:
            raise ValueError("applied must be >= 0")
        if self.max_committed_size_per_ready is not None and self.max_committed_size_per_ready < 0:
            raise ValueError("max_committed_size_per_ready must be >= 0")

    @property
    def quorum(self) -> int:
        return len(self.peers) // 2 + 1
