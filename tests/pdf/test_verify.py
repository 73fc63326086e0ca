"""Upload verification: every verdict, every tampering, hostile files."""

from __future__ import annotations

import json
import os
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from certificate.keys import SigningKey
from certificate.pdf import (
    MAX_PDF_BYTES,
    PARAMS_ATTACHMENT,
    PROOF_ATTACHMENT,
    VERDICT_MESSAGES,
    ChainStatus,
    PdfVerdict,
    VerdictCode,
    render_certificate,
    verify_pdf,
)
from tests.pdf import tampering
from tests.pdf.conftest import issued, rendered
from tests.pdf.factory import BASE_URL, NODE_KEYS, Issued, issue, make_record

V = VerdictCode


def _status(cert: Issued, status: str = "valid", **extra: str) -> ChainStatus:
    return ChainStatus(cert.record.cert_no, status, cert.height, cert.block_hash, **extra)  # type: ignore[arg-type]


def _verify(data: bytes, *chain: ChainStatus, isolate: bool = False, **kw: object) -> PdfVerdict:
    by_no = {s.cert_no: s for s in chain}
    return verify_pdf(data, node_keys=kw.pop("node_keys", NODE_KEYS), lookup=by_no.get,  # type: ignore[arg-type]
                      allowed_base_urls=[BASE_URL], isolate=isolate, **kw)  # type: ignore[arg-type]


SKM = ("SKM", 3, "ms")


def test_authentic() -> None:
    cert = issued("SKM", 3)
    v = _verify(rendered(*SKM), _status(cert))
    assert v.code is V.AUTHENTIC and v.authentic
    assert v.cert_no == cert.record.cert_no and v.record == cert.record
    assert "authentic" in v.message


def test_authentic_in_an_isolated_child_process() -> None:
    cert = issued("DKM", 4)
    assert _verify(rendered("DKM", 4, "en"), _status(cert), isolate=True).code is V.AUTHENTIC


def test_revoked_and_superseded_certificates() -> None:
    cert = issued("SKM", 3)
    v = _verify(rendered(*SKM), _status(cert, "revoked", revocation_reason="wrong programme"))
    assert v.code is V.REVOKED and "wrong programme" in v.message
    v = _verify(rendered(*SKM), _status(cert, "superseded", superseded_by="SKM3-27-AAAAAAAA-X"))
    assert v.code is V.SUPERSEDED and v.superseded_by == "SKM3-27-AAAAAAAA-X"
    assert "SKM3-27-AAAAAAAA-X" in v.message


def test_changed_name_on_the_page_is_edited() -> None:
    cert = issued("SKM", 3)
    forged = tampering.change_visible_text(rendered(*SKM), cert.record.holder_name, "M")
    assert len(forged) == len(rendered(*SKM))
    v = _verify(forged, _status(cert))
    assert v.code is V.EDITED
    assert "visible page differs" in v.message


def test_edited_revoked_certificate_says_both() -> None:
    cert = issued("SKM", 3)
    forged = tampering.change_visible_text(rendered(*SKM), cert.record.holder_name, "M")
    v = _verify(forged, _status(cert, "revoked", revocation_reason="fraud"))
    assert v.code is V.EDITED and "revoked" in v.message


def test_proof_of_another_certificate_is_detected() -> None:
    a, b = issue(make_record("SKM", 3, seed="a"), make_record("SKM", 3, seed="b",
                                                            holder_name="LIM MEI LING"), height=7)
    pdf_a = render_certificate(a.record, a.proof, lang="ms", base_url=BASE_URL)
    pdf_b = render_certificate(b.record, b.proof, lang="ms", base_url=BASE_URL)
    proof_b = b.proof.encode()
    swapped = tampering.replace_attachments(pdf_a, {PROOF_ATTACHMENT: proof_b})
    v = _verify(swapped, _status(a), _status(b))
    assert v.code is V.EDITED and "attachments disagree" in v.message
    assert v.cert_no == b.record.cert_no

    params_b = json.dumps({"base_url": BASE_URL, "cert_no": b.record.cert_no, "format": "spkm-ecert-render/1",
                           "lang": "ms", "template": "2026.1"}, sort_keys=True, separators=(",", ":"))
    both = tampering.replace_attachments(pdf_a, {PROOF_ATTACHMENT: proof_b, PARAMS_ATTACHMENT: params_b.encode()})
    v = _verify(both, _status(a), _status(b))
    assert v.code is V.EDITED and "visible page differs" in v.message
    assert _verify(pdf_b, _status(b)).code is V.AUTHENTIC


def test_stripped_attachment_is_not_ours() -> None:
    cert = issued("SKM", 3)
    v = _verify(tampering.strip_attachments(rendered(*SKM)), _status(cert))
    assert v.code is V.NOT_OURS and "no eCertificate proof" in v.message


