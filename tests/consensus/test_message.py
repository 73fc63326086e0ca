"""The wire form of messages, and the promise that peer input never raises."""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from node.consensus import (
    Config,
    Entry,
    EntryType,
    HardState,
    MemoryStorage,
    Message,
    MessageType,
    RawNode,
    Role,
)
from node.consensus.message import MAX_UINT

ids = st.text(min_size=1, max_size=20)
uints = st.integers(min_value=0, max_value=MAX_UINT)
entries = st.builds(
    Entry,
    term=uints,
    index=uints,
    type=st.sampled_from(EntryType),
    data=st.binary(max_size=64),
)
messages = st.builds(
    Message,
    type=st.sampled_from(MessageType),
    to=ids,
    frm=ids,
    term=uints,
    log_term=uints,
    index=uints,
    entries=st.lists(entries, max_size=4).map(tuple),
    commit=uints,
    reject=st.booleans(),
    reject_hint=uints,
    context=st.binary(max_size=16),
)

PLAIN = (str, int, bool, bytes, list, dict)


def assert_plain(v: object) -> None:
    assert isinstance(v, PLAIN), type(v)
    if isinstance(v, list):
        for x in v:
            assert_plain(x)
    elif isinstance(v, dict):
        for k, x in v.items():
            assert isinstance(k, str)
            assert_plain(x)


@given(messages)
def test_round_trip(m: Message) -> None:
    d = m.to_dict()
    assert_plain(d)
    assert Message.from_dict(d) == m


@given(messages)
@settings(max_examples=50)
def test_round_trip_through_msgpack(m: Message) -> None:
    msgpack = pytest.importorskip("msgpack")
    wire = msgpack.packb(m.to_dict(), use_bin_type=True)
    assert Message.from_dict(msgpack.unpackb(wire, raw=False)) == m


def good() -> dict[str, Any]:
    return Message(
        MessageType.APP, "b", "a", 3, 1, 1, (Entry(3, 2, EntryType.NORMAL, b"x"),), 1
    ).to_dict()


def with_(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    d = good()
    target: Any = d
    for p in path[:-1]:
        target = target[p]
    target[path[-1]] = value
    return d


def without(key: str) -> dict[str, Any]:
    d = good()
    del d[key]
    return d


MALFORMED: list[object] = [
    None,
    [],
    "app",
    b"\x00",
    {},
    without("type"),
    without("term"),
    without("entries"),
    without("context"),
    with_(("type",), "bogus"),
    with_(("type",), 1),
    with_(("to",), ""),
    with_(("to",), "x" * 300),
    with_(("frm",), b"a"),
    with_(("term",), -1),
    with_(("term",), 1 << 64),
    with_(("term",), True),
    with_(("term",), 1.0),
    with_(("term",), "3"),
    with_(("index",), None),
    with_(("reject",), 0),
    with_(("reject",), "false"),
    with_(("context",), "text"),
    with_(("context",), bytearray(b"x")),
    with_(("entries",), {}),
    with_(("entries",), [1]),
    with_(("entries", 0, "type"), "weird"),
    with_(("entries", 0, "data"), "x"),
    with_(("entries", 0, "term"), -5),
    with_(("entries", 0), {"term": 1}),
]


@pytest.mark.parametrize("d", MALFORMED, ids=range(len(MALFORMED)))
def test_malformed_raises_value_error(d: object) -> None:
    with pytest.raises(ValueError):
        Message.from_dict(d)


def test_extra_keys_are_ignored() -> None:
    d = good()
    d["future_field"] = 1
    assert Message.from_dict(d) == Message.from_dict(good())


# ---- never raise on peer input ------------------------------------------------------------

PEERS = ("a", "b", "c")
peer_ids = st.sampled_from((*PEERS, "zz"))
small = st.integers(min_value=0, max_value=8)
small_entries = st.lists(
    st.builds(Entry, term=small, index=small, type=st.sampled_from(EntryType), data=st.just(b"")),
    max_size=3,
).map(tuple)
peer_messages = st.builds(
    Message,
    type=st.sampled_from(MessageType),
    to=peer_ids,
    frm=peer_ids,
    term=small,
    log_term=small,
    index=small,
    entries=small_entries,
    commit=small,
    reject=st.booleans(),
    reject_hint=small,
    context=st.sampled_from((b"", b"transfer", b"\x00" * 8, b"\x00" * 7 + b"\x01", b"c")),
)


def make_node(role: str) -> RawNode:
    log = [Entry(1, 1), Entry(1, 2), Entry(2, 3), Entry(3, 4)]
    st_ = MemoryStorage(log, HardState(term=3, vote=None, commit=2))
    n = RawNode(Config("a", PEERS, pre_vote=role != "candidate"), st_, rng=random.Random(0))
    if role != "follower":
        n.campaign()
    if role == "leader":
        for p in ("b", "c"):
            n.step(Message(MessageType.PRE_VOTE_RESP, "a", p, 4))
            n.step(Message(MessageType.VOTE_RESP, "a", p, 4))
        assert n.role is Role.LEADER
        n.propose(b"x")
        n.read_index(b"r")
        n.transfer_leadership("b")
    return n


@given(
    st.sampled_from(("follower", "candidate", "pre_candidate", "leader")),
    st.lists(st.one_of(peer_messages, st.just("tick")), max_size=30),
)
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_step_never_raises_on_peer_input(role: str, inputs: list[object]) -> None:
    n = make_node(role)
    for x in inputs:
        if x == "tick":
            n.tick()
        else:
            assert isinstance(x, Message)
            n.step(x)
        if n.has_ready():
            rd = n.ready()
            n.raft.log.storage.append(rd.entries)  # type: ignore[attr-defined]
            n.advance(rd)
        log = n.raft.log
        assert log.applied <= log.committed <= log.last_index()


@pytest.mark.parametrize("key", ["term", "log_term", "index", "commit", "reject_hint"])
def test_numbers_beyond_the_bound_are_refused_so_increments_stay_encodable(key: str) -> None:
    """A term of 2**64 - 1 from a peer would make the next campaign's term unencodable."""
    d = Message(type=MessageType.HEARTBEAT, to="a", frm="b", term=1).to_dict()
    d[key] = MAX_UINT + 1
    with pytest.raises(ValueError):
        Message.from_dict(d)
    d[key] = MAX_UINT
    assert getattr(Message.from_dict(d), key) == MAX_UINT
    # what the core may compute from it still fits the node's uint64 encoding
    assert MAX_UINT + 1 < 2**64
