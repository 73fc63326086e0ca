"""The leader's side of Raft: replication with flow control, commitment, ReadIndex and
leadership transfer. Functions over a ``Raft`` in the LEADER role, kept apart from raft.py
so each file reads as one concern."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .message import Message, MessageType
from .progress import ProgressState
from .types import Entry, EntryType, ReadState

if TYPE_CHECKING:
    from .raft import Raft

MT = MessageType


def append_entry(r: Raft, kind: EntryType, data: bytes) -> int:
    index = r.log.last_index() + 1
    r.log.append([Entry(r.term, index, kind, data)])
    # The leader does not count itself yet: its AppendEntries may leave before its own write
    # (Ready.early_messages), so its copy counts towards the commit only once the caller says
    # it is durable (``Raft.on_persisted``, from ``RawNode.advance``; Raft thesis §10.2.1).
    return index


def send_append(r: Raft, to: str, send_if_empty: bool = True) -> bool:
    """Send ``to`` the entries it is missing; with ``send_if_empty`` an empty AppendEntries
    still goes out (it carries the commit index and probes whether the follower matches)."""
    pr = r.prs[to]
    if pr.is_paused():
        return False
    prev = pr.next - 1
    prev_term = r.log.term(prev)
    if prev_term is None:
        # Only possible once compaction exists: the follower would need a snapshot.
        return False
    ents = r.log.entries(
        pr.next, r.log.last_index() + 1, r.cfg.max_entries_per_msg, r.cfg.max_size_per_msg
    )
    if not ents and not send_if_empty:
        return False
    r.msgs.append(
        Message(MT.APP, to, r.id, r.term, prev_term, prev, tuple(ents), r.log.committed)
    )
    pr.sent_entries(ents[-1].index if ents else None)
    return True


def bcast_append(r: Raft) -> None:
    for p in r.others:
        send_append(r, p)


def bcast_heartbeat(r: Raft) -> None:
    ctx = r.readonly.heartbeat_context()
    committed = r.log.committed
    for p in r.others:
        # Never tell a follower to commit beyond what it is known to hold: its log past
        # ``match`` may still diverge from ours.
        commit = min(r.prs[p].match, committed)
        r.msgs.append(Message(MT.HEARTBEAT, p, r.id, r.term, commit=commit, context=ctx))


def maybe_commit(r: Raft) -> bool:
    matches = sorted((pr.match for pr in r.prs.values()), reverse=True)
    index = matches[r.quorum - 1]
    # Figure 8: an entry of an earlier term is not safe just because a quorum stores it; it is
    # committed only indirectly, when an entry of the leader's own term above it commits.
    if index <= r.log.committed or r.log.term(index) != r.term:
        return False
    first_in_term = r.log.term(r.log.committed) != r.term
    r.log.commit_to(index)
    if first_in_term and r.readonly.waiting_for_commit:
        waiting = list(r.readonly.waiting_for_commit)
        r.readonly.waiting_for_commit.clear()
        for ctx, requester in waiting:
            leader_read(r, ctx, requester)
    return True


def step_leader(r: Raft, m: Message) -> None:
    t = m.type
    if t is MT.APP_RESP:
        _on_append_response(r, m)
    elif t is MT.HEARTBEAT_RESP:
        _on_heartbeat_response(r, m)
    elif t is MT.READ_INDEX:
        leader_read(r, m.context, m.frm)
    elif t is MT.TRANSFER_LEADER:
        try:
            target = m.context.decode()
        except UnicodeDecodeError:
            return
        if target in r.peers:
            leader_transfer(r, target)


def _on_append_response(r: Raft, m: Message) -> None:
    pr = r.prs[m.frm]
    pr.recent_active = True
    if m.reject:
        hint = min(m.reject_hint, r.log.last_index())
        if m.log_term > 0:
            # The follower's log may match at ``hint`` only if our term there is <= its term
            # there; skip straight past every entry of ours that cannot match.
            hint, _ = r.log.find_conflict_by_term(hint, m.log_term)
        if pr.maybe_decr_to(m.index, hint):
            if pr.state is ProgressState.REPLICATE:
                pr.become_probe()
            send_append(r, m.frm)
        return
    if m.index > r.log.last_index():
        return  # acknowledges entries we never had: garbage
    was_paused = pr.is_paused()
    if not (pr.maybe_update(m.index) or (pr.state is ProgressState.PROBE and pr.match == m.index)):
        return
    if pr.state is ProgressState.PROBE:
        pr.become_replicate()
    else:
        pr.inflights.free_le(m.index)
    if maybe_commit(r):
        bcast_append(r)  # tell everyone the new commit index
    elif was_paused:
        send_append(r, m.frm)
    while send_append(r, m.frm, send_if_empty=False):
        pass
    if m.frm == r.lead_transferee and pr.match == r.log.last_index():
        r.msgs.append(Message(MT.TIMEOUT_NOW, m.frm, r.id, r.term))


def _on_heartbeat_response(r: Raft, m: Message) -> None:
    pr = r.prs[m.frm]
    pr.recent_active = True
    pr.probe_sent = False
    if pr.state is ProgressState.REPLICATE and pr.inflights.full():
        # Lost AppendEntries would otherwise keep the window shut for ever.
        pr.inflights.free_first_one()
    if pr.match < r.log.last_index():
        send_append(r, m.frm)
    if m.context:
        r.readonly.ack(m.frm, m.context)
        for req in r.readonly.confirmed(r.others, r.quorum):
            _answer_read(r, req.index, req.ctx, req.requester)


def leader_read(r: Raft, ctx: bytes, requester: str) -> None:
    if r.log.term(r.log.committed) != r.term:
        # Until an entry of our term commits, our commit index may lag behind entries that
        # earlier leaders committed; answering now could return stale data.
        r.readonly.waiting_for_commit.append((ctx, requester))
        return
    if r.quorum == 1:
        _answer_read(r, r.log.committed, ctx, requester)
        return
    r.readonly.add(r.log.committed, ctx, requester)
    bcast_heartbeat(r)


def _answer_read(r: Raft, index: int, ctx: bytes, requester: str) -> None:
    if requester == r.id:
        r.read_states.append(ReadState(index, ctx))
    else:
        r.msgs.append(
            Message(MT.READ_INDEX_RESP, requester, r.id, r.term, index=index, context=ctx)
        )


def leader_transfer(r: Raft, to: str) -> None:
    if to == r.id or to == r.lead_transferee:
        return
    # The transfer gets one election timeout; proposals are refused meanwhile so the
    # transferee can catch up.
    r.lead_transferee = to
    r.transfer_elapsed = 0
    if r.prs[to].match == r.log.last_index():
        r.msgs.append(Message(MT.TIMEOUT_NOW, to, r.id, r.term))
    else:
        send_append(r, to)
