"""W3C Data Integrity proofs (eddsa-jcs-2022): the W3C test vectors reproduced byte for byte,
tampering anywhere breaks verification with its own code, hostile input never raises."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from certificate import data_integrity, jcs, multibase, vc
from certificate.errors import SignatureError, ValidationError
from certificate.hashing import sha256
from certificate.keys import SigningKey
from tests.certificate.w3c_vectors import (
    CREATED,
    JCS_VECTORS,
    KEY_PAIR,
    SIGNED,
    UNSIGNED,
    W3C_KEY,
    W3C_METHOD,
    Path_,
    containers,
    edits,
    leaves,
    load_json,
    path_id,
    vector_text,
    with_value,
)


def test_key_pair_multibase_forms() -> None:
    code, seed = multibase.decode_multikey(KEY_PAIR["privateKeyMultibase"])
    assert code == multibase.ED25519_PRIV and len(seed) == 32
    public = multibase.public_key_from_multibase(KEY_PAIR["publicKeyMultibase"])
    assert W3C_KEY.public == public
    assert multibase.public_key_to_multibase(public) == KEY_PAIR["publicKeyMultibase"]
    assert multibase.did_key_verification_method(public) == W3C_METHOD
    assert multibase.did_key(public) == W3C_METHOD.split("#")[0]


def test_canonical_document_and_its_hash() -> None:
    canonical = jcs.canonicalize(UNSIGNED)
    assert canonical.decode() == vector_text("canonDocJCS.txt")
    assert sha256(canonical).hex() == vector_text("docHashJCS.txt")


def test_proof_configuration_and_its_hash() -> None:
    config = data_integrity.create_proof_config(UNSIGNED, verification_method=W3C_METHOD, created=CREATED)
    assert config == load_json(JCS_VECTORS / "proofConfigJCS.json")
    canonical = jcs.canonicalize(config)
    assert canonical.decode() == vector_text("proofCanonJCS.txt")
    assert canonical == jcs.canonicalize(load_json(JCS_VECTORS / "proofConfigJCS.json"))
    assert sha256(canonical).hex() == vector_text("proofHashJCS.txt")


def test_combined_hash_and_signature() -> None:
    config = data_integrity.create_proof_config(UNSIGNED, verification_method=W3C_METHOD, created=CREATED)
    combined = data_integrity.hash_data(UNSIGNED, config)
    assert combined.hex() == vector_text("combinedHashJCS.txt")
    assert combined.hex() == vector_text("proofHashJCS.txt") + vector_text("docHashJCS.txt")
    signature = W3C_KEY.sign_raw(combined)
    assert signature.hex() == vector_text("sigHexJCS.txt")
    assert multibase.multibase_encode(signature) == vector_text("sigBTC58JCS.txt")
    assert multibase.multibase_decode(vector_text("sigBTC58JCS.txt")) == signature


def test_signed_document_is_reproduced_exactly() -> None:
    signed = data_integrity.add_proof(UNSIGNED, W3C_KEY, verification_method=W3C_METHOD, created=CREATED)
    assert signed == SIGNED
    assert signed["proof"]["proofValue"] == vector_text("sigBTC58JCS.txt")
    assert list(signed["proof"]) == list(SIGNED["proof"])
    assert "proof" not in UNSIGNED  # the input is left alone
    assert signed["@context"] is not signed["proof"]["@context"]
    signed["@context"].append("https://example.org/later")
    assert "proof" not in UNSIGNED and len(UNSIGNED["@context"]) == 2
    assert not data_integrity.verify_proof(signed)


def test_signed_vector_verifies() -> None:
    result = data_integrity.verify_proof(SIGNED)
    assert result and result.verified and result.code == "ok"
    assert result.public_key == W3C_KEY.public
    assert result.verification_method == W3C_METHOD
    result.raise_if_invalid()
    assert data_integrity.verify_proof(SIGNED, trusted_keys=[W3C_KEY.public])


@pytest.mark.parametrize(
    ("path", "value"), list(leaves(SIGNED)), ids=[path_id(p) for p, _ in leaves(SIGNED)]
)
def test_editing_any_leaf_of_the_vector_breaks_verification(path: Path_, value: Any) -> None:
    for new in edits(value):
        result = data_integrity.verify_proof(with_value(SIGNED, path, new))
        assert not result, (path, new)
        assert result.code != "ok"


@pytest.mark.parametrize(
    "path", [p for p, _ in containers(SIGNED)], ids=[path_id(p) for p, _ in containers(SIGNED)]
)
def test_adding_or_removing_members_breaks_verification(path: Path_) -> None:
    container = SIGNED
    for step in path:
        container = container[step]
    grown = copy.deepcopy(SIGNED)
    target = grown
    for step in path:
        target = target[step]
    if isinstance(target, dict):
        target["extra"] = "x"
    else:
        target.append("x")
    assert not data_integrity.verify_proof(grown)
    names = container.keys() if isinstance(container, dict) else range(len(container))
    for name in names:
        shrunk = copy.deepcopy(SIGNED)
        target = shrunk
        for step in path:
            target = target[step]
        del target[name]
        if path == ("proof",) and name in ("@context", "created"):
            # Optional proof members; without them the signed hash differs.
            assert data_integrity.verify_proof(shrunk).code == "proof.signature"
        assert not data_integrity.verify_proof(shrunk), (path, name)


def test_each_check_has_its_own_code() -> None:
    def proof_edit(name: str, value: Any) -> Any:
        return with_value(SIGNED, ("proof", name), value)

    assert data_integrity.verify_proof(proof_edit("type", "Ed25519Signature2020")).code == "proof.type"
    assert data_integrity.verify_proof(proof_edit("cryptosuite", "eddsa-rdfc-2022")).code == "proof.cryptosuite"
    assert data_integrity.verify_proof(proof_edit("proofPurpose", "authentication")).code == "proof.purpose"
    assert data_integrity.verify_proof(SIGNED, proof_purpose="authentication").code == "proof.purpose"
    assert data_integrity.verify_proof(proof_edit("created", "yesterday")).code == "proof.created"
    assert data_integrity.verify_proof(proof_edit("created", "2023-02-30T00:00:00Z")).code == "proof.created"
    assert data_integrity.verify_proof(proof_edit("@context", ["x"])).code == "proof.context"
    assert data_integrity.verify_proof(proof_edit("verificationMethod", "https://x/k")).code == (
        "proof.verification_method"
    )
    assert data_integrity.verify_proof(proof_edit("proofValue", "z111")).code == "proof.value"
    assert data_integrity.verify_proof(proof_edit("proofValue", "u" + "A" * 86)).code == "proof.value"
    assert data_integrity.verify_proof(proof_edit("challenge", "abc")).code == "proof.unsupported"
    assert data_integrity.verify_proof(with_value(SIGNED, ("name",), "Other")).code == "proof.signature"
    assert data_integrity.verify_proof(with_value(SIGNED, ("proof",), [SIGNED["proof"]])).code == "proof.set"
    assert data_integrity.verify_proof(UNSIGNED).code == "proof.missing"
    assert data_integrity.verify_proof(with_value(SIGNED, ("x",), float("nan"))).code == "document.canonicalization"
    other = SigningKey(bytes(32)).public
    assert data_integrity.verify_proof(SIGNED, trusted_keys=[other]).code == "proof.untrusted_key"
    with pytest.raises(SignatureError) as caught:
        data_integrity.verify_proof(UNSIGNED).raise_if_invalid()
    assert isinstance(caught.value, data_integrity.ProofError) and caught.value.code == "proof.missing"


def test_a_context_appended_after_signing_is_refused() -> None:
    # The cryptosuite would accept it (the document's context only has to start with the
    # proof's); this verifier demands equality, see verify_proof.
    contexts = [*SIGNED["@context"], "https://example.org/evil/v1"]
    assert data_integrity.verify_proof(with_value(SIGNED, ("@context",), contexts)).code == "proof.context"


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=20)
    | st.binary(max_size=4),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=6), children, max_size=4)
    | st.tuples(children),
    max_leaves=12,
)
all_paths = [p for p, _ in leaves(SIGNED)] + [p for p, _ in containers(SIGNED) if p]


@given(st.sampled_from(all_paths), json_values)
def test_hostile_values_never_raise(path: Path_, value: Any) -> None:
    result = data_integrity.verify_proof(with_value(SIGNED, path, value))
    original = SIGNED
    for step in path:
        original = original[step]
    if result:
        assert jcs.canonicalize(value) == jcs.canonicalize(original)


@given(json_values)
def test_hostile_documents_never_raise(value: Any) -> None:
    assert not data_integrity.verify_proof(value)
    assert not data_integrity.verify_proof({"proof": value})
    assert not data_integrity.verify_proof({**SIGNED, "proof": {**SIGNED["proof"], "proofValue": value}})
    assert not vc.verify_credential(value)


def test_deeply_nested_hostile_document() -> None:
    deep: Any = "x"
    for _ in range(50_000):
        deep = [deep]
    assert data_integrity.verify_proof({**SIGNED, "credentialSubject": deep}).code.startswith("document.")
    assert not data_integrity.verify_proof({**SIGNED, "proof": {**SIGNED["proof"], "@context": deep}})
    assert not data_integrity.verify_proof({1: "x", "proof": SIGNED["proof"]})


def test_add_proof_refuses_what_could_not_verify() -> None:
    other_method = multibase.did_key_verification_method(SigningKey(bytes(32)).public)
    with pytest.raises(ValidationError):
        data_integrity.add_proof(UNSIGNED, W3C_KEY, verification_method=other_method, created=CREATED)
    with pytest.raises(ValidationError):
        data_integrity.add_proof(
            UNSIGNED, W3C_KEY, verification_method=W3C_METHOD.split("#")[0], created=CREATED
        )
    with pytest.raises(ValidationError):
        data_integrity.add_proof(SIGNED, W3C_KEY, verification_method=W3C_METHOD, created=CREATED)
    arabic_digits = "\u0662\u0660\u0662\u0663-02-24T23:36:38Z"
    bad_times = ("2023-02-24", "2023-02-24T23:36:38", "2023-13-01T00:00:00Z", arabic_digits)
    for bad in bad_times:
        with pytest.raises(ValidationError):
            data_integrity.add_proof(UNSIGNED, W3C_KEY, verification_method=W3C_METHOD, created=bad)
    with pytest.raises(ValidationError):
        data_integrity.add_proof({**UNSIGNED, "n": float("inf")}, W3C_KEY, verification_method=W3C_METHOD,
                                 created=CREATED)


def test_add_proof_accepts_fractional_seconds_and_offsets() -> None:
    for created in ("2023-02-24T23:36:38.123456789Z", "2023-02-24T23:36:38+08:00"):
        signed = data_integrity.add_proof(UNSIGNED, W3C_KEY, verification_method=W3C_METHOD, created=created)
        assert data_integrity.verify_proof(signed)


