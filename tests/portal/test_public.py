"""Public pages over real HTTP: Semakan Sijil, /sijil, status and JPPS pages, in both languages."""

from __future__ import annotations

import re

import pytest

from tests.portal.helpers import Client, Holder


def main_text(html: str) -> str:
    """The visible text of <main>, tags removed, whitespace collapsed."""
    m = re.search(r"<main.*?</main>", html, re.S)
    assert m
    return " ".join(re.sub(r"<[^>]+>", " ", m.group(0)).split())


async def test_home_links_every_public_check_and_shows_node_health(client: Client) -> None:
    page = await client.get("/")
    assert page.status == 200
    assert '<html lang="ms">' in page.text
    for href in ('href="/semak"', 'href="/status"', 'href="/semak/pdf"', 'action="/sijil"', 'href="/daftar"'):
        assert href in page.text
    assert "Platform Awam" in page.text
    assert "Kuorum: sihat" in page.text and "Ketinggian rantaian:" in page.text


async def test_english_by_query_and_remembered_in_a_cookie(client: Client) -> None:
    page = await client.get("/?lang=en")
    assert '<html lang="en">' in page.text and "Public Platform" in page.text
    assert "bahasa=en" in " ".join(page.headers.getall("Set-Cookie"))
    again = await client.get("/semak")
    assert '<html lang="en">' in again.text and "CHECK SKM" in again.text
    back = await client.get("/semak?lang=ms")
    assert '<html lang="ms">' in back.text and "SEMAK SKM" in back.text


async def test_bad_lang_value_falls_back_to_malay(client: Client) -> None:
    page = await client.get("/?lang=<script>")
    assert page.status == 200 and '<html lang="ms">' in page.text and "<script>" not in page.text


async def test_semak_form_is_posted_and_never_puts_the_mykad_in_the_url(client: Client, holders: dict[str, Holder]
                                                                       ) -> None:
    form = await client.get("/semak")
    assert re.search(r'<form method="post" action="/semak#keputusan"', form.text)
    assert 'name="ic"' in form.text and "tanpa sengkang" in form.text and "SEMAK SKM" in form.text
    a = holders["a"]
    page = await client.post("/semak", {"ic": a.ic})
    assert page.status == 200
    assert a.ic not in page.url and a.ic not in page.text  # shown masked only
    text = main_text(page.text)
    assert "980314-**-**34" in text and a.name in text
    assert "6 rekod dijumpai" in text
    for cert_no in a.certs.values():
        assert f'href="/sijil/{cert_no}"' in page.text
    assert "Diploma Kemahiran Malaysia (DKM)" in text and "Tahap 4" in text
    assert text.count("DIBATALKAN") == 1 and text.count("DIGANTIKAN") == 1 and text.count("SAH") >= 4
    assert "Pegawai Latihan Vokasional" in text and "I-031-3:2014" in text  # VTO: an ordinary level 3 programme
    assert "Q869-002-4:2016" in text and "AVICENNA ACADEMY MALAYSIA" in text and "3 Julai 2025" in text
    assert "Simpan/Cetak" in text
    assert "Cache-Control" in page.headers and page.headers["Cache-Control"] == "no-store"


async def test_semak_in_english(client: Client, holders: dict[str, Holder]) -> None:
    await client.get("/semak?lang=en")
    page = await client.post("/semak", {"ic": holders["a"].ic})
    text = main_text(page.text)
    assert "Malaysian Skills Diploma (DKM)" in text and "Level 4" in text
    assert "REVOKED" in text and "SUPERSEDED" in text and "VALID" in text
    assert "Capture Fisheries Operations" in text and "Save/Print" in text and "3 July 2025" in text


