"""The certificate as a W3C Verifiable Credential 2.0, secured with ``eddsa-jcs-2022``.

``GET /api/v1/certificates/{cert_no}/vc`` hands a certificate to wallets and verifiers that
know nothing of this chain.  Its proof follows W3C "Data Integrity EdDSA Cryptosuites v1.0"
(``DataIntegrityProof`` / ``eddsa-jcs-2022``): the proof configuration and the document are
each canonicalised with RFC 8785 (``certificate.jcs``) and hashed with SHA-256, and Ed25519
signs ``proofConfigHash || documentHash`` with no domain prefix (the chain's own signatures
carry one; this one follows its own specification, SPEC section 5).

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

import copy
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Final, TypedDict
from urllib.parse import quote

import nacl.exceptions
import nacl.signing

from certificate import jcs
from certificate.errors import SignatureError, ValidationError
from certificate.hashing import sha256
from certificate.keys import PublicKey, SigningKey
from certificate.multibase import (
    did_key,
    did_key_verification_method,
    multibase_decode,
    multibase_encode,
    public_key_from_did_key,
)

PROOF_TYPE: Final = "DataIntegrityProof"
CRYPTOSUITE: Final = "eddsa-jcs-2022"
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

# Proof members this verifier understands.  Others (domain, challenge, expires, previousProof)
# restrict when a proof may be accepted; ignoring them would accept what the signer did not
# mean, so a proof that carries them is refused instead.
_PROOF_MEMBERS: Final = frozenset(
    {"id", "type", "cryptosuite", "created", "verificationMethod", "proofPurpose", "@context",
     "proofValue", "nonce"}
)
# XML Schema dateTimeStamp, which Data Integrity requires of `created`; ASCII digits only.
_DATETIME_STAMP: Final = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})"
)


# --- the cryptosuite ------------------------------------------------------------------------


def create_proof_config(
    document: Mapping[str, Any],
    *,
    verification_method: str,
    created: str,
    proof_purpose: str = "assertionMethod",
) -> dict[str, Any]:
    """The proof options that get hashed and signed; ``@context`` is the document's own.

    Copying the document's context into the proof binds the proof to the vocabulary the
    document was signed under, which JCS alone (no JSON-LD processing) would not.
    """
    _check_datetime_stamp(created, "created")
    if not isinstance(proof_purpose, str) or not proof_purpose:
        raise ValidationError("vc.purpose", "proof purpose must be a non-empty string")
    config: dict[str, Any] = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": created,
        "verificationMethod": verification_method,
        "proofPurpose": proof_purpose,
    }
    if "@context" in document:
        config["@context"] = copy.deepcopy(document["@context"])
    return config


def hash_data(unsecured_document: Mapping[str, Any], proof_config: Mapping[str, Any]) -> bytes:
    """``SHA-256(JCS(proof config)) || SHA-256(JCS(document))``: the 64 bytes Ed25519 signs."""
    return sha256(jcs.canonicalize(proof_config)) + sha256(jcs.canonicalize(unsecured_document))


def add_proof(
    document: Mapping[str, Any],
    key: SigningKey,
    *,
    verification_method: str,
    created: str,
    proof_purpose: str = "assertionMethod",
) -> dict[str, Any]:
    """A copy of ``document`` with an ``eddsa-jcs-2022`` DataIntegrityProof by ``key``.

    ``verification_method`` must be ``key``'s did:key method: this module's verifier resolves
    only did:key, and a proof naming any other key could never be checked.
    """
    if not isinstance(document, Mapping):
        raise ValidationError("vc.document", "a credential is a JSON object")
    if "proof" in document:
        raise ValidationError(
            "vc.proof_exists", "document already has a proof (proof sets are not supported)"
        )
    if verification_method != did_key_verification_method(key.public):
        raise ValidationError(
            "vc.verification_method",
            "verification method must be the signing key's did:key method (did:key:z...#z...)",
        )
    unsecured = jcs.loads(jcs.canonicalize(dict(document)))  # a deep, JSON-only copy
    config = create_proof_config(
        unsecured,
        verification_method=verification_method,
        created=created,
        proof_purpose=proof_purpose,
    )
    signature = key.sign_raw(hash_data(unsecured, config))
    unsecured["proof"] = {**config, "proofValue": multibase_encode(signature)}
    result: dict[str, Any] = unsecured
    return result


@dataclass(frozen=True)
class VerificationResult:
    """Outcome of ``verify_proof``: truthy only when the proof verifies.

    ``code`` is stable for programs (``"ok"`` or a ``proof.*``/``document.*`` code);
    ``message`` explains it to a person.
    """

    verified: bool
    code: str
    message: str
    verification_method: str | None = None
    public_key: PublicKey | None = None

    def __bool__(self) -> bool:
        return self.verified

    def raise_if_invalid(self) -> None:
        if not self.verified:
            raise ProofError(self.code, self.message)


class ProofError(SignatureError):
    """A VC proof that does not verify; ``code`` says which check failed."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def verify_proof(
    document: object,
    *,
    proof_purpose: str = "assertionMethod",
    trusted_keys: Collection[PublicKey] | None = None,
) -> VerificationResult:
    """Check the document's single ``eddsa-jcs-2022`` proof; never raises on any input.

    Anyone can sign anything with a fresh did:key, so a verified result says only that the
    document is unchanged since the named key signed it.  Pass ``trusted_keys`` (the node keys
    of the chain) to also require that the key is one of them.
    """
    try:
        return _verify(document, proof_purpose, trusted_keys)
    except (ValueError, TypeError, RecursionError) as exc:  # fail closed on anything hostile
        return _fail("document.malformed", f"cannot verify: {exc}")


