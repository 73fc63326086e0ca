"""The portal's pages and forms under generated requests: never a 500, never a hang, node survives.

Each example is a fresh browser-like session: it loads a form (for its cookie and CSRF token) and
posts generated field values, sometimes with a wrong or missing token, as url-encoded or multipart;
or requests a page route with a generated path parameter and query. Everything in the OpenAPI
document is covered by ``test_api.py``; this file covers the HTML side and the raw path space.
"""

from __future__ import annotations

import re
import time
import urllib.parse
from typing import Any

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.settings import FUZZ
from tests.portal.helpers import Holder, PortalNode

pytestmark = [pytest.mark.timeout(900)]

FORMS = {
    "/semak": ["ic"],
    "/status": ["ic"],
    "/log-masuk": ["ic", "password"],
    "/daftar": ["ic", "activation_code", "email", "password", "password2"],
    "/pengguna/kata-laluan": ["current_password", "new_password", "new_password2"],
    "/log-keluar": [],
}
FORM_PAGE = {"/pengguna/kata-laluan": "/log-masuk", "/log-keluar": "/"}
PATHS = ["/sijil/{}", "/sijil?cert_no={}", "/jpps/{}", "/jpps?ref={}", "/pengguna/sijil/{}.pdf?lang=ms",
         "/api/v1/certificates/{}", "/api/v1/certificates/{}/vc", "/api/v1/holders/{}/certificates",
         "/api/v1/holders/{}/status", "/api/v1/blocks/{}", "/api/v1/jpps/{}", "/static/{}", "/{}",
         "/semak?lang={}", "/?lang={}"]
CSRF = re.compile(r'name="csrf" value="([^"]+)"')

# Values a person (or an attacker) might type: MyKad-ish numbers, markup, control characters,
# very long text, other scripts, percent-escapes and path tricks.
typed = st.one_of(
    st.text(max_size=60),
    st.from_regex(r"[0-9\- ]{0,16}", fullmatch=True),
    st.sampled_from(["<script>alert(1)</script>", "' OR 1=1 --", "../../etc/passwd", "%00", "\u202e",
                     "SKM3-26-7H3K9P2M-X", "980314115234", "980314-11-5234", "A" * 5000, "\x00\x01\x7f",
                     "ＳＫＭ３", "١٢٣", "²"]),
)


def session(url: str) -> requests.Session:
    s = requests.Session()
    s.headers["X-Forwarded-For"] = "10.9.9.9"
    return s


def check(r: requests.Response, started: float, what: str) -> None:
    assert r.status_code < 500 or r.status_code == 503, f"{what}: HTTP {r.status_code}\n{r.text[:500]}"
    assert time.monotonic() - started < 10, f"{what}: took {time.monotonic() - started:.1f} s"


@FUZZ
@given(form=st.sampled_from(sorted(FORMS)), values=st.data(), token=st.sampled_from(["good", "none", "junk"]),
       multipart=st.booleans(), lang=st.sampled_from(["", "?lang=en", "?lang=ms"]))
def test_forms_never_fail_with_500(live_node: tuple[PortalNode, dict[str, Holder]], form: str, values: Any,
                                   token: str, multipart: bool, lang: str) -> None:
    url = live_node[0].url
    s = session(url)
    page = s.get(url + FORM_PAGE.get(form, form) + lang, timeout=10)
    m = CSRF.search(page.text)
    data = {name: values.draw(typed, label=name) for name in FORMS[form]}
    extra = values.draw(st.dictionaries(st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12), typed,
                                        max_size=3), label="extra")
    data.update({k: v for k, v in extra.items() if k not in data})
    if token == "good" and m:
        data["csrf"] = m.group(1)
    elif token == "junk":
        data["csrf"] = values.draw(typed, label="csrf")
    started = time.monotonic()
    if multipart:
        r = s.post(url + form + lang, files={k: (None, v.encode("utf-8", "surrogatepass")) for k, v in data.items()},
                   timeout=10, allow_redirects=False)
    else:
        body = urllib.parse.urlencode({k: v.encode("utf-8", "surrogatepass") for k, v in data.items()})
        r = s.post(url + form + lang, data=body, timeout=10, allow_redirects=False,
                   headers={"Content-Type": "application/x-www-form-urlencoded"})
    check(r, started, f"POST {form}")
    assert live_node[0].proc is not None and live_node[0].proc.poll() is None, "the node died"


@FUZZ
@given(template=st.sampled_from(PATHS), param=typed, raw=st.booleans())
def test_path_parameters_never_fail_with_500(live_node: tuple[PortalNode, dict[str, Holder]], template: str,
                                             param: str, raw: bool) -> None:
    url = live_node[0].url
    value = urllib.parse.quote(param.encode("utf-8", "surrogatepass"), safe="" if not raw else "/:@")
    started = time.monotonic()
    r = session(url).get(url + template.format(value), timeout=10, allow_redirects=False)
    check(r, started, f"GET {template.format(value)[:200]}")


# --- a bug the fuzzers found (fixed: portal/pages.py MALFORMED_BODY) ---------------------------

BAD_PART = b'--B\r\nContent-Disposition: form-data; name="\x05"\r\n\r\nx\r\n--B--\r\n'


@pytest.mark.parametrize("path", ["/semak", "/status", "/log-masuk", "/daftar", "/log-keluar",
                                  "/pengguna/kata-laluan", "/semak/pdf", "/api/v1/verify-pdf"])
def test_a_malformed_multipart_part_header_is_a_400_not_a_500(live_node: tuple[PortalNode, dict[str, Holder]],
                                                              path: str) -> None:
    r = requests.post(live_node[0].url + path, data=BAD_PART, timeout=10,
                      headers={"Content-Type": "multipart/form-data; boundary=B"})
    assert r.status_code == 400, (r.status_code, r.text[:300])
