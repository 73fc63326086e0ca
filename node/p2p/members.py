"""The genesis membership as the transport sees it: who may connect, with which key, where.

The transport trusts exactly this table and nothing else: a connection is accepted only from a
node id listed here presenting the listed key, and the node dials only the listed addresses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

MAX_NODE_ID_LEN: Final = 128


@dataclass(frozen=True)
class Member:
    """One voting member from the genesis file (``public_key`` is its raw Ed25519 key)."""

    node_id: str
    public_key: bytes
    host: str
    port: int

    def __post_init__(self) -> None:
        if not self.node_id or len(self.node_id) > MAX_NODE_ID_LEN:
            raise ValueError(f"node id must be 1-{MAX_NODE_ID_LEN} characters: {self.node_id!r}")
        if len(self.public_key) != 32:
            raise ValueError(f"member {self.node_id}: an Ed25519 public key is 32 bytes")
        if not 0 <= self.port <= 65535:
            raise ValueError(f"member {self.node_id}: port {self.port} out of range")
