"""What each transaction may do to the chain state, and what it changes.

These rules run on every node for every committed block and must be deterministic: they read
only the state, the transaction and the block's own header (never the local clock), so every
node reaches the same state from the same blocks. The leader runs the same rules ahead of time
to keep invalid transactions out of blocks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from certificate.accounts import ACCOUNT_PASSWORD, ACCOUNT_REGISTER
from certificate.activation import check_activation_code
from certificate.errors import SignatureError, ValidationError
from certificate.keys import PublicKey
from certificate.tx import (
    APPROVE,
    ISSUE,
    ISSUER_ADD,
    ISSUER_REMOVE,
    REVOKE,
    Transaction,
)
from node.chain import issuers
from node.chain import keys as K
from node.chain.view import Overlay, pack
from node.genesis import Genesis


class TxRejected(Exception):
    """A transaction that may not be applied. ``status`` is the HTTP answer it deserves."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


@dataclass(frozen=True)
class BlockContext:
    height: int
    time_ms: int
    index: int  # position of the transaction in its block


def claimed_signers(tx: Transaction) -> list[PublicKey]:
    """The signers a transaction names, without checking: only for transactions whose
    signatures this node has already verified (see ``VerifiedCache``)."""
    return [PublicKey(s.key) for s in tx.sigs]


def check_signatures(tx: Transaction, genesis: Genesis) -> list[PublicKey]:
    try:
        return tx.verified_signers(genesis.chain_id)
    except SignatureError as exc:
        raise TxRejected("tx.signature", str(exc)) from None


def _require_issuer(view: Overlay, signers: list[PublicKey]) -> PublicKey:
    if len(signers) != 1:
        raise TxRejected("tx.signers", "this transaction is signed by exactly one issuer key")
    # The same key on every transaction of a batch: answered from the committed registry
    # (node.chain.issuers), with this view's own pending writes seen first.
    if not issuers.is_active(view, signers[0].raw):
        raise TxRejected("tx.issuer", f"key {signers[0].id} is not a registered issuer", 403)
    return signers[0]


def apply_tx(view: Overlay, tx: Transaction, genesis: Genesis, ctx: BlockContext,
             signers: list[PublicKey] | None = None) -> None:
    """Validate ``tx`` against ``view`` and write its effects into ``view``; raise TxRejected."""
    if view.get(K.tx(tx.id)) is not None:
        raise TxRejected("tx.duplicate", "transaction already on the chain", 409)
    if signers is None:
        signers = check_signatures(tx, genesis)
    if tx.type == ISSUE:
        _issue(view, tx, _require_issuer(view, signers), ctx)
    elif tx.type == REVOKE:
        _revoke(view, tx, _require_issuer(view, signers), ctx)
    elif tx.type == APPROVE:
        _approve(view, tx, _require_issuer(view, signers), ctx)
    elif tx.type in (ISSUER_ADD, ISSUER_REMOVE):
        _governance(view, tx, signers, genesis, ctx)
    elif tx.type in (ACCOUNT_REGISTER, ACCOUNT_PASSWORD):
        _account(view, tx, signers, genesis, ctx)
    else:  # pragma: no cover - Transaction.from_dict admits only known types
        raise TxRejected("tx.type", f"unknown transaction type {tx.type}")
    view.put_obj(K.tx(tx.id), [ctx.height, ctx.index])


def _issue(view: Overlay, tx: Transaction, issuer: PublicKey, ctx: BlockContext) -> None:
    try:
        rec = tx.record
    except ValidationError as exc:  # pragma: no cover - decode already validated it
        raise TxRejected("tx.record", str(exc)) from None
    if view.get(K.cert(rec.cert_no)) is not None:
        raise TxRejected("cert.duplicate", f"certificate number {rec.cert_no} is already issued", 409)
    if rec.supersedes is not None:
        old = view.get_obj(K.cert(rec.supersedes))
        if old is None:
            raise TxRejected("cert.supersedes_unknown", f"{rec.supersedes} does not exist", 409)
        if old["status"] != "valid":
            raise TxRejected("cert.supersedes_inactive",
                             f"{rec.supersedes} is already {old['status']}", 409)
        if old["ic"] != rec.holder_ic:
            raise TxRejected("cert.supersedes_holder",
                             "a correction must be for the same holder (MyKad number)", 409)
        old["status"] = "superseded"
        old["superseded_by"] = rec.cert_no
        old["changed_height"] = ctx.height
        view.put_obj(K.cert(rec.supersedes), old)
    view.put_obj(K.cert(rec.cert_no), {
        "tx": tx.encode(), "height": ctx.height, "index": ctx.index, "status": "valid",
        "ic": rec.holder_ic, "issuer": issuer.raw, "superseded_by": None, "supersedes": rec.supersedes,
        "revocation": None, "changed_height": None, "activation": tx.activation_digest,
    })
    view.put(K.holder(rec.holder_ic, rec.cert_no), b"")
    item = K.approval_item(rec.kind, rec.level, rec.noss_code)
    ap_key = K.approval(rec.jpps_ref, rec.holder_ic, item)
    ap = view.get_obj(ap_key)
    if ap is not None and ap.get("cert_no") is None:
        ap["cert_no"] = rec.cert_no
        ap["generated_height"] = ctx.height
        ap["generated_ms"] = ctx.time_ms
        view.put_obj(ap_key, ap)


