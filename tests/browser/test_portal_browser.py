"""The portal in a real browser against a real 4-node cluster: the public's checks and a candidate's year.

Headless Debian Chromium through Playwright; no page needs JavaScript, so everything here is
clicking links, filling labelled fields and pressing buttons, as a person would.
"""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, Demo, shot
from tests.portal.helpers import genuine_pdf

pytestmark = [pytest.mark.browser, pytest.mark.cluster]
PASSWORD = "kata-laluan-pelayar-2026"


def main(page: Any) -> Any:
    return page.locator("main")


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True,
                          timeout=30).stdout


# --- the public --------------------------------------------------------------------------------

def test_public_checks_a_mykad_number_in_malay(demo: Demo, page: Any) -> None:
    h = demo.holder("")
    page.goto(demo.urls[0] + "/")
    expect(page.locator("html")).to_have_attribute("lang", "ms")
    expect(page.locator("footer")).to_contain_text("Kuorum: sihat")
    shot(page, "01-platform-awam")
    page.get_by_role("link", name="Semakan Sijil/Diploma/Diploma Lanjutan").click()
    field = page.get_by_label("No. Kad Pengenalan (MyKad)")
    field.fill(h["ic"][:6] + "-" + h["ic"][6:8] + "-" + h["ic"][8:])
    page.get_by_role("button", name="SEMAK SKM").click()
    expect(main(page)).to_contain_text("Masukkan No. Kad Pengenalan tanpa tanda sengkang (-)")
    expect(field).to_have_attribute("aria-invalid", "true")
    shot(page, "03-semak-sengkang-ditolak")
    field.fill(h["ic"])
    page.get_by_role("button", name="SEMAK SKM").click()
    expect(main(page)).to_contain_text("Maklumat Sijil Calon")
    expect(main(page)).to_contain_text(h["name"])
    expect(main(page)).to_contain_text(h["cert_no"])
    expect(main(page).locator(".status-valid").first).to_have_text("SAH")
    assert h["ic"] not in page.url and h["ic"] not in main(page).inner_text()
    expect(main(page)).to_contain_text(f"{h['ic'][:6]}-**-**{h['ic'][10:]}")
    shot(page, "02-semak-keputusan")
    page.emulate_media(media="print")
    expect(page.locator("form").first).to_be_hidden()
    expect(page.locator(".mainnav")).to_be_hidden()
    page.pdf(path=str(ARTIFACTS / "semak-cetak-A4.pdf"), format="A4", print_background=True)
    page.emulate_media(media="screen")


def test_public_checks_in_english_with_the_language_switch(demo: Demo, page: Any) -> None:
    revoked, old = demo.holder("revoked"), demo.holder("superseded")
    page.goto(demo.urls[1] + "/semak")
    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_label("MyKad (identity card) number").fill(revoked["ic"])
    page.get_by_role("button", name="CHECK SKM").click()
    expect(main(page).locator(".status-revoked")).to_have_text("REVOKED")
    shot(page, "04-semak-english-revoked")
    page.goto(demo.urls[1] + "/semak")
    expect(page.locator("html")).to_have_attribute("lang", "en")  # the choice is remembered
    page.get_by_label("MyKad (identity card) number").fill(old["ic"])
    page.get_by_role("button", name="CHECK SKM").click()
    expect(main(page)).to_contain_text("SUPERSEDED")
    expect(main(page)).to_contain_text("VALID")
    expect(main(page)).to_contain_text("2 record(s) found.")


def test_qr_code_urls(demo: Demo, page: Any) -> None:
    valid, revoked, old = demo.holder(""), demo.holder("revoked"), demo.holder("superseded")
    fix = demo.holder("correction")
    page.goto(f"{demo.urls[2]}/sijil/{valid['cert_no']}")
    expect(page.locator(".verdict-word")).to_have_text("SAH")
    page.get_by_text("Butiran bukti rantaian blok (untuk pakar)").click()
    expect(main(page)).to_contain_text("Panjang laluan Merkle")
    expect(page.get_by_role("link", name="Kelayakan Boleh Disahkan W3C (JSON)")).to_have_attribute(
        "href", f"/api/v1/certificates/{valid['cert_no']}/vc")
    shot(page, "05-sijil-sah")
    page.goto(f"{demo.urls[2]}/sijil/{revoked['cert_no']}")
    expect(page.locator(".verdict-word")).to_have_text("DIBATALKAN")
    expect(main(page)).to_contain_text("Sebab pembatalan: Dibatalkan atas permintaan JPPS (demo)")
    shot(page, "06-sijil-dibatalkan")
    page.goto(f"{demo.urls[3]}/sijil/{old['cert_no']}?lang=en")
    expect(page.locator(".verdict-word")).to_have_text("SUPERSEDED")
    page.get_by_role("link", name=f"See the replacement certificate: {fix['cert_no']}").click()
    expect(page.locator(".verdict-word")).to_have_text("VALID")
    shot(page, "07-sijil-superseded-replacement")
    bad = valid["cert_no"][:-1] + ("A" if valid["cert_no"][-1] != "A" else "B")
    response = page.goto(f"{demo.urls[3]}/sijil/{bad}")
    assert response.status == 400
    expect(page.locator("h1")).to_have_text("Mistyped certificate number")


