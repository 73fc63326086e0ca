"""Abuse resistance: CSRF on every form, escaping of every field, size limits, rate limits, no 500s."""

from __future__ import annotations

import hashlib
from pathlib import Path

import aiohttp
import pytest

from certificate.keys import SigningKey
from portal.security import SessionSecretError, session_key, session_storage
from tests.portal.helpers import Client, Holder, PortalNode

SCRIPT = '<script>alert("x")</script>'
FORMS = {
    "/semak": {"ic": "980314115234"},
    "/status": {"ic": "980314115234"},
    "/daftar": {"ic": "980314115234", "activation_code": "AAAA-AAAA-AAAA-AAAA", "email": "a@b.my",
                "password": "0123456789ab", "password2": "0123456789ab"},
    "/log-masuk": {"ic": "980314115234", "password": "0123456789ab"},
    "/log-keluar": {},
    "/pengguna/kata-laluan": {"current_password": "x", "new_password": "0123456789ab", "new_password2": "0123456789ab"},
}


@pytest.mark.parametrize("path", sorted(FORMS))
@pytest.mark.parametrize("token", [None, "", "wrong-token-" + "x" * 40])
async def test_post_without_a_valid_csrf_token_is_a_403_page(client: Client, path: str, token: str | None) -> None:
    await client.get("/semak")  # a session with a real token exists
    data = dict(FORMS[path])
    if token is not None:
        data["csrf"] = token
    page = await client.post(path, data, csrf=False)
    assert page.status == 403
    assert "Borang ini telah tamat tempoh atau tidak sah" in page.text
    assert "text/html" in page.headers["Content-Type"]


async def test_token_of_another_session_is_refused(url: str) -> None:
    one, two = Client(url), Client(url)
    try:
        await one.get("/semak")
        await two.get("/semak")
        page = await two.post("/semak", {"ic": "980314115234"}, csrf=one.token)
        assert page.status == 403
    finally:
        await one.close()
        await two.close()


async def test_csrf_403_page_in_english(client: Client) -> None:
    await client.get("/semak?lang=en")
    page = await client.post("/semak", {"ic": "980314115234"}, csrf=False)
    assert page.status == 403 and "This form has expired or is not valid" in page.text


async def test_pdf_upload_without_token_is_refused(client: Client) -> None:
    await client.get("/semak/pdf")
    fd = aiohttp.FormData()
    fd.add_field("pdf", b"%PDF-1.7\n", filename="x.pdf", content_type="application/pdf")
    page = await client.post("/semak/pdf", fd, csrf=False)
    assert page.status == 403


@pytest.mark.parametrize("path", ["/semak", "/status", "/daftar", "/log-masuk"])
async def test_script_tags_in_every_field_are_escaped(client: Client, path: str) -> None:
    fields = {"/semak": ["ic"], "/status": ["ic"], "/daftar": ["ic", "activation_code", "email", "password",
                                                            "password2"],
              "/log-masuk": ["ic", "password"]}[path]
    page = await client.form(path, {f: SCRIPT for f in fields})
    assert page.status == 400
    assert "<script>" not in page.text and "alert(" not in page.text.replace("alert(&#34;", "")
    assert "&lt;script&gt;" in page.text  # echoed back for correction, escaped


@pytest.mark.parametrize("path", [
    "/sijil/%3Cscript%3Ealert(1)%3C%2Fscript%3E", "/sijil?cert_no=%3Cscript%3E", "/jpps/%3Cscript%3E",
    "/jpps?ref=%3Cscript%3E", "/%3Cscript%3E", "/pengguna/sijil/%3Cscript%3E.pdf",
])
async def test_script_tags_in_urls_are_never_reflected_raw(client: Client, path: str) -> None:
    page = await client.get(path, allow_redirects=False)
    assert 300 <= page.status < 500  # the PDF path sends a visitor who is not logged in to /log-masuk
    assert "<script>" not in page.text


async def test_uploaded_file_name_is_escaped(client: Client) -> None:
    await client.get("/semak/pdf")
    token = client.token
    body = (f'--B\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n{token}\r\n'
            f'--B\r\nContent-Disposition: form-data; name="pdf"; filename="<script>x</script>.pdf"\r\n'
            f"Content-Type: application/pdf\r\n\r\nnot a pdf at all\r\n--B--\r\n").encode()
    page = await client.post("/semak/pdf", body, csrf=False,
                             headers={"Content-Type": "multipart/form-data; boundary=B"})
    assert page.status == 200 and "BUKAN FAIL PDF" in page.text
    assert "<script>" not in page.text and "&lt;script&gt;" in page.text