def test_incremental_update_is_edited() -> None:
    cert = issued("SKM", 3)
    updated = tampering.append_incremental_update(rendered(*SKM))
    v = _verify(updated, _status(cert))
    assert v.code is V.EDITED
    assert "visible page is unchanged" in v.message


def test_resaved_file_is_edited() -> None:
    cert = issued("SKM", 3)
    resaved = tampering.replace_attachments(rendered(*SKM), {})
    assert resaved != rendered(*SKM)
    assert _verify(resaved, _status(cert)).code is V.EDITED


def test_certificate_missing_from_the_chain_is_not_ours() -> None:
    v = _verify(rendered(*SKM))
    assert v.code is V.NOT_OURS and "not on this chain" in v.message


def test_certificate_in_another_block_is_not_ours() -> None:
    cert = issued("SKM", 3)
    elsewhere = ChainStatus(cert.record.cert_no, "valid", 99, "00" * 32)
    assert _verify(rendered(*SKM), elsewhere).code is V.NOT_OURS


def test_proof_from_unknown_node_keys_is_not_ours() -> None:
    cert = issued("SKM", 3)
    stranger = {"jpk": SigningKey(b"\x01" * 32).public}
    v = _verify(rendered(*SKM), _status(cert), node_keys=stranger)
    assert v.code is V.NOT_OURS and "does not verify" in v.message
    assert _verify(rendered(*SKM), _status(cert), node_keys={}).code is V.NOT_OURS


def test_qr_code_to_an_unofficial_site_is_edited() -> None:
    cert = issued("SKM", 3)
    phishing = render_certificate(cert.record, cert.proof, lang="ms", base_url="https://sijil-jpk.example")
    v = _verify(phishing, _status(cert))
    assert v.code is V.EDITED and "sijil-jpk.example" in v.message


def test_unknown_template_is_unreadable_not_edited() -> None:
    cert = issued("SKM", 3)
    params = json.dumps({"base_url": BASE_URL, "cert_no": cert.record.cert_no, "format": "spkm-ecert-render/1",
                         "lang": "ms", "template": "2099.1"}, sort_keys=True, separators=(",", ":"))
    data = tampering.replace_attachments(rendered(*SKM), {PARAMS_ATTACHMENT: params.encode()})
    v = _verify(data, _status(cert))
    assert v.code is V.UNREADABLE and "2099.1" in v.message


def test_hostile_and_foreign_files() -> None:
    data = rendered(*SKM)
    cases = {
        "truncated": (data[: len(data) // 2], V.UNREADABLE),
        "random": (os.urandom(4000), V.NOT_PDF),
        "empty": (b"", V.NOT_PDF),
        "text": (b"this is not a certificate\n" * 20, V.NOT_PDF),
        "header only": (b"%PDF-1.7\n" + os.urandom(2000), V.UNREADABLE),
        "encrypted": (tampering.encrypt(data), V.UNREADABLE),
        "too big": (data + b"\0" * MAX_PDF_BYTES, V.UNREADABLE),
        "bomb": (tampering.with_bomb_attachment(data), V.UNREADABLE),
        "not a certificate": (tampering.plain_pdf(), V.NOT_OURS),
    }
    for name, (blob, expected) in cases.items():
        start = time.monotonic()
        v = _verify(blob, _status(issued("SKM", 3)))
        assert v.code is expected, (name, v)
        assert time.monotonic() - start < 5, name


def test_hostile_files_in_the_child_process() -> None:
    data = rendered(*SKM)
    assert _verify(data[:-3000], isolate=True).code is V.UNREADABLE
    assert _verify(tampering.with_bomb_attachment(data), isolate=True).code is V.UNREADABLE
    assert _verify(os.urandom(100), isolate=True).code is V.NOT_PDF


def test_child_process_timeout() -> None:
    v = _verify(rendered(*SKM), _status(issued("SKM", 3)), isolate=True, timeout=0.001)
    assert v.code is V.UNREADABLE and "longer than" in v.message


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 10**9), st.integers(0, 255)), min_size=1, max_size=8))
def test_corrupted_bytes_never_crash_and_never_pass(flips: list[tuple[int, int]]) -> None:
    data = bytearray(rendered(*SKM))
    for at, value in flips:
        data[at % len(data)] = value
    v = _verify(bytes(data), _status(issued("SKM", 3)))
    if bytes(data) != rendered(*SKM):
        assert v.code is not V.AUTHENTIC


@pytest.mark.parametrize("code", list(VerdictCode))
def test_every_verdict_has_malay_and_english_summaries(code: VerdictCode) -> None:
    assert set(VERDICT_MESSAGES[code]) == {"ms", "en"}
    assert all(VERDICT_MESSAGES[code].values())
    assert PdfVerdict(code, "x").summary("ms") == VERDICT_MESSAGES[code]["ms"]
