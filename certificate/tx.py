"""Signed transactions: the only way anything enters the chain.

A transaction is ``{type, body}`` plus signatures. Its id is the SHA-256 of the canonical
encoding of ``{type, body}`` alone, so resubmitting it (even with a different set of governance
co-signatures) gives the same id and can have only one effect. Each signature covers the same
bytes in the ``tx`` domain of one chain (see ``certificate.keys``).

Only shape is checked here. Whether a key may issue, whether a cert_no is new, whether a
revoked certificate exists: those depend on chain state and are the node's job.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Final

import msgpack

from certificate import canonical
from certificate.accounts import ACCOUNT_PASSWORD, ACCOUNT_REGISTER, check_password, check_register
from certificate.certno import normalise_cert_no
from certificate.errors import SignatureError, ValidationError
from certificate.hashing import sha256
from certificate.keys import PublicKey, SigningKey
from certificate.record import CertificateRecord, parse_jpps_ref
from certificate.record_fields import parse_iso_date
from certificate.tx_bodies import (
    MAX_APPROVALS_PER_TX,
    approval_candidate,
    check_approve,
    check_governance,
    check_issue,
    check_revoke,
    normal_text,
)

ISSUE: Final = "issue"
REVOKE: Final = "revoke"
APPROVE: Final = "approve"
ISSUER_ADD: Final = "issuer.add"
ISSUER_REMOVE: Final = "issuer.remove"
TYPES: Final = (ISSUE, REVOKE, APPROVE, ISSUER_ADD, ISSUER_REMOVE, ACCOUNT_REGISTER, ACCOUNT_PASSWORD)
GOVERNANCE: Final = (ISSUER_ADD, ISSUER_REMOVE)
MAX_TX_BYTES: Final = 1 << 20
MAX_SIGS: Final = 16
_TX_KEYS: Final = frozenset({"type", "body", "sigs"})


@dataclass(frozen=True)
class Signature:
    key: bytes
    sig: bytes


@dataclass(frozen=True)
class Transaction:
    type: str
    body: dict[str, Any]
    sigs: tuple[Signature, ...] = ()

    def __post_init__(self) -> None:
        # Signatures are kept sorted by key so a transaction has one encoding whatever order
        # its co-signers signed in; ``from_dict`` refuses any other order.
        if len(self.sigs) > 1 or type(self.sigs) is not tuple:
            object.__setattr__(self, "sigs", tuple(sorted(self.sigs, key=lambda s: s.key)))

    # A transaction is immutable, so its encodings, id and record are computed once: the node
    # asks for them many times per transaction on its hot path.
    @cached_property
    def signing_bytes(self) -> bytes:
        return canonical.encode({"type": self.type, "body": self.body})

    @cached_property
    def id(self) -> bytes:
        return sha256(self.signing_bytes)

    @property
    def id_hex(self) -> str:
        return self.id.hex()

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "body": self.body,
            "sigs": [[s.key, s.sig] for s in self.sigs],
        }

    def encode(self) -> bytes:
        return self._encoded

    @cached_property
    def digest(self) -> bytes:
        """SHA-256 of the whole signed encoding (signatures included, unlike ``id``): the key
        under which a node remembers having decoded and signature-checked these exact bytes."""
        return sha256(self._encoded)

    @cached_property
    def _encoded(self) -> bytes:
        return canonical.encode(self.to_dict())

    def signed_by(self, key: SigningKey, chain_id: str) -> Transaction:
        """A copy with ``key``'s signature added (replacing an earlier one by the same key)."""
        sig = Signature(key.public.raw, key.sign("tx", chain_id, self.signing_bytes))
        others = tuple(s for s in self.sigs if s.key != key.public.raw)
        return Transaction(self.type, self.body, (*others, sig))

    def verified_signers(self, chain_id: str) -> list[PublicKey]:
        """Every signer, after checking every signature; raises SignatureError on any bad one."""
        if not self.sigs:
            raise SignatureError("transaction is not signed")
        payload = self.signing_bytes
        signers = []
        for s in self.sigs:
            pk = PublicKey(s.key)
            pk.verify("tx", chain_id, payload, s.sig)
            signers.append(pk)
        return signers

    @cached_property
    def record(self) -> CertificateRecord:
        if self.type != ISSUE:
            raise ValueError("only an issue transaction carries a record")
        return CertificateRecord.from_dict(self.body["record"])

    @property
    def activation_digest(self) -> bytes | None:
        """The issuer's digest of the certificate's activation code (issue transactions)."""
        value = self.body.get("activation")
        return value if isinstance(value, bytes) else None

    @classmethod
    def decode(cls, data: bytes) -> Transaction:
        raw = bytes(data)
        value = canonical.decode(raw, max_len=MAX_TX_BYTES)
        tx = cls.from_dict(value)
        tx.__dict__["_encoded"] = raw  # canonical: re-encoding gives exactly these bytes
        signing = _signing_slice(raw, len(tx.sigs), tx.type)
        if signing is not None:
            tx.__dict__["signing_bytes"] = signing
        return tx

    @classmethod
    def decode_vouched(cls, raw: bytes, digest: bytes) -> Transaction:
        """The transaction of ``raw`` without checking it again: ONLY for bytes whose SHA-256 is
        ``digest`` and that this node's own ``decode`` has already accepted (the catch-up
        worker process vouches for them by that digest, node/engine_prefetch.py). It trusts
        that ``raw`` is canonical and every field valid, so it only unpacks and fills in what
        ``decode`` would have cached; anything else must go through ``decode``."""
        value = msgpack.unpackb(raw, raw=False)
        tx_type, body, raw_sigs = value["type"], value["body"], value["sigs"]
        tx = object.__new__(cls)  # frozen: fill the fields as ``decode`` would have made them
        d = tx.__dict__
        d["type"], d["body"] = tx_type, body
        d["sigs"] = tuple([Signature(k, s) for k, s in raw_sigs])
        d["_encoded"], d["digest"] = raw, digest
        if tx_type == ISSUE:
            d["record"] = CertificateRecord.from_vouched(body["record"])
        signing = _signing_slice(raw, len(raw_sigs), tx_type)
        if signing is not None:
            d["signing_bytes"] = signing
        return tx

    @classmethod
    def from_dict(cls, data: Any) -> Transaction:
        """Validate an untrusted transaction's shape; raise ValidationError naming the problem."""
        if not isinstance(data, dict) or data.keys() != _TX_KEYS:
            raise ValidationError("tx.shape", "a transaction has exactly: type, body, sigs")
        tx_type, body, raw_sigs = data["type"], data["body"], data["sigs"]
        if tx_type not in TYPES:
            raise ValidationError("tx.type", f"unknown transaction type {str(tx_type)[:40]!r}")
        if not isinstance(body, dict):
            raise ValidationError("tx.body", "transaction body must be an object")
        if not isinstance(raw_sigs, list) or len(raw_sigs) > MAX_SIGS:
            raise ValidationError("tx.sigs", f"sigs must be a list of at most {MAX_SIGS}")
        sigs = []
        for item in raw_sigs:
            if (
                not isinstance(item, list)
                or len(item) != 2
                or not all(isinstance(v, bytes) for v in item)
                or len(item[0]) != 32
                or len(item[1]) != 64
            ):
                raise ValidationError("tx.sigs", "each signature is [32-byte key, 64-byte signature]")
            sigs.append(Signature(item[0], item[1]))
        if len(sigs) > 1:  # (one signature, the usual case, is trivially unique and sorted)
            if len({s.key for s in sigs}) != len(sigs):
                raise ValidationError("tx.sigs", "a key signed twice")
            if [s.key for s in sigs] != sorted(s.key for s in sigs):
                raise ValidationError("tx.sigs", "signatures must be sorted by key")
        checked = _BODY_CHECKS[tx_type](body)
        tx = cls(tx_type, body, tuple(sigs))
        if isinstance(checked, CertificateRecord):
            tx.__dict__["record"] = checked  # validated once; ``record`` would repeat the work
        return tx


