"""The certificate as a W3C Verifiable Credential 2.0, secured with ``eddsa-jcs-2022``.

``GET /api/v1/certificates/{cert_no}/vc`` hands a certificate to wallets and verifiers that
know nothing of this chain.  Its proof is a W3C Data Integrity proof
(``certificate.data_integrity``); this module says what the credential holds and who signs it.

Who signs the VC: the node that serves it, with its own node key.
    The officer's issuer key never leaves the officer's machine, so a node cannot sign as the
    officer; and the other option, the issuer CLI producing the VC at issuance, would not make
    the endpoint work on every node: the VC names node-specific URLs (its ``id``,
    ``credentialStatus``) that the CLI cannot know for every agency's node, it would have to be
    stored on the chain beside the record (freezing a W3C format into the chain's contract),
    and certificates issued before the export existed would have none.  So every node builds
    the VC from the committed record and signs it with its node key; ``issuer`` is that node's
    ``did:key`` (named "Jabatan Pembangunan Kemahiran (JPK)": the node issues on JPK's behalf
    what the chain attests), and the VC's ``evidence`` points to the on-chain record whose
    issuer signature, Merkle path and block header prove that a registered JPK officer issued
    it.  A verifier trusts the VC when its proof verifies with one of the chain's node keys
    (the genesis file lists them); ``verify_credential(..., trusted_keys=...)`` checks that.
    The signing key is a parameter, so an issuer CLI could still sign with an issuer key.

The MyKad number is left out of the VC.  A VC is made to be passed around (to employers,
wallets, web pages), and a MyKad number has so few possibilities (a birth date, a state code
and four digits: about 10^10) that any hash of it, salted or not, is reversed by brute force
in hours; a hash would only look private.  A verifier who must tie the certificate to a person
checks their MyKad card against the name, or looks the number up with the node's holder search,
which lists this cert_no for that MyKad number.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from datetime import UTC, date, datetime
from typing import Any, Final, TypedDict
from urllib.parse import quote

from certificate.data_integrity import (
    VerificationResult,
    add_proof,
    check_datetime_stamp,
    failed,
    verify_proof,
)
from certificate.errors import ValidationError
from certificate.keys import PublicKey, SigningKey
from certificate.multibase import did_key, did_key_verification_method

VC_CONTEXT_V2: Final = "https://www.w3.org/ns/credentials/v2"
CREDENTIAL_TYPE: Final = "SpkmCertificateCredential"
ACHIEVEMENT_TYPE: Final = "SpkmAchievement"
STATUS_TYPE: Final = "SpkmChainStatus"
EVIDENCE_TYPE: Final = "SpkmChainRecord"
ISSUER_NAME: Final = "Jabatan Pembangunan Kemahiran (JPK)"

KIND_NAMES: Final[Mapping[str, tuple[str, str]]] = {
    "SKM": ("Sijil Kemahiran Malaysia", "Malaysian Skills Certificate"),
    "DKM": ("Diploma Kemahiran Malaysia", "Malaysian Skills Diploma"),
    "DLKM": ("Diploma Lanjutan Kemahiran Malaysia", "Malaysian Advanced Skills Diploma"),
    "PC": ("Penyata Pencapaian", "Statement of Achievement"),
}
METHODS: Final = frozenset({"SLaPB", "PPT", "SLDN"})


# --- the certificate credential --------------------------------------------------------------


class ChainAnchor(TypedDict, total=False):
    """Where the certificate sits on the chain; every member is optional."""

    tx_id: str
    block_height: int
    block_hash: str
    issuer_public_key: str


def unsigned_credential(
    record: Mapping[str, Any],
    *,
    public_base_url: str,
    issuer: PublicKey,
    chain_anchor: ChainAnchor | None = None,
) -> dict[str, Any]:
    """The VC 2.0 document of a certificate record, before its proof.

    ``record`` is a plain mapping of the record's fields (cert_no, kind, level, holder_name,
    noss_code, programme_ms, programme_en, method, centre_code, centre_name, jpps_ref,
    jpps_date, issued_at, optional supersedes; holder_ic is accepted and deliberately unused).
    """
    base = _base_url(public_base_url)
    cert_no = _text(record, "cert_no")
    kind = _text(record, "kind")
    if kind not in KIND_NAMES:
        raise ValidationError("vc.kind", f"unknown certificate kind {kind!r}", field="kind")
    level = record.get("level")
    if not isinstance(level, int) or isinstance(level, bool) or not 1 <= level <= 5:
        raise ValidationError("vc.level", "level must be an integer from 1 to 5", field="level")
    method = _text(record, "method")
    if method not in METHODS:
        raise ValidationError("vc.method", f"unknown award method {method!r}", field="method")
    kind_ms, kind_en = KIND_NAMES[kind]
    page = f"{base}/sijil/{quote(cert_no, safe='')}"
    api = f"{base}/api/v1/certificates/{quote(cert_no, safe='')}"
    achievement: dict[str, Any] = {
        "type": ACHIEVEMENT_TYPE,
        "certificateNumber": cert_no,
        "kind": kind,
        "kindName": _languages(kind_ms, kind_en),
        "level": level,
        "nossCode": _text(record, "noss_code"),
        "programme": _languages(_text(record, "programme_ms"), _text(record, "programme_en")),
        "awardMethod": method,
        "trainingCentre": {
            "code": _text(record, "centre_code"),
            "name": _text(record, "centre_name"),
        },
        "jpps": {
            "reference": _text(record, "jpps_ref"),
            "date": _iso_date(record.get("jpps_date"), "jpps_date"),
        },
    }
    supersedes = record.get("supersedes")
    if supersedes is not None:
        old = _text(record, "supersedes")
        achievement["supersedes"] = {
            "id": f"{base}/sijil/{quote(old, safe='')}",
            "certificateNumber": old,
        }
    credential: dict[str, Any] = {
        "@context": [VC_CONTEXT_V2],
        "id": page,
        "type": ["VerifiableCredential", CREDENTIAL_TYPE],
        "name": _languages(f"{kind_ms} Tahap {level}", f"{kind_en} Level {level}"),
        "issuer": {"id": did_key(issuer), "name": ISSUER_NAME},
        "validFrom": _utc_timestamp(record.get("issued_at"), "issued_at"),
        "credentialSubject": {
            "name": _text(record, "holder_name"),
            "achievement": achievement,
        },
        "credentialStatus": {"id": api, "type": STATUS_TYPE},
    }
    if chain_anchor is not None:
        credential["evidence"] = [_evidence(api, chain_anchor)]
    return credential


def credential_for_certificate(
    record: Mapping[str, Any],
    *,
    public_base_url: str,
    key: SigningKey,
    created: str,
    chain_anchor: ChainAnchor | None = None,
) -> dict[str, Any]:
    """The signed VC of a certificate; ``key`` is the serving node's key (module docstring).

    ``created`` is the proof's time (a dateTimeStamp).  Ed25519 is deterministic, so passing
    the time of the block that holds the certificate makes the VC byte-identical on every
    request to the same node; passing the current time states when it was signed.
    """
    document = unsigned_credential(
        record, public_base_url=public_base_url, issuer=key.public, chain_anchor=chain_anchor
    )
    return add_proof(
        document,
        key,
        verification_method=did_key_verification_method(key.public),
        created=created,
    )


def verify_credential(
    document: object, *, trusted_keys: Collection[PublicKey] | None = None
) -> VerificationResult:
    """``verify_proof`` plus: the signer is the credential's ``issuer``.

    The eddsa cryptosuite does not tie the proof's key to ``issuer`` (the W3C test vector's
    issuer is a URL), but for certificates it must be, or anyone could sign a copy naming JPK.
    """
    result = verify_proof(document, trusted_keys=trusted_keys)
    if not result or not isinstance(document, dict) or result.public_key is None:
        return result
    issuer = document.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    if issuer_id != did_key(result.public_key):
        return failed(
            "credential.issuer",
            "the credential's issuer is not the key that signed it",
            result.verification_method,
            result.public_key,
        )
    return result


# --- helpers ---------------------------------------------------------------------------------


def _text(record: Mapping[str, Any], name: str) -> str:
    value = record.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("vc.field", f"{name} must be a non-empty string", field=name)
    return value


def _languages(malay: str, english: str) -> list[dict[str, str]]:
    return [{"@value": malay, "@language": "ms"}, {"@value": english, "@language": "en"}]


def _base_url(url: str) -> str:
    if not isinstance(url, str) or not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", url):
        raise ValidationError("vc.base_url", "public base URL must be an http(s) URL")
    return url.rstrip("/")


def _iso_date(value: object, name: str) -> str:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            pass
    raise ValidationError("vc.date", f"{name} must be an ISO date (YYYY-MM-DD)", field=name)


def _utc_timestamp(value: object, name: str) -> str:
    """Normalise an aware time to ``YYYY-MM-DDTHH:MM:SS[.ffffff]Z``; naive times are refused."""
    moment: datetime | None = None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            check_datetime_stamp(value, name)
            moment = datetime.fromisoformat(value)
        except (ValidationError, ValueError):
            moment = None
    if moment is None or moment.tzinfo is None or moment.utcoffset() is None:
        raise ValidationError(
            "vc.datetime", f"{name} must be an ISO 8601 time with a time zone", field=name
        )
    moment = moment.astimezone(UTC)
    text = moment.isoformat(timespec="microseconds" if moment.microsecond else "seconds")
    return text.replace("+00:00", "Z")


def _evidence(record_url: str, anchor: ChainAnchor) -> dict[str, Any]:
    evidence: dict[str, Any] = {"id": record_url, "type": [EVIDENCE_TYPE]}
    if "tx_id" in anchor:
        evidence["transactionId"] = anchor["tx_id"]
    if "block_height" in anchor:
        evidence["blockHeight"] = anchor["block_height"]
    if "block_hash" in anchor:
        evidence["blockHash"] = anchor["block_hash"]
    if "issuer_public_key" in anchor:
        evidence["issuerPublicKey"] = anchor["issuer_public_key"]
    return evidence
