"""Certificate reads never decode a block (issue #9), and answer exactly what they did before.

``apply_block`` stores per height the block's hash, header and signature (``K:``) and its whole
Merkle tree (``N:``); proofs and block hashes are read from those. A data directory applied
before they existed backfills them on first read, and ``verify-chain`` accepts such a directory
while still checking every entry it has.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from certificate.block import Block, make_block
from certificate.merkle import (
    inclusion_path_from_hashes,
    inclusion_path_from_levels,
    leaf_hash,
    level_sizes,
    root_from_hashes,
    tree_levels,
)
from certificate.proof import CertificateProof, _hexify
from certificate.tx import Transaction, issue_tx
from node.audit import audit
from node.chain import keys as K
from node.chain.readindex import audit_path, tree_bytes
from node.chain.state import ChainState
from node.config import load_config
from node.consensus import Entry, EntryType, HardState
from node.daemon import Node
from node.genesis import load_genesis
from node.storage.db import Store
from node.storage.raftlog import RaftLog
from tests.node.helpers import ChainFiles, make_record, write_chain


@pytest.mark.parametrize("n", [1, 2, 3, 5, 7, 8, 9, 13, 64, 65, 250])
def test_paths_from_stored_levels_are_the_rfc6962_paths(n: int) -> None:
    hashes = [leaf_hash(os.urandom(8)) for _ in range(n)]
    levels = tree_levels(hashes)
    assert [len(level) for level in levels] == level_sizes(n)
    assert levels[-1] == [root_from_hashes(hashes)]
    tree = tree_bytes(b"".join(hashes))
    for i in range(n):
        expected = inclusion_path_from_hashes(hashes, i)
        assert inclusion_path_from_levels(levels, i) == expected
        assert audit_path(tree, n, i) == expected
    with pytest.raises(IndexError):
        audit_path(tree, n, n)
    with pytest.raises(IndexError):
        audit_path(tree[:-32], n, 0)


class Chain:
    """A one-member chain's data directory, written the way a node applies committed blocks."""

    def __init__(self, files: ChainFiles) -> None:
        self.files = files
        self.cfg = load_config(files.configs["jpk"])
        Node(self.cfg).store.close()  # a first start: genesis key and initial state
        self.blocks: list[Block] = []
        self.txs: list[Transaction] = []

    def open(self) -> tuple[Store, ChainState]:
        store = Store(self.cfg.data_dir)
        return store, ChainState(store, load_genesis(self.files.genesis), RaftLog(store).entry_data)

    def grow(self, blocks: int, per_block: int) -> None:
        store, state = self.open()
        raftlog = RaftLog(store)
        try:
            for _ in range(blocks):
                txs = [issue_tx(make_record(), self.files.issuer, self.files.chain_id) for _ in range(per_block)]
                head = state.head
                block = make_block(height=head.height + 1, prev_hash=head.hash, time_ms=head.time_ms + 1000,
                                   txs=[t.encode() for t in txs], proposer="jpk",
                                   key=self.files.node_keys["jpk"], chain_id=self.files.chain_id)
                index = raftlog.last_index() + 1
                raftlog.save(HardState(term=1, vote=None, commit=index),
                             [Entry(1, index, EntryType.NORMAL, block.encode())], sync=False)
                state.apply_block(block.encode(), index)
                self.blocks.append(block)
                self.txs.extend(txs)
        finally:
            store.close()


@pytest.fixture
def chain(tmp_path: Path) -> Chain:
    c = Chain(write_chain(tmp_path / "c", ("jpk",)))
    c.grow(3, 5)
    return c


def _check_reads(state: ChainState, chain: Chain) -> None:
    for block in chain.blocks:
        assert state.block_hash(block.height) == block.hash
        meta = state.block_meta(block.height)
        assert meta is not None and (meta.header, meta.signature) == (block.header, block.signature)
        for i, raw in enumerate(block.txs):
            tx = Transaction.decode(raw)
            entry = state.cert_entry(tx.body["record"]["cert_no"])
            assert entry is not None and (entry["height"], entry["index"]) == (block.height, i)
            proof = state.proof(entry)
            assert proof == CertificateProof.from_block(block, i, chain.files.chain_id)
            record, _ = proof.verify({"jpk": chain.files.node_keys["jpk"].public}, chain_id=chain.files.chain_id)
            assert state.cert_record(entry) == tx.body["record"] == record.to_dict()
            assert proof.to_json() == _hexify(proof.to_dict())
    assert state.block_meta(0) is None and state.block_meta(len(chain.blocks) + 1) is None


def test_reads_come_from_the_per_height_entries_not_the_blocks(chain: Chain) -> None:
    store, state = chain.open()
    try:
        for block in chain.blocks:
            assert store.get(K.block_meta(block.height)) is not None
            assert store.get(K.block_tree(block.height)) is not None

        def no_blocks(height: int) -> Block | None:
            raise AssertionError(f"a read loaded block {height}")

        state.index._load_block = no_blocks
        _check_reads(state, chain)
        holder = Transaction.decode(chain.blocks[0].txs[0]).body["record"]["holder_ic"]
        [(entry, record)] = state.holder_entries(holder)
        assert record["holder_ic"] == holder and entry["height"] == 1
    finally:
        store.close()


def test_a_data_directory_from_before_the_read_indexes_backfills_them_and_still_audits(chain: Chain) -> None:
    store, _ = chain.open()
    written = {k: v for k, v in store.items(b"") if k.startswith(K.READ_INDEX_PREFIXES)}
    assert len(written) == 2 * len(chain.blocks)
    with store.batch() as wb:  # as a node applied the blocks before #9
        for k in written:
            wb.delete(k)
    store.close()
    result = audit(chain.cfg)
    assert result.ok, result.message

    store, state = chain.open()
    try:
        _check_reads(state, chain)
        # backfilled to exactly what apply_block writes
        assert {k: v for k, v in store.items(b"") if k.startswith(K.READ_INDEX_PREFIXES)} == written
    finally:
        store.close()
    assert audit(chain.cfg).ok

    store, _ = chain.open()
    key = K.block_tree(2)
    store.put(key, bytes(32) + store.get(key)[32:])  # type: ignore[index]
    store.close()
    result = audit(chain.cfg)
    assert not result.ok and "differs" in result.message


def test_a_chain_applied_by_this_code_audits_and_keeps_growing(chain: Chain) -> None:
    assert audit(chain.cfg).ok
    chain.grow(1, 3)
    store, state = chain.open()
    try:
        _check_reads(state, chain)
    finally:
        store.close()
    assert audit(chain.cfg).ok