_BODY_KEY: Final = b"\x83\xa4body"  # a 3-entry map, then the key "body" (keys sort body < sigs < type)


_TYPE_TAILS: Final = {t: b"\xa4type" + canonical.encode(t) for t in TYPES}


#: Canonical bytes of one signature, ``[32-byte key, 64-byte signature]``: fixarray(2), then
#: bin8 headers and the bytes.
_SIG_BYTES: Final = 1 + 2 + 32 + 2 + 64


def _signing_slice(raw: bytes, n_sigs: int, tx_type: str) -> bytes | None:
    """The signing bytes of a decoded transaction, cut out of its canonical encoding.

    ``canonical.decode`` proved ``raw`` is the canonical encoding of ``{body, sigs, type}``:
    map header, "body", body, "sigs", sigs, "type", type; ``from_dict`` proved ``tx_type`` known
    and every signature of the fixed size, so where the sigs start is known by arithmetic. The
    signing bytes are the canonical encoding of ``{body, type}``: the same body bytes under a
    2-entry header. Cutting them out saves packing the body (and the signatures) again, which
    every node does for every transaction. The layout is checked anyway; on any surprise None,
    and the caller encodes.
    """
    type_tail = _TYPE_TAILS.get(tx_type)
    if type_tail is None:
        return None
    cut = len(raw) - len(type_tail) - (1 if n_sigs < 16 else 3) - _SIG_BYTES * n_sigs - 5
    if not (cut > len(_BODY_KEY) and raw.startswith(_BODY_KEY) and raw.startswith(b"\xa4sigs", cut)
            and raw.endswith(type_tail)):
        return None
    return b"\x82" + raw[1:cut] + type_tail


