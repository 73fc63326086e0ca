"""The W3C VC export: the W3C eddsa-jcs-2022 test vectors, tampering, did:key and base58."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from certificate import data_integrity, jcs, multibase, vc
from certificate.errors import SignatureError, ValidationError
from certificate.hashing import sha256
from certificate.keys import PublicKey, SigningKey

VECTORS = Path("/work/shared/vectors/w3c-vc-di-eddsa")
JCS_VECTORS = VECTORS / "eddsa-jcs-2022"
CREATED = "2023-02-24T23:36:38Z"

Path_ = tuple[str | int, ...]


def _text(name: str) -> str:
    """A vector file's content; the files end without (or with one) newline."""
    return (JCS_VECTORS / name).read_text(encoding="utf-8").removesuffix("\n")


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


KEY_PAIR = _json(VECTORS / "keyPair.json")
UNSIGNED = _json(VECTORS / "unsigned.json")
SIGNED = _json(JCS_VECTORS / "signedJCS.json")
W3C_KEY = SigningKey(multibase.seed_from_multibase(KEY_PAIR["privateKeyMultibase"]))
W3C_METHOD = SIGNED["proof"]["verificationMethod"]


def _leaves(value: Any, path: Path_ = ()) -> Iterator[tuple[Path_, Any]]:
    if isinstance(value, dict):
        for name, item in value.items():
            yield from _leaves(item, (*path, name))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, (*path, index))
    else:
        yield path, value


def _containers(value: Any, path: Path_ = ()) -> Iterator[tuple[Path_, Any]]:
    if isinstance(value, dict | list):
        yield path, value
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for name, item in items:
            yield from _containers(item, (*path, name))


def _with(document: Any, path: Path_, new: Any) -> Any:
    edited = copy.deepcopy(document)
    target = edited
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = new
    return edited


def _edits(value: Any) -> list[Any]:
    """Different values a tamperer might put in place of ``value``."""
    alternatives: list[Any]
    if isinstance(value, str):
        flipped = value.upper() if value != value.upper() else value.lower()
        changed = [value + "x", value[:-1], flipped]
        if len(value) > 1:
            changed.append(value[0] + chr(ord(value[1]) ^ 1) + value[2:])
        alternatives = [*changed, "", None, 0, True, [value], {"value": value}]
    elif isinstance(value, bool):
        alternatives = [not value, None, str(value).lower()]
    elif isinstance(value, int | float):
        alternatives = [value + 1, -value - 1, str(value), None, float(value) + 0.5]
    else:
        alternatives = ["x", 0, False]
    return [a for a in alternatives if a != value or type(a) is not type(value)]


def _path_id(path: Path_) -> str:
    return "/".join(str(step) for step in path)


# --- the W3C test vectors -------------------------------------------------------------------


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
    assert canonical.decode() == _text("canonDocJCS.txt")
    assert sha256(canonical).hex() == _text("docHashJCS.txt")


def test_proof_configuration_and_its_hash() -> None:
    config = data_integrity.create_proof_config(UNSIGNED, verification_method=W3C_METHOD, created=CREATED)
    assert config == _json(JCS_VECTORS / "proofConfigJCS.json")
    canonical = jcs.canonicalize(config)
    assert canonical.decode() == _text("proofCanonJCS.txt")
    assert canonical == jcs.canonicalize(_json(JCS_VECTORS / "proofConfigJCS.json"))
    assert sha256(canonical).hex() == _text("proofHashJCS.txt")


def test_combined_hash_and_signature() -> None:
    config = data_integrity.create_proof_config(UNSIGNED, verification_method=W3C_METHOD, created=CREATED)
    combined = data_integrity.hash_data(UNSIGNED, config)
    assert combined.hex() == _text("combinedHashJCS.txt")
    assert combined.hex() == _text("proofHashJCS.txt") + _text("docHashJCS.txt")
    signature = W3C_KEY.sign_raw(combined)
    assert signature.hex() == _text("sigHexJCS.txt")
    assert multibase.multibase_encode(signature) == _text("sigBTC58JCS.txt")
    assert multibase.multibase_decode(_text("sigBTC58JCS.txt")) == signature