def test_pdf_upload_genuine_and_edited(demo: Demo, page: Any, tmp_path: Path) -> None:
    h = demo.holder("")
    genuine = tmp_path / f"{h['cert_no']}.pdf"
    genuine.write_bytes(genuine_pdf(demo.urls[0], h["cert_no"], "ms"))
    with pikepdf.open(io.BytesIO(genuine.read_bytes())) as doc:
        doc.docinfo["/Title"] = "Sijil yang diubah suai"
        out = io.BytesIO()
        doc.save(out)
    edited = tmp_path / "diubah.pdf"
    edited.write_bytes(out.getvalue())
    page.goto(demo.urls[1] + "/semak/pdf?lang=ms")
    page.get_by_label("Fail PDF sijil").set_input_files(str(genuine))
    page.get_by_role("button", name="SEMAK PDF").click()
    expect(page.locator(".verdict-word")).to_have_text("TULEN DAN SAH")
    expect(page.get_by_role("link", name=f"Halaman pengesahan sijil {h['cert_no']}")).to_be_visible()
    shot(page, "08-semak-pdf-tulen")
    page.get_by_label("Fail PDF sijil").set_input_files(str(edited))
    page.get_by_role("button", name="SEMAK PDF").click()
    expect(page.locator(".verdict-word")).to_have_text("TELAH DIUBAH SUAI")
    shot(page, "09-semak-pdf-diubah")


def test_pending_generation_status(demo: Demo, page: Any) -> None:
    pending = demo.holder("pending")
    page.goto(demo.urls[0] + "/")
    page.get_by_role("link", name="Semakan Status Penjanaan Sijil").click()
    page.get_by_label("No. Kad Pengenalan (MyKad)").fill(pending["ic"])
    page.get_by_role("button", name="SEMAK STATUS").click()
    expect(main(page)).to_contain_text("Diluluskan JPPS, belum dijana")
    expect(main(page)).to_contain_text("Tarikh akhir penjanaan")
    assert re.search(r"\d+ hari bekerja lagi|LEWAT|Tarikh akhir ialah hari ini", main(page).inner_text())
    shot(page, "10-status-penjanaan")
    page.get_by_role("link", name="JPPS/2026/11").first.click()
    expect(page.locator("h1")).to_have_text("Status Mesyuarat JPPS: JPPS/2026/11")
    expect(main(page)).to_contain_text("Belum dijana")
    shot(page, "11-mesyuarat-jpps")


def test_keyboard_only_at_phone_width(demo: Demo, browser: Any) -> None:
    ctx = browser.new_context(viewport={"width": 360, "height": 780}, is_mobile=True)
    try:
        page = ctx.new_page()
        h = demo.holder("")
        page.goto(demo.urls[0] + "/semak")
        page.keyboard.press("Tab")
        expect(page.locator(".skip")).to_be_focused()
        for _ in range(30):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.id") == "f-ic":
                break
        expect(page.locator("#f-ic")).to_be_focused()
        style = page.evaluate("[getComputedStyle(document.activeElement).outlineStyle,"
                              " getComputedStyle(document.activeElement).outlineWidth]")
        assert style == ["solid", "3px"]  # the keyboard focus is visible
        page.keyboard.type(h["ic"])
        page.keyboard.press("Enter")
        expect(main(page)).to_contain_text(h["cert_no"])
        assert page.evaluate("document.documentElement.scrollWidth") <= 360  # nothing wider than the phone
        shot(page, "12-semak-360px", full=False)
        shot(page, "12-semak-360px-penuh")
    finally:
        ctx.close()


# --- candidates ---------------------------------------------------------------------------------

