"""Attacks on the portal and the JSON API of a real node process: session fixation and replay,
MyKad enumeration past the rate limit, path traversal in every path parameter, oversized bodies
and uploads, markup smuggled in through an uploaded PDF.

``tests/portal/test_security.py`` already covers CSRF on every form, escaping of every typed
field and URL, and the basic rate limits; what is here fills the gaps found in that review.
Each test names the product line that is its defence.
"""

from __future__ import annotations

import io
import json
import re
import socket
import time
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pikepdf
import pytest
import requests

from certificate.pdf.render import PARAMS_ATTACHMENT, PARAMS_FORMAT
from tests.portal.helpers import Holder, PortalNode, fresh_holder, genuine_pdf

pytestmark = [pytest.mark.timeout(300)]
PASSWORD = "kata-laluan-ujian-keselamatan"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
COOKIE = "spkm_sesi_jpk"


class Browser:
    """A requests session that fills in forms like a person (token from the form page)."""

    def __init__(self, url: str, address: str = "10.1.1.1") -> None:
        self.url = url
        self.s = requests.Session()
        self.s.headers["X-Forwarded-For"] = address

    def form(self, path: str, data: dict[str, str], page: str | None = None) -> requests.Response:
        token = CSRF.search(self.s.get(self.url + (page or path), timeout=10).text)
        assert token, f"no CSRF token on {page or path}"
        return self.s.post(self.url + path, data={"csrf": token.group(1), **data}, timeout=20)

    def logged_in(self) -> bool:
        r = self.s.get(self.url + "/pengguna/profil", timeout=10, allow_redirects=False)
        return r.status_code == 200

    @property
    def cookie(self) -> str:
        values = [c.value for c in self.s.cookies if c.name == COOKIE]
        return str(values[-1]) if values else ""

    def plant(self, value: str) -> None:
        self.s.cookies.clear()
        self.s.cookies.set(COOKIE, value, domain="127.0.0.1", path="/")


@pytest.fixture(scope="module")
def holder(portal: tuple[PortalNode, dict[str, Holder]]) -> Holder:
    node = portal[0]
    h = fresh_holder(node.chain)
    b = Browser(node.url)
    r = b.form("/daftar", {"ic": h.ic, "activation_code": h.codes[h.certs["skm3"]], "email": "calon@contoh.my",
                           "password": PASSWORD, "password2": PASSWORD})
    assert r.status_code == 200, r.text[-1500:]
    return h


# --- sessions ------------------------------------------------------------------------------------

def test_session_fixation_a_planted_cookie_never_becomes_a_login(portal: tuple[PortalNode, dict[str, Holder]],
                                                                  holder: Holder) -> None:
    """The attacker gets a session cookie from the site, plants it in the victim's browser (a
    shared kiosk, a cookie set by a sibling subdomain) and waits for the victim to log in.
    Defence: portal/security.py ``start_login`` -> ``new_session`` (logging in replaces the
    session: new cookie, new CSRF token, so the planted one stays anonymous)."""
    url = portal[0].url
    attacker = Browser(url, "10.6.6.6")
    attacker.s.get(url + "/log-masuk", timeout=10)
    planted = attacker.cookie
    victim = Browser(url, "10.7.7.7")
    victim.plant(planted)
    r = victim.form("/log-masuk", {"ic": holder.ic, "password": PASSWORD})
    assert r.url.endswith("/pengguna/profil"), r.url
    assert victim.cookie != planted
    assert victim.logged_in()
    assert not attacker.logged_in()
    attacker.plant(planted)
    assert not attacker.logged_in()


def test_a_cookie_copied_before_logout_is_worthless_after_it(portal: tuple[PortalNode, dict[str, Holder]],
                                                             holder: Holder) -> None:
    """Defence: portal/logouts.py LogoutList, checked by security.py session_holder."""
    url = portal[0].url
    victim = Browser(url, "10.7.7.8")
    victim.form("/log-masuk", {"ic": holder.ic, "password": PASSWORD})
    assert victim.logged_in()
    stolen = victim.cookie
    r = victim.form("/log-keluar", {}, page="/pengguna/profil")
    assert r.url.endswith("/log-masuk")
    assert not victim.logged_in()
    thief = Browser(url, "10.6.6.7")
    thief.plant(stolen)
    assert not thief.logged_in(), "the cookie of a logged-out session still opens the holder's profile"


# --- enumeration of MyKad numbers ------------------------------------------------------------------

def mykad(n: int) -> str:
    return f"8501{1 + n % 28:02d}08{n % 10000:04d}"


