"""Raft consensus as a pure, deterministic state machine (no I/O, clocks, threads or
randomness of its own). See ``RawNode`` for the API and ``Ready`` for the caller's contract."""

from .config import Config
from .errors import NotLeader, TransferInProgress
from .message import Message, MessageType
from .rawnode import RawNode, Ready
from .storage import MemoryStorage, Storage
from .types import Entry, EntryType, HardState, ReadState, Role, SoftState

__all__ = [
    "Config",
    "Entry",
    "EntryType",
    "HardState",
    "MemoryStorage",
    "Message",
    "MessageType",
    "NotLeader",
    "RawNode",
    "ReadState",
    "Ready",
    "Role",
    "SoftState",
    "Storage",
    "TransferInProgress",
]