def test_signed_document_is_reproduced_exactly() -> None:
    signed = data_integrity.add_proof(UNSIGNED, W3C_KEY, verification_method=W3C_METHOD, created=CREATED)
    assert signed == SIGNED
    assert signed["proof"]["proofValue"] == _text("sigBTC58JCS.txt")
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
    ("path", "value"), list(_leaves(SIGNED)), ids=[_path_id(p) for p, _ in _leaves(SIGNED)]
)
def test_editing_any_leaf_of_the_vector_breaks_verification(path: Path_, value: Any) -> None:
    for new in _edits(value):
        result = data_integrity.verify_proof(_with(SIGNED, path, new))
        assert not result, (path, new)
        assert result.code != "ok"


@pytest.mark.parametrize(
    "path", [p for p, _ in _containers(SIGNED)], ids=[_path_id(p) for p, _ in _containers(SIGNED)]
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
        return _with(SIGNED, ("proof", name), value)

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
    assert data_integrity.verify_proof(_with(SIGNED, ("name",), "Other")).code == "proof.signature"
    assert data_integrity.verify_proof(_with(SIGNED, ("proof",), [SIGNED["proof"]])).code == "proof.set"
    assert data_integrity.verify_proof(UNSIGNED).code == "proof.missing"
    assert data_integrity.verify_proof(_with(SIGNED, ("x",), float("nan"))).code == "document.canonicalization"
    other = SigningKey(bytes(32)).public
    assert data_integrity.verify_proof(SIGNED, trusted_keys=[other]).code == "proof.untrusted_key"
    with pytest.raises(SignatureError) as caught:
        data_integrity.verify_proof(UNSIGNED).raise_if_invalid()
    assert isinstance(caught.value, data_integrity.ProofError) and caught.value.code == "proof.missing"


def test_a_context_appended_after_signing_is_refused() -> None:
    # The cryptosuite would accept it (the document's context only has to start with the
    # proof's); this verifier demands equality, see verify_proof.
    contexts = [*SIGNED["@context"], "https://example.org/evil/v1"]
    assert data_integrity.verify_proof(_with(SIGNED, ("@context",), contexts)).code == "proof.context"


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
all_paths = [p for p, _ in _leaves(SIGNED)] + [p for p, _ in _containers(SIGNED) if p]


@given(st.sampled_from(all_paths), json_values)
def test_hostile_values_never_raise(path: Path_, value: Any) -> None:
    result = data_integrity.verify_proof(_with(SIGNED, path, value))
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


# --- base58btc, multibase, varint, did:key ------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        (b"", ""),
        (b"\x00", "1"),
        (b"\x00\x00\x28\x7f\xb4\xcd", "11233QC4"),
        (b"Hello World!", "2NEpo7TZRRrLZSi2U"),
        (
            b"The quick brown fox jumps over the lazy dog.",
            "USm3fpXnKG5EUBx2ndxBDMPVciP5hGey2Jh4NDv6gmeo1LkMeiKrLJUUBk6Z",
        ),
        (b"\xff", "5Q"),
    ],
)
def test_base58btc_known_values(raw: bytes, text: str) -> None:
    assert multibase.b58encode(raw) == text
    assert multibase.b58decode(text) == raw


@given(st.binary(max_size=100))
def test_base58_round_trip(raw: bytes) -> None:
    assert multibase.b58decode(multibase.b58encode(raw)) == raw
    assert multibase.multibase_decode(multibase.multibase_encode(raw)) == raw


@given(st.text(alphabet=multibase.ALPHABET, max_size=60))
def test_every_base58_text_has_one_decoding(text: str) -> None:
    assert multibase.b58encode(multibase.b58decode(text)) == text