def _verify(
    document: object, proof_purpose: str, trusted_keys: Collection[PublicKey] | None
) -> VerificationResult:
    if not isinstance(document, dict):
        return _fail("document.type", "a credential is a JSON object")
    proof = document.get("proof")
    if proof is None:
        return _fail("proof.missing", "the document has no proof")
    if isinstance(proof, list):
        return _fail("proof.set", "proof sets and chains are not supported")
    if not isinstance(proof, dict):
        return _fail("proof.malformed", "proof is not a JSON object")
    unknown = sorted(str(name) for name in proof if name not in _PROOF_MEMBERS)
    if unknown:
        return _fail("proof.unsupported", f"proof members this verifier does not check: {unknown}")
    if proof.get("type") != PROOF_TYPE:
        return _fail("proof.type", f"proof type is not {PROOF_TYPE}")
    if proof.get("cryptosuite") != CRYPTOSUITE:
        return _fail("proof.cryptosuite", f"cryptosuite is not {CRYPTOSUITE}")
    if proof.get("proofPurpose") != proof_purpose:
        return _fail("proof.purpose", f"proof purpose is not {proof_purpose}")
    if "created" in proof:
        try:
            _check_datetime_stamp(proof["created"], "created")
        except ValidationError as exc:
            return _fail("proof.created", str(exc))
    # The cryptosuite only requires the document's context to *start with* the proof's, and
    # hashes the proof's; but then contexts appended after signing would change what the
    # document means to a JSON-LD reader without touching the signature.  Demand equality.
    if "@context" in proof and proof["@context"] != document.get("@context"):
        return _fail("proof.context", "proof @context does not match the document's @context")
    method = proof.get("verificationMethod")
    if not isinstance(method, str) or "#" not in method:
        return _fail("proof.verification_method", "proof has no did:key verification method")
    try:
        public_key = public_key_from_did_key(method)
    except ValidationError as exc:
        return _fail("proof.verification_method", f"cannot resolve verification method: {exc}")
    if trusted_keys is not None and public_key not in trusted_keys:
        return _fail("proof.untrusted_key", "the proof's key is not trusted", method, public_key)
    value = proof.get("proofValue")
    try:
        signature = multibase_decode(value) if isinstance(value, str) else b""
    except ValidationError:
        signature = b""
    if len(signature) != 64:
        return _fail("proof.value", "proofValue is not a base58btc Ed25519 signature", method)
    options = {name: item for name, item in proof.items() if name != "proofValue"}
    unsecured = {name: item for name, item in document.items() if name != "proof"}
    try:
        message = hash_data(unsecured, options)
    except ValidationError as exc:
        return _fail("document.canonicalization", f"not canonicalisable JSON: {exc}", method)
    try:
        nacl.signing.VerifyKey(public_key.raw).verify(message, signature)
    except (nacl.exceptions.CryptoError, ValueError, TypeError):
        return _fail("proof.signature", "signature does not match the document", method, public_key)
    return VerificationResult(True, "ok", "proof verified", method, public_key)


def _fail(
    code: str, message: str, method: str | None = None, public_key: PublicKey | None = None
) -> VerificationResult:
    return VerificationResult(False, code, message, method, public_key)


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
        return _fail(
            "credential.issuer",
            "the credential's issuer is not the key that signed it",
            result.verification_method,
            result.public_key,
        )
    return result


# --- helpers ---------------------------------------------------------------------------------


def _check_datetime_stamp(value: object, name: str) -> None:
    if not isinstance(value, str) or not _DATETIME_STAMP.fullmatch(value):
        raise ValidationError("vc.datetime", f"{name} is not an ISO 8601 date-time with a zone")
    try:  # the pattern fixes the layout; this catches impossible dates such as 02-30
        datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError("vc.datetime", f"{name} is not a valid date-time") from None


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
            _check_datetime_stamp(value, name)
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
