"""Smoke runs of ``scripts/bench.py``: each sub-benchmark at its smallest size (``--quick``)
produces its JSON. No timing is asserted; figures on a shared machine mean nothing here.

Results and cached chains go to a temporary directory, never to bench/results or bench/cache.
The runs that start whole clusters (commit, peer with PySyncObj, sync) are ``soak``: a minute
or more each.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_bench(tmp: Path, *which: str, base_port: int, timeout: float) -> dict[str, dict]:
    cmd = [sys.executable, str(ROOT / "scripts" / "bench.py"), *which, "--quick", "--results", str(tmp / "results"),
           "--cache", str(tmp / "cache"), "--base-port", str(base_port)]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    out = {}
    for name in which:
        data = json.loads((tmp / "results" / f"{name}.json").read_text())
        assert data["benchmark"] == name and data["machine"]["cores"] >= 1
        out[name] = data
    assert "== targets" in proc.stdout or not any(d.get("targets") for d in out.values())
    return out


@pytest.mark.timeout(120)
def test_limits_and_pdf(tmp_path: Path) -> None:
    r = run_bench(tmp_path, "limits", "pdf", base_port=3000, timeout=110)
    assert r["limits"]["cluster_ceiling_certs_per_s"] > 0
    assert r["pdf"]["ms"]["per_second_per_core"] > 0 and r["pdf"]["en"]["per_second_per_core"] > 0


@pytest.mark.cluster
@pytest.mark.timeout(180)
def test_verify_and_storage(tmp_path: Path) -> None:
    r = run_bench(tmp_path, "verify", "storage", base_port=9500, timeout=170)
    for target in ("holders_api", "semak", "hello_world"):
        assert r["verify"][target]["ok"] > 0
    assert r["storage"]["bytes_per_cert"] > 0
    assert (tmp_path / "cache" / "single-2000" / "ready.json").exists()


@pytest.mark.soak
@pytest.mark.cluster
@pytest.mark.timeout(300)
def test_commit(tmp_path: Path) -> None:
    r = run_bench(tmp_path, "commit", base_port=6000, timeout=290)["commit"]
    assert r["pipelined"]["committed"] > 0 and r["batched"]["committed"] > 0


@pytest.mark.soak
@pytest.mark.cluster
@pytest.mark.timeout(600)
def test_peer(tmp_path: Path) -> None:
    pytest.importorskip("pysyncobj")
    r = run_bench(tmp_path, "peer", base_port=11000, timeout=590)["peer"]
    assert set(r["ratios"]) == {"pipelined", "sequential"}


@pytest.mark.soak
@pytest.mark.cluster
@pytest.mark.timeout(600)
def test_sync(tmp_path: Path) -> None:
    r = run_bench(tmp_path, "sync", base_port=4500, timeout=590)["sync"]
    assert r["caught_up"]
