"""Signed transactions: the only way anything enters the chain.

A transaction is ``{type, body}`` plus signatures. Its id is the SHA-256 of the canonical
encoding of ``{type, body}`` alone, so resubmitting it (even with a different set of governance
co-signatures) gives the same id and can have only one effect. Each signature covers the same
bytes in the ``tx`` domain of one chain (see ``certificate.keys``).

Only shape is checked here. Whether a key may issue, whether a cert_no is new, whether a
revoked certificate exists: those depend on chain state and are the node's job.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any, Final

import msgpack

from certificate import canonical
from certificate.accounts import ACCOUNT_PASSWORD, ACCOUNT_REGISTER, check_password, check_register
from certificate.certno import normalise_cert_no
from certificate.errors import SignatureError, ValidationError
from certificate.hashing import sha256
from certificate.keys import PublicKey, SigningKey
from certificate.mykad import parse_mykad
from certificate.names import normalise_name, normalise_text
from certificate.record import (
    CertificateRecord,
    parse_jpps_ref,
    parse_timestamp,
)
from certificate.record_fields import parse_centre_code, parse_iso_date, parse_kind_level, parse_noss_for_level

ISSUE: Final = "issue"
REVOKE: Final = "revoke"
APPROVE: Final = "approve"
ISSUER_ADD: Final = "issuer.add"
ISSUER_REMOVE: Final = "issuer.remove"
TYPES: Final = (ISSUE, REVOKE, APPROVE, ISSUER_ADD, ISSUER_REMOVE, ACCOUNT_REGISTER, ACCOUNT_PASSWORD)
GOVERNANCE: Final = (ISSUER_ADD, ISSUER_REMOVE)
MAX_TX_BYTES: Final = 1 << 20
MAX_APPROVALS_PER_TX: Final = 2000
MAX_SIGS: Final = 16
_TX_KEYS: Final = frozenset({"type", "body", "sigs"})
_ISSUE_WITH_ACTIVATION: Final = frozenset({"record", "activation"})


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
        signing = _signing_slice(raw, value["sigs"], tx.type)
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
        signing = _vouched_signing_slice(raw, len(raw_sigs), tx_type)
        if signing is None:  # pragma: no cover - canonical bytes always have this layout
            signing = _signing_slice(raw, raw_sigs, tx_type)
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


def _signing_slice(raw: bytes, sigs: list[Any], tx_type: str) -> bytes | None:
    """The signing bytes of a decoded transaction, cut out of its canonical encoding.

    ``canonical.decode`` proved ``raw`` is the canonical encoding of ``{body, sigs, type}``:
    map header, "body", body, "sigs", sigs, "type", type. The signing bytes are the canonical
    encoding of ``{body, type}``: the same body bytes under a 2-entry header. Cutting them out
    saves walking and packing the body again through the checking encoder (every node does this
    for every transaction). The layout is checked anyway; on any surprise the caller encodes.
    """
    type_tail = _TYPE_TAILS.get(tx_type) or b"\xa4type" + canonical.encode_decoded(tx_type)
    tail = b"\xa4sigs" + canonical.encode_decoded(sigs) + type_tail
    if not (raw.startswith(_BODY_KEY) and raw.endswith(tail) and len(raw) > len(_BODY_KEY) + len(tail)):
        return None
    return b"\x82" + raw[1 : len(raw) - len(tail)] + type_tail


#: Canonical bytes of one signature, ``[32-byte key, 64-byte signature]``: fixarray(2), then
#: bin8 headers and the bytes.
_SIG_BYTES: Final = 1 + 2 + 32 + 2 + 64


def _vouched_signing_slice(raw: bytes, n_sigs: int, tx_type: str) -> bytes | None:
    """``_signing_slice`` for bytes ``decode`` already accepted: there every signature has the
    fixed length ``from_dict`` checked, so the length of the ``sigs`` tail is known without
    packing them again. The layout is still checked; on any surprise, None."""
    type_tail = _TYPE_TAILS.get(tx_type)
    if type_tail is None:
        return None
    cut = len(raw) - len(type_tail) - (1 if n_sigs < 16 else 3) - _SIG_BYTES * n_sigs - 5
    if not (cut > len(_BODY_KEY) and raw.startswith(_BODY_KEY) and raw.startswith(b"\xa4sigs", cut)
            and raw.endswith(type_tail)):
        return None
    return b"\x82" + raw[1:cut] + type_tail


def _fields(body: dict[str, Any], required: set[str], optional: frozenset[str] = frozenset()) -> None:
    if body.keys() == required:
        return  # the usual case, decided without building sets
    missing = required - set(body)
    if missing:
        raise ValidationError("tx.body", f"missing field {sorted(missing)[0]!r}")
    extra = set(body) - required - optional
    if extra:
        raise ValidationError("tx.body", f"unknown field {sorted(extra)[0]!r}")


def normal_text(value: str) -> str:
    """Free text (a reason, a name) in the one form it is signed in: NFC, single spaces."""
    return unicodedata.normalize("NFC", " ".join(value.split()))


def _text(value: Any, field: str, max_len: int) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > max_len:
        raise ValidationError("tx.body", f"{field} must be text of 1-{max_len} characters", field=field)
    if any(unicodedata.category(c)[0] == "C" for c in value):
        raise ValidationError("tx.body", f"{field} contains control or invisible characters", field=field)
    if normal_text(value) != value:
        raise ValidationError("tx.body", f"{field} is not in normal form (NFC, single spaces)", field=field)
    return value


def _stamp(value: Any, field: str) -> None:
    try:
        parse_timestamp(value, field)
    except ValidationError as exc:
        raise ValidationError("tx.body", exc.message, field=field) from None


def _check_issue(body: dict[str, Any]) -> CertificateRecord:
    if body.keys() != _ISSUE_WITH_ACTIVATION:  # what nearly every issue carries
        _fields(body, {"record"}, frozenset({"activation"}))
    record = CertificateRecord.from_dict(body["record"])
    if "activation" in body and not (isinstance(body["activation"], bytes) and len(body["activation"]) == 32):
        raise ValidationError("tx.body", "activation must be a 32-byte digest", field="activation")
    return record


def _check_revoke(body: dict[str, Any]) -> None:
    _fields(body, {"cert_no", "reason", "revoked_at"})
    if not isinstance(body["cert_no"], str) or normalise_cert_no(body["cert_no"]) != body["cert_no"]:
        raise ValidationError("tx.body", "cert_no is not a normalised certificate number", field="cert_no")
    _text(body["reason"], "reason", 500)
    _stamp(body["revoked_at"], "revoked_at")


APPROVAL_FIELDS: Final = ("ic", "name", "kind", "level", "noss_code", "programme_ms", "centre_code")


def approval_candidate(values: Mapping[str, Any], jpps_date: str) -> dict[str, Any]:
    """One approved candidate in the normal form an approval stores.

    The node matches an ``issue`` to its approval by (meeting, MyKad, kind, level, NOSS code),
    so these fields go through exactly the normalisers a certificate record uses: a candidate
    approved as "skm" / "mc-024-3" would otherwise never be marked generated.  Other keys in
    ``values`` (more CSV columns) are ignored; every one of ``APPROVAL_FIELDS`` is required.
    """
    missing = [f for f in APPROVAL_FIELDS if values.get(f) in (None, "")]
    if missing:
        raise ValidationError("tx.body", f"candidate is missing {missing[0]!r}", field=missing[0])
    for f in APPROVAL_FIELDS:
        if not isinstance(values[f], str) and f != "level":
            raise ValidationError("tx.body", f"candidate {f} must be text", field=f)
    meeting = parse_iso_date(jpps_date, "jpps_date")
    kind, level = parse_kind_level(values["kind"], values["level"])
    born_by = _date(meeting)
    return {
        "ic": parse_mykad(values["ic"], strip_separators=True, today=born_by).number,
        "name": normalise_name(values["name"]),
        "kind": kind,
        "level": level,
        "noss_code": parse_noss_for_level(values["noss_code"], kind, level),
        "programme_ms": normalise_text(values["programme_ms"], field="programme_ms", max_len=200),
        "centre_code": parse_centre_code(values["centre_code"]),
    }


def _date(iso: str) -> date:
    return date.fromisoformat(iso)


def _check_approve(body: dict[str, Any]) -> None:
    _fields(body, {"jpps_ref", "jpps_date", "state", "part", "parts", "candidates"})
    if not isinstance(body["jpps_ref"], str) or parse_jpps_ref(body["jpps_ref"]) != body["jpps_ref"]:
        raise ValidationError("tx.body", "jpps_ref is not a normalised JPPS reference", field="jpps_ref")
    jpps_date = body["jpps_date"]
    if not isinstance(jpps_date, str) or parse_iso_date(jpps_date, "jpps_date") != jpps_date:
        raise ValidationError("tx.body", "jpps_date must be YYYY-MM-DD", field="jpps_date")
    if body["state"] is not None:
        _text(body["state"], "state", 40)
    part, parts = body["part"], body["parts"]
    if not (_is_int(part) and _is_int(parts) and 1 <= part <= parts <= 1000):
        raise ValidationError("tx.body", "part/parts must satisfy 1 <= part <= parts <= 1000")
    cands = body["candidates"]
    if not isinstance(cands, list) or not 1 <= len(cands) <= MAX_APPROVALS_PER_TX:
        raise ValidationError("tx.body", f"an approval lists 1-{MAX_APPROVALS_PER_TX} candidates")
    seen: set[tuple[str, str, int, str]] = set()
    for c in cands:
        if not isinstance(c, dict) or set(c) != set(APPROVAL_FIELDS):
            raise ValidationError("tx.body", f"each candidate has exactly: {', '.join(APPROVAL_FIELDS)}")
        if not _is_int(c["level"]):
            raise ValidationError("tx.body", "candidate level must be an integer", field="level")
        if approval_candidate(c, jpps_date) != c:
            raise ValidationError("tx.body", "candidate fields are not in normal form")
        item = (c["ic"], c["kind"], c["level"], c["noss_code"])
        if item in seen:
            raise ValidationError("tx.body", "the same candidate and programme are listed twice", field="candidates")
        seen.add(item)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_governance(body: dict[str, Any]) -> None:
    _fields(body, {"key", "name", "proposed_at"})
    if not isinstance(body["key"], bytes) or len(body["key"]) != 32:
        raise ValidationError("tx.body", "key must be a 32-byte Ed25519 public key", field="key")
    _text(body["name"], "name", 120)
    _stamp(body["proposed_at"], "proposed_at")


_BODY_CHECKS = {
    ISSUE: _check_issue,
    REVOKE: _check_revoke,
    APPROVE: _check_approve,
    ISSUER_ADD: _check_governance,
    ISSUER_REMOVE: _check_governance,
    ACCOUNT_REGISTER: check_register,
    ACCOUNT_PASSWORD: check_password,
}


def issue_tx(record: CertificateRecord, key: SigningKey, chain_id: str, *,
             activation: bytes | None = None) -> Transaction:
    """The issue transaction; ``activation`` is ``activation_digest(...)`` of the row's code."""
    body: dict[str, Any] = {"record": record.to_dict()}
    if activation is not None:
        body["activation"] = activation
    _check_issue(body)
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
    _check_revoke(body)
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
        _check_approve(body)
        txs.append(Transaction(APPROVE, body).signed_by(key, chain_id))
    return txs


def governance_tx(action: str, issuer_key: PublicKey, name: str, proposed_at: str) -> Transaction:
    """An unsigned governance proposal; admins add signatures with ``signed_by``."""
    if action not in GOVERNANCE:
        raise ValidationError("tx.type", f"governance action must be one of {', '.join(GOVERNANCE)}")
    body = {"key": issuer_key.raw, "name": normal_text(name), "proposed_at": proposed_at}
    _check_governance(body)
    return Transaction(action, body)
