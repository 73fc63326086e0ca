"""Blocks and their headers.

The block hash is SHA-256 of the canonical header; the proposer signs the same bytes in the
``block`` domain. The header commits to the transactions through their RFC 6962 Merkle root,
so a certificate's proof needs only its transaction, an audit path and the header.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Final

import msgpack

from certificate import canonical
from certificate.errors import SignatureError, ValidationError
from certificate.hashing import sha256
from certificate.keys import PublicKey, SigningKey
from certificate.merkle import EMPTY_ROOT, leaf_hash, tree_levels

HEADER_FIELDS: Final = ("height", "prev_hash", "merkle_root", "time_ms", "proposer", "tx_count")
MAX_BLOCK_BYTES: Final = 16 << 20


@dataclass(frozen=True)
class BlockHeader:
    height: int
    prev_hash: bytes
    merkle_root: bytes
    time_ms: int
    proposer: str
    tx_count: int

    def to_dict(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in HEADER_FIELDS}

    def encode(self) -> bytes:
        return canonical.encode(self.to_dict())

    @property
    def hash(self) -> bytes:
        return sha256(self.encode())

    @classmethod
    def from_dict(cls, data: Any) -> BlockHeader:
        if not isinstance(data, dict) or set(data) != set(HEADER_FIELDS):
            raise ValidationError("block.header", f"a block header has exactly: {', '.join(HEADER_FIELDS)}")
        ints = ("height", "time_ms", "tx_count")
        if not all(isinstance(data[f], int) and not isinstance(data[f], bool) and data[f] >= 0 for f in ints):
            raise ValidationError("block.header", "height, time_ms and tx_count are non-negative integers")
        if not all(isinstance(data[f], bytes) and len(data[f]) == 32 for f in ("prev_hash", "merkle_root")):
            raise ValidationError("block.header", "prev_hash and merkle_root are 32-byte hashes")
        if not isinstance(data["proposer"], str) or not 0 < len(data["proposer"]) <= 64:
            raise ValidationError("block.header", "proposer is a node id")
        return cls(**{f: data[f] for f in HEADER_FIELDS})


@dataclass(frozen=True)
class Block:
    header: BlockHeader
    signature: bytes
    txs: tuple[bytes, ...]

    @property
    def hash(self) -> bytes:
        return self.header.hash

    @property
    def height(self) -> int:
        return self.header.height

    def to_dict(self) -> dict[str, Any]:
        return {"header": self.header.to_dict(), "sig": self.signature, "txs": list(self.txs)}

    # Computed once per block: ``verify`` checks the root and the node stores every level (so
    # reads answer audit paths without hashing), from the same hashes.
    @cached_property
    def merkle_levels(self) -> list[list[bytes]]:
        """Every level of the RFC 6962 tree over ``txs``, leaves first (``tree_levels``)."""
        return tree_levels([leaf_hash(t) for t in self.txs])

    def encode(self) -> bytes:
        return canonical.encode(self.to_dict())

    @classmethod
    def decode(cls, data: bytes) -> Block:
        raw = canonical.decode(data, max_len=MAX_BLOCK_BYTES)
        if not isinstance(raw, dict) or set(raw) != {"header", "sig", "txs"}:
            raise ValidationError("block.shape", "a block has exactly: header, sig, txs")
        if not isinstance(raw["sig"], bytes) or len(raw["sig"]) != 64:
            raise ValidationError("block.sig", "block signature is 64 bytes")
        if not isinstance(raw["txs"], list) or not all(isinstance(t, bytes) for t in raw["txs"]):
            raise ValidationError("block.txs", "block txs are a list of encoded transactions")
        return cls(BlockHeader.from_dict(raw["header"]), raw["sig"], tuple(raw["txs"]))

    @classmethod
    def decode_vouched(cls, data: bytes, merkle_levels: list[list[bytes]]) -> Block:
        """The block of ``data`` without checking it again: ONLY for bytes that this node's own
        ``decode`` accepted and ``verify`` passed (proposer signature, Merkle root), with the
        ``merkle_levels`` computed then (the catch-up worker process vouches for them by the
        SHA-256 of ``data``). It only unpacks; anything else must go through ``decode``."""
        raw = msgpack.unpackb(data, raw=False)
        header = object.__new__(BlockHeader)  # frozen: fill the fields as ``decode`` would
        header.__dict__.update(raw["header"])
        block = object.__new__(cls)
        block.__dict__.update(header=header, signature=raw["sig"], txs=tuple(raw["txs"]),
                              merkle_levels=merkle_levels)
        return block

    def verify(self, chain_id: str, members: Mapping[str, PublicKey]) -> None:
        """Check what a block says about itself: proposer signature and Merkle root."""
        key = members.get(self.header.proposer)
        if key is None:
            raise SignatureError(f"block {self.height} proposed by non-member {self.header.proposer!r}")
        key.verify("block", chain_id, self.header.encode(), self.signature)
        if self.header.tx_count != len(self.txs):
            raise ValidationError("block.tx_count", f"block {self.height} tx_count does not match its txs")
        if (self.merkle_levels[-1][0] if self.txs else EMPTY_ROOT) != self.header.merkle_root:
            raise ValidationError("block.merkle", f"block {self.height} Merkle root does not match its txs")


def make_block(
    *,
    height: int,
    prev_hash: bytes,
    time_ms: int,
    txs: Sequence[bytes],
    proposer: str,
    key: SigningKey,
    chain_id: str,
) -> Block:
    levels = tree_levels([leaf_hash(t) for t in txs])
    root = levels[-1][0] if txs else EMPTY_ROOT
    header = BlockHeader(height, prev_hash, root, time_ms, proposer, len(txs))
    block = Block(header, key.sign("block", chain_id, header.encode()), tuple(txs))
    block.__dict__["merkle_levels"] = levels  # the leader stores the tree it just built
    return block
