"""The Raft core: terms, roles, elections and the follower side of replication.

Pure and single-threaded: inputs are ``tick()``, ``step(msg)`` and the local requests; outputs
accumulate in ``msgs``, ``read_states`` and the log, and ``RawNode`` hands them to the caller.
The leader's side (replication, commitment, reads, transfer) lives in ``leader.py``.

Term rules follow etcd-io/raft, including its two liveness refinements that matter for a
small government cluster with flaky links:

* PreVote: a node first asks whether it *could* win before bumping its term, so a node that
  was partitioned away cannot depose a healthy leader when it comes back.
* CheckQuorum + lease: a leader that has not heard from a quorum for an election timeout
  steps down, and a node that heard from a live leader within the election timeout ignores
  (pre)votes, so one flaky node cannot keep forcing elections.
"""

from __future__ import annotations

import random

from . import leader
from .config import Config
from .errors import NotLeader, TransferInProgress
from .log import RaftLog
from .message import Message, MessageType
from .progress import Progress
from .readonly import ReadOnly
from .storage import Storage
from .types import EntryType, ReadState, Role

MT = MessageType
# Marks the votes of a leadership transfer: they must get through voters' leases.
TRANSFER_CONTEXT = b"transfer"
# Only the leader of the message's term sends these, so they identify it.
_FROM_LEADER = frozenset((MT.APP, MT.HEARTBEAT, MT.TIMEOUT_NOW, MT.READ_INDEX_RESP))