def test_mykad_enumeration_stops_at_the_rate_limit_whatever_the_forwarded_for(
        strict_portal: tuple[PortalNode, dict[str, Holder]]) -> None:
    """An enumerator walks MyKad numbers through every look-up door (the /semak and /status pages,
    both JSON endpoints) and forges a new X-Forwarded-For on every request. With
    ``trust_forwarded_for`` off (the default) the header is ignored, so one budget (6 a minute)
    covers all of it. Defences: portal/ratelimit.py ``client_address`` (the socket's address unless
    a proxy is trusted), the shared ``LOOKUP_LIMIT`` in portal/api.py ``_ic`` and portal/pages.py
    ``limit``."""
    node, holders = strict_portal
    url = node.url
    answered, refused = [], 0
    b = Browser(url)
    for n in range(40):
        b.s.headers["X-Forwarded-For"] = f"203.0.113.{n}"
        ic = holders["a"].ic if n % 10 == 0 else mykad(n)
        door = n % 4
        if door == 0:
            r = b.form("/semak", {"ic": ic})
        elif door == 1:
            r = b.form("/status", {"ic": ic})
        elif door == 2:
            r = b.s.get(f"{url}/api/v1/holders/{ic}/certificates", timeout=10)
        else:
            r = b.s.get(f"{url}/api/v1/holders/{ic}/status", timeout=10)
        if r.status_code == 429:
            refused += 1
            assert int(r.headers["Retry-After"]) > 0
            assert holders["a"].name not in r.text and holders["a"].certs["skm3"] not in r.text
        else:
            assert r.status_code == 200, (r.status_code, r.text[:200])
            answered.append(ic)
    assert len(answered) <= 6, f"{len(answered)} look-ups answered in one minute: {answered}"
    assert refused >= 34


# --- path traversal --------------------------------------------------------------------------------

TRAVERSALS = [
    "/sijil/..%2f..%2fetc%2fpasswd", "/sijil/../../etc/passwd", "/sijil/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/sijil?cert_no=..%2f..%2fetc%2fpasswd",
    "/api/v1/certificates/..", "/api/v1/certificates/..%2f..%2fetc%2fpasswd",
    "/api/v1/certificates/..%2f..%2fetc%2fpasswd/vc", "/api/v1/certificates/%2e%2e",
    "/api/v1/holders/..%2f..%2fetc%2fpasswd/certificates", "/api/v1/holders/..%2f..%2fetc%2fpasswd/status",
    "/api/v1/blocks/..%2f..%2fetc%2fpasswd", "/api/v1/blocks/..", "/api/v1/jpps/..%2f..%2fetc%2fpasswd",
    "/jpps/../../etc/passwd", "/jpps/..%2f..%2f..%2fetc%2fpasswd", "/jpps?ref=..%2f..%2fetc%2fpasswd",
    "/pengguna/sijil/..%2f..%2fetc%2fpasswd.pdf", "/pengguna/sijil/..%2f..%2f..%2fapp.py%00.pdf",
    "/static/../", "/static/../app.py", "/static/..%2fapp.py", "/static/%2e%2e/%2e%2e/etc/passwd",
    "/static/..%5capp.py", "/static//etc/passwd", "/static/%2fetc%2fpasswd", "/static/portal.css/..%2f..%2fapp.py",
    "/static/....//....//etc/passwd", "/%2e%2e/%2e%2e/etc/passwd",
]
SECRETS = ("root:x:0:0", "from __future__", "-----BEGIN", '"seed"', "def make_app")


