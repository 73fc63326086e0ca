"""The certificate as a W3C VC 2.0: its shape, no MyKad number, determinism, tampering, a
copy re-signed by another key, bad records."""

from __future__ import annotations

import json
from typing import Any

import pytest

from certificate import data_integrity, jcs, multibase, vc
from certificate.errors import ValidationError
from certificate.keys import SigningKey
from tests.certificate.w3c_vectors import CREATED, SIGNED, W3C_KEY, Path_, edits, leaves, path_id, with_value

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
    list(leaves(CREDENTIAL)),
    ids=[path_id(p) for p, _ in leaves(CREDENTIAL)],
)
def test_editing_any_field_of_the_credential_breaks_verification(path: Path_, value: Any) -> None:
    for new in edits(value):
        edited = json.loads(json.dumps(with_value(CREDENTIAL, path, new)))
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
