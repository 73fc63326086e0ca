"""One-node chains for fast HTTP tests, sample certificates, and a form-filling client.

A node runs as ``python -m node`` (``PortalNode``) on a one-member chain, so it is leader within a
fraction of a second and serves real HTTP on loopback; tests talk to it exactly as a browser
would, with cookies, CSRF tokens and multipart uploads.

Ports: pytest-xdist worker ``w`` uses 12500 + 250*w + 2*k (HTTP) and +1 (p2p), k = 0..124, below
the kernel's ephemeral range; the suite's port map is in docs/reliability.md, section 6.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import aiohttp

from certificate.activation import activation_digest, make_activation_code
from certificate.certno import derive_cert_no
from certificate.keys import SigningKey, write_key_file
from certificate.record import CertificateRecord, utc_timestamp
from certificate.tx import Transaction, approve_txs, issue_tx, revoke_tx
from tests.node.helpers import ROOT, port_free

HOST = "127.0.0.1"
_ports = itertools.count()


def _worker() -> int:
    digits = "".join(c for c in os.environ.get("PYTEST_XDIST_WORKER", "gw0") if c.isdigit())
    return int(digits) if digits else 0


def next_ports() -> tuple[int, int]:
    while True:
        k = next(_ports)
        if k >= 125:
            raise RuntimeError("this worker ran out of portal test ports")
        http = 12500 + 250 * _worker() + 2 * k
        if port_free(http) and port_free(http + 1):
            return http, http + 1


@dataclass
class Chain:
    dir: Path
    config: Path
    issuer: SigningKey
    chain_id: str
    url: str


def write_chain(d: Path, portal_toml: str, *, ghost: bool = False) -> Chain:
    """A one-node chain (it elects itself at once) with a registered issuer.

    With ``ghost`` the genesis names a second member that never starts: the node can then never
    form a quorum, which is how the "cannot confirm it is up to date" answers are tested.
    """
    d.mkdir(parents=True, exist_ok=True)
    http, p2p = next_ports()
    node_key, issuer = SigningKey.generate(), SigningKey.generate()
    write_key_file(d / "node.key", node_key)
    chain_id = f"spkm-portal-{os.urandom(4).hex()}"
    url = f"http://{HOST}:{http}"
    genesis = {
        "chain_id": chain_id, "qr_base_url": url,
        "members": [{"node_id": "jpk", "name": "Jabatan Pembangunan Kemahiran (ujian)",
                     "public_key": node_key.public.hex, "p2p": f"{HOST}:{p2p}", "http": url},
                    *([{"node_id": "mampu", "name": "MAMPU (ujian)", "public_key": SigningKey.generate().public.hex,
                        "p2p": f"{HOST}:{p2p + 2}", "http": f"http://{HOST}:{http + 2}"}] if ghost else [])],
        "issuers": [{"public_key": issuer.public.hex, "name": "Pegawai Persijilan Ujian"}],
        "admins": {"threshold": 1, "keys": [{"public_key": SigningKey.generate().public.hex, "name": "Admin"}]},
        "params": {"heartbeat_ms": 50, "election_timeout_ms": 300},
    }
    (d / "genesis.json").write_text(json.dumps(genesis))
    cfg = d / "node.toml"
    cfg.write_text(f'node_id = "jpk"\nkey_file = "node.key"\ndata_dir = "data"\ngenesis_file = "genesis.json"\n'
                   f'p2p_listen = "{HOST}:{p2p}"\nhttp_listen = "{HOST}:{http}"\nlog_level = "warning"\n'
                   f"\n[portal]\n{portal_toml}\n")
    return Chain(d, cfg, issuer, chain_id, url)


class PortalNode:
    """One node as its own process (``python -m node --config``), as an operator runs it.

    A subprocess rather than a thread: an asyncio node on a non-main thread leaves an unprintable
    error behind at interpreter exit, and a process is what production runs anyway.
    """

    def __init__(self, chain: Chain) -> None:
        self.chain = chain
        self.url = chain.url
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, *, wait_leader: bool = True) -> PortalNode:
        log = open(self.chain.dir / "node.log", "ab")  # noqa: SIM115 - handed to the child
        self.proc = subprocess.Popen([sys.executable, "-m", "node", "--config", str(self.chain.config)], cwd=ROOT,
                                     stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        log.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"portal test node exited: {(self.chain.dir / 'node.log').read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/v1/status", timeout=1) as r:
                    if not wait_leader or json.loads(r.read()).get("role") == "leader":
                        return self
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("the portal test node did not start")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


def post_txs(url: str, txs: list[Transaction]) -> list[dict[str, Any]]:
    body = json.dumps({"txs": [base64.b64encode(t.encode()).decode() for t in txs]}).encode()
    req = urllib.request.Request(f"{url}/api/v1/txs", data=body, method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        results: list[dict[str, Any]] = json.loads(r.read())["results"]
    bad = [r for r in results if r["status"] not in (200, 201)]
    assert not bad, bad
    return results


# --- sample holders ---------------------------------------------------------------------------

PROGRAMMES = {
    ("SKM", 1): ("TA-011-1:2012", "Pembuatan Pakaian Wanita", "Women's Garment Making", "K05568", "SMK ALOR AKAR"),
    ("SKM", 2): ("MC-113-2:2015", "Pemeriksaan Ultrasonik", "Ultrasonic Testing", "NDT005", "RSA ACADEMY"),
    ("SKM", 3): ("A031-002-3:2022", "Operasi Perikanan Tangkapan", "Capture Fisheries Operations", "K06019",
                 "AKADEMI PERIKANAN MALAYSIA"),
    ("DKM", 4): ("Q869-002-4:2016", "Penjagaan Ibu Selepas Bersalin", "Postnatal Maternal Care", "L03000",
                 "AVICENNA ACADEMY MALAYSIA"),
    ("VTO", 3): ("I-031-3:2014", "Pegawai Latihan Vokasional", "Vocational Training Officer", "K03021",
                 "INSTITUT KEMAHIRAN BELIA NEGARA PEKAN"),
}


@dataclass
class Holder:
    name: str
    ic: str
    certs: dict[str, str] = field(default_factory=dict)  # label -> cert_no
    codes: dict[str, str] = field(default_factory=dict)  # cert_no -> activation code


def record(holder: Holder, prog: tuple[str, int], *, jpps_ref: str, jpps_date: date, supersedes: str | None = None,
           name: str | None = None) -> CertificateRecord:
    noss, ms, en, centre, centre_name = PROGRAMMES[prog]
    kind, level = ("SKM", 3) if prog[0] == "VTO" else prog
    seed = f"{jpps_ref}|{holder.ic}|{noss}|{supersedes}|{os.urandom(4).hex()}".encode()
    return CertificateRecord.create(
        cert_no=derive_cert_no(kind, level, 2026, seed), kind=kind, level=level, holder_name=name or holder.name,
        holder_ic=holder.ic, noss_code=noss, programme_ms=ms, programme_en=en, method="SLaPB", centre_code=centre,
        centre_name=centre_name, jpps_ref=jpps_ref, jpps_date=jpps_date.isoformat(),
        issued_at=utc_timestamp(datetime.now(UTC)), supersedes=supersedes)


def seed(chain: Chain) -> dict[str, Holder]:
    """Certificates of every status, accounts-to-be with activation codes, pending approvals."""
    key, cid, url = chain.issuer, chain.chain_id, chain.url
    today = datetime.now(UTC).date()
    recent = today - timedelta(days=2)
    a = Holder("NUR AISYAH BINTI AHMAD", "980314115234")
    b = Holder("TAN WEI MING", "990707106781")
    p = Holder("MUHAMMAD HAZIQ BIN ISMAIL", "010203146789")
    nobody = Holder("", "850505085551")  # valid number, holds nothing
    approvals = [
        {"ic": a.ic, "name": a.name, "kind": "SKM", "level": 3, "noss_code": PROGRAMMES[("SKM", 3)][0],
         "programme_ms": PROGRAMMES[("SKM", 3)][1], "centre_code": PROGRAMMES[("SKM", 3)][3]},
        {"ic": p.ic, "name": p.name, "kind": "DKM", "level": 4, "noss_code": PROGRAMMES[("DKM", 4)][0],
         "programme_ms": PROGRAMMES[("DKM", 4)][1], "centre_code": PROGRAMMES[("DKM", 4)][3]},
    ]
    post_txs(url, approve_txs("JPPS/2026/UJI", recent.isoformat(), approvals, key, cid))
    old = [{"ic": p.ic, "name": p.name, "kind": "SKM", "level": 2, "noss_code": PROGRAMMES[("SKM", 2)][0],
            "programme_ms": PROGRAMMES[("SKM", 2)][1], "centre_code": PROGRAMMES[("SKM", 2)][3]}]
    post_txs(url, approve_txs("JPPS/2025/LAMA", "2025-01-09", old, key, cid))

    recs = {
        ("a", "skm3"): record(a, ("SKM", 3), jpps_ref="JPPS/2026/UJI", jpps_date=recent),
        ("a", "dkm4"): record(a, ("DKM", 4), jpps_ref="JPPS/2025/07", jpps_date=date(2025, 7, 3)),
        ("a", "vto"): record(a, ("VTO", 3), jpps_ref="JPPS/2025/07", jpps_date=date(2025, 7, 3)),
        ("a", "revoked"): record(a, ("SKM", 2), jpps_ref="JPPS/2024/02", jpps_date=date(2024, 2, 8)),
        ("a", "old"): record(a, ("SKM", 1), jpps_ref="JPPS/2023/05", jpps_date=date(2023, 5, 4), name="NUR AISYA"),
        ("b", "skm3"): record(b, ("SKM", 3), jpps_ref="JPPS/2025/07", jpps_date=date(2025, 7, 3)),
    }
    holders = {"a": a, "b": b}
    txs = []
    for (who, label), rec in recs.items():
        code = make_activation_code(key, rec.cert_no)
        holders[who].certs[label] = rec.cert_no
        holders[who].codes[rec.cert_no] = code
        txs.append(issue_tx(rec, key, cid, activation=activation_digest(cid, rec.cert_no, code)))
    post_txs(url, txs)
    now = utc_timestamp(datetime.now(UTC))
    post_txs(url, [revoke_tx(a.certs["revoked"], "Kesilapan data <b>ujian</b>", now, key, cid)])
    fixed = record(a, ("SKM", 1), jpps_ref="JPPS/2023/05", jpps_date=date(2023, 5, 4), supersedes=a.certs["old"])
    post_txs(url, [issue_tx(fixed, key, cid)])
    a.certs["fixed"] = fixed.cert_no
    return {"a": a, "b": b, "p": p, "nobody": nobody}


# --- a browser-like client ------------------------------------------------------------------

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
_addr = itertools.count(1)


@dataclass
class Page:
    status: int
    text: str
    headers: Any
    url: str
    body: bytes = b""

    @property
    def csrf(self) -> str:
        m = _CSRF.search(self.text)
        assert m, "no CSRF token on the page"
        return m.group(1)


class Client:
    """Cookies, a CSRF token from the last page, and its own client address (X-Forwarded-For)."""

    def __init__(self, base: str, *, address: str | None = None) -> None:
        self.base = base
        n = next(_addr)
        self.address = address or f"10.{os.getpid() % 250}.{n // 250 % 250}.{n % 250}"
        self.session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True),
                                             headers={"X-Forwarded-For": self.address})
        self.last: Page | None = None

    async def close(self) -> None:
        await self.session.close()

    @property
    def token(self) -> str:
        """The CSRF token of the last HTML page."""
        assert self.last is not None, "no page loaded yet"
        return self.last.csrf

    async def _page(self, resp: aiohttp.ClientResponse) -> Page:
        body = await resp.read()
        text = body.decode("utf-8", "replace")
        page = Page(resp.status, text, resp.headers, str(resp.url), body)
        if "text/html" in resp.headers.get("Content-Type", ""):
            self.last = page
        return page

    async def get(self, path: str, **kw: Any) -> Page:
        async with self.session.get(self.base + path, **kw) as resp:
            return await self._page(resp)

    async def post(self, path: str, data: Any = None, *, csrf: bool | str = True, **kw: Any) -> Page:
        if isinstance(data, dict) and csrf:
            token = csrf if isinstance(csrf, str) else (self.last.csrf if self.last else "")
            data = {"csrf": token, **data}
        async with self.session.post(self.base + path, data=data, **kw) as resp:
            return await self._page(resp)

    async def form(self, path: str, data: dict[str, str], *, lang: str | None = None) -> Page:
        """GET the form (for its token), then POST it, like a person filling it in."""
        q = f"?lang={lang}" if lang else ""
        await self.get(path + q)
        return await self.post(path + q, data)

    async def login(self, ic: str, password: str) -> Page:
        return await self.form("/log-masuk", {"ic": ic, "password": password})


# --- more holders and PDFs -----------------------------------------------------------------

_fresh = itertools.count(1)


def fresh_holder(chain: Chain, name: str = "SITI NURHALIZA BINTI YUSOF") -> Holder:
    """A new holder with one valid certificate and its activation code (no account yet)."""
    n = next(_fresh)
    h = Holder(name, f"8801{n % 28 + 1:02d}14{n:04d}")
    rec = record(h, ("SKM", 3), jpps_ref="JPPS/2025/07", jpps_date=date(2025, 7, 3))
    code = make_activation_code(chain.issuer, rec.cert_no)
    post_txs(chain.url, [issue_tx(rec, chain.issuer, chain.chain_id,
                                  activation=activation_digest(chain.chain_id, rec.cert_no, code))])
    h.certs["skm3"] = rec.cert_no
    h.codes[rec.cert_no] = code
    return h


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read())


def genuine_pdf(url: str, cert_no: str, lang: Literal["ms", "en"] = "ms") -> bytes:
    """The certificate PDF as ``python -m certificate render`` makes it: from the API's record and proof."""
    from certificate.pdf import render_certificate
    from certificate.proof import CertificateProof

    doc = get_json(f"{url}/api/v1/certificates/{cert_no}")
    base = get_json(f"{url}/api/v1/chain")["qr_base_url"]
    return render_certificate(CertificateRecord.from_dict(doc["record"]), CertificateProof.from_json(doc["proof"]),
                              lang=lang, base_url=base)


def pdf_text(data: bytes, tmp: Path) -> str:
    path = tmp / f"cert-{os.urandom(4).hex()}.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True,
                          timeout=30).stdout
