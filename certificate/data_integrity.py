"""W3C Data Integrity proofs with the ``eddsa-jcs-2022`` cryptosuite ("Data Integrity EdDSA
Cryptosuites v1.0"): add one to a JSON document, verify one.

The proof configuration and the document are each canonicalised with RFC 8785
(``certificate.jcs``) and hashed with SHA-256, and Ed25519 signs ``proofConfigHash ||
documentHash`` with no domain prefix (the chain's own signatures carry one; this one follows its
own specification, SPEC section 5). Only ``did:key`` verification methods are resolved. The W3C
test vectors in ``../shared/vectors/w3c-vc-di-eddsa`` are reproduced byte for byte
(tests/certificate/test_vc.py). What the certificate credential puts in the document, and who
signs it, is ``certificate.vc``.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import nacl.exceptions
import nacl.signing

from certificate import jcs
from certificate.errors import SignatureError, ValidationError
from certificate.hashing import sha256
from certificate.keys import PublicKey, SigningKey
from certificate.multibase import (
    did_key_verification_method,
    multibase_decode,
    multibase_encode,
    public_key_from_did_key,
)

PROOF_TYPE: Final = "DataIntegrityProof"
CRYPTOSUITE: Final = "eddsa-jcs-2022"

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
    check_datetime_stamp(created, "created")
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
        return failed("document.malformed", f"cannot verify: {exc}")


def _verify(
    document: object, proof_purpose: str, trusted_keys: Collection[PublicKey] | None
) -> VerificationResult:
    if not isinstance(document, dict):
        return failed("document.type", "a credential is a JSON object")
    proof = document.get("proof")
    if proof is None:
        return failed("proof.missing", "the document has no proof")
    if isinstance(proof, list):
        return failed("proof.set", "proof sets and chains are not supported")
    if not isinstance(proof, dict):
        return failed("proof.malformed", "proof is not a JSON object")
    unknown = sorted(str(name) for name in proof if name not in _PROOF_MEMBERS)
    if unknown:
        return failed("proof.unsupported", f"proof members this verifier does not check: {unknown}")
    if proof.get("type") != PROOF_TYPE:
        return failed("proof.type", f"proof type is not {PROOF_TYPE}")
    if proof.get("cryptosuite") != CRYPTOSUITE:
        return failed("proof.cryptosuite", f"cryptosuite is not {CRYPTOSUITE}")
    if proof.get("proofPurpose") != proof_purpose:
        return failed("proof.purpose", f"proof purpose is not {proof_purpose}")
    if "created" in proof:
        try:
            check_datetime_stamp(proof["created"], "created")
        except ValidationError as exc:
            return failed("proof.created", str(exc))
    # The cryptosuite only requires the document's context to *start with* the proof's, and
    # hashes the proof's; but then contexts appended after signing would change what the
    # document means to a JSON-LD reader without touching the signature.  Demand equality.
    if "@context" in proof and proof["@context"] != document.get("@context"):
        return failed("proof.context", "proof @context does not match the document's @context")
    method = proof.get("verificationMethod")
    if not isinstance(method, str) or "#" not in method:
        return failed("proof.verification_method", "proof has no did:key verification method")
    try:
        public_key = public_key_from_did_key(method)
    except ValidationError as exc:
        return failed("proof.verification_method", f"cannot resolve verification method: {exc}")
    if trusted_keys is not None and public_key not in trusted_keys:
        return failed("proof.untrusted_key", "the proof's key is not trusted", method, public_key)
    value = proof.get("proofValue")
    try:
        signature = multibase_decode(value) if isinstance(value, str) else b""
    except ValidationError:
        signature = b""
    if len(signature) != 64:
        return failed("proof.value", "proofValue is not a base58btc Ed25519 signature", method)
    options = {name: item for name, item in proof.items() if name != "proofValue"}
    unsecured = {name: item for name, item in document.items() if name != "proof"}
    try:
        message = hash_data(unsecured, options)
    except ValidationError as exc:
        return failed("document.canonicalization", f"not canonicalisable JSON: {exc}", method)
    try:
        nacl.signing.VerifyKey(public_key.raw).verify(message, signature)
    except (nacl.exceptions.CryptoError, ValueError, TypeError):
        return failed("proof.signature", "signature does not match the document", method, public_key)
    return VerificationResult(True, "ok", "proof verified", method, public_key)


def failed(
    code: str, message: str, method: str | None = None, public_key: PublicKey | None = None
) -> VerificationResult:
    return VerificationResult(False, code, message, method, public_key)


def check_datetime_stamp(value: object, name: str) -> None:
    if not isinstance(value, str) or not _DATETIME_STAMP.fullmatch(value):
        raise ValidationError("vc.datetime", f"{name} is not an ISO 8601 date-time with a zone")
    try:  # the pattern fixes the layout; this catches impossible dates such as 02-30
        datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError("vc.datetime", f"{name} is not a valid date-time") from None
