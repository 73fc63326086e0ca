"""The per-process wall-clock jump used by chaos runs (scripts/chaos_clock/sitecustomize.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from tests.node.helpers import ROOT

SHIM = ROOT / "scripts" / "chaos_clock"
PROBE = "import time; print(time.time(), time.time_ns() / 1e9, time.monotonic())"


def run(tmp_path: Path, *, enabled: bool, as_node: bool) -> tuple[float, float]:
    env = dict(os.environ, PYTHONPATH=str(SHIM), SPKM_CHAOS_CLOCK="1" if enabled else "0")
    args = ["node", "--config", str(tmp_path / "node.toml")] if as_node else []
    out = subprocess.run([sys.executable, "-c", PROBE, *args], env=env, capture_output=True, text=True,
                         check=True, timeout=30).stdout.split()
    return float(out[0]), float(out[1])


def test_only_node_processes_with_the_switch_see_the_offset(tmp_path: Path) -> None:
    (tmp_path / "clock_offset").write_text("3600.5\n")
    now = time.time()
    t, t_ns = run(tmp_path, enabled=True, as_node=True)
    assert abs(t - now - 3600.5) < 20 and abs(t_ns - now - 3600.5) < 20
    for enabled, as_node in ((False, True), (True, False)):
        t, _ = run(tmp_path, enabled=enabled, as_node=as_node)
        assert abs(t - time.time()) < 20
    (tmp_path / "clock_offset").write_text("-300\n")
    t, _ = run(tmp_path, enabled=True, as_node=True)
    assert abs(t - time.time() + 300) < 20
