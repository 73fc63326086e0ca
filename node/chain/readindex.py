"""What the node keeps per block height so that reads never load or decode a whole block.

A block is ~140 kB in the Raft log; a certificate read needs only its block's hash, header and
proposer signature (``K:``, ~250 B) and an audit path. The path is read off the block's whole
Merkle tree (``N:``, every level, 64 B per transaction), stored once when the block is applied,
so a proof costs one read and no hashing instead of re-hashing 250 leaves.

``apply_block`` writes both in the block's own batch (with the leaf hashes ``L:`` as before), so
a data directory applied by this code always has them and ``verify-chain`` re-creates them
identically. A data directory applied before they existed has only ``L:``: the first read of
such a height computes the missing entries from the block (or the leaves) and stores them, so
the cost is paid once per height and the layout converges to what ``apply_block`` writes now
(no rebuild needed).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import msgpack

from certificate.block import Block, BlockHeader
from certificate.merkle import level_sizes, tree_levels
from node.chain import keys as K
from node.storage.db import Store

_HASH = 32


@dataclass(frozen=True)
class BlockMeta:
    hash: bytes
    header: BlockHeader
    signature: bytes

    @classmethod
    def of(cls, block: Block) -> BlockMeta:
        return cls(block.hash, block.header, block.signature)

    def pack(self) -> bytes:
        packed: bytes = msgpack.packb([self.hash, self.header.to_dict(), self.signature], use_bin_type=True)
        return packed

    @classmethod
    def unpack(cls, raw: bytes) -> BlockMeta:
        # Trusted: written by this node from a block it verified, and the store checks its CRC;
        # BlockHeader.from_dict would only repeat the checks the block passed when applied.
        block_hash, header, sig = msgpack.unpackb(raw, raw=False)
        return cls(block_hash, BlockHeader(**header), sig)


def tree_bytes(leaves: bytes) -> bytes:
    """Every level of the tree over the concatenated leaf hashes ``leaves``, concatenated
    bottom-up: the leaves first, the root last."""
    hashes = [leaves[i : i + _HASH] for i in range(0, len(leaves), _HASH)]
    return _concat(tree_levels(hashes)) if hashes else b""


def _concat(levels: list[list[bytes]]) -> bytes:
    return b"".join(b"".join(level) for level in levels)


def block_writes(block: Block) -> list[tuple[bytes, bytes]]:
    """Every read-index entry of ``block``, for ``apply_block``'s batch."""
    levels = block.merkle_levels
    return [(K.block_leaves(block.height), b"".join(levels[0])),
            (K.block_tree(block.height), _concat(levels) if block.txs else b""),
            (K.block_meta(block.height), BlockMeta.of(block).pack())]


def audit_path(tree: bytes, tree_size: int, index: int) -> list[bytes]:
    """The audit path of leaf ``index`` read off a ``tree_bytes`` tree of ``tree_size`` leaves:
    the sibling at each level, none where the node had no sibling and was promoted (as
    ``inclusion_path_from_levels``)."""
    sizes, total = _shape(tree_size)
    if not 0 <= index < tree_size or len(tree) != total:
        raise IndexError("leaf index out of range")
    path: list[bytes] = []
    base = 0
    for size in sizes:
        sibling = index ^ 1
        if sibling < size:
            at = base + sibling * _HASH
            path.append(tree[at : at + _HASH])
        base += size * _HASH
        index >>= 1
    return path


@lru_cache(maxsize=1024)
def _shape(tree_size: int) -> tuple[tuple[int, ...], int]:
    """The sizes of every level below the root of a ``tree_size``-leaf tree, and the tree's
    length in bytes (on the path of every proof; a handful of block sizes ever occur)."""
    sizes = level_sizes(tree_size)
    return tuple(sizes[:-1]), sum(sizes) * _HASH


class ReadIndex:
    """Reads of ``K:`` and ``N:`` with the lazy backfill described above, and bounded caches of
    the most recently read heights: decoded block metadata (a few hundred bytes per height) and
    trees (16 kB for 250 transactions), as certificates of the same few blocks (a JPPS meeting's
    batch, the newest blocks) tend to be read together."""

    def __init__(self, store: Store, load_block: Callable[[int], Block | None], *, metas: int = 8192,
                 tree_bytes: int = 16 << 20) -> None:
        self._store = store
        self._load_block = load_block
        self._metas: OrderedDict[int, BlockMeta] = OrderedDict()
        self._size = metas
        self._trees: OrderedDict[int, bytes] = OrderedDict()
        self._tree_bytes = 0
        self._max_tree_bytes = tree_bytes

    def meta(self, height: int) -> BlockMeta | None:
        """For an applied height only (the caller checks the range)."""
        meta = self._metas.get(height)
        if meta is not None:
            self._metas.move_to_end(height)
            return meta
        raw = self._store.get(K.block_meta(height))
        if raw is not None:
            meta = BlockMeta.unpack(raw)
        else:
            block = self._load_block(height)
            if block is None:
                return None
            meta = BlockMeta.of(block)
            # Not synced and outside any batch: the value is derived from the block alone, so
            # losing it in a crash only means computing it again.
            self._store.put(K.block_meta(height), meta.pack())
        self._metas[height] = meta
        if len(self._metas) > self._size:
            self._metas.popitem(last=False)
        return meta

    def path(self, height: int, tree_size: int, index: int) -> list[bytes]:
        """The audit path of leaf ``index`` of the block at ``height`` (``tree_size`` leaves,
        from its header)."""
        tree = self._trees.get(height)
        if tree is not None:
            self._trees.move_to_end(height)
            return audit_path(tree, tree_size, index)
        tree = self._store.get(K.block_tree(height))
        if tree is None:
            tree = tree_bytes(self._store.get(K.block_leaves(height)) or b"")
            self._store.put(K.block_tree(height), tree)  # backfill, as in ``meta``
        self._trees[height] = tree
        self._tree_bytes += len(tree)
        while self._tree_bytes > self._max_tree_bytes:
            _, dropped = self._trees.popitem(last=False)
            self._tree_bytes -= len(dropped)
        return audit_path(tree, tree_size, index)


__all__ = ["BlockMeta", "ReadIndex", "audit_path", "block_writes", "tree_bytes"]
