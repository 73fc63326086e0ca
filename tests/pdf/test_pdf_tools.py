"""Every kind in both languages, checked with the tools a reader of the PDF would use."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pikepdf

from certificate.pdf import PARAMS_ATTACHMENT, PROOF_ATTACHMENT
from certificate.proof import CertificateProof
from tests.pdf.conftest import issued, rendered
from tests.pdf.factory import BASE_URL, NODE_KEYS, Issued


def _run(*args: str | Path) -> str:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, check=True).stdout


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_qpdf_check_passes(case_pdf: tuple[Issued, str, Path]) -> None:
    _, _, path = case_pdf
    out = _run("qpdf", "--check", path)
    assert "No syntax or stream encoding errors found" in out


def test_one_a4_page(case_pdf: tuple[Issued, str, Path]) -> None:
    _, _, path = case_pdf
    info = _run("pdfinfo", path)
    assert re.search(r"^Pages:\s+1$", info, re.M)
    assert "595.28 x 841.89 pts (A4)" in info


def test_text_is_extractable(case_pdf: tuple[Issued, str, Path]) -> None:
    cert, lang, path = case_pdf
    text = _flat(_run("pdftotext", path, "-"))
    r = cert.record
    programme = r.programme_ms if lang == "ms" else r.programme_en
    for expected in (r.holder_name, programme, r.noss_code, r.cert_no, r.centre_name):
        assert _flat(expected) in text
    title = r.kind_title_ms if lang == "ms" else r.kind_title_en
    assert title.upper() in text
    assert ("Tahap" if lang == "ms" else "Level") in text or ("TAHAP" if lang == "ms" else "LEVEL") in text
    signatory = "Ketua Pengarah Pembangunan Kemahiran" if lang == "ms" else "Director General of Skills Development"
    assert signatory in text
    assert "27 November 2026" in text
    assert f"blok {cert.height}" in text or f"block {cert.height}" in text
    assert cert.block_hash[:16] in text
    assert "2026.1" in text


def test_fonts_embedded_and_subset(case_pdf: tuple[Issued, str, Path]) -> None:
    _, _, path = case_pdf
    rows = _run("pdffonts", path).splitlines()[2:]
    assert len(rows) >= 4
    for row in rows:
        name, *_, emb, sub, uni, _obj, _gen = row.split()
        assert re.fullmatch(r"[A-Z]{6}\+\S+", name), row
        assert (emb, sub, uni) == ("yes", "yes", "yes"), row
        assert "CID TrueType" in row and "Identity-H" in row


def _decode_qr(pdf: Path, png: Path, *, bottom_band_only: bool) -> str:
    crop = ["-x", "0", "-y", "1250", "-W", "700", "-H", "504"] if bottom_band_only else []
    _run("pdftoppm", "-r", "150", "-png", "-singlefile", *crop, pdf, png.with_suffix(""))
    return _run("zbarimg", "-q", "--raw", png).strip()


def test_qr_code_decodes_to_verification_url(case_pdf: tuple[Issued, str, Path], tmp_path: Path) -> None:
    # The bottom band only (where the code is): rasterising the whole page twelve times
    # would dominate the suite's run time; test_qr_code_found_on_the_whole_page covers that.
    cert, _, path = case_pdf
    decoded = _decode_qr(path, tmp_path / "band.png", bottom_band_only=True)
    assert decoded == f"{BASE_URL}/sijil/{cert.record.cert_no}"


def test_qr_code_found_on_the_whole_page(tmp_path: Path) -> None:
    cert = issued("DKM", 4)
    path = tmp_path / "dkm.pdf"
    path.write_bytes(rendered("DKM", 4, "en"))
    assert _decode_qr(path, tmp_path / "page.png", bottom_band_only=False) == (
        f"{BASE_URL}/sijil/{cert.record.cert_no}"
    )


def test_attachment_round_trips_to_a_verified_proof(case_pdf: tuple[Issued, str, Path]) -> None:
    cert, lang, path = case_pdf
    with pikepdf.open(path) as pdf:
        files = pdf.attachments
        assert set(files) == {PROOF_ATTACHMENT, PARAMS_ATTACHMENT}
        proof = CertificateProof.decode(files[PROOF_ATTACHMENT].get_file().read_bytes())
        params = files[PARAMS_ATTACHMENT].get_file().read_bytes()
    record, _ = proof.verify(NODE_KEYS)
    assert record == cert.record
    assert proof == cert.proof
    assert b'"lang":"%s"' % lang.encode() in params and b'"template":"2026.1"' in params


def test_xmp_metadata(case_pdf: tuple[Issued, str, Path]) -> None:
    cert, lang, path = case_pdf
    with pikepdf.open(path) as pdf:
        meta = pdf.open_metadata()
        assert cert.record.holder_name in meta["dc:title"]
        assert cert.record.cert_no in meta["dc:subject"]
        assert meta["dc:language"] == [lang] or meta["dc:language"] == {lang}
        assert str(pdf.Root.Lang) == lang
