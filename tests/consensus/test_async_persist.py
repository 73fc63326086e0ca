"""The leader writes its own log in parallel with replication (Raft thesis §10.2.1).

Its AppendEntries leave before its own write (``Ready.early_messages``); its copy counts
towards commitment only once ``advance`` reports it durable. Followers still acknowledge only
what they persisted, and votes and term changes still wait for the disk.
"""

from __future__ import annotations

import random

from node.consensus import (
    Config,
    Entry,
    EntryType,
    HardState,
    MemoryStorage,
    Message,
    MessageType,
    RawNode,
    Ready,
    Role,
)

from .helpers import cluster, commit

MT = MessageType
PEERS = ("a", "b", "c")


def raw(nid: str, st: MemoryStorage) -> RawNode:
    return RawNode(Config(nid, PEERS), st, rng=random.Random(1))


def persist(n: RawNode, st: MemoryStorage, rd: Ready) -> None:
    st.append(rd.entries)
    if rd.hard_state is not None:
        st.set_hard_state(rd.hard_state)
    n.advance(rd)


def elected(st: MemoryStorage) -> RawNode:
    """Node "a" as leader of term 1 with its no-op written and acknowledged by both peers."""
    n = raw("a", st)
    n.campaign()  # PreVote
    rd = n.ready()
    assert not rd.early_messages  # nothing is early unless we lead in a durable term
    persist(n, st, rd)
    n.step(Message(MT.PRE_VOTE_RESP, "a", "b", 1))
    rd = n.ready()
    assert rd.hard_state == HardState(1, "a", 0) and not rd.early_messages
    assert {m.type for m in rd.messages} == {MT.VOTE}
    persist(n, st, rd)
    n.step(Message(MT.VOTE_RESP, "a", "b", 1))
    assert n.role is Role.LEADER
    rd = n.ready()
    persist(n, st, rd)
    for p in ("b", "c"):
        n.step(Message(MT.APP_RESP, "a", p, 1, index=1))
    persist(n, st, n.ready())
    assert n.raft.log.committed == 1
    return n


def test_leader_sends_entries_before_its_write_and_counts_itself_after() -> None:
    st = MemoryStorage()
    n = elected(st)
    n.propose(b"x")
    rd = n.ready()
    assert [e.data for e in rd.entries] == [b"x"]
    assert {(m.type, m.to) for m in rd.early_messages} == {(MT.APP, "b"), (MT.APP, "c")}
    assert not rd.messages
    # b acknowledges while our own write is still running: b alone is no quorum.
    n.step(Message(MT.APP_RESP, "a", "b", 1, index=2))
    assert n.raft.log.committed == 1
    persist(n, st, rd)  # our write finished: now b and we are a quorum
    assert n.raft.log.committed == 2
    rd = n.ready()
    assert [e.data for e in rd.committed_entries] == [b"x"]
    assert rd.hard_state == HardState(1, "a", 2)
    assert {m.commit for m in rd.early_messages if m.type is MT.APP} == {2}


def test_two_followers_commit_without_the_leaders_disk() -> None:
    st = MemoryStorage()
    n = elected(st)
    n.propose(b"x")
    rd = n.ready()
    for p in ("b", "c"):
        n.step(Message(MT.APP_RESP, "a", p, 1, index=2))
    assert n.raft.log.committed == 2  # a quorum holds it durably, we need not
    assert n.raft.prs["a"].match == 1
    persist(n, st, rd)
    assert n.raft.prs["a"].match == 2
    rd = n.ready()
    assert [e.data for e in rd.committed_entries] == [b"x"]  # applied after our own write


def test_a_write_made_stale_by_a_rewrite_does_not_count() -> None:
    st = MemoryStorage()
    n = elected(st)
    n.propose(b"x")
    n.ready()  # our write of entry 2 (term 1) is lost: we crash and a new leader rewrites 2
    n.raft.on_persisted(2, 7)
    assert n.raft.prs["a"].match == 1


def test_follower_acknowledges_only_after_its_write() -> None:
    st = MemoryStorage()
    n = raw("b", st)
    n.step(Message(MT.APP, "b", "a", 1, 0, 0, (Entry(1, 1, EntryType.NOOP),), 0))
    rd = n.ready()
    assert not rd.early_messages
    assert [(m.type, m.index) for m in rd.messages] == [(MT.APP_RESP, 1)]
    # Input keeps arriving while the write runs; its answer waits for the next Ready.
    n.step(Message(MT.APP, "b", "a", 1, 1, 1, (Entry(1, 2, EntryType.NORMAL, b"y"),), 0))
    persist(n, st, rd)
    rd = n.ready()
    assert [e.index for e in rd.entries] == [2]
    assert [(m.type, m.index) for m in rd.messages] == [(MT.APP_RESP, 2)]


def test_a_new_leader_counts_only_its_durable_entries() -> None:
    st = MemoryStorage()
    n = raw("a", st)
    n.step(Message(MT.APP, "a", "b", 1, 0, 0, (Entry(1, 1),), 0))
    rd = n.ready()  # entry 1 is being written when "a" wins an election
    n.campaign()
    n.step(Message(MT.PRE_VOTE_RESP, "a", "c", 2))
    n.step(Message(MT.VOTE_RESP, "a", "c", 2))
    assert n.role is Role.LEADER
    assert n.raft.prs["a"].match == 0
    persist(n, st, rd)
    assert n.raft.prs["a"].match == 1


def test_cluster_commits_with_every_write_slow() -> None:
    c = cluster(5, seed=3)
    c.slow_disk, c.slow_disk_steps = 1.0, 6
    commit(c, 20)
