"""``scripts/chaos.py`` as a test: a short run in CI, long runs on demand.

    pytest tests/chaos/test_chaos.py                       # one ~60 s run (seed CHAOS_SEED, default 7)
    pytest -m soak tests/chaos/test_chaos.py               # five seeds x CHAOS_SOAK_SECONDS (default 600)

A failure prints the run's summary table and the violations; the cluster directory is kept.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.chaos.ports import free_base, release
from tests.node.helpers import ROOT

CHAOS = ROOT / "scripts" / "chaos.py"


def run_chaos(tmp_path: Path, seed: int, duration: float) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    out = tmp_path / "summary.json"
    base = free_base()
    cmd = [sys.executable, str(CHAOS), "--seed", str(seed), "--duration", str(duration),
           "--base-port", str(base), "--dir", str(tmp_path / "cluster"), "--json", str(out), "--quiet"]
    try:
        res = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=duration + 400,
                             stdin=subprocess.DEVNULL)
    finally:
        release(base)
    summary = json.loads(out.read_text()) if out.exists() else {}
    return res, summary


def check(res: subprocess.CompletedProcess[str], s: dict[str, Any]) -> None:
    report = res.stdout[-6000:] + res.stderr[-3000:]
    assert res.returncode == 0, report
    assert s["certificates_acknowledged"] > 0, report
    assert s["faults_total"] > 0, report
    assert (s["lost"], s["duplicated"], s["misplaced"], s["revocations_lost"]) == (0, 0, 0, 0), report
    assert (s["stale_reads"], s["height_regressions"], s["head_hashes"]) == (0, 0, 1), report
    assert set(s["verify_chain"].values()) == {0}, report
    assert not s["violations"], report


@pytest.mark.cluster
@pytest.mark.timeout(420)
def test_short_chaos_run_loses_nothing(tmp_path: Path) -> None:
    seed = int(os.environ.get("CHAOS_SEED", "7"))
    res, summary = run_chaos(tmp_path, seed, float(os.environ.get("CHAOS_SECONDS", "35")))
    check(res, summary)


@pytest.mark.soak
@pytest.mark.cluster
@pytest.mark.timeout(int(os.environ.get("CHAOS_SOAK_SECONDS", "600")) + 600)
@pytest.mark.parametrize("seed", [101, 202, 303, 404, 505])
def test_long_chaos_runs(tmp_path: Path, seed: int) -> None:
    res, summary = run_chaos(tmp_path, seed, float(os.environ.get("CHAOS_SOAK_SECONDS", "600")))
    check(res, summary)
