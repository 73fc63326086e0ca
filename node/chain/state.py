"""The chain as this node has applied it: head, blocks, and the indexes the portal reads.

``apply_block`` is the only writer. It checks the block (linkage, proposer signature, Merkle
root, every transaction) against an overlay and commits the block's effects, the new head and
the raft applied index in one atomic batch, so a crash at any point leaves either the whole
block applied or none of it. A committed raft entry whose block does not extend the head (an
old leader's orphan) is skipped the same way on every node, so the state stays identical.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import msgpack

from certificate.block import Block
from certificate.errors import SignatureError, ValidationError
from certificate.hashing import sha256
from certificate.proof import CertificateProof
from certificate.tx import Transaction
from node.chain import keys as K
from node.chain.readindex import BlockMeta, ReadIndex, block_writes
from node.chain.rules import BlockContext, TxRejected, apply_tx, claimed_signers
from node.chain.view import Overlay, StoreReader, pack, unpack
from node.genesis import Genesis
from node.storage.db import Store

log = logging.getLogger("node.chain")


@dataclass(frozen=True)
class Head:
    height: int
    hash: bytes
    time_ms: int


#: Vouched-for blocks kept until applied (the catch-up worker is only a few blocks ahead).
VOUCHED_BLOCKS = 64


class BlockRejected(Exception):
    pass


class VerifiedCache:
    """Transactions whose signatures this node already checked (at admission), so a leader
    does not verify the same signature twice.

    Keyed by the digest of the *whole* signed encoding, never by the transaction id: the id
    covers only ``{type, body}``, so a copy of a transaction with other (forged) signatures has
    the same id, and must not inherit the verdict on the original's signatures.
    """

    def __init__(self, size: int = 200_000) -> None:
        self._ids: OrderedDict[bytes, None] = OrderedDict()
        self._size = size

    @staticmethod
    def _key(tx: Transaction) -> bytes:
        return tx.digest

    def add(self, tx: Transaction) -> None:
        self.add_digests((self._key(tx),))

    def add_digests(self, digests: Iterable[bytes]) -> None:
        """Digests of whole signed encodings whose signatures were checked elsewhere by this
        node's own code (the catch-up worker process, node/engine_prefetch.py)."""
        for d in digests:
            self._ids[d] = None
        while len(self._ids) > self._size:
            self._ids.popitem(last=False)

    def __contains__(self, tx: Transaction) -> bool:
        return self._key(tx) in self._ids


class DecodedCache:
    """Decoded transactions by the digest of their bytes: a transaction is decoded (and its
    record validated) once per node, not again at admission, block building and application.

    Digests ``vouch``ed for are of encodings this node's own code already decoded and
    validated in full (the catch-up worker process, node/engine_prefetch.py): bytes with such a
    digest are only unpacked (``Transaction.decode_vouched``). The digest covers the exact
    bytes, so any other bytes, whatever the worker said, are decoded and checked as usual.
    """

    def __init__(self, size: int = 50_000, vouched_size: int = 200_000) -> None:
        self._txs: OrderedDict[bytes, Transaction] = OrderedDict()
        self._size = size
        self._vouched: OrderedDict[bytes, None] = OrderedDict()
        self._vouched_size = vouched_size

    def vouch(self, digests: Iterable[bytes]) -> None:
        for d in digests:
            self._vouched[d] = None
        while len(self._vouched) > self._vouched_size:
            self._vouched.popitem(last=False)

    def decode(self, raw: bytes) -> Transaction:
        key = sha256(raw)
        tx = self._txs.get(key)
        if tx is None:
            if key in self._vouched:
                # A block being caught up on: applied once, so not kept (tens of thousands of
                # cached transactions would only make every garbage collection slower).
                del self._vouched[key]
                return Transaction.decode_vouched(raw, key)
            tx = Transaction.decode(raw)
            if "digest" not in tx.__dict__ and tx.encode() == raw:  # canonical: always equal
                tx.__dict__["digest"] = key
            self._txs[key] = tx
            if len(self._txs) > self._size:
                self._txs.popitem(last=False)
        return tx