async def test_unknown_and_known_empty_mykad_take_the_same_path(client: Client, holders: dict[str, Holder]) -> None:
    nobody = await client.form("/semak", {"ic": holders["nobody"].ic})
    pending_only = await client.form("/semak", {"ic": holders["p"].ic})  # approved, no certificate yet
    assert nobody.status == pending_only.status == 200
    for page in (nobody, pending_only):
        assert "Tiada sijil dijumpai bagi No. Kad Pengenalan ini." in page.text
    strip = re.compile(r'value="[^"]*"|\d{6}-\*\*-\*\*\d{2}|\d{4}-\d{2}-\d{2} \d{2}:\d{2}')
    assert strip.sub("", nobody.text) == strip.sub("", pending_only.text)


@pytest.mark.parametrize(("ic", "code_ms", "code_en"), [
    ("980314-11-5234", "tanpa tanda sengkang (-)", "without dashes (-)"),
    ("980314 11 5234", "tanpa tanda sengkang (-)", "without dashes (-)"),
    ("98O314115234", "hanya mengandungi digit 0-9", "only the digits 0-9"),
    ("abcdefghijkl", "hanya mengandungi digit 0-9", "only the digits 0-9"),
    ("98031411523", "mempunyai 11 digit", "has 11"),
    ("9803141152345", "mempunyai 13 digit", "has 13"),
    ("9" * 10_000, "Terlalu panjang", "Far too long"),
    ("", "Masukkan No. Kad Pengenalan", "Enter a MyKad number"),
    ("   ", "Masukkan No. Kad Pengenalan", "Enter a MyKad number"),
    ("９８０３１４１１５２３４", "bukan aksara lebar penuh", "not full-width"),
    ("981314115234", "bukan tarikh lahir yang wujud", "not a real date of birth"),
    ("980314005234", "bukan kod tempat lahir", "not a place-of-birth code"),
])
@pytest.mark.parametrize("path", ["/semak", "/status"])
async def test_malformed_mykad_is_refused_with_the_rule_in_both_languages(
        client: Client, path: str, ic: str, code_ms: str, code_en: str) -> None:
    page = await client.form(path, {"ic": ic})
    assert page.status == 400
    assert code_ms in page.text
    assert 'aria-invalid="true"' in page.text and 'role="alert"' in page.text
    assert len(page.text) < 20_000  # a 10 kB paste is not echoed back whole
    english = await client.form(path, {"ic": ic}, lang="en")
    assert english.status == 400 and code_en in english.text


async def test_dash_message_says_dashes_are_refused_not_stripped(client: Client) -> None:
    page = await client.form("/semak", {"ic": "980314-11-5234"})
    assert "Tanda sengkang ditolak, tidak dibuang secara automatik" in page.text
    english = await client.form("/semak", {"ic": "980314-11-5234"}, lang="en")
    assert "Dashes are refused, not removed automatically" in english.text


async def test_sijil_valid(client: Client, holders: dict[str, Holder]) -> None:
    a = holders["a"]
    cert_no = a.certs["skm3"]
    page = await client.get(f"/sijil/{cert_no}")
    assert page.status == 200
    text = main_text(page.text)
    assert "SAH" in text and "Sijil ini SAH" in text
    assert a.name in text and "980314-**-**34" in text and a.ic not in text
    assert "Operasi Perikanan Tangkapan" in text and "A031-002-3:2022" in text
    assert "Sistem Latihan Program Bertauliah" in text
    for label in ("Ketinggian blok", "Cincangan blok", "ID transaksi", "Panjang laluan Merkle", "Kunci pengeluar",
                  "Pencadang blok", "Pegawai Persijilan Ujian"):
        assert label in text
    assert f'href="/api/v1/certificates/{cert_no}/vc"' in page.text
    assert 'href="/jpps/JPPS%2F2026%2FUJI"' in page.text
    english = await client.get(f"/sijil/{cert_no}?lang=en")
    assert "This certificate is VALID" in english.text and "Block proposer" in english.text


