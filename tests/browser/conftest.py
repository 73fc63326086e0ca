"""A real 4-node demo cluster (``scripts/cluster.py up --demo``) and Debian's Chromium, headless.

The cluster is started once per test session on base ports 14000 + 100*w + 10*k (xdist worker
``w``), away from the other tests' ports and below the kernel's ephemeral range; a JPPS batch
with activation codes is then issued through ``python -m certificate issue``, exactly as a
certification officer does, so candidates can register with the codes from the batch result.
Screenshots go to ``test-artifacts/browser``.
"""

from __future__ import annotations

import csv
import itertools
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.node.helpers import ROOT, ClusterHandle, port_free

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts" / "browser"
_bases = itertools.count()

BATCH = """name,ic,kind,level,noss_code,programme_ms,programme_en,method,centre_code,centre_name,jpps_ref,jpps_date
NUR AISYAH BINTI AHMAD FAUZI,980314115234,SKM,3,I-031-3:2014,Pegawai Latihan Vokasional,Vocational Training Officer,\
SLaPB,K03021,INSTITUT KEMAHIRAN BELIA NEGARA PEKAN,JPPS/2026/PELAYAR,2026-11-20
TAN WEI MING,990707106781,DKM,4,Q869-002-4:2016,Penjagaan Ibu Selepas Bersalin,Postnatal Maternal Care,PPT,L03000,\
AVICENNA ACADEMY MALAYSIA,JPPS/2026/PELAYAR,2026-11-20
"""


@dataclass
class Demo:
    dir: Path
    urls: list[str]
    holders: list[dict[str, str]]
    candidates: list[dict[str, str]]

    def holder(self, note: str) -> dict[str, str]:
        """The first demo holder whose note is ``note`` ("" = an ordinary valid certificate) or starts with it."""
        def fits(h: dict[str, str]) -> bool:
            return (h["note"] == note) if note == "" else h["note"].startswith(note)
        return next(h for h in self.holders if fits(h) and (h["cert_no"] or note == "pending"))


def _base() -> int:
    digits = "".join(c for c in os.environ.get("PYTEST_XDIST_WORKER", "gw0") if c.isdigit())
    worker = int(digits) if digits else 0
    for k in _bases:
        if k >= 10:
            break
        base = 14000 + 100 * worker + 10 * k
        if all(port_free(base + i) and port_free(base + 1000 + i) for i in range(1, 5)):
            return base
    raise RuntimeError("no free port range for the browser cluster")


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's Chromium (/usr/bin/chromium) is not installed")
    base = _base()
    d = tmp_path_factory.mktemp("browser") / "cluster"
    handle = ClusterHandle(d, base)
    try:
        handle.script("up", "--demo", timeout=180)
        with (d / "demo-holders.csv").open(encoding="utf-8") as f:
            holders = list(csv.DictReader(f))
        batch = d / "batch.csv"
        batch.write_text(BATCH, encoding="utf-8")
        urls = [handle.urls[n] for n in handle.names]
        subprocess.run([sys.executable, "-m", "certificate", "issue", "--csv", str(batch), "--key",
                        str(d / "keys" / "issuer.key"), "--node", urls[0], "--node", urls[1]],
                       cwd=ROOT, check=True, capture_output=True, timeout=120)
        with (d / "batch.csv.result.csv").open(encoding="utf-8") as f:
            candidates = list(csv.DictReader(f))
        yield Demo(d, urls, holders, candidates)
    finally:
        handle.down()
        handle.sigkill_leftovers()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's Chromium (/usr/bin/chromium) is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                               args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True, locale="ms-MY")
    ctx.set_default_timeout(20_000)
    try:
        yield ctx.new_page()
    finally:
        ctx.close()


def shot(page: Any, name: str, *, full: bool = True) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full)
    return path