def raw_get(port: int, target: str) -> tuple[int, bytes]:
    """GET with the target exactly as written (no client-side dot-segment removal)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    status = int(data.split(b" ", 2)[1])
    return status, data


@pytest.fixture(scope="module")
def logged_in(portal: tuple[PortalNode, dict[str, Holder]], holder: Holder) -> Iterator[Browser]:
    b = Browser(portal[0].url, "10.5.5.5")
    b.form("/log-masuk", {"ic": holder.ic, "password": PASSWORD})
    assert b.logged_in()
    yield b


@pytest.mark.parametrize("target", TRAVERSALS)
def test_no_path_parameter_reaches_a_file(portal: tuple[PortalNode, dict[str, Holder]], logged_in: Browser,
                                          target: str) -> None:
    """Defences: portal/app.py ``add_static`` (aiohttp resolves the path and refuses anything
    outside portal/static), ``normalise_cert_no`` in portal/api.py ``_cert_no`` and the pages
    (a cert_no is letters, digits and dashes with a check character: a bad one is a 400, never a
    lookup), ``parse_mykad`` for holders, the ``[0-9]{1,18}`` height pattern, the length-bounded
    JPPS reference used only as a database key, and portal/candidate.py ``certificate_pdf``
    (the holder's own cert_nos only)."""
    port = int(portal[0].url.rsplit(":", 1)[1])
    status, data = raw_get(port, target)
    assert status in (301, 302, 303, 307, 308, 400, 403, 404, 405), (status, data[:300])
    for secret in SECRETS:
        assert secret.encode() not in data, (target, secret)
    # the same through a client that removes dot segments itself, logged in
    r = logged_in.s.get(portal[0].url + target, timeout=10, allow_redirects=False)
    assert r.status_code < 500 and not any(s in r.text for s in SECRETS), (target, r.status_code)
    path = urllib.parse.urlparse(r.url).path
    assert r.status_code != 200 or not path.startswith(("/static", "/pengguna")), (target, r.text[:200])


def test_a_logged_in_holder_gets_only_their_own_pdfs(portal: tuple[PortalNode, dict[str, Holder]],
                                                     logged_in: Browser, holder: Holder) -> None:
    """Defence: portal/candidate.py ``certificate_pdf`` (the cert_no must be one of the session
    holder's; anyone else's is answered exactly like a number that does not exist)."""
    node, holders = portal
    own = logged_in.s.get(f"{node.url}/pengguna/sijil/{holder.certs['skm3']}.pdf?lang=ms", timeout=30)
    assert own.status_code == 200 and own.content.startswith(b"%PDF")
    other = logged_in.s.get(f"{node.url}/pengguna/sijil/{holders['b'].certs['skm3']}.pdf?lang=ms", timeout=30)
    missing = logged_in.s.get(f"{node.url}/pengguna/sijil/SKM3-26-AAAAAAAA-A.pdf?lang=ms", timeout=30)
    assert other.status_code in (403, 404) and not other.content.startswith(b"%PDF")
    assert other.status_code == missing.status_code or missing.status_code == 400


# --- oversized bodies and uploads -----------------------------------------------------------------

def rss_kib(node: PortalNode) -> int:
    assert node.proc is not None
    for line in open(f"/proc/{node.proc.pid}/status"):  # noqa: SIM115
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def oversized(content_type: str, total: int, size: int = 1 << 20) -> Iterator[bytes]:
    """A well-formed body of ``total`` bytes for ``content_type``, streamed in chunks."""
    head, tail, fill = {
        "application/json": (b'{"txs": ["', b'"]}', b"A"),
        "application/pdf": (b"%PDF-1.7\n", b"\n%%EOF\n", b"0"),
        "application/x-www-form-urlencoded": (b"ic=", b"", b"9"),
    }.get(content_type, (b'--B\r\nContent-Disposition: form-data; name="pdf"; filename="x.pdf"\r\n'
                          b"Content-Type: application/pdf\r\n\r\n%PDF-1.7\n", b"\r\n--B--\r\n", b"0"))
    yield head
    sent = len(head) + len(tail)
    while sent < total:
        n = min(size, total - sent)
        sent += n
        yield fill * n
    yield tail


@pytest.mark.parametrize("path,content_type", [
    ("/api/v1/tx", "application/json"), ("/api/v1/txs", "application/json"),
    ("/api/v1/verify-pdf", "application/pdf"), ("/semak/pdf", "multipart/form-data; boundary=B"),
    ("/semak", "application/x-www-form-urlencoded"), ("/daftar", "application/x-www-form-urlencoded"),
])
def test_oversized_bodies_are_cut_off_not_buffered(portal: tuple[PortalNode, dict[str, Holder]], path: str,
                                                   content_type: str) -> None:
    """64 MB announced with Content-Length, and 64 MB streamed chunked without one. Defences:
    portal/app.py ``client_max_size``, portal/api.py ``_json_body`` (413 before reading),
    portal/pdfcheck.py ``_read_limited`` (stops one byte past max_upload_bytes),
    portal/pages.py ``read_form`` (Content-Length required, FORM_LIMIT)."""
    node = portal[0]
    before = rss_kib(node)
    big = 64 << 20
    for announced in (True, False):
        started = time.monotonic()
        try:
            if announced:
                r = requests.post(node.url + path, data=b"0" * big, timeout=60,
                                  headers={"Content-Type": content_type, "X-Forwarded-For": "10.4.4.4"})
            else:
                r = requests.post(node.url + path, data=oversized(content_type.split(";")[0], big), timeout=60,
                                  headers={"Content-Type": content_type, "X-Forwarded-For": "10.4.4.4"})
            status = r.status_code
        except requests.ConnectionError:
            status = 0  # the node closed the connection on us after answering: also a refusal
        assert status in (0, 400, 403, 411, 413), (path, announced, status)
        assert time.monotonic() - started < 60
    assert rss_kib(node) - before < 200 * 1024, "the node's memory grew by more than 200 MB"
    assert node.proc is not None and node.proc.poll() is None


def test_huge_request_lines_and_headers_are_refused(portal: tuple[PortalNode, dict[str, Holder]]) -> None:
    """Defence: node/daemon.py ``MAX_REQUEST_LINE`` (aiohttp's max_line_size/max_field_size)."""
    port = int(portal[0].url.rsplit(":", 1)[1])
    status, _ = raw_get(port, "/sijil/" + "A" * 200_000)
    assert 400 <= status < 500
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200_000 + b"\r\nConnection: close\r\n\r\n")
        head = s.recv(100)
    assert re.match(rb"HTTP/1\.[01] 4\d\d", head), head


