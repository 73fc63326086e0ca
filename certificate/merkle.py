"""Merkle trees exactly as RFC 6962 (Certificate Transparency) defines them.

Leaves and inner nodes are hashed with different prefixes (0x00, 0x01), so an inner node can
never be presented as a leaf and a proof can never be forged from one.
"""

from __future__ import annotations

from collections.abc import Sequence

from certificate.hashing import sha256

EMPTY_ROOT = sha256(b"")


def leaf_hash(data: bytes) -> bytes:
    """Leaf hashes start with 0x00 and inner ones with 0x01: neither can stand for the other."""
    return sha256(b"\x00" + data)


def node_hash(left: bytes, right: bytes) -> bytes:
    return sha256(b"\x01" + left + right)


def _split(n: int) -> int:
    """Largest power of two strictly less than n (RFC 6962 section 2.1)."""
    k = 1
    while k << 1 < n:
        k <<= 1
    return k


def _root_of_hashes(hashes: Sequence[bytes]) -> bytes:
    # Bottom-up pairing gives the same tree as RFC 6962's recursive split: an odd node is
    # promoted unchanged to the next level.
    level = list(hashes)
    while len(level) > 1:
        nxt = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]); the empty tree's root is SHA-256 of nothing, as RFC 6962 defines it."""
    return root_from_hashes([leaf_hash(d) for d in leaves])


def root_from_hashes(hashes: Sequence[bytes]) -> bytes:
    """The root over already computed leaf hashes."""
    if not hashes:
        return EMPTY_ROOT
    return _root_of_hashes(hashes)


def inclusion_path(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """The audit path of leaf ``index`` (RFC 6962 section 2.1.1), leaf side first."""
    return inclusion_path_from_hashes([leaf_hash(d) for d in leaves], index)


def inclusion_path_from_hashes(hashes: Sequence[bytes], index: int) -> list[bytes]:
    """Like ``inclusion_path``, from already computed leaf hashes (as a node stores them)."""
    if not 0 <= index < len(hashes):
        raise IndexError("leaf index out of range")
    path: list[bytes] = []

    def walk(lo: int, hi: int, m: int) -> None:
        n = hi - lo
        if n == 1:
            return
        k = _split(n)
        if m < k:
            walk(lo, lo + k, m)
            path.append(_root_of_hashes(hashes[lo + k : hi]))
        else:
            walk(lo + k, hi, m - k)
            path.append(_root_of_hashes(hashes[lo : lo + k]))

    walk(0, len(hashes), index)
    return path


def tree_levels(hashes: Sequence[bytes]) -> list[list[bytes]]:
    """Every level of the tree over ``hashes``, leaves first and the root last.

    Bottom-up pairing with the odd last node promoted unchanged builds exactly RFC 6962's tree
    (see ``_root_of_hashes``), so a node can keep the levels once and answer any audit path
    with ``inclusion_path_from_levels`` instead of rehashing the whole tree per proof.
    """
    levels = [list(hashes)]
    while len(levels[-1]) > 1:
        level = levels[-1]
        nxt = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        levels.append(nxt)
    return levels


def level_sizes(tree_size: int) -> list[int]:
    """How many nodes each level of ``tree_levels`` holds for ``tree_size`` leaves."""
    sizes = [tree_size]
    while sizes[-1] > 1:
        sizes.append((sizes[-1] + 1) // 2)
    return sizes


def inclusion_path_from_levels(levels: Sequence[Sequence[bytes]], index: int) -> list[bytes]:
    """The audit path of leaf ``index`` read off precomputed ``tree_levels``: the sibling at
    each level, none where the node was promoted (it had no sibling). Same result as
    ``inclusion_path_from_hashes``."""
    if not levels or not 0 <= index < len(levels[0]):
        raise IndexError("leaf index out of range")
    path: list[bytes] = []
    for level in levels[:-1]:
        sibling = index ^ 1
        if sibling < len(level):
            path.append(level[sibling])
        index >>= 1
    return path


def root_from_path(leaf_data: bytes, index: int, tree_size: int, path: Sequence[bytes]) -> bytes | None:
    """Recompute the root an audit path leads to; None if the path's shape is impossible."""
    if isinstance(index, bool) or not 0 <= index < tree_size:
        return None
    fn, sn = index, tree_size - 1
    r = leaf_hash(leaf_data)
    for p in path:
        if sn == 0:
            return None
        if fn % 2 == 1 or fn == sn:
            r = node_hash(p, r)
            if fn % 2 == 0:
                while fn % 2 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        return None
    return r


def verify_inclusion(leaf_data: bytes, index: int, tree_size: int, path: Sequence[bytes], root: bytes) -> bool:
    """RFC 9162 section 2.1.3.2.  The path alone does not pin ``tree_size`` (some paths fit
    several sizes), so callers take the size from something signed, like a block header."""
    return root_from_path(leaf_data, index, tree_size, path) == root