async def test_sijil_revoked_shows_reason_and_date_escaped(client: Client, holders: dict[str, Holder]) -> None:
    page = await client.get(f"/sijil/{holders['a'].certs['revoked']}")
    text = main_text(page.text)
    assert "DIBATALKAN" in text and "Sebab pembatalan" in text
    assert "Kesilapan data &lt;b&gt;ujian&lt;/b&gt;" in page.text and "<b>ujian</b>" not in page.text
    english = await client.get(f"/sijil/{holders['a'].certs['revoked']}?lang=en")
    assert "REVOKED" in english.text and "Reason for revocation" in english.text


async def test_sijil_superseded_links_to_its_replacement_and_back(client: Client, holders: dict[str, Holder]) -> None:
    a = holders["a"]
    page = await client.get(f"/sijil/{a.certs['old']}")
    assert "DIGANTIKAN" in page.text and f'href="/sijil/{a.certs["fixed"]}"' in page.text
    new = await client.get(f"/sijil/{a.certs['fixed']}")
    assert "SAH" in new.text and f'href="/sijil/{a.certs["old"]}"' in new.text
    english = await client.get(f"/sijil/{a.certs['old']}?lang=en")
    assert "SUPERSEDED" in english.text and "See the replacement certificate" in english.text


async def test_sijil_mistyped_number_is_a_400_page_in_both_languages(client: Client, holders: dict[str, Holder]
                                                                    ) -> None:
    good = holders["a"].certs["skm3"]
    bad = good[:-1] + ("A" if good[-1] != "A" else "B")
    page = await client.get(f"/sijil/{bad}")
    assert page.status == 400 and "text/html" in page.headers["Content-Type"]
    assert "No. sijil tersalah taip" in page.text and "aksara semakannya tidak sepadan" in page.text
    english = await client.get(f"/sijil/{bad}?lang=en")
    assert english.status == 400 and "Mistyped certificate number" in english.text
    shape = await client.get("/sijil/HELLO")
    assert shape.status == 400 and "SKM3-26-7H3K9P2M-X" in shape.text


async def test_sijil_unknown_number_is_a_404_page(client: Client) -> None:
    from certificate.certno import make_cert_no

    unknown = make_cert_no("SKM", 3, 2026, "ZZZZZZZZ")
    page = await client.get(f"/sijil/{unknown}")
    assert page.status == 404 and "Sijil tidak dijumpai" in page.text and unknown in page.text
    english = await client.get(f"/sijil/{unknown}?lang=en")
    assert english.status == 404 and "Certificate not found" in english.text


async def test_sijil_number_typed_loosely_redirects_to_its_one_spelling(client: Client, holders: dict[str, Holder]
                                                                       ) -> None:
    cert_no = holders["a"].certs["skm3"]
    page = await client.get(f"/sijil/{cert_no.lower().replace('-', '')}")
    assert page.status == 200 and page.url.endswith(f"/sijil/{cert_no}")
    lookup = await client.get(f"/sijil?cert_no=+{cert_no.lower()}+")
    assert lookup.status == 200 and lookup.url.endswith(f"/sijil/{cert_no}")
    bad = await client.get("/sijil?cert_no=SKM3-26-AAAAAAAA-Q")
    assert bad.status == 400


async def test_status_lists_pending_with_deadline_and_overdue(client: Client, holders: dict[str, Holder]) -> None:
    page = await client.form("/status", {"ic": holders["p"].ic})
    assert page.status == 200
    text = main_text(page.text)
    assert "Diluluskan JPPS, belum dijana" in text
    assert "LEWAT" in text and "31 Januari 2025" in text  # 14 working days after 9 January 2025
    assert re.search(r"\d+ hari bekerja lagi", text)
    assert "JPPS/2026/UJI" in text and "Tarikh akhir penjanaan" in text
    english = await client.form("/status", {"ic": holders["p"].ic}, lang="en")
    assert "OVERDUE" in english.text and re.search(r"\d+ working day\(s\) left", english.text)


