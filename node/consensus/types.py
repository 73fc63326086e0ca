"""Values that cross the boundary between the consensus core and the code that drives it.

Everything here is an immutable plain value so the caller can persist, log or serialise it
without the core noticing, and so tests can compare whole states with ``==``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Role(Enum):
    """Raft roles. PRE_CANDIDATE is the PreVote probe that does not touch the term."""

    FOLLOWER = "follower"
    PRE_CANDIDATE = "pre_candidate"
    CANDIDATE = "candidate"
    LEADER = "leader"


class EntryType(Enum):
    """NOOP is the empty entry a new leader appends so it can commit something of its own term
    (committing by counting replicas is only allowed for current-term entries, Raft §5.4.2)."""

    NORMAL = "normal"
    NOOP = "noop"


@dataclass(frozen=True, slots=True)
class Entry:
    term: int
    index: int
    type: EntryType = EntryType.NORMAL
    data: bytes = b""


@dataclass(frozen=True, slots=True)
class HardState:
    """The state Raft needs to survive a crash: without a durable vote a restarted node could
    vote twice in one term, without a durable term it could accept a deposed leader."""

    term: int = 0
    vote: str | None = None
    commit: int = 0


@dataclass(frozen=True, slots=True)
class SoftState:
    """Volatile state the caller may want to observe (e.g. to redirect clients)."""

    role: Role
    leader_id: str | None
    term: int


@dataclass(frozen=True, slots=True)
class ReadState:
    """Answer to ``read_index(ctx)``: reading the state machine once it has applied ``index``
    is linearizable."""

    index: int
    ctx: bytes
