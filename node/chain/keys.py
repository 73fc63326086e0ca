"""Key layout of the chain state in LevelDB. One place, so audits and tools agree on it."""

from __future__ import annotations

import struct

_H = struct.Struct(">Q")

HEAD = b"S:head"
APPLIED = b"S:applied"


def block_loc(height: int) -> bytes:
    """height -> raft index of the entry holding the block (blocks are stored once, in the log)."""
    return b"B:" + _H.pack(height)


def block_leaves(height: int) -> bytes:
    return b"L:" + _H.pack(height)


def block_meta(height: int) -> bytes:
    """height -> the block's hash, header and proposer signature (node.chain.readindex):
    what a proof or a block hash needs, without loading and decoding the whole block."""
    return b"K:" + _H.pack(height)


def block_tree(height: int) -> bytes:
    """height -> every level of the block's Merkle tree, leaves first (an audit path in one read)."""
    return b"N:" + _H.pack(height)


#: Families derived from a block alone and written with it by ``apply_block``. A data directory
#: built before they existed lacks them; reads backfill them lazily (node.chain.readindex).
READ_INDEX_PREFIXES = (b"K:", b"N:")


def tx(tx_id: bytes) -> bytes:
    return b"T:" + tx_id


def cert(cert_no: str) -> bytes:
    return b"C:" + cert_no.encode()


def holder_prefix(ic: str) -> bytes:
    return b"H:" + ic.encode() + b":"


def holder(ic: str, cert_no: str) -> bytes:
    return holder_prefix(ic) + cert_no.encode()


def issuer(public_key: bytes) -> bytes:
    return b"I:" + public_key


ISSUER_PREFIX = b"I:"


def account(ic: str) -> bytes:
    """A candidate's portal account (see certificate.accounts)."""
    return b"U:" + ic.encode()


def approval_part(jpps_ref: str, part: int) -> bytes:
    return b"P:" + jpps_ref.encode() + b"\x00" + _H.pack(part)


def meeting(jpps_ref: str) -> bytes:
    return b"M:" + jpps_ref.encode()


def approval_prefix(jpps_ref: str) -> bytes:
    return b"A:" + jpps_ref.encode() + b"\x00"


def approval(jpps_ref: str, ic: str, item: str) -> bytes:
    return approval_prefix(jpps_ref) + ic.encode() + b"\x00" + item.encode()


def holder_approval_prefix(ic: str) -> bytes:
    return b"Q:" + ic.encode() + b"\x00"


def holder_approval(ic: str, jpps_ref: str, item: str) -> bytes:
    return holder_approval_prefix(ic) + jpps_ref.encode() + b"\x00" + item.encode()


def approval_item(kind: str, level: int, noss_code: str) -> str:
    """What an approval and a certificate share, so issuing one marks the other generated."""
    return f"{kind}{level}|{noss_code}"


def height_of(key: bytes) -> int:
    return int(_H.unpack(key[-8:])[0])
