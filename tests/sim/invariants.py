"""Raft's safety properties (Raft paper, Figure 3), checked incrementally.

Logs are compared through prefix hashes: ``ph[i]`` hashes the whole log up to ``i``, so "two
logs agree on everything up to i" is one comparison instead of a walk, and the checks stay
cheap enough to run after every simulation step.

The durable log (what the node handed over in a Ready and the simulator stored) is the log
that is checked; at the end of each step it must equal the node's in-memory log, unless a
write is still under way (then the in-memory log is checked, and ``check_unbeatable`` still
looks at durable logs only: a committed entry must be durable on a quorum).

Besides the five properties, three invariants from the safety proof are checked, because
they fail at the moment a rule is broken rather than only when a rare interleaving later
turns the broken rule into divergent state machines:

* vote quorum: a leader of term t was sent vote grants of term t by a quorum;
* one vote per term: no node grants two candidates in one term, a grant leaves the node
  only once it is durable (its stored term is past t, or it stored the vote), a durable vote
  never changes within a term, and terms and commit indexes never go backwards;
* committed entries are unbeatable: any node whose log lacks a committed entry can never win
  an election, because a quorum of nodes has a strictly more up-to-date log than it.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import TYPE_CHECKING

from node.consensus import Entry, HardState, ReadState, Role

if TYPE_CHECKING:
    from .cluster import SimNode


class SafetyViolation(AssertionError):
    pass


def chain_hash(prev: int, e: Entry) -> int:
    return hash((prev, e.term, e.type, e.data))


class Checker:
    def __init__(self) -> None:
        self.leaders: dict[int, str] = {}  # term -> the one leader of that term
        self.leader_last: dict[int, tuple[int, int]] = {}  # term -> (last index, ph) seen
        self.log_match: dict[tuple[int, int], int] = {}  # (index, term) -> prefix hash
        # The committed log: prefix hash per index, and the term in which each index was
        # first seen committed (the committing leader's term, or a later one).
        self.committed_ph: list[int] = [0]
        self.commit_terms: list[int] = [0]
        self.applied: dict[int, tuple[int, object, bytes]] = {}  # index -> entry applied there
        self.reads: dict[bytes, tuple[str, int]] = {}  # ctx -> (node, commit at request)
        self.reads_answered = 0
        self.time = 0
        self.quorum = 0  # set by the cluster
        self.grants: dict[int, dict[str, str]] = {}  # term -> voter -> candidate granted
        self.hard_states: dict[str, HardState] = {}
        self._unbeatable_state: tuple[int, ...] = ()

    def fail(self, what: str) -> None:
        raise SafetyViolation(f"t={self.time}: {what}")

    @property
    def commit_index(self) -> int:
        return len(self.committed_ph) - 1

    # ---- hooks called by the cluster -----------------------------------------------------

    def on_persist(self, sn: SimNode, entries: list[Entry]) -> None:
        """Log Matching: entries with the same index and term have identical prefixes, across
        all nodes and all time (a leader creates at most one entry per index in its term)."""
        first = entries[0].index
        ph = sn.ph
        if first > len(ph):
            self.fail(f"{sn.id} persisted entry {first} leaving a gap after {len(ph) - 1}")
        del ph[first:]
        sn.log_version += 1
        h = ph[first - 1]
        log_match = self.log_match
        for e in entries:
            h = chain_hash(h, e)
            ph.append(h)
            key = (e.index, e.term)
            seen = log_match.setdefault(key, h)
            if seen != h:
                self.fail(
                    f"Log Matching: {sn.id} holds entry {e.index} of term {e.term} with a "
                    "different history than another node had"
                )

    def on_hard_state(self, sn: SimNode, hs: HardState) -> None:
        prev = self.hard_states.get(sn.id, HardState())
        if hs.term < prev.term or hs.commit < prev.commit:
            self.fail(f"{sn.id} persisted {hs} after {prev}: term or commit went back")
        if hs.term == prev.term and prev.vote is not None and hs.vote != prev.vote:
            self.fail(f"{sn.id} voted twice in term {hs.term}: {prev.vote} then {hs.vote}")
        self.hard_states[sn.id] = hs

    def on_vote_granted(self, sn: SimNode, term: int, candidate: str) -> None:
        hs = self.hard_states[sn.id]
        if hs.term < term or (hs.term == term and hs.vote != candidate):
            self.fail(f"{sn.id} sent a vote for {candidate} in term {term} but persisted {hs}")
        granted = self.grants.setdefault(term, {}).setdefault(sn.id, candidate)
        if granted != candidate:
            self.fail(f"{sn.id} granted both {granted} and {candidate} in term {term}")

    def on_role(self, sn: SimNode, role: Role, term: int) -> None:
        """Election Safety, checked after every single input so a leader that steps down again
        within one step is still seen."""
        if role is not Role.LEADER:
            return
        other = self.leaders.get(term)
        if other is None:
            self.leaders[term] = sn.id
            voters = {n for n, c in self.grants.get(term, {}).items() if c == sn.id}
            voters.add(sn.id)
            if len(voters) < self.quorum:
                self.fail(
                    f"vote quorum: {sn.id} leads term {term} with votes of only "
                    f"{sorted(voters)}"
                )
        elif other != sn.id:
            self.fail(f"Election Safety: {other} and {sn.id} both leader in term {term}")

    def on_apply(self, sn: SimNode, e: Entry) -> None:
        """State Machine Safety: no two nodes apply different entries at one index; each node
        applies in order, and only entries it has persisted."""
        if e.index != len(sn.sm) + 1:
            self.fail(f"{sn.id} applied {e.index} after {len(sn.sm)}")
        if e.index >= len(sn.ph) or sn.storage.term(e.index) != e.term:
            self.fail(f"{sn.id} applied entry {e.index} before persisting it")
        key = (e.term, e.type, e.data)
        seen = self.applied.setdefault(e.index, key)
        if seen != key:
            self.fail(
                f"State Machine Safety: {sn.id} applied {key} at {e.index}, another node {seen}"
            )
        sn.sm.append(e)

    def on_read_request(self, sn: SimNode, ctx: bytes) -> None:
        self.reads[ctx] = (sn.id, self.commit_index)

    def on_read_state(self, sn: SimNode, rs: ReadState) -> None:
        """Linearizable reads: the read index covers everything committed before the read was
        requested (a deposed leader answering from its stale commit index fails this)."""
        req = self.reads.get(rs.ctx)
        if req is None or req[0] != sn.id:
            self.fail(f"{sn.id} got a ReadState for a read it never requested: {rs}")
            return
        if rs.index < req[1]:
            self.fail(
                f"stale read: {sn.id} got read index {rs.index} but {req[1]} was already "
                "committed when the read was requested"
            )
        self.reads_answered += 1

    def check_unbeatable(self, nodes: list[SimNode]) -> None:
        """Every node lacking a committed entry faces a quorum of more up-to-date logs."""
        c = self.commit_index
        state = (c, *(sn.log_version for sn in nodes))
        if state == self._unbeatable_state:
            return
        self._unbeatable_state = state
        cph = self.committed_ph[c]
        tips = [(sn.storage.term(len(sn.ph) - 1), len(sn.ph) - 1) for sn in nodes]
        for sn, tip in zip(nodes, tips, strict=True):
            if len(sn.ph) > c and sn.ph[c] == cph:
                continue
            better = sum(1 for t in tips if t > tip)
            if better < self.quorum:
                self.fail(
                    f"committed entry {c} is not safe: {sn.id} (last term/index {tip}) lacks "
                    f"it yet only {better} logs are more up to date; it could still win"
                )

    def end_of_step(self, live: list[SimNode]) -> None:
        for sn in live:
            r = sn.node.raft  # type: ignore[union-attr]
            if sn.writing is None:
                ph = sn.ph
                if r.log.unstable or r.log.last_index() != len(ph) - 1:
                    self.fail(f"{sn.id}: in-memory log differs from the persisted log after advance")
                # Re-check only what changed: the node's commit index or its log.
                state = (r.log.committed, sn.log_version, len(self.committed_ph))
            else:
                # A write is under way: check the log the node acts on, i.e. the durable
                # prefix below the unstable tail, then the tail. Its commit index may be past
                # its durable log (a quorum of others made those entries durable).
                ph = sn.ph[: r.log.offset]
                for e in r.log.unstable:
                    ph.append(chain_hash(ph[-1], e))
                state = (-1, -1, -1)
            if state != sn.checked:
                self._check_commit(sn, ph, r.log.committed, r.term)
                if sn.writing is None:
                    sn.checked = (r.log.committed, sn.log_version, len(self.committed_ph))
            if r.role is Role.LEADER:
                self.on_role(sn, r.role, r.term)
                self._check_leader(sn, ph, r.term, len(ph) - 1)

    def _check_commit(self, sn: SimNode, ph: list[int], commit: int, term: int) -> None:
        """Everything a node considers committed agrees with everything committed anywhere."""
        known = self.commit_index
        if commit > len(ph) - 1:
            self.fail(f"{sn.id} commit index {commit} beyond its log")
        shared = min(commit, known)
        if ph[shared] != self.committed_ph[shared]:
            self.fail(f"State Machine Safety: {sn.id} committed a log differing at <= {shared}")
        if commit > known:
            self.committed_ph.extend(ph[known + 1 : commit + 1])
            self.commit_terms.extend([term] * (commit - known))

    def _check_leader(self, sn: SimNode, ph: list[int], term: int, last: int) -> None:
        prev = self.leader_last.get(term)
        if prev is not None:
            old_last, old_h = prev
            if last < old_last or ph[old_last] != old_h:
                self.fail(f"Leader Append-Only: leader {sn.id} of term {term} rewrote its log")
        self.leader_last[term] = (last, ph[last])
        # Leader Completeness: every entry committed in an earlier term is in this log. (Not
        # every committed entry *of* an earlier term: a deposed leader still in office may
        # lack entries that a newer leader committed later; that is Figure 8's lesson.)
        k = bisect_left(self.commit_terms, term) - 1
        if k > last or ph[k] != self.committed_ph[k]:
            self.fail(
                f"Leader Completeness: leader {sn.id} of term {term} lacks committed entry "
                f"<= {k}"
            )
