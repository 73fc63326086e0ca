"""Raft messages and their plain-dict wire form.

``from_dict`` is the trust boundary: its input comes off the network, so it checks every
field's type and range and raises ``ValueError`` instead of letting a malformed value reach
the state machine. Semantic checks (is this a peer, is this term sane) happen in the core,
which silently drops what does not fit.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any, TypeVar

from .types import Entry, EntryType

# Terms and indexes arrive from peers. The core computes term + 1 (campaigns) and index + 1
# (appends), and the node msgpack-encodes the results as uint64: a bound well below 2**64 keeps
# every such increment encodable, so one hostile or buggy member cannot stop a node with a
# term of 2**64 - 1. An honest cluster never comes near 2**62.
MAX_UINT = (1 << 62) - 1
MAX_ID_LEN = 256

_T = TypeVar("_T")
_E = TypeVar("_E")


class MessageType(Enum):
    APP = "app"  # AppendEntries (also the probe that finds where logs diverge)
    APP_RESP = "app_resp"
    VOTE = "vote"
    VOTE_RESP = "vote_resp"
    PRE_VOTE = "pre_vote"
    PRE_VOTE_RESP = "pre_vote_resp"
    HEARTBEAT = "heartbeat"
    HEARTBEAT_RESP = "heartbeat_resp"
    TIMEOUT_NOW = "timeout_now"  # leadership transfer: "campaign now, skip PreVote"
    READ_INDEX = "read_index"  # a follower forwards a client's linearizable read
    READ_INDEX_RESP = "read_index_resp"
    TRANSFER_LEADER = "transfer_leader"  # a follower forwards transfer_leadership()


_TYPES_BY_VALUE = {t.value: t for t in MessageType}
_ENTRY_TYPES_BY_VALUE = {t.value: t for t in EntryType}

# Field meanings differ per type (as in etcd's raftpb): for APP ``index``/``log_term`` name
# the entry preceding ``entries``; for a rejected APP_RESP ``index`` is the rejected probe
# index and ``reject_hint``/``log_term`` say where the follower's log could match.


@dataclass(frozen=True, slots=True)
class Message:
    type: MessageType
    to: str
    frm: str
    term: int
    log_term: int = 0
    index: int = 0
    entries: tuple[Entry, ...] = ()
    commit: int = 0
    reject: bool = False
    reject_hint: int = 0
    context: bytes = b""

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type.value,
            "to": self.to,
            "frm": self.frm,
            "term": self.term,
            "log_term": self.log_term,
            "index": self.index,
            "entries": [
                {"term": e.term, "index": e.index, "type": e.type.value, "data": e.data}
                for e in self.entries
            ],
            "commit": self.commit,
            "reject": self.reject,
            "reject_hint": self.reject_hint,
            "context": self.context,
        }

    @classmethod
    def from_dict(cls, d: object) -> Message:
        """Build a message from untrusted input; raises ``ValueError`` on anything malformed.
        Unknown extra keys are ignored so a newer peer can add fields."""
        if not isinstance(d, dict):
            raise ValueError("message must be a dict")
        raw_entries = _field(d, "entries", list)
        entries = tuple(_entry_from_dict(e) for e in raw_entries)
        return cls(
            type=_enum(_TYPES_BY_VALUE, _field(d, "type", str), "type"),
            to=_node_id(d, "to"),
            frm=_node_id(d, "frm"),
            term=_uint(d, "term"),
            log_term=_uint(d, "log_term"),
            index=_uint(d, "index"),
            entries=entries,
            commit=_uint(d, "commit"),
            reject=_field(d, "reject", bool),
            reject_hint=_uint(d, "reject_hint"),
            context=_field(d, "context", bytes),
        )


def _entry_from_dict(d: object) -> Entry:
    if not isinstance(d, dict):
        raise ValueError("entry must be a dict")
    return Entry(
        term=_uint(d, "term"),
        index=_uint(d, "index"),
        type=_enum(_ENTRY_TYPES_BY_VALUE, _field(d, "type", str), "entry type"),
        data=_field(d, "data", bytes),
    )


def _field(d: dict[Any, Any], key: str, typ: type[_T]) -> _T:
    if key not in d:
        raise ValueError(f"missing field {key!r}")
    value = d[key]
    # bool is an int subclass; an int field must not accept True, a bool field must not accept 1.
    if type(value) is not typ:
        raise ValueError(f"field {key!r} must be {typ.__name__}, got {type(value).__name__}")
    return value


def _uint(d: dict[Any, Any], key: str) -> int:
    value = _field(d, key, int)
    if not 0 <= value <= MAX_UINT:
        raise ValueError(f"field {key!r} out of range")
    return value


def _node_id(d: dict[Any, Any], key: str) -> str:
    value = _field(d, key, str)
    if not value or len(value) > MAX_ID_LEN:
        raise ValueError(f"field {key!r} must be a non-empty id of at most {MAX_ID_LEN} chars")
    return value


def _enum(table: dict[str, _E], value: str, what: str) -> _E:
    try:
        return table[value]
    except KeyError:
        raise ValueError(f"unknown {what} {value!r}") from None