@pytest.mark.parametrize("text", ["0", "O", "I", "l", "abc+", "é", "1 1"])
def test_base58_refuses_foreign_characters(text: str) -> None:
    with pytest.raises(ValidationError):
        multibase.b58decode(text)


def test_multibase_needs_the_base58btc_prefix() -> None:
    for text in ("", "f00", "m" + "A" * 4, "Z6Mk"):
        with pytest.raises(ValidationError):
            multibase.multibase_decode(text)
    with pytest.raises(ValidationError):
        multibase.b58decode("2" * (multibase.MAX_TEXT + 1))


@pytest.mark.parametrize(
    ("value", "encoded"), [(0, b"\x00"), (1, b"\x01"), (0x7F, b"\x7f"), (0xED, b"\xed\x01"),
                           (0x1300, b"\x80\x26"), (300, b"\xac\x02")]
)
def test_varint(value: int, encoded: bytes) -> None:
    assert multibase.varint_encode(value) == encoded
    assert multibase.varint_decode(encoded + b"rest") == (value, len(encoded))


@pytest.mark.parametrize(
    "data", [b"", b"\x80", b"\xed\x81", b"\x80\x00", b"\xed\x80\x00", b"\xff" * 10]
)
def test_varint_refuses_truncated_or_padded_forms(data: bytes) -> None:
    with pytest.raises(ValidationError):
        multibase.varint_decode(data)


@given(st.binary(min_size=32, max_size=32))
def test_did_key_round_trip(raw: bytes) -> None:
    key = PublicKey(raw)
    did = multibase.did_key(key)
    assert did.startswith("did:key:z6Mk")
    assert multibase.public_key_from_did_key(did) == key
    assert multibase.public_key_from_did_key(multibase.did_key_verification_method(key)) == key


@pytest.mark.parametrize(
    "text",
    [
        "",
        "did:web:example.org",
        "did:key:",
        "did:key:z",
        "did:key:6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
        W3C_METHOD.split("#")[0] + "#key-1",
        W3C_METHOD + "x",
        "did:key:" + KEY_PAIR["privateKeyMultibase"],  # an Ed25519 *secret* key
        "did:key:" + multibase.multibase_encode(b"\xed\x01" + bytes(31)),  # short key
        "did:key:" + multibase.multibase_encode(b"\xed\x01" + bytes(33)),  # long key
        "did:key:" + multibase.multibase_encode(b"\xe7\x01" + bytes(33)),  # secp256k1
        "did:key:" + multibase.multibase_encode(b"\xed\x81\x00" + bytes(32)),  # padded varint
        "did:key:1.0:" + W3C_METHOD.split(":")[-1],
        "did:key:z6Mk0OIl",
    ],
)
def test_malformed_did_key_is_a_validation_error(text: str) -> None:
    with pytest.raises(ValidationError):
        multibase.public_key_from_did_key(text)


def test_non_string_did_key_is_a_validation_error() -> None:
    for value in (None, 5, b"did:key:z6Mk"):
        with pytest.raises(ValidationError):
            multibase.public_key_from_did_key(value)  # type: ignore[arg-type]


def test_secret_key_multibase_is_checked() -> None:
    with pytest.raises(ValidationError):
        multibase.seed_from_multibase(KEY_PAIR["publicKeyMultibase"])
    with pytest.raises(ValidationError):
        multibase.seed_from_multibase(multibase.multibase_encode(b"\x80\x26" + bytes(31)))


# --- the certificate credential ---------------------------------------------------------------

