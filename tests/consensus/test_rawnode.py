"""The RawNode API and the Ready contract, driven by hand."""

from __future__ import annotations

import random

import pytest

from node.consensus import (
    Config,
    Entry,
    EntryType,
    HardState,
    MemoryStorage,
    Message,
    MessageType,
    NotLeader,
    RawNode,
    Ready,
    Role,
)

PEERS = ("a", "b", "c")


def node(nid: str = "b", storage: MemoryStorage | None = None, **kw: object) -> RawNode:
    cfg = Config(node_id=nid, peers=PEERS, **kw)  # type: ignore[arg-type]
    return RawNode(cfg, storage if storage is not None else MemoryStorage(), rng=random.Random(1))


def persist(n: RawNode, st: MemoryStorage) -> Ready:
    rd = n.ready()
    st.append(rd.entries)
    if rd.hard_state is not None:
        st.set_hard_state(rd.hard_state)
    n.advance(rd)
    return rd


def vote_req(frm: str, term: int, to: str = "b") -> Message:
    return Message(MessageType.VOTE, to, frm, term, log_term=0, index=0)


def test_vote_is_in_the_same_ready_as_the_grant_and_survives_a_restart() -> None:
    st = MemoryStorage()
    n = node(storage=st)
    n.step(vote_req("a", 2))
    rd = n.ready()
    assert rd.hard_state == HardState(term=2, vote="a", commit=0)
    assert rd.must_sync
    [resp] = rd.messages
    assert resp.type is MessageType.VOTE_RESP and not resp.reject and resp.to == "a"
    st.set_hard_state(rd.hard_state)  # persist, then (pretend to) send, then advance
    n.advance(rd)
    # Crash and restart in the same term: the vote must not be given to anyone else.
    n2 = node(storage=st)
    n2.step(vote_req("c", 2))
    [resp2] = n2.ready().messages
    assert resp2.type is MessageType.VOTE_RESP and resp2.reject


def test_vote_lost_before_persisting_was_never_promised() -> None:
    st = MemoryStorage()
    n = node(storage=st)
    n.step(vote_req("a", 2))
    n.ready()  # crash before persisting: the grant was never sent either
    n2 = node(storage=st)
    n2.step(vote_req("c", 2))
    [resp] = n2.ready().messages
    assert not resp.reject


def test_single_node_ready_cycle() -> None:
    st = MemoryStorage()
    n = RawNode(Config("solo", ("solo",)), st, rng=random.Random(0))
    assert not n.has_ready()
    n.campaign()
    rd = persist(n, st)
    assert rd.soft_state is not None and rd.soft_state.role is Role.LEADER
    assert [e.type for e in rd.entries] == [EntryType.NOOP]
    assert not rd.committed_entries  # the leader's own copy counts once advance says durable
    noop = rd.entries
    rd = persist(n, st)
    assert rd.committed_entries == noop
    assert not n.has_ready()
    assert n.propose(b"hello") == 2
    rd = persist(n, st)
    assert [e.data for e in rd.entries] == [b"hello"] and not rd.committed_entries
    rd = persist(n, st)
    assert [e.data for e in rd.committed_entries] == [b"hello"]
    assert rd.hard_state == HardState(term=1, vote="solo", commit=2)
    assert not rd.messages and not rd.early_messages
    n.read_index(b"q")
    rd = persist(n, st)
    assert [(r.index, r.ctx) for r in rd.read_states] == [(2, b"q")]
    st_ = n.status()
    assert st_["role"] == "leader" and st_["commit"] == 2 and st_["applied"] == 2
    assert st_["progress"]["solo"]["match"] == 2


def test_ready_requires_advance() -> None:
    n = node()
    n.campaign()
    n.ready()
    with pytest.raises(RuntimeError):
        n.ready()


def test_step_between_ready_and_advance_is_not_lost() -> None:
    st = MemoryStorage()
    n = RawNode(Config("solo", ("solo",)), st, rng=random.Random(0))
    n.campaign()
    rd = n.ready()
    n.propose(b"late")  # arrives while the caller is still persisting rd
    st.append(rd.entries)
    st.set_hard_state(rd.hard_state or HardState())
    n.advance(rd)
    rd2 = persist(n, st)
    assert [e.data for e in rd2.entries] == [b"late"]
    assert [e.type for e in rd2.committed_entries] == [EntryType.NOOP]
    rd3 = persist(n, st)
    assert [e.data for e in rd3.committed_entries] == [b"late"]


