"""What each transaction type's body may hold: the shape checks ``Transaction.from_dict``
runs on every body (``certificate/tx.py`` maps types to them), and the normal forms a client
must sign (free text, approved candidates).

Only shape and normal form are checked here; what depends on chain state is the node's job.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import date
from typing import Any, Final

from certificate.certno import normalise_cert_no
from certificate.errors import ValidationError
from certificate.mykad import parse_mykad
from certificate.names import normalise_name, normalise_text
from certificate.record import CertificateRecord, parse_jpps_ref, parse_timestamp
from certificate.record_fields import parse_centre_code, parse_iso_date, parse_kind_level, parse_noss_for_level

MAX_APPROVALS_PER_TX: Final = 2000
_ISSUE_WITH_ACTIVATION: Final = frozenset({"record", "activation"})


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


def check_issue(body: dict[str, Any]) -> CertificateRecord:
    if body.keys() != _ISSUE_WITH_ACTIVATION:  # what nearly every issue carries
        _fields(body, {"record"}, frozenset({"activation"}))
    record = CertificateRecord.from_dict(body["record"])
    if "activation" in body and not (isinstance(body["activation"], bytes) and len(body["activation"]) == 32):
        raise ValidationError("tx.body", "activation must be a 32-byte digest", field="activation")
    return record


def check_revoke(body: dict[str, Any]) -> None:
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


def check_approve(body: dict[str, Any]) -> None:
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


def check_governance(body: dict[str, Any]) -> None:
    _fields(body, {"key", "name", "proposed_at"})
    if not isinstance(body["key"], bytes) or len(body["key"]) != 32:
        raise ValidationError("tx.body", "key must be a 32-byte Ed25519 public key", field="key")
    _text(body["name"], "name", 120)
    _stamp(body["proposed_at"], "proposed_at")