NODE_KEY = SigningKey(bytes(range(32)))
BASE_URL = "https://sijil.jpk.gov.my/"
RECORD: dict[str, Any] = {
    "cert_no": "SKM2024000123K",
    "kind": "SKM",
    "level": 2,
    "holder_name": "NUR AISYAH BINTI ABDUL RAHMAN",
    "holder_ic": "990101145678",
    "noss_code": "IT-010-2:2016",
    "programme_ms": "Pembangunan Aplikasi",
    "programme_en": "Application Development",
    "method": "SLaPB",
    "centre_code": "B01234",
    "centre_name": "Institut Latihan Perindustrian Kuala Lumpur",
    "jpps_ref": "JPPS/2024/03",
    "jpps_date": "2024-03-15",
    "issued_at": "2024-03-20T02:30:00Z",
}
ANCHOR: vc.ChainAnchor = {
    "tx_id": "ab" * 32,
    "block_height": 42,
    "block_hash": "cd" * 32,
    "issuer_public_key": "ef" * 32,
}
CREDENTIAL = vc.credential_for_certificate(
    RECORD, public_base_url=BASE_URL, key=NODE_KEY, created="2024-03-20T02:31:05Z",
    chain_anchor=ANCHOR,
)


def test_credential_shape() -> None:
    c = CREDENTIAL
    assert c["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    assert c["type"] == ["VerifiableCredential", vc.CREDENTIAL_TYPE]
    assert c["id"] == "https://sijil.jpk.gov.my/sijil/SKM2024000123K"
    assert c["issuer"] == {"id": multibase.did_key(NODE_KEY.public), "name": vc.ISSUER_NAME}
    assert c["issuer"]["name"] == "Jabatan Pembangunan Kemahiran (JPK)"
    assert c["validFrom"] == "2024-03-20T02:30:00Z"
    assert c["credentialStatus"] == {
        "id": "https://sijil.jpk.gov.my/api/v1/certificates/SKM2024000123K",
        "type": "SpkmChainStatus",
    }
    subject = c["credentialSubject"]
    assert subject["name"] == RECORD["holder_name"]
    achievement = subject["achievement"]
    assert achievement["certificateNumber"] == "SKM2024000123K"
    assert achievement["kind"] == "SKM"
    assert {"@value": "Sijil Kemahiran Malaysia", "@language": "ms"} in achievement["kindName"]
    assert {"@value": "Malaysian Skills Certificate", "@language": "en"} in achievement["kindName"]
    assert achievement["level"] == 2
    assert achievement["nossCode"] == "IT-010-2:2016"
    assert achievement["programme"] == [
        {"@value": "Pembangunan Aplikasi", "@language": "ms"},
        {"@value": "Application Development", "@language": "en"},
    ]
    assert achievement["awardMethod"] == "SLaPB"
    assert achievement["trainingCentre"] == {"code": "B01234", "name": RECORD["centre_name"]}
    assert achievement["jpps"] == {"reference": "JPPS/2024/03", "date": "2024-03-15"}
    assert "supersedes" not in achievement
    assert c["evidence"] == [
        {
            "id": c["credentialStatus"]["id"],
            "type": ["SpkmChainRecord"],
            "transactionId": "ab" * 32,
            "blockHeight": 42,
            "blockHash": "cd" * 32,
            "issuerPublicKey": "ef" * 32,
        }
    ]
    proof = c["proof"]
    assert proof["type"] == "DataIntegrityProof" and proof["cryptosuite"] == "eddsa-jcs-2022"
    assert proof["verificationMethod"] == multibase.did_key_verification_method(NODE_KEY.public)
    assert proof["created"] == "2024-03-20T02:31:05Z"
    assert proof["@context"] == c["@context"]


def test_the_mykad_number_is_not_in_the_credential() -> None:
    text = json.dumps(CREDENTIAL)
    assert RECORD["holder_ic"] not in text
    assert "holder_ic" not in text and "990101" not in text


def test_credential_verifies_after_a_json_round_trip() -> None:
    for text in (json.dumps(CREDENTIAL), json.dumps(CREDENTIAL, indent=2, ensure_ascii=True),
                 jcs.canonicalize(CREDENTIAL).decode()):
        again = json.loads(text)
        assert data_integrity.verify_proof(again)
        assert vc.verify_credential(again, trusted_keys=[NODE_KEY.public])
    assert not vc.verify_credential(CREDENTIAL, trusted_keys=[W3C_KEY.public])


def test_credential_is_deterministic() -> None:
    again = vc.credential_for_certificate(
        dict(RECORD), public_base_url=BASE_URL.rstrip("/"), key=NODE_KEY,
        created="2024-03-20T02:31:05Z", chain_anchor=ANCHOR,
    )
    assert jcs.canonicalize(again) == jcs.canonicalize(CREDENTIAL)


@pytest.mark.parametrize(
    ("path", "value"),
    list(_leaves(CREDENTIAL)),
    ids=[_path_id(p) for p, _ in _leaves(CREDENTIAL)],
)
def test_editing_any_field_of_the_credential_breaks_verification(path: Path_, value: Any) -> None:
    for new in _edits(value):
        edited = json.loads(json.dumps(_with(CREDENTIAL, path, new)))
        assert not data_integrity.verify_proof(edited), (path, new)
        assert not vc.verify_credential(edited), (path, new)


def test_a_copy_re_signed_by_another_key_is_not_a_jpk_credential() -> None:
    forger = SigningKey(bytes([7]) * 32)
    unsigned = {k: v for k, v in CREDENTIAL.items() if k != "proof"}
    forged = data_integrity.add_proof(
        unsigned, forger,
        verification_method=multibase.did_key_verification_method(forger.public),
        created="2024-03-20T02:31:05Z",
    )
    assert data_integrity.verify_proof(forged)  # a valid signature by *somebody* ...
    assert vc.verify_credential(forged).code == "credential.issuer"  # ... not by the issuer
    assert vc.verify_credential(forged, trusted_keys=[NODE_KEY.public]).code == (
        "proof.untrusted_key"
    )
    assert data_integrity.verify_proof(SIGNED) and vc.verify_credential(SIGNED).code == "credential.issuer"


def test_credential_kinds_and_supersedes() -> None:
    record = {**RECORD, "kind": "DLKM", "level": 5, "supersedes": "DLKM2023000001X",
              "method": "PPT", "issued_at": "2024-03-20T10:30:00.250+08:00"}
    c = vc.unsigned_credential(record, public_base_url="http://127.0.0.1:8101",
                               issuer=NODE_KEY.public)
    assert c["name"] == [
        {"@value": "Diploma Lanjutan Kemahiran Malaysia Tahap 5", "@language": "ms"},
        {"@value": "Malaysian Advanced Skills Diploma Level 5", "@language": "en"},
    ]
    assert c["validFrom"] == "2024-03-20T02:30:00.250000Z"
    assert c["credentialSubject"]["achievement"]["supersedes"] == {
        "id": "http://127.0.0.1:8101/sijil/DLKM2023000001X",
        "certificateNumber": "DLKM2023000001X",
    }
    assert "evidence" not in c and "proof" not in c


@pytest.mark.parametrize(
    "change",
    [
        {"cert_no": ""},
        {"cert_no": None},
        {"kind": "SPM"},
        {"level": 0},
        {"level": 6},
        {"level": "2"},
        {"level": True},
        {"method": "ONLINE"},
        {"holder_name": "  "},
        {"programme_en": 5},
        {"jpps_date": "15/03/2024"},
        {"jpps_date": "2024-02-30"},
        {"issued_at": "2024-03-20T02:30:00"},  # no zone: which 02:30?
        {"issued_at": "2024-03-20"},
        {"issued_at": None},
        {"supersedes": 17},
    ],
)
def test_bad_records_are_validation_errors(change: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        vc.credential_for_certificate(
            {**RECORD, **change}, public_base_url=BASE_URL, key=NODE_KEY, created=CREATED
        )


@pytest.mark.parametrize("url", ["", "sijil.jpk.gov.my", "ftp://x", "https://a b", "https://x?q=1"])
def test_bad_base_urls_are_validation_errors(url: str) -> None:
    with pytest.raises(ValidationError):
        vc.unsigned_credential(RECORD, public_base_url=url, issuer=NODE_KEY.public)