def _revoke(view: Overlay, tx: Transaction, issuer: PublicKey, ctx: BlockContext) -> None:
    cert_no = tx.body["cert_no"]
    entry = view.get_obj(K.cert(cert_no))
    if entry is None:
        raise TxRejected("cert.unknown", f"certificate {cert_no} does not exist", 404)
    if entry["revocation"] is not None:
        raise TxRejected("cert.already_revoked", f"certificate {cert_no} is already revoked", 409)
    entry["revocation"] = {"reason": tx.body["reason"], "revoked_at": tx.body["revoked_at"],
                           "height": ctx.height, "by": issuer.raw}
    entry["status"] = "revoked"
    entry["changed_height"] = ctx.height
    view.put_obj(K.cert(cert_no), entry)


def _approve(view: Overlay, tx: Transaction, issuer: PublicKey, ctx: BlockContext) -> None:
    b: dict[str, Any] = tx.body
    ref = b["jpps_ref"]
    meeting = view.get_obj(K.meeting(ref))
    if meeting is not None and (meeting["jpps_date"] != b["jpps_date"] or meeting["parts"] != b["parts"]):
        raise TxRejected("jpps.conflict", f"meeting {ref} was approved with another date or size", 409)
    if view.get(K.approval_part(ref, b["part"])) is not None:
        raise TxRejected("jpps.duplicate_part", f"part {b['part']} of meeting {ref} is already approved", 409)
    view.put(K.approval_part(ref, b["part"]), b"")
    if meeting is None:
        meeting = {"jpps_date": b["jpps_date"], "state": b["state"], "parts": b["parts"],
                   "parts_seen": 0, "candidates": 0, "first_height": ctx.height}
    meeting["parts_seen"] += 1
    meeting["candidates"] += len(b["candidates"])
    view.put_obj(K.meeting(ref), meeting)
    for c in b["candidates"]:
        item = K.approval_item(c["kind"], c["level"], c["noss_code"])
        key = K.approval(ref, c["ic"], item)
        if view.get(key) is not None:
            continue
        view.put_obj(key, {
            "jpps_ref": ref, "jpps_date": b["jpps_date"], "state": b["state"], "ic": c["ic"],
            "name": c["name"], "kind": c["kind"], "level": c["level"], "noss_code": c["noss_code"],
            "programme_ms": c["programme_ms"], "centre_code": c["centre_code"],
            "approved_height": ctx.height, "cert_no": None,
        })
        view.put(K.holder_approval(c["ic"], ref, item), b"")


def _governance(view: Overlay, tx: Transaction, signers: list[PublicKey], genesis: Genesis,
                ctx: BlockContext) -> None:
    admins = {k.raw for k, _ in genesis.admins}
    approving = {s.raw for s in signers if s.raw in admins}
    if len(approving) < genesis.admin_threshold:
        raise TxRejected("gov.threshold",
                         f"{tx.type} needs {genesis.admin_threshold} admin signatures, has {len(approving)}", 403)
    if len(approving) != len(signers):
        raise TxRejected("gov.signer", "a governance transaction is signed only by admin keys", 403)
    key = tx.body["key"]
    entry = view.get_obj(K.issuer(key))
    active = entry is not None and entry.get("removed_height") is None
    if tx.type == ISSUER_ADD:
        if active:
            raise TxRejected("gov.already_issuer", "that key is already a registered issuer", 409)
        entry = {"name": tx.body["name"], "added_height": ctx.height, "removed_height": None}
    else:
        if not active:
            raise TxRejected("gov.not_issuer", "that key is not a registered issuer", 409)
        assert entry is not None
        entry["removed_height"] = ctx.height
    raw = pack(entry)
    issuers.written(view, key, raw)  # before the write exists: no cache may outlive it
    view.put(K.issuer(key), raw)


def _account(view: Overlay, tx: Transaction, signers: list[PublicKey], genesis: Genesis, ctx: BlockContext) -> None:
    members = {m.public_key.raw for m in genesis.members}
    if len(signers) != 1 or signers[0].raw not in members:
        raise TxRejected("account.signer", "account transactions are signed by one member node", 403)
    b = tx.body
    key = K.account(b["ic"])
    existing = view.get_obj(key)
    if tx.type == ACCOUNT_REGISTER:
        if existing is not None:
            raise TxRejected("account.exists", "an account for this MyKad number already exists", 409)
        cert = view.get_obj(K.cert(b["cert_no"]))
        if (
            cert is None
            or cert["ic"] != b["ic"]
            or cert.get("activation") is None
            or not check_activation_code(genesis.chain_id, b["cert_no"], b["activation_code"], cert["activation"])
        ):
            raise TxRejected("account.activation",
                             "the activation code does not match a certificate of this MyKad number", 403)
        view.put_obj(key, {"email": b["email"], "password_hash": b["password_hash"], "cert_no": b["cert_no"],
                           "registered_height": ctx.height, "changed_height": ctx.height})
    else:
        if existing is None:
            raise TxRejected("account.unknown", "no account for this MyKad number", 404)
        existing["password_hash"] = b["password_hash"]
        existing["changed_height"] = ctx.height
        view.put_obj(key, existing)