class Raft:
    def __init__(self, cfg: Config, storage: Storage, rng: random.Random) -> None:
        self.cfg = cfg
        self.id = cfg.node_id
        self.peers = cfg.peers
        self.others = tuple(p for p in cfg.peers if p != cfg.node_id)
        self._peer_set = frozenset(self.others)
        self.quorum = cfg.quorum
        self.rng = rng
        hs = storage.initial_state()
        if hs.commit > storage.last_index():
            raise ValueError(f"hard state commit {hs.commit} is beyond the stored log")
        if cfg.applied > hs.commit:
            raise ValueError(f"applied {cfg.applied} is beyond the commit index {hs.commit}")
        if hs.vote is not None and hs.vote not in cfg.peers:
            raise ValueError(f"stored vote for unknown node {hs.vote!r}")
        applied = max(cfg.applied, storage.first_index() - 1)
        self.log = RaftLog(storage, committed=hs.commit, applied=applied)
        self.term = hs.term
        self.vote: str | None = hs.vote
        self.role = Role.FOLLOWER
        self.lead: str | None = None
        self.msgs: list[Message] = []
        self.read_states: list[ReadState] = []
        self.election_elapsed = 0
        self.heartbeat_elapsed = 0
        self.randomized_election_timeout = cfg.election_tick
        self.votes: dict[str, bool] = {}
        self.prs: dict[str, Progress] = {}
        self.lead_transferee: str | None = None
        self.transfer_elapsed = 0
        self.readonly = ReadOnly()
        self.become_follower(self.term, None)

    # ---- role transitions ----------------------------------------------------------------

    def _reset(self, term: int) -> None:
        if term != self.term:
            self.term = term
            self.vote = None
        self.lead = None
        self.election_elapsed = 0
        self.heartbeat_elapsed = 0
        # Randomised so that split votes resolve themselves (Raft §5.2).
        self.randomized_election_timeout = self.cfg.election_tick + self.rng.randrange(
            self.cfg.election_tick
        )
        self.lead_transferee = None
        self.votes = {}
        self.prs = {}
        self.readonly.reset()

    def become_follower(self, term: int, lead: str | None) -> None:
        self._reset(term)
        self.role = Role.FOLLOWER
        self.lead = lead

    def _become_pre_candidate(self) -> None:
        # Neither term nor vote change: PreVote must leave no trace if it fails.
        self.role = Role.PRE_CANDIDATE
        self.votes = {}
        self.lead = None

    def _become_candidate(self) -> None:
        self._reset(self.term + 1)
        self.vote = self.id
        self.role = Role.CANDIDATE

    def _become_leader(self) -> None:
        self._reset(self.term)
        self.role = Role.LEADER
        self.lead = self.id
        next_index = self.log.last_index() + 1
        self.prs = {p: Progress(next_index, self.cfg.max_inflight) for p in self.peers}
        me = self.prs[self.id]
        # Only what is durable counts for ourselves: entries below ``offset`` are stored; the
        # unstable tail (perhaps being written right now) is counted by ``on_persisted``.
        me.match = self.log.offset - 1
        me.become_replicate()
        # A no-op of the new term lets the leader commit (and so learn the commit index of)
        # everything before it: earlier-term entries only commit indirectly (Raft §5.4.2).
        leader.append_entry(self, EntryType.NOOP, b"")
        leader.bcast_append(self)

    # ---- elections -----------------------------------------------------------------------

    def hup(self, transfer: bool = False) -> None:
        if self.role is Role.LEADER:
            return
        self._campaign(pre=self.cfg.pre_vote and not transfer, transfer=transfer)

    def _campaign(self, pre: bool, transfer: bool) -> None:
        if pre:
            self._become_pre_candidate()
            vote_term, kind = self.term + 1, MT.PRE_VOTE
        else:
            self._become_candidate()
            vote_term, kind = self.term, MT.VOTE
        if self._poll(self.id, True) >= self.quorum:  # single-node cluster
            if pre:
                self._campaign(pre=False, transfer=False)
            else:
                self._become_leader()
            return
        ctx = TRANSFER_CONTEXT if transfer else b""
        last_index, last_term = self.log.last_index(), self.log.last_term()
        for p in self.others:
            self.msgs.append(
                Message(kind, p, self.id, vote_term, last_term, last_index, context=ctx)
            )

    def _poll(self, frm: str, granted: bool) -> int:
        self.votes.setdefault(frm, granted)
        return sum(self.votes.values())

    def _on_vote_request(self, m: Message) -> None:
        pre = m.type is MT.PRE_VOTE
        resp = MT.PRE_VOTE_RESP if pre else MT.VOTE_RESP
        can_vote = (
            self.vote == m.frm
            or (self.vote is None and self.lead is None)
            or (pre and m.term > self.term)  # a PreVote for a future term binds nothing
        )
        if can_vote and self.log.is_up_to_date(m.index, m.log_term):
            # Answer in the asker's term so a granted PreVote is not taken for a stale reply.
            self.msgs.append(Message(resp, m.frm, self.id, m.term))
            if not pre:
                self.election_elapsed = 0
                self.vote = m.frm
        else:
            self.msgs.append(Message(resp, m.frm, self.id, self.term, reject=True))

    # ---- input ---------------------------------------------------------------------------

    def tick(self) -> None:
        if self.role is Role.LEADER:
            self._tick_leader()
            return
        self.election_elapsed += 1
        if self.election_elapsed >= self.randomized_election_timeout:
            self.election_elapsed = 0
            self.hup()

    def _tick_leader(self) -> None:
        self.heartbeat_elapsed += 1
        self.election_elapsed += 1
        if self.election_elapsed >= self.cfg.election_tick:
            self.election_elapsed = 0
            if self.cfg.check_quorum and not self._quorum_active():
                self.become_follower(self.term, None)
                return
        if self.lead_transferee is not None:
            self.transfer_elapsed += 1
            if self.transfer_elapsed >= self.cfg.election_tick:
                self.lead_transferee = None  # the transferee did not take over: carry on
        if self.heartbeat_elapsed >= self.cfg.heartbeat_tick:
            self.heartbeat_elapsed = 0
            leader.bcast_heartbeat(self)

    def _quorum_active(self) -> bool:
        active = 1
        for p in self.others:
            pr = self.prs[p]
            active += pr.recent_active
            pr.recent_active = False
        return active >= self.quorum

    def _in_lease(self) -> bool:
        return (
            self.cfg.check_quorum
            and self.lead is not None
            and self.election_elapsed < self.cfg.election_tick
        )

    def step(self, m: Message) -> None:
        if not self._well_formed(m):
            return
        if m.term > self.term:
            if (
                m.type in (MT.VOTE, MT.PRE_VOTE)
                and self._in_lease()
                and m.context != TRANSFER_CONTEXT
            ):
                return  # we heard from a live leader recently: do not help depose it
            if m.type is MT.PRE_VOTE or (m.type is MT.PRE_VOTE_RESP and not m.reject):
                pass  # PreVote traffic never moves terms
            elif m.type in _FROM_LEADER:
                self.become_follower(m.term, m.frm)
            else:
                self.become_follower(m.term, None)
        elif m.term < self.term:
            if m.type in (MT.APP, MT.HEARTBEAT):
                # A deposed leader that cannot hear votes (they are ignored under lease or
                # PreVote) learns the new term from this reply and steps down.
                self.msgs.append(Message(MT.APP_RESP, m.frm, self.id, self.term))
            elif m.type is MT.PRE_VOTE:
                self.msgs.append(Message(MT.PRE_VOTE_RESP, m.frm, self.id, self.term, reject=True))
            return

        if m.type in (MT.VOTE, MT.PRE_VOTE):
            self._on_vote_request(m)
        elif self.role is Role.LEADER:
            leader.step_leader(self, m)
        elif self.role is Role.FOLLOWER:
            self._step_follower(m)
        else:
            self._step_candidate(m)

    def _well_formed(self, m: Message) -> bool:
        """Drop what no correct peer sends, so that garbage cannot trip an assertion."""
        if m.to != self.id or m.frm not in self._peer_set or m.term == 0:
            return False  # every correct sender has been through an election: term >= 1
        if m.type is MT.APP:
            if m.log_term > m.term:
                return False
            index, term = m.index, m.log_term
            for e in m.entries:
                if e.index != index + 1 or not term <= e.term <= m.term:
                    return False
                index, term = e.index, e.term
            return True
        return not m.entries

    def _step_candidate(self, m: Message) -> None:
        if m.type in (MT.APP, MT.HEARTBEAT):
            self.become_follower(m.term, m.frm)  # someone won this term
            self._step_follower(m)
            return
        pre = self.role is Role.PRE_CANDIDATE
        if m.type is not (MT.PRE_VOTE_RESP if pre else MT.VOTE_RESP):
            return
        if pre and not m.reject and m.term != self.term + 1:
            return  # a grant from an earlier PreVote round
        granted = self._poll(m.frm, not m.reject)
        rejected = len(self.votes) - granted
        if granted >= self.quorum:
            if pre:
                self._campaign(pre=False, transfer=False)
            else:
                self._become_leader()
        elif len(self.peers) - rejected < self.quorum:
            self.become_follower(self.term, None)

    def _step_follower(self, m: Message) -> None:
        t = m.type
        if t is MT.APP or t is MT.HEARTBEAT:
            self.election_elapsed = 0
            self.lead = m.frm
            if t is MT.APP:
                self._handle_append(m)
            else:
                self.log.commit_to(m.commit)  # the leader sends at most our match index
                self.msgs.append(
                    Message(MT.HEARTBEAT_RESP, m.frm, self.id, self.term, context=m.context)
                )
        elif t is MT.TIMEOUT_NOW and m.frm == self.lead:
            self.hup(transfer=True)
        elif t is MT.READ_INDEX_RESP and m.frm == self.lead:
            self.read_states.append(ReadState(m.index, m.context))

    def _handle_append(self, m: Message) -> None:
        log = self.log
        if m.index < log.committed:
            # Everything up to our commit index is known to match; tell the leader so.
            self.msgs.append(Message(MT.APP_RESP, m.frm, self.id, self.term, index=log.committed))
            return
        last_new = log.maybe_append(m.index, m.log_term, m.entries)
        if last_new is not None:
            log.commit_to(min(m.commit, last_new))
            self.msgs.append(Message(MT.APP_RESP, m.frm, self.id, self.term, index=last_new))
            return
        # Fast back-off: point the leader at the last entry that could possibly match, i.e.
        # skip every entry of ours whose term is newer than the leader's entry at m.index.
        hint_index, hint_term = log.find_conflict_by_term(
            min(m.index, log.last_index()), m.log_term
        )
        self.msgs.append(
            Message(
                MT.APP_RESP,
                m.frm,
                self.id,
                self.term,
                log_term=hint_term,
                index=m.index,
                reject=True,
                reject_hint=hint_index,
            )
        )

    def on_persisted(self, index: int, term: int) -> None:
        """The caller made our log durable up to entry ``index`` of ``term``. A leader counts
        its own copy towards commitment only from here on. If the entry at ``index`` is no
        longer of ``term`` the log was rewritten meanwhile and what was written is stale."""
        if self.role is not Role.LEADER or self.log.term(index) != term:
            return
        if self.prs[self.id].maybe_update(index) and leader.maybe_commit(self):
            leader.bcast_append(self)  # tell everyone the new commit index

    # ---- local requests ------------------------------------------------------------------

    def propose(self, data: bytes) -> int:
        if self.role is not Role.LEADER:
            raise NotLeader(self.lead)
        if self.lead_transferee is not None:
            raise TransferInProgress(self.lead_transferee)
        index = leader.append_entry(self, EntryType.NORMAL, bytes(data))
        leader.bcast_append(self)
        return index

    def read_index(self, ctx: bytes) -> None:
        if self.role is Role.LEADER:
            leader.leader_read(self, bytes(ctx), self.id)
        elif self.lead is None:
            raise NotLeader(None)
        else:
            self.msgs.append(Message(MT.READ_INDEX, self.lead, self.id, self.term, context=ctx))

    def transfer_leadership(self, to: str) -> None:
        if to not in self.peers:
            raise ValueError(f"unknown node {to!r}")
        if self.role is Role.LEADER:
            leader.leader_transfer(self, to)
        elif self.lead is None:
            raise NotLeader(None)
        elif to != self.lead:
            self.msgs.append(
                Message(MT.TRANSFER_LEADER, self.lead, self.id, self.term, context=to.encode())
            )