def register(page: Any, url: str, cand: dict[str, str]) -> None:
    page.goto(url + "/daftar")
    page.get_by_label("No. Kad Pengenalan (MyKad)").fill(cand["ic"])
    page.get_by_label("Kod Pengaktifan").fill(cand["activation_code"])
    page.get_by_label("E-mel").fill(f"calon{cand['ic'][-4:]}@contoh.my")
    page.get_by_label("Kata Laluan", exact=True).fill(PASSWORD)
    page.get_by_label("Sahkan Kata Laluan").fill(PASSWORD)
    page.get_by_role("button", name="DAFTAR").click()
    expect(page.locator(".notice.ok")).to_contain_text("Akaun anda telah didaftarkan")


def log_in(page: Any, url: str, cand: dict[str, str]) -> None:
    page.goto(url + "/log-masuk")
    page.get_by_label("ID Pengguna (No. Kad Pengenalan)").fill(cand["ic"])
    page.get_by_label("Kata Laluan").fill(PASSWORD)
    page.get_by_role("button", name="Daftar Masuk").click()
    expect(page.locator("h1")).to_have_text("Profil")


def test_candidate_registers_prints_both_pdfs_and_logs_out(demo: Demo, page: Any, tmp_path: Path) -> None:
    cand = demo.candidates[0]
    page.goto(demo.urls[0] + "/")
    page.get_by_role("link", name="Daftar Pengguna Baru").first.click()
    shot(page, "13-daftar-pengguna-baru")
    register(page, demo.urls[0], cand)
    log_in(page, demo.urls[1], cand)  # registered through jpk, logs in at mampu: the account is on the chain
    expect(main(page)).to_contain_text(
        "Senarai Maklumat Sijil/ Diploma/ Diploma Lanjutan Kemahiran Malaysia (Termasuk VTO/E/M)")
    expect(main(page)).to_contain_text(cand["cert_no"])
    expect(main(page)).to_contain_text("Pegawai Latihan Vokasional")
    shot(page, "14-profil")
    for label, lang in (("Cetak Sijil (Bahasa Melayu)", "ms"), ("Cetak Sijil (English)", "en")):
        with page.expect_download() as info:
            page.get_by_role("link", name=label).click()
        download = info.value
        assert download.suggested_filename == f"{cand['cert_no']}-{lang}.pdf"
        path = tmp_path / download.suggested_filename
        download.save_as(str(path))
        text = pdf_text(path)
        assert cand["name"] in text and cand["cert_no"] in text
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / download.suggested_filename).write_bytes(path.read_bytes())
    page.get_by_role("button", name="Log Keluar").click()
    expect(page.locator(".notice.ok")).to_contain_text("Anda telah log keluar.")
    page.goto(demo.urls[1] + "/pengguna/profil")
    expect(page.locator("h1")).to_have_text("Log Masuk")


def test_a_second_candidate_cannot_fetch_the_first_ones_pdf(demo: Demo, page: Any) -> None:
    first, second = demo.candidates
    register(page, demo.urls[2], second)
    log_in(page, demo.urls[2], second)
    response = page.goto(f"{demo.urls[2]}/pengguna/sijil/{first['cert_no']}.pdf?lang=ms")
    assert response.status == 403
    expect(main(page)).to_contain_text("Sijil ini bukan milik akaun anda.")
    shot(page, "15-bukan-milik-anda")
    page.goto(demo.urls[2] + "/pengguna/profil")
    with page.expect_download() as info:  # its own PDF downloads
        page.get_by_role("link", name="Cetak Sijil (English)").click()
    assert info.value.suggested_filename == f"{second['cert_no']}-en.pdf"


def test_mykad_number_alone_does_not_open_an_account(demo: Demo, page: Any) -> None:
    cand = demo.candidates[0]
    page.goto(demo.urls[3] + "/log-masuk?lang=en")
    page.get_by_label("User ID (MyKad number)").fill(cand["ic"])
    page.get_by_role("button", name="Log In").click()
    expect(main(page)).to_contain_text("The MyKad number or the password is incorrect.")
    page.goto(demo.urls[3] + "/daftar")
    page.get_by_label("MyKad (identity card) number").fill(cand["ic"])
    page.get_by_label("Activation code").fill("AAAA-AAAA-AAAA-AAAA")
    page.get_by_label("Email").fill("orang.lain@contoh.my")
    page.get_by_label("Password", exact=True).fill("cubaan-menceroboh-1")
    page.get_by_label("Confirm password").fill("cubaan-menceroboh-1")
    page.get_by_role("button", name="REGISTER").click()
    expect(main(page)).to_contain_text("Please correct the following")
    shot(page, "16-register-refused-en")
