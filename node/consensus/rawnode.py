"""The caller-facing API: feed in ticks, messages and requests; take out Ready batches.

This is the "bring your own I/O" split of etcd-io/raft's RawNode: the core decides, the caller
does the disk and network work, and ``advance()`` tells the core the work is done. Because the
core never blocks and never touches a clock, the same code runs in the node daemon and in the
deterministic simulator.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from .config import Config
from .message import Message, MessageType
from .raft import Raft
from .storage import Storage
from .types import Entry, HardState, ReadState, Role, SoftState


@dataclass(frozen=True, slots=True)
class Ready:
    """One batch of work for the caller. The order matters for safety:

    1. ``early_messages`` may be sent at once, before or while step 2 runs: they are the
       leader's AppendEntries and heartbeats, which promise nothing about this node's disk
       (the leader counts its own copy towards commitment only once ``advance`` says it is
       durable; Raft thesis §10.2.1). They are only ever non-empty when the term and vote
       they are sent in are already durable;
    2. persist ``hard_state`` and ``entries`` (one atomic batch, or entries before the hard
       state); fsync if ``must_sync``. The core may keep taking input (``step``, ``tick``,
       ``propose``...) while this runs, but ``ready()`` waits for ``advance``;
    3. only then send ``messages``: they promise what step 2 made durable (a vote, an
       appended entry), and a crash must not break a promise;
    4. apply ``committed_entries`` in order; serve each ``read_states`` item once the state
       machine has applied its index;
    5. call ``advance(ready)``: it is also how the core learns that ``entries`` are durable.
    """

    soft_state: SoftState | None = None
    hard_state: HardState | None = None
    entries: list[Entry] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    early_messages: list[Message] = field(default_factory=list)
    committed_entries: list[Entry] = field(default_factory=list)
    read_states: list[ReadState] = field(default_factory=list)
    must_sync: bool = False


# What a leader sends that depends on nothing of its own disk: entries it offers and the
# commit index a quorum made durable. Everything else answers or promises something.
_EARLY = frozenset((MessageType.APP, MessageType.HEARTBEAT))


class RawNode:
    def __init__(self, cfg: Config, storage: Storage, rng: random.Random) -> None:
        """``rng`` supplies the election-timeout jitter; inject a seeded one for determinism."""
        self.raft = Raft(cfg, storage, rng)
        self._prev_soft = self._soft_state()
        self._prev_hard = storage.initial_state()
        self._outstanding = False

    # ---- input ---------------------------------------------------------------------------

    def tick(self) -> None:
        self.raft.tick()

    def step(self, msg: Message) -> None:
        """Feed a message from a peer. Messages addressed elsewhere, from unknown nodes, stale
        or malformed are dropped; peer input never raises."""
        self.raft.step(msg)

    def propose(self, data: bytes) -> int:
        """Append ``data`` as a new entry and return its index. Raises ``NotLeader`` (with the
        known leader, if any) on a non-leader and ``TransferInProgress`` (a NotLeader) while
        a leadership transfer runs. Being appended is not being committed: watch
        ``committed_entries`` for the index (and the term you saw from ``status()``)."""
        return self.raft.propose(data)

    def read_index(self, ctx: bytes) -> None:
        """Ask for a linearizable read point; it arrives later as ``ReadState(index, ctx)``.
        Forwarded to the leader when called on a follower; raises ``NotLeader(None)`` when no
        leader is known. A request may be silently lost (leader change, lost message); the
        caller retries after a timeout."""
        self.raft.read_index(ctx)

    def transfer_leadership(self, to: str) -> None:
        """Ask the leader (forwarded if needed) to hand leadership to ``to``. Gives up after
        one election timeout."""
        self.raft.transfer_leadership(to)

    def campaign(self) -> None:
        """Start an election now (PreVote first when enabled)."""
        self.raft.hup()

    # ---- output --------------------------------------------------------------------------

    def _soft_state(self) -> SoftState:
        r = self.raft
        return SoftState(r.role, r.lead, r.term)

    def _hard_state(self) -> HardState:
        r = self.raft
        return HardState(r.term, r.vote, r.log.committed)

    def has_ready(self) -> bool:
        # Called after every input by a busy node: compare fields rather than build states.
        r = self.raft
        log = r.log
        if r.msgs or r.read_states or log.unstable or log.committed > log.applied:
            return True
        hs, ss = self._prev_hard, self._prev_soft
        return (
            r.term != hs.term
            or r.vote != hs.vote
            or log.committed != hs.commit
            or r.role is not ss.role
            or r.lead != ss.leader_id
            or r.term != ss.term
        )

    def ready(self) -> Ready:
        if self._outstanding:
            raise RuntimeError("advance() the previous Ready before asking for another")
        r = self.raft
        soft, hard = self._soft_state(), self._hard_state()
        prev = self._prev_hard
        entries = list(r.log.unstable)
        messages, early = r.msgs, []
        if r.role is Role.LEADER and hard.term == prev.term and hard.vote == prev.vote:
            # Our term and vote are durable, so the leader's own traffic need not wait.
            early = [m for m in messages if m.type in _EARLY]
            if early:
                messages = [m for m in messages if m.type not in _EARLY]
        rd = Ready(
            soft_state=soft if soft != self._prev_soft else None,
            hard_state=hard if hard != prev else None,
            entries=entries,
            messages=messages,
            early_messages=early,
            committed_entries=r.log.committed_entries(r.cfg.max_committed_size_per_ready),
            read_states=r.read_states,
            must_sync=bool(entries) or hard.term != prev.term or hard.vote != prev.vote,
        )
        r.msgs = []
        r.read_states = []
        self._prev_soft = soft
        self._outstanding = True
        return rd

    def advance(self, rd: Ready) -> None:
        """The caller has persisted, sent and applied everything in ``rd``. This is the
        "persisted up to (index, term)" input: a leader counts itself only from here on, so
        a commit may follow (its messages come in the next Ready)."""
        if rd.hard_state is not None:
            self._prev_hard = rd.hard_state
        if rd.entries:
            last = rd.entries[-1]
            self.raft.log.stable_to(last.index, last.term)
            self.raft.on_persisted(last.index, last.term)
        if rd.committed_entries:
            self.raft.log.applied_to(rd.committed_entries[-1].index)
        self._outstanding = False

    # ---- observation ---------------------------------------------------------------------

    @property
    def role(self) -> Role:
        return self.raft.role

    @property
    def leader_id(self) -> str | None:
        return self.raft.lead

    @property
    def term(self) -> int:
        return self.raft.term

    def status(self) -> dict[str, Any]:
        r = self.raft
        st: dict[str, Any] = {
            "id": r.id,
            "role": r.role.value,
            "term": r.term,
            "vote": r.vote,
            "leader_id": r.lead,
            "commit": r.log.committed,
            "applied": r.log.applied,
            "last_index": r.log.last_index(),
            "lead_transferee": r.lead_transferee,
        }
        if r.role is Role.LEADER:
            st["progress"] = {p: pr.describe() for p, pr in r.prs.items()}
        return st
