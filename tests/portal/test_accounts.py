"""Candidate accounts on the chain: Daftar Pengguna Baru, log in, Profil, Cetak Sijil, log out."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.portal.helpers import Chain, Client, Holder, Page, PortalNode, fresh_holder, pdf_text

PASSWORD = "kata-laluan-rahsia-2026"


@pytest.fixture
def chain(portal_node: tuple[PortalNode, dict[str, Holder]]) -> Chain:
    return portal_node[0].chain


async def register(c: Client, h: Holder, password: str = PASSWORD, *, cert: str = "skm3",
                   email: str = "calon@contoh.my", lang: str | None = None) -> Page:
    code = h.codes[h.certs[cert]]
    return await c.form("/daftar", {"ic": h.ic, "activation_code": code, "email": email, "password": password,
                                    "password2": password}, lang=lang)


_registered: set[str] = set()


async def registered(url: str, h: Holder) -> None:
    """Register ``h`` once per test session (every node of the chain then knows the account)."""
    if h.ic in _registered:
        return
    c = Client(url)
    try:
        page = await register(c, h)
        assert page.status == 200 or "telah didaftarkan" in page.text, page.text[-2000:]
    finally:
        await c.close()
    _registered.add(h.ic)


async def test_register_login_print_both_languages_and_log_out(url: str, chain: Chain, tmp_path: Path) -> None:
    h = fresh_holder(chain)
    c = Client(url)
    try:
        page = await register(c, h)
        assert page.status == 200 and page.url.endswith("/log-masuk")
        assert "Akaun anda telah didaftarkan. Sila Daftar Masuk." in page.text
        page = await c.login(h.ic, PASSWORD)
        assert page.status == 200 and page.url.endswith("/pengguna/profil")
        assert "Senarai Maklumat Sijil/ Diploma/ Diploma Lanjutan Kemahiran Malaysia (Termasuk VTO/E/M)" in page.text
        assert "Cetak Sijil (Bahasa Melayu)" in page.text and "Cetak Sijil (English)" in page.text
        cert_no = h.certs["skm3"]
        for lang in ("ms", "en"):
            pdf = await c.get(f"/pengguna/sijil/{cert_no}.pdf?lang={lang}")
            assert pdf.status == 200 and pdf.headers["Content-Type"] == "application/pdf"
            assert pdf.headers["Content-Disposition"] == f'attachment; filename="{cert_no}-{lang}.pdf"'
            body = pdf.body
            assert body.startswith(b"%PDF-")
            text = pdf_text(body, tmp_path)
            assert h.name in text and cert_no in text
        home = await c.get("/")
        assert '<html lang="ms">' in home.text  # ?lang=en of the PDF did not switch the interface
        out = await c.post("/log-keluar", {})
        assert out.status == 200 and out.url.endswith("/log-masuk") and "Anda telah log keluar." in out.text
        after = await c.get("/pengguna/profil")
        assert after.url.endswith("/log-masuk") and "Sila Daftar Masuk untuk meneruskan." in after.text
        pdf = await c.get(f"/pengguna/sijil/{cert_no}.pdf?lang=ms", allow_redirects=False)
        assert pdf.status == 303
    finally:
        await c.close()


async def test_profile_lists_every_certificate_including_vto(url: str, holders: dict[str, Holder]) -> None:
    a = holders["a"]
    await registered(url, a)
    c = Client(url)
    try:
        page = await c.login(a.ic, PASSWORD)
        assert page.url.endswith("/pengguna/profil")
        for cert_no in a.certs.values():
            assert cert_no in page.text
        assert "Pegawai Latihan Vokasional" in page.text  # VTO: level 3, in the same list
        printable = set(re.findall(r'href="/pengguna/sijil/([^".]+)\.pdf\?lang=ms"', page.text))
        assert printable == {a.certs[k] for k in ("skm3", "dkm4", "vto", "fixed")}
        assert "Sijil ini tidak boleh dicetak kerana statusnya DIBATALKAN." in page.text
        assert "980314-**-**34" in page.text and "calon@contoh.my" in page.text
        english = await c.get("/pengguna/profil?lang=en")
        assert "Print Certificate (Malay)" in english.text and "Print Certificate (English)" in english.text
        revoked = await c.get(f"/pengguna/sijil/{a.certs['revoked']}.pdf?lang=ms")
        assert revoked.status == 409 and "cannot be printed because it is REVOKED" in revoked.text
    finally:
        await c.close()


async def test_another_holders_pdf_is_refused(url: str, holders: dict[str, Holder]) -> None:
    a, b = holders["a"], holders["b"]
    await registered(url, b)
    c = Client(url)
    try:
        await c.login(b.ic, PASSWORD)
        own = await c.get(f"/pengguna/sijil/{b.certs['skm3']}.pdf?lang=en")
        assert own.status == 200
        theirs = await c.get(f"/pengguna/sijil/{a.certs['skm3']}.pdf?lang=ms")
        assert theirs.status == 403 and "Sijil ini bukan milik akaun anda." in theirs.text
        assert theirs.headers["Content-Type"].startswith("text/html")
        from certificate.certno import make_cert_no

        unknown = await c.get(f"/pengguna/sijil/{make_cert_no('SKM', 3, 2026, 'ZZZZZZZZ')}.pdf")
        assert unknown.status == 404
        good = b.certs["skm3"]
        mistyped = await c.get(f"/pengguna/sijil/{good[:-1]}{'Z' if good[-1] != 'Z' else 'Y'}.pdf")
        assert mistyped.status == 400
        bad_lang = await c.get(f"/pengguna/sijil/{b.certs['skm3']}.pdf?lang=fr")
        assert bad_lang.status == 400
    finally:
        await c.close()


async def test_registration_refusals(url: str, chain: Chain, holders: dict[str, Holder]) -> None:
    h = fresh_holder(chain)
    code = h.codes[h.certs["skm3"]]
    other_code = holders["b"].codes[holders["b"].certs["skm3"]]
    c = Client(url)

    async def attempt(**over: str) -> Page:
        data = {"ic": h.ic, "activation_code": code, "email": "x@contoh.my", "password": PASSWORD,
                "password2": PASSWORD, **over}
        return await c.form("/daftar", data)

    try:
        cases = [
            ({"activation_code": other_code}, "tidak sepadan dengan mana-mana sijil"),
            ({"activation_code": code[:-1] + ("A" if code[-1] != "A" else "B")}, "Kod pengaktifan tersalah taip"),
            ({"activation_code": "ABC"}, "mempunyai 3"),
            ({"activation_code": ""}, "Masukkan kod pengaktifan."),
            ({"ic": holders["nobody"].ic}, "tidak sepadan dengan mana-mana sijil"),  # same answer: no oracle
            ({"ic": "880101-14-0001"}, "tanpa tanda sengkang"),
            ({"password": "pendek", "password2": "pendek"}, "sekurang-kurangnya 10 aksara"),
            ({"password2": PASSWORD + "x"}, "Kedua-dua kata laluan tidak sama."),
            ({"password": h.ic + "abc", "password2": h.ic + "abc"}, "tidak boleh sama dengan No. Kad Pengenalan"),
            ({"email": "bukan-emel"}, "Masukkan alamat e-mel yang sah"),
        ]
        for over, message in cases:
            page = await attempt(**over)
            assert page.status == 400, (over, page.status)
            assert message in page.text, (over, message)
            assert PASSWORD not in page.text
        assert (await attempt()).status == 200
        again = await attempt()
        assert again.status == 409 and "telah didaftarkan" in again.text
    finally:
        await c.close()


async def test_mykad_alone_never_logs_in_and_failures_look_alike(url: str, holders: dict[str, Holder]) -> None:
    a = holders["a"]
    await registered(url, a)
    c = Client(url)
    try:
        wrong = await c.login(a.ic, "not the password")
        unknown = await c.login(holders["nobody"].ic, "not the password")
        empty = await c.login(a.ic, "")
        for page in (wrong, unknown, empty):
            assert page.status == 400 and "No. Kad Pengenalan atau kata laluan tidak betul." in page.text
        strip = re.compile(r'value="[^"]*"')
        assert strip.sub("", wrong.text) == strip.sub("", unknown.text)
        assert (await c.get("/pengguna/profil")).url.endswith("/log-masuk")
    finally:
        await c.close()


async def test_login_starts_a_new_session(url: str, holders: dict[str, Holder]) -> None:
    a = holders["a"]
    await registered(url, a)
    c = Client(url)
    try:
        await c.get("/log-masuk")
        before_token = c.token
        before = {k.key: k.value for k in c.session.cookie_jar}["spkm_sesi_jpk"]
        await c.post("/log-masuk", {"ic": a.ic, "password": PASSWORD})
        after = {k.key: k.value for k in c.session.cookie_jar}["spkm_sesi_jpk"]
        assert after != before and c.token != before_token
        stale = await c.post("/log-keluar", {}, csrf=before_token)
        assert stale.status == 403  # the token of the pre-login session is worth nothing now
        fixated = Client(url)  # someone holding the pre-login cookie is not logged in
        try:
            fixated.session.cookie_jar.update_cookies({"spkm_sesi_jpk": before})
            page = await fixated.get("/pengguna/profil")
            assert page.url.endswith("/log-masuk")
        finally:
            await fixated.close()
    finally:
        await c.close()


async def test_password_change_ends_other_sessions(url: str, chain: Chain) -> None:
    h = fresh_holder(chain)
    one, two = Client(url), Client(url)
    try:
        await register(one, h)
        await one.login(h.ic, PASSWORD)
        await two.login(h.ic, PASSWORD)
        assert (await two.get("/pengguna/profil")).url.endswith("/pengguna/profil")
        bad = await one.post("/pengguna/kata-laluan", {"current_password": "salah", "new_password": "baharu-1234567",
                                                       "new_password2": "baharu-1234567"})
        assert bad.status == 400 and "Kata laluan semasa tidak betul." in bad.text
        short = await one.post("/pengguna/kata-laluan", {"current_password": PASSWORD, "new_password": "pendek",
                                                         "new_password2": "pendek"})
        assert short.status == 400 and "sekurang-kurangnya 10 aksara" in short.text
        done = await one.post("/pengguna/kata-laluan", {"current_password": PASSWORD, "new_password": "baharu-1234567",
                                                        "new_password2": "baharu-1234567"})
        assert done.url.endswith("/pengguna/profil") and "Kata laluan anda telah ditukar." in done.text
        assert (await one.get("/pengguna/profil")).url.endswith("/pengguna/profil")  # this session goes on
        assert (await two.get("/pengguna/profil")).url.endswith("/log-masuk")  # the other one ended
        assert (await two.login(h.ic, PASSWORD)).status == 400
        assert (await two.login(h.ic, "baharu-1234567")).url.endswith("/pengguna/profil")
    finally:
        await one.close()
        await two.close()


async def test_log_out_is_post_only(client: Client) -> None:
    page = await client.get("/log-keluar")
    assert page.status == 405


async def test_account_pages_in_english(client: Client) -> None:
    page = await client.get("/daftar?lang=en")
    assert "Register as a New User" in page.text and "Activation code" in page.text
    login = await client.get("/log-masuk")
    assert "User ID (MyKad number)" in login.text and "Log In" in login.text