def test_propose_on_follower_raises_not_leader_with_leader_id() -> None:
    n = node()
    with pytest.raises(NotLeader) as e:
        n.propose(b"x")
    assert e.value.leader_id is None
    n.step(Message(MessageType.HEARTBEAT, "b", "a", 1))
    with pytest.raises(NotLeader) as e:
        n.propose(b"x")
    assert e.value.leader_id == "a"
    assert n.leader_id == "a" and n.term == 1 and n.role is Role.FOLLOWER


@pytest.mark.parametrize(
    "msg",
    [
        Message(MessageType.HEARTBEAT, "c", "a", 5),  # for another node
        Message(MessageType.HEARTBEAT, "b", "zz", 5),  # from a stranger
        Message(MessageType.HEARTBEAT, "b", "b", 5),  # from ourselves
        Message(  # entries that do not follow the previous index
            MessageType.APP, "b", "a", 5, 0, 0, (Entry(5, 3, EntryType.NORMAL, b""),)
        ),
        Message(  # entry newer than the message's term
            MessageType.APP, "b", "a", 5, 0, 0, (Entry(6, 1, EntryType.NORMAL, b""),)
        ),
        Message(MessageType.VOTE_RESP, "b", "a", 5, entries=(Entry(1, 1),)),
        Message(MessageType.HEARTBEAT, "b", "a", 0, commit=3),  # term 0: nobody sends that
    ],
)
def test_garbage_is_ignored(msg: Message) -> None:
    n = node()
    n.step(msg)
    assert n.term == 0 and not n.has_ready()


def test_restart_with_applied_index_skips_applied_entries() -> None:
    ents = [Entry(1, i, EntryType.NORMAL, b"%d" % i) for i in range(1, 6)]
    st = MemoryStorage(ents, HardState(term=1, vote=None, commit=5))
    n = node(storage=st, applied=3)
    rd = n.ready()
    assert [e.index for e in rd.committed_entries] == [4, 5]
    with pytest.raises(ValueError):
        node(storage=st, applied=6)


def test_corrupt_hard_state_is_rejected() -> None:
    with pytest.raises(ValueError):
        node(storage=MemoryStorage([], HardState(term=1, commit=3)))
    with pytest.raises(ValueError):
        node(storage=MemoryStorage([], HardState(term=1, vote="stranger")))


@pytest.mark.parametrize(
    "kw",
    [
        {"node_id": "x"},
        {"peers": ("a", "a", "b")},
        {"heartbeat_tick": 0},
        {"election_tick": 1},
        {"max_inflight": 0},
        {"max_entries_per_msg": 0},
        {"applied": -1},
        {"node_id": ""},
    ],
)
def test_config_validation(kw: dict[str, object]) -> None:
    args: dict[str, object] = {"node_id": "a", "peers": ("a", "b")}
    args.update(kw)
    with pytest.raises(ValueError):
        Config(**args)  # type: ignore[arg-type]


def test_config_quorum_and_list_peers() -> None:
    cfg = Config("a", ["a", "b", "c", "d"])  # type: ignore[arg-type]
    assert cfg.peers == ("a", "b", "c", "d") and cfg.quorum == 3


def test_memory_storage_truncates_conflicting_tail() -> None:
    st = MemoryStorage([Entry(1, i) for i in range(1, 6)])
    st.append([Entry(2, 3), Entry(2, 4)])
    assert [(e.index, e.term) for e in st.entries(1, st.last_index() + 1)] == [
        (1, 1),
        (2, 1),
        (3, 2),
        (4, 2),
    ]
    with pytest.raises(ValueError):
        st.append([Entry(2, 9)])
    with pytest.raises(IndexError):
        st.term(7)
    assert st.term(0) == 0 and st.first_index() == 1


def test_memory_storage_max_size_returns_at_least_one_entry() -> None:
    st = MemoryStorage([Entry(1, i, EntryType.NORMAL, b"x" * 10) for i in range(1, 6)])
    assert len(st.entries(1, 6, max_size=25)) == 2
    assert len(st.entries(1, 6, max_size=1)) == 1
    assert len(st.entries(1, 6)) == 5


def test_committed_entries_come_in_bounded_batches() -> None:
    ents = [Entry(1, i, EntryType.NORMAL, b"x" * 100) for i in range(1, 11)]
    st = MemoryStorage(ents, HardState(term=1, vote=None, commit=10))
    n = node(storage=st, max_committed_size_per_ready=250)
    got: list[list[int]] = []
    while n.has_ready():
        rd = n.ready()
        got.append([e.index for e in rd.committed_entries])
        n.advance(rd)
    assert got == [[1, 2], [3, 4], [5, 6], [7, 8], [9, 10]]
