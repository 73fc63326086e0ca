"""Merkle trees against RFC 6962 section 2.1, written out literally here as the reference."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from certificate.merkle import (
    EMPTY_ROOT,
    inclusion_path,
    inclusion_path_from_hashes,
    leaf_hash,
    merkle_root,
    node_hash,
    root_from_hashes,
    root_from_path,
    verify_inclusion,
)


def _h(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _k(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    k = 1
    while 2 * k < n:
        k *= 2
    return k


def mth(d: list[bytes]) -> bytes:
    """MTH(D[n]) exactly as RFC 6962 section 2.1 defines it."""
    n = len(d)
    if n == 0:
        return _h(b"")
    if n == 1:
        return _h(b"\x00" + d[0])
    k = _k(n)
    return _h(b"\x01" + mth(d[0:k]) + mth(d[k:n]))


def path(m: int, d: list[bytes]) -> list[bytes]:
    """PATH(m, D[n]) exactly as RFC 6962 section 2.1.1 defines it."""
    n = len(d)
    if n == 1:
        return []
    k = _k(n)
    if m < k:
        return [*path(m, d[0:k]), mth(d[k:n])]
    return [*path(m - k, d[k:n]), mth(d[0:k])]


def sides(m: int, n: int) -> list[bool]:
    """For each PATH(m, D[n]) element, leaf side first: is the sibling on the right?"""
    if n == 1:
        return []
    k = _k(n)
    return [*sides(m, k), True] if m < k else [*sides(m - k, n - k), False]


def leaves(n: int) -> list[bytes]:
    return [f"leaf {i}".encode() * (i % 3) for i in range(n)]


def test_empty_tree() -> None:
    assert EMPTY_ROOT == merkle_root([]) == hashlib.sha256(b"").digest()
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_leaf_and_node_prefixes() -> None:
    assert leaf_hash(b"x") == _h(b"\x00x")
    assert node_hash(b"a" * 32, b"b" * 32) == _h(b"\x01" + b"a" * 32 + b"b" * 32)
    assert merkle_root([b""]) == _h(b"\x00")


def test_known_root_of_three_leaves() -> None:
    a, b, c = (_h(b"\x00" + x) for x in (b"a", b"b", b"c"))
    assert merkle_root([b"a", b"b", b"c"]) == _h(b"\x01" + _h(b"\x01" + a + b) + c)


@pytest.mark.parametrize("n", range(1, 71))
def test_root_and_every_path_match_rfc(n: int) -> None:
    d = leaves(n)
    root = mth(d)
    assert merkle_root(d) == root
    for m in range(n):
        p = inclusion_path(d, m)
        assert p == path(m, d)
        assert root_from_path(d[m], m, n, p) == root
        assert verify_inclusion(d[m], m, n, p, root)


@pytest.mark.parametrize("n", [1, 2, 3, 5, 7, 8, 9, 16, 17, 31, 33])
def test_inclusion_rejects_every_wrong_parameter(n: int) -> None:
    d = leaves(n)
    root = mth(d)
    for m in range(n):
        p = inclusion_path(d, m)
        assert not verify_inclusion(d[m] + b"!", m, n, p, root)
        assert not verify_inclusion(d[m], m, n, p, _h(root))
        for other in (m - 1, m + 1, m + n, -1):
            if other != m:
                assert not verify_inclusion(d[m], other, n, p, root)
        for size in range(n + 40):
            # RFC 6962 paths do not commit to the tree size (the signed header does): a path
            # verifies under another size exactly when that size gives the same left/right
            # sequence, i.e. the same hash computation.  Any other size must fail.
            same = m < size and sides(m, size) == sides(m, n)
            assert verify_inclusion(d[m], m, size, p, root) == same
        assert not verify_inclusion(d[m], m, n, [*p, b"\x00" * 32], root)
        if p:
            assert not verify_inclusion(d[m], m, n, p[:-1], root)
            assert not verify_inclusion(d[m], m, n, p[1:], root)
            for i in range(len(p)):
                bad = list(p)
                bad[i] = bytes([bad[i][0] ^ 1]) + bad[i][1:]
                assert not verify_inclusion(d[m], m, n, bad, root)
            assert not verify_inclusion(d[m], m, n, list(reversed(p)), root) or len(p) == 1


def test_inner_node_cannot_pose_as_leaf() -> None:
    d = leaves(8)
    root = mth(d)
    # The inner node over leaves 0 and 1 with its own (correct) audit path upward...
    inner = node_hash(leaf_hash(d[0]), leaf_hash(d[1]))
    upper_path = inclusion_path(d, 0)[1:]
    # ...is accepted only as an inner node, never when presented as the data of a leaf,
    # whether as the pre-image (0x01 || left || right) or as the hash itself.
    pre_image = leaf_hash(d[0]) + leaf_hash(d[1])
    for fake_size in (4, 8):
        for fake_data in (inner, b"\x01" + pre_image, pre_image):
            assert not verify_inclusion(fake_data, 0, fake_size, upper_path, root)
    # Two-leaf tree: its root is never the leaf hash of its inner node's pre-image.
    assert merkle_root([b"\x01" + pre_image]) != inner


def test_inclusion_path_index_out_of_range() -> None:
    for bad in (-1, 3):
        with pytest.raises(IndexError):
            inclusion_path(leaves(3), bad)
    with pytest.raises(IndexError):
        inclusion_path([], 0)


@settings(deadline=None)
@given(st.lists(st.binary(max_size=8), min_size=1, max_size=40), st.data())
def test_random_trees(d: list[bytes], data: st.DataObject) -> None:
    m = data.draw(st.integers(0, len(d) - 1))
    assert merkle_root(d) == mth(d)
    assert inclusion_path(d, m) == path(m, d)


@pytest.mark.parametrize("n", [0, 1, 2, 3, 6, 13, 64, 65])
def test_hash_based_helpers_agree(n: int) -> None:
    d = leaves(n)
    hashes = [leaf_hash(x) for x in d]
    assert root_from_hashes(hashes) == merkle_root(d) == mth(d)
    for m in range(n):
        assert inclusion_path_from_hashes(hashes, m) == inclusion_path(d, m)
    with pytest.raises(IndexError):
        inclusion_path_from_hashes(hashes, n)
