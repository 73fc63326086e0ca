"""A certificate's self-contained proof, checkable offline with the node public keys.

proof = the signed issue transaction + its RFC 6962 audit path + the block header and the
proposer's signature over it. Checking it needs no network: the holder of the genesis file (the
node keys) can confirm that a node of the chain committed exactly this signed record.
Whether the certificate was later revoked or superseded is a question for the live chain.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from certificate import canonical
from certificate.block import Block, BlockHeader
from certificate.errors import SignatureError, ValidationError
from certificate.keys import PublicKey
from certificate.merkle import inclusion_path, verify_inclusion
from certificate.record import CertificateRecord
from certificate.tx import ISSUE, MAX_TX_BYTES, Transaction

#: A proof is one transaction plus a path and a header: room for the largest transaction.
MAX_PROOF_BYTES = MAX_TX_BYTES + 64 * 1024
_KEYS = ("chain_id", "header", "header_sig", "index", "path", "tx")


@dataclass(frozen=True)
class CertificateProof:
    chain_id: str
    tx: bytes
    index: int
    path: tuple[bytes, ...]
    header: BlockHeader
    header_sig: bytes

    @classmethod
    def from_block(cls, block: Block, index: int, chain_id: str) -> CertificateProof:
        """The proof for the transaction at ``index`` of ``block``."""
        return cls(
            chain_id,
            block.txs[index],
            index,
            tuple(inclusion_path(block.txs, index)),
            block.header,
            block.signature,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "chain_id": self.chain_id,
            "tx": self.tx,
            "index": self.index,
            "path": list(self.path),
            "header": self.header.to_dict(),
            "header_sig": self.header_sig,
        }

    def encode(self) -> bytes:
        return canonical.encode(self.to_dict())

    def to_json(self) -> dict[str, Any]:
        """The same proof with bytes as hex, for the JSON API (``_hexify(self.to_dict())``,
        built directly: it is on the path of every certificate read)."""
        h = self.header
        return {
            "chain_id": self.chain_id,
            "tx": self.tx.hex(),
            "index": self.index,
            "path": [p.hex() for p in self.path],
            "header": {"height": h.height, "prev_hash": h.prev_hash.hex(), "merkle_root": h.merkle_root.hex(),
                       "time_ms": h.time_ms, "proposer": h.proposer, "tx_count": h.tx_count},
            "header_sig": self.header_sig.hex(),
        }

    @classmethod
    def from_json(cls, data: Any) -> CertificateProof:
        """The inverse of ``to_json``; as strict as ``from_dict`` about which fields exist."""
        if not isinstance(data, dict) or set(data) != set(_KEYS):
            raise ValidationError("proof.shape", f"a proof has exactly: {', '.join(_KEYS)}")
        if not isinstance(data["header"], dict) or not isinstance(data["path"], list):
            raise ValidationError("proof.shape", "proof header must be an object and path a list")
        try:
            header = dict(data["header"])
            for f in ("prev_hash", "merkle_root"):
                header[f] = bytes.fromhex(header[f])
            raw = {
                "chain_id": data["chain_id"],
                "tx": bytes.fromhex(data["tx"]),
                "index": data["index"],
                "path": [bytes.fromhex(p) for p in data["path"]],
                "header": header,
                "header_sig": bytes.fromhex(data["header_sig"]),
            }
        except (KeyError, TypeError, ValueError):
            raise ValidationError("proof.shape", "proof fields are missing or malformed") from None
        return cls.from_dict(raw)

    @classmethod
    def decode(cls, data: bytes) -> CertificateProof:
        return cls.from_dict(canonical.decode(data, max_len=MAX_PROOF_BYTES))

    @classmethod
    def from_dict(cls, data: Any) -> CertificateProof:
        if not isinstance(data, dict) or set(data) != set(_KEYS):
            raise ValidationError("proof.shape", f"a proof has exactly: {', '.join(_KEYS)}")
        if not (
            isinstance(data["chain_id"], str)
            and isinstance(data["tx"], bytes)
            and isinstance(data["index"], int)
            and not isinstance(data["index"], bool)
            and isinstance(data["path"], list)
            and all(isinstance(p, bytes) and len(p) == 32 for p in data["path"])
            and isinstance(data["header_sig"], bytes)
        ):
            raise ValidationError("proof.shape", "proof fields have the wrong types")
        return cls(
            data["chain_id"],
            data["tx"],
            data["index"],
            tuple(data["path"]),
            BlockHeader.from_dict(data["header"]),
            data["header_sig"],
        )

    def verify(
        self, node_keys: Mapping[str, PublicKey], *, chain_id: str | None = None
    ) -> tuple[CertificateRecord, Transaction]:
        """Return the proven record and its transaction; raise on any break in the chain of proof.

        Pass ``chain_id`` (from the genesis file the node keys came from): the proof names its
        own chain, and without the check a block that the same node keys signed on another
        chain (a test network, say) would prove a certificate that this chain never issued.
        Whether the signer was a registered issuer at that height, and whether the certificate
        was later revoked or superseded, are questions for the live chain.
        """
        if chain_id is not None and self.chain_id != chain_id:
            raise ValidationError("proof.chain", f"proof is for chain {self.chain_id[:64]!r}, not {chain_id!r}")
        tx = Transaction.decode(self.tx)
        if tx.type != ISSUE:
            raise ValidationError("proof.tx_type", "proof does not carry an issue transaction")
        tx.verified_signers(self.chain_id)
        if not verify_inclusion(self.tx, self.index, self.header.tx_count, self.path, self.header.merkle_root):
            raise ValidationError("proof.merkle", "transaction is not in the block the proof names")
        proposer = node_keys.get(self.header.proposer)
        if proposer is None:
            raise SignatureError(f"block proposer {self.header.proposer!r} is not a chain member")
        proposer.verify("block", self.chain_id, self.header.encode(), self.header_sig)
        return tx.record, tx


def _hexify(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {k: _hexify(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_hexify(v) for v in value]
    return value