async def test_status_lists_generated_items_with_dates(client: Client, holders: dict[str, Holder]) -> None:
    page = await client.form("/status", {"ic": holders["a"].ic})
    text = main_text(page.text)
    assert "Telah dijana" in text and "Dijana pada" in text and "Dalam tempoh" in text
    assert holders["a"].certs["skm3"] in text
    assert "Tiada sijil yang menunggu penjanaan." in text


async def test_status_for_nobody(client: Client, holders: dict[str, Holder]) -> None:
    page = await client.form("/status", {"ic": holders["nobody"].ic})
    assert page.status == 200 and "Tiada rekod kelulusan JPPS atau sijil" in page.text


async def test_jpps_meeting_page_mirrors_the_api(client: Client) -> None:
    page = await client.get("/jpps/JPPS%2F2026%2FUJI")
    assert page.status == 200
    async with client.session.get(client.base + "/api/v1/jpps/JPPS%2F2026%2FUJI") as r:
        api = await r.json()
    text = main_text(page.text)
    for key, label in (("approved", "Calon diluluskan"), ("generated", "Sijil telah dijana"),
                       ("pending", "Belum dijana"), ("overdue", "Lewat")):
        assert f"{api[key]} {label}" in text
    assert (await client.get("/jpps/JPPS/2026/UJI")).status == 200  # slashes typed as is
    lookup = await client.get("/jpps?ref=JPPS/2026/UJI&lang=en")
    assert lookup.status == 200 and "JPPS Meeting Status: JPPS/2026/UJI" in lookup.text


async def test_jpps_unknown_and_malformed(client: Client) -> None:
    unknown = await client.get("/jpps/JPPS%2F1999%2F01")
    assert unknown.status == 404 and "Tiada mesyuarat JPPS" in unknown.text
    bad = await client.get("/jpps/" + "%3Cscript%3E")
    assert bad.status == 400 and "<script>" not in bad.text
    long = await client.get("/jpps/" + "A" * 500)
    assert long.status == 400


async def test_unknown_path_and_wrong_method_are_pages_in_the_right_language(client: Client) -> None:
    page = await client.get("/tiada-di-sini")
    assert page.status == 404 and "Halaman tidak dijumpai" in page.text and "text/html" in page.headers["Content-Type"]
    english = await client.get("/tiada-di-sini?lang=en")
    assert english.status == 404 and "Page not found" in english.text
    put = await client.session.put(client.base + "/semak")
    assert put.status == 405 and "Method not allowed" in await put.text()  # the cookie kept English
    api = await client.get("/api/v1/nothing")
    assert api.status == 404 and api.text.startswith('{"error"')


async def test_security_headers_on_pages_static_and_api(client: Client) -> None:
    for path in ("/", "/semak", "/static/portal.css", "/api/v1/status", "/tiada"):
        page = await client.get(path)
        assert page.headers["Content-Security-Policy"].startswith("default-src 'self'")
        assert "script-src 'none'" in page.headers["Content-Security-Policy"]
        assert page.headers["X-Frame-Options"] == "DENY"
        assert page.headers["Referrer-Policy"] == "no-referrer"
        assert page.headers["X-Content-Type-Options"] == "nosniff"


async def test_pages_carry_no_script_and_label_every_field(client: Client) -> None:
    for path in ("/", "/semak", "/status", "/semak/pdf", "/daftar", "/log-masuk"):
        page = await client.get(path)
        assert "<script" not in page.text and " on" + "click=" not in page.text and "style=" not in page.text
        ids = re.findall(r'<input id="([^"]+)"', page.text)
        for input_id in ids:
            assert f'<label for="{input_id}">' in page.text, (path, input_id)
        assert 'class="skip" href="#main"' in page.text


async def test_session_cookie_flags(client: Client) -> None:
    page = await client.get("/semak")
    cookie = next(c for c in page.headers.getall("Set-Cookie") if c.startswith("spkm_sesi_"))
    assert cookie.startswith("spkm_sesi_jpk=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # http:// base URL here; https:// base URLs get Secure (test_security.py)