async def test_big_forms_and_wrong_content_types_are_refused_without_a_trace(client: Client) -> None:
    await client.get("/semak")
    token = client.token
    huge = await client.post("/semak", {"ic": "9" * 200_000, "csrf": token}, csrf=False)
    assert huge.status == 413 and "Data borang terlalu besar" in huge.text
    as_json = await client.session.post(client.base + "/semak", json={"ic": "980314115234"})
    assert as_json.status == 400 and "Borang tidak dapat dibaca" in await as_json.text()
    junk = await client.session.post(client.base + "/log-masuk", data=b"\xff\xfe%%%=&&=",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert junk.status in (400, 403)


@pytest.mark.parametrize("path", [
    "/sijil/" + "A" * 5000, "/jpps/" + "%FF" * 20, "/pengguna/sijil/x.pdf?lang=xx", "/static/../../etc/passwd",
    "/semak/pdf?lang=" + "e" * 3000, "/sijil/SKM3-26-%00%00-X", "/sijil/ＳＫＭ３",
])
async def test_odd_input_never_gives_a_500(client: Client, path: str) -> None:
    page = await client.get(path)
    assert page.status < 500, page.text[:500]


# --- rate limits (a node with 3 look-ups and 3 log-ins a minute) -------------------------------

@pytest.fixture
def strict(strict_node: tuple[PortalNode, dict[str, Holder]]) -> tuple[str, dict[str, Holder]]:
    return strict_node[0].url, strict_node[1]


async def test_lookup_rate_limit_gives_a_429_page_in_the_right_language(strict: tuple[str, dict[str, Holder]]
                                                                       ) -> None:
    url, holders = strict
    c = Client(url)
    try:
        first = await c.form("/semak", {"ic": holders["a"].ic}, lang="en")
        assert first.status == 200
        second = await c.form("/semak", {"ic": holders["b"].ic})
        assert second.status == 429
        assert "Too many requests" in second.text and '<html lang="en">' in second.text
        assert int(second.headers["Retry-After"]) > 0
        status = await c.form("/status", {"ic": holders["b"].ic}, lang="ms")
        assert status.status == 429 and "Terlalu banyak permintaan" in status.text
        bad = await c.form("/semak", {"ic": "123"})  # malformed input is answered, not counted
        assert bad.status == 400
        api = await c.get(f"/api/v1/holders/{holders['a'].ic}/certificates")
        assert api.status == 429  # the page and the API share one budget per client
    finally:
        await c.close()
    other = Client(url)  # another client is not affected
    try:
        assert (await other.form("/semak", {"ic": holders["a"].ic})).status == 200
    finally:
        await other.close()


async def test_login_rate_limit_per_client_and_per_mykad(strict: tuple[str, dict[str, Holder]]) -> None:
    url, holders = strict
    ic = holders["b"].ic
    c1, c2 = Client(url), Client(url)
    try:
        first = await c1.login(ic, "wrong password 1")
        assert first.status == 400
        again = await c1.login(holders["a"].ic, "wrong password 2")
        assert again.status == 429 and "Terlalu banyak permintaan" in again.text  # per client
        other_client = await c2.login(ic, "wrong password 3")
        assert other_client.status == 429  # per MyKad number, whatever the address
    finally:
        await c1.close()
        await c2.close()


# --- session keys ------------------------------------------------------------------------------

def test_session_key_from_node_key_or_shared_secret(tmp_path: Path) -> None:
    k1, k2 = SigningKey(hashlib.sha256(b"1").digest()), SigningKey(hashlib.sha256(b"2").digest())
    assert session_key(None, k1) == session_key(None, k1) != session_key(None, k2)
    assert session_key(None, k1) != k1.seed
    secret = tmp_path / "secret"
    secret.write_bytes(b"s" * 48)
    assert session_key(secret, k1) == session_key(secret, k2)  # shared by the nodes that share the file
    secret.write_bytes(b"short")
    with pytest.raises(SessionSecretError, match="at least 32 bytes"):
        session_key(secret, k1)
    with pytest.raises(SessionSecretError, match="cannot read"):
        session_key(tmp_path / "missing", k1)


def test_cookie_is_secure_behind_https() -> None:
    storage = session_storage(b"k" * 32, "jpk", "https://sijil.jpk.gov.my")
    assert storage.cookie_params["secure"] is True and storage.cookie_params["httponly"] is True
    assert storage.cookie_params["samesite"] == "Lax" and storage.cookie_name == "spkm_sesi_jpk"
    assert session_storage(b"k" * 32, "jpk", "http://127.0.0.1:8101").cookie_params["secure"] is False
