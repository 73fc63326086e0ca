"""Raft consensus as a pure, deterministic state machine.

No I/O, clocks, threads or randomness of its own, so the node daemon and the deterministic
simulator (tests/sim) run exactly the same code. The daemon drives it like this::

    node = RawNode(cfg, storage, rng=random.Random())
    every tick interval:      node.tick()
    on a peer message:        node.step(Message.from_dict(payload))   # never raises
    on a client write:        index = node.propose(data)              # NotLeader(leader_id)
    on a client read:         node.read_index(ctx)                    # answer in read_states
    while node.has_ready():
        rd = node.ready()
        persist rd.entries, then rd.hard_state (one batch if possible; fsync if rd.must_sync)
        send rd.messages (msg.to_dict() to msg.to)
        apply rd.committed_entries in order; answer rd.read_states once applied >= index
        node.advance(rd)

Restart with the stored log and hard state, and ``Config(applied=...)`` set to the last index
the state machine has durably applied. Membership is fixed; snapshots are not needed (the
chain keeps every block) but ``Storage.first_index`` leaves room for them.
"""

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