_BODY_CHECKS = {
    ISSUE: check_issue,
    REVOKE: check_revoke,
    APPROVE: check_approve,
    ISSUER_ADD: check_governance,
    ISSUER_REMOVE: check_governance,
    ACCOUNT_REGISTER: check_register,
    ACCOUNT_PASSWORD: check_password,
}


def issue_tx(record: CertificateRecord, key: SigningKey, chain_id: str, *,
             activation: bytes | None = None) -> Transaction:
    """The issue transaction; ``activation`` is ``activation_digest(...)`` of the row's code."""
    body: dict[str, Any] = {"record": record.to_dict()}
    if activation is not None:
        body["activation"] = activation
    check_issue(body)
    return Transaction(ISSUE, body).signed_by(key, chain_id)


def account_tx(tx_type: str, body: dict[str, Any], node_key: SigningKey, chain_id: str) -> Transaction:
    """An account transaction signed by the accepting node (see ``certificate.accounts``)."""
    if tx_type not in (ACCOUNT_REGISTER, ACCOUNT_PASSWORD):
        raise ValidationError("tx.type", "not an account transaction type")
    _BODY_CHECKS[tx_type](body)
    return Transaction(tx_type, body).signed_by(node_key, chain_id)


def revoke_tx(cert_no: str, reason: str, revoked_at: str, key: SigningKey, chain_id: str) -> Transaction:
    body = {
        "cert_no": normalise_cert_no(cert_no),
        "reason": normal_text(reason),
        "revoked_at": revoked_at,
    }
    check_revoke(body)
    return Transaction(REVOKE, body).signed_by(key, chain_id)


def approve_txs(
    jpps_ref: str,
    jpps_date: str,
    candidates: Sequence[Mapping[str, Any]],
    key: SigningKey,
    chain_id: str,
    *,
    state: str | None = None,
) -> list[Transaction]:
    """A meeting's approved list, split into parts small enough for one block each.

    Candidates may be loose input (e.g. CSV rows); each is normalised by
    ``approval_candidate``.
    """
    jpps_ref = parse_jpps_ref(jpps_ref)
    jpps_date = parse_iso_date(jpps_date, "jpps_date")
    normal = [approval_candidate(c, jpps_date) for c in candidates]
    chunks = [normal[i : i + MAX_APPROVALS_PER_TX] for i in range(0, max(len(normal), 1), MAX_APPROVALS_PER_TX)]
    txs = []
    for n, chunk in enumerate(chunks, 1):
        body = {
            "jpps_ref": jpps_ref,
            "jpps_date": jpps_date,
            "state": None if state is None else normal_text(state),
            "part": n,
            "parts": len(chunks),
            "candidates": chunk,
        }
        check_approve(body)
        txs.append(Transaction(APPROVE, body).signed_by(key, chain_id))
    return txs


def governance_tx(action: str, issuer_key: PublicKey, name: str, proposed_at: str) -> Transaction:
    """An unsigned governance proposal; admins add signatures with ``signed_by``."""
    if action not in GOVERNANCE:
        raise ValidationError("tx.type", f"governance action must be one of {', '.join(GOVERNANCE)}")
    body = {"key": issuer_key.raw, "name": normal_text(name), "proposed_at": proposed_at}
    check_governance(body)
    return Transaction(action, body)