@pytest.mark.parametrize("path", ["/api/v1/tx", "/api/v1/txs"])
def test_deeply_nested_json_is_a_400(portal: tuple[PortalNode, dict[str, Holder]], path: str) -> None:
    body = b'{"txs": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    r = requests.post(portal[0].url + path, data=body, timeout=30, headers={"Content-Type": "application/json"})
    assert r.status_code == 400, (r.status_code, r.text[:200])


@pytest.mark.parametrize("path", ["/semak/pdf", "/api/v1/verify-pdf"])
def test_a_multipart_body_with_an_endless_first_line_is_a_4xx(portal: tuple[PortalNode, dict[str, Holder]],
                                                              path: str) -> None:
    def body() -> Iterator[bytes]:
        yield b"x" * (1 << 20)
        yield b"\r\n--B--\r\n"

    r = requests.post(portal[0].url + path, data=body(), timeout=30,
                      headers={"Content-Type": "multipart/form-data; boundary=B", "X-Forwarded-For": "10.4.4.5"})
    assert 400 <= r.status_code < 500, (r.status_code, r.text[:200])


# --- markup smuggled in through an uploaded PDF ----------------------------------------------------

def with_params(pdf: bytes, params: dict[str, Any]) -> bytes:
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        spec = pikepdf.AttachedFileSpec(doc, json.dumps(params).encode(), filename=PARAMS_ATTACHMENT)
        doc.attachments[PARAMS_ATTACHMENT] = spec
        out = io.BytesIO()
        doc.save(out)
        return out.getvalue()


def test_markup_inside_an_uploaded_pdf_is_shown_escaped(portal: tuple[PortalNode, dict[str, Holder]]) -> None:
    """The verdict quotes what the upload claims (a cert_no, a template name). Defence: Jinja
    autoescaping of ``verdict.message``/``verdict.cert_no`` in portal/templates/pdf.html and the
    Content-Security-Policy ``script-src 'none'`` of portal/security.py."""
    node, holders = portal
    pdf = genuine_pdf(node.url, holders["b"].certs["skm3"])
    evil = with_params(pdf, {"base_url": node.url, "cert_no": '"><script>alert(1)</script>', "format": PARAMS_FORMAT,
                             "lang": "ms", "template": "<img src=x onerror=alert(2)>"})
    b = Browser(node.url, "10.3.3.3")
    token = CSRF.search(b.s.get(node.url + "/semak/pdf", timeout=10).text)
    assert token
    r = b.s.post(node.url + "/semak/pdf", data={"csrf": token.group(1)},
                 files={"pdf": ("<script>x</script>.pdf", evil, "application/pdf")}, timeout=60)
    assert r.status_code == 200, r.status_code
    assert "<script>" not in r.text and "<img src=x" not in r.text
    assert "script-src 'none'" in r.headers["Content-Security-Policy"]
    api = requests.post(node.url + "/api/v1/verify-pdf", data=evil, timeout=60,
                        headers={"Content-Type": "application/pdf", "X-Forwarded-For": "10.3.3.4"})
    assert api.status_code == 200 and api.json()["authentic"] is False
    assert api.headers["Content-Type"].startswith("application/json")
    assert api.headers.get("X-Content-Type-Options") == "nosniff"
    assert urllib.parse.quote("<") not in api.url