class ChainState:
    def __init__(self, store: Store, genesis: Genesis, block_data: Callable[[int], bytes]) -> None:
        self.store = store
        self.genesis = genesis
        self._block_data = block_data
        self.reader = StoreReader(store)
        self.verified = VerifiedCache()
        self.decoded = DecodedCache()
        #: Blocks the catch-up worker decoded and verified, by the digest of their bytes: their
        #: Merkle trees (see ``vouch_block``).
        self._vouched_blocks: OrderedDict[bytes, list[list[bytes]]] = OrderedDict()
        self.index = ReadIndex(store, self.block)
        head = unpack(store.get(K.HEAD))
        if head is None:
            self._init_genesis()
            head = unpack(store.get(K.HEAD))
        self.head = Head(head["height"], head["hash"], head["time_ms"])
        self.applied_index: int = unpack(store.get(K.APPLIED)) or 0

    def _init_genesis(self) -> None:
        with self.store.batch(sync=True) as wb:
            for key, name in self.genesis.issuers:
                wb.put(K.issuer(key.raw), pack({"name": name, "added_height": 0, "removed_height": None}))
            wb.put(K.HEAD, pack({"height": 0, "hash": self.genesis.hash, "time_ms": 0}))
            wb.put(K.APPLIED, pack(0))

    def vouch_block(self, digest: bytes, merkle_levels: list[list[bytes]]) -> None:
        """The block whose bytes have SHA-256 ``digest`` was decoded and passed ``Block.verify``
        (proposer signature, Merkle root, giving ``merkle_levels``) in this node's own code (the
        catch-up worker process, node/engine_prefetch.py): ``check_block`` only unpacks exactly
        those bytes, and still checks the linkage to the head and every transaction."""
        self._vouched_blocks[digest] = merkle_levels
        while len(self._vouched_blocks) > VOUCHED_BLOCKS:
            self._vouched_blocks.popitem(last=False)

    # --- writes ---------------------------------------------------------------------------
    def mark_applied(self, raft_index: int) -> None:
        """Record progress over entries that carry no block (no-ops, skipped orphans)."""
        self.applied_index = raft_index
        self.store.put(K.APPLIED, pack(raft_index))

    def apply_block(self, data: bytes, raft_index: int) -> tuple[Block, list[Transaction]]:
        """Check and apply one committed block; raise BlockRejected (nothing written) if invalid."""
        block, txs, overlay = self.check_block(data, self.reader, self.head)
        self._commit(block, overlay, raft_index)
        return block, txs

    def apply_prepared(self, block: Block, overlay: Overlay, raft_index: int) -> None:
        """Apply a block this node built as leader, with the effects it computed then.

        The leader validated exactly these transactions against exactly this state (its
        overlay sits on the committed state, and blocks apply in order), so checking them again
        would only repeat the work. Followers always take ``apply_block``.
        """
        if block.header.prev_hash != self.head.hash or block.height != self.head.height + 1:
            raise BlockRejected(f"prepared block {block.height} does not extend head {self.head.height}")
        self._commit(block, overlay, raft_index)

    def _commit(self, block: Block, overlay: Overlay, raft_index: int) -> None:
        with self.store.batch() as wb:
            overlay.write_to(wb)
            wb.put(K.block_loc(block.height), pack(raft_index))
            for k, v in block_writes(block):
                wb.put(k, v)
            wb.put(K.HEAD, pack({"height": block.height, "hash": block.hash,
                                 "time_ms": block.header.time_ms}))
            wb.put(K.APPLIED, pack(raft_index))
        self.head = Head(block.height, block.hash, block.header.time_ms)
        self.applied_index = raft_index

    def check_block(self, data: bytes, base: Any, head: Head) -> tuple[Block, list[Transaction], Overlay]:
        levels = self._vouched_blocks.pop(sha256(data), None) if self._vouched_blocks else None
        if levels is not None:
            block = Block.decode_vouched(data, levels)
        else:
            try:
                block = Block.decode(data)
            except ValidationError as exc:
                raise BlockRejected(f"undecodable block: {exc}") from None
        h = block.header
        if h.height != head.height + 1 or h.prev_hash != head.hash:
            raise BlockRejected(f"block {h.height} does not extend head {head.height}")
        if h.time_ms < head.time_ms:
            raise BlockRejected(f"block {h.height} is older than its parent")
        if levels is None:
            try:
                block.verify(self.genesis.chain_id, self.genesis.member_keys)
            except (SignatureError, ValidationError) as exc:
                raise BlockRejected(str(exc)) from None
        overlay = Overlay(base)
        txs = []
        for i, raw in enumerate(block.txs):
            try:
                tx = self.decoded.decode(raw)
            except ValidationError as exc:
                raise BlockRejected(f"block {h.height} tx {i}: {exc}") from None
            signers = None
            if tx in self.verified:
                signers = claimed_signers(tx)
            try:
                apply_tx(overlay, tx, self.genesis, BlockContext(h.height, h.time_ms, i), signers)
            except TxRejected as exc:
                raise BlockRejected(f"block {h.height} tx {i}: {exc.message}") from None
            txs.append(tx)
        return block, txs, overlay

    # --- reads ----------------------------------------------------------------------------
    def block_bytes(self, height: int) -> bytes | None:
        if not 1 <= height <= self.head.height:
            return None
        idx = unpack(self.store.get(K.block_loc(height)))
        return None if idx is None else self._block_data(idx)

    def block(self, height: int) -> Block | None:
        data = self.block_bytes(height)
        return None if data is None else Block.decode(data)

    def cert_entry(self, cert_no: str) -> dict[str, Any] | None:
        entry: dict[str, Any] | None = unpack(self.store.get(K.cert(cert_no)))
        return entry

    def account(self, ic: str) -> dict[str, Any] | None:
        entry: dict[str, Any] | None = unpack(self.store.get(K.account(ic)))
        return entry

    def holder_cert_nos(self, ic: str) -> list[str]:
        prefix = K.holder_prefix(ic)
        return [k[len(prefix):].decode() for k in self.store.keys(prefix)]

    def tx_location(self, tx_id: bytes) -> tuple[int, int] | None:
        loc = unpack(self.store.get(K.tx(tx_id)))
        return None if loc is None else (loc[0], loc[1])

    def block_meta(self, height: int) -> BlockMeta | None:
        """Hash, header and signature of an applied block, without loading the block."""
        if not 1 <= height <= self.head.height:
            return None
        return self.index.meta(height)

    def block_hash(self, height: int) -> bytes | None:
        if height == self.head.height:
            return self.head.hash
        meta = self.block_meta(height)
        return None if meta is None else meta.hash

    def proof(self, entry: dict[str, Any]) -> CertificateProof:
        height, index = entry["height"], entry["index"]
        meta = self.block_meta(height)
        assert meta is not None
        path = self.index.path(height, meta.header.tx_count, index)
        return CertificateProof(self.genesis.chain_id, entry["tx"], index, tuple(path),
                                meta.header, meta.signature)

    @staticmethod
    def cert_record(entry: dict[str, Any]) -> dict[str, Any]:
        """The record of a stored certificate entry, decoded without validating it again: its
        transaction was decoded, validated and signature-checked when its block was applied,
        and the store checks every value's CRC. (Proofs handed out still carry the signed
        bytes, so whoever checks a proof checks everything itself.)"""
        record: dict[str, Any] = msgpack.unpackb(entry["tx"], raw=False)["body"]["record"]
        return record

    def holder_entries(self, ic: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """(entry, record) of every certificate of holder ``ic``, in cert_no order."""
        out = []
        for cert_no in self.holder_cert_nos(ic):
            entry = self.cert_entry(cert_no)
            if entry is not None:
                out.append((entry, self.cert_record(entry)))
        return out

    def issuers(self) -> list[tuple[bytes, dict[str, Any]]]:
        return [(k[len(K.ISSUER_PREFIX):], unpack(v)) for k, v in self.store.items(K.ISSUER_PREFIX)]

    def state_digest(self) -> bytes:
        """A hash of every state key and value (not the raft log), to compare nodes in tests."""
        acc = [sha256(k + b"\x00" + v) for k, v in self.store.items(b"") if not k.startswith((b"R:", K.APPLIED))]
        return sha256(b"".join(acc))

    def approvals_for_holder(self, ic: str) -> list[dict[str, Any]]:
        prefix = K.holder_approval_prefix(ic)
        out = []
        for k in self.store.keys(prefix):
            ref, item = k[len(prefix):].decode().split("\x00", 1)
            ap = unpack(self.store.get(K.approval(ref, ic, item)))
            if ap is not None:
                out.append(ap)
        return out

    def meeting(self, jpps_ref: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        meeting = unpack(self.store.get(K.meeting(jpps_ref)))
        if meeting is None:
            return None, []
        return meeting, [unpack(v) for _, v in self.store.items(K.approval_prefix(jpps_ref))]


__all__ = ["BlockRejected", "ChainState", "Head"]
