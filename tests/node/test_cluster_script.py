"""``scripts/cluster.py`` refusals and safety, without starting a cluster."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scripts import cluster as cluster_script
from tests.node.conftest import next_base
from tests.node.helpers import CLUSTER_SCRIPT, NAMES, ROOT

pytestmark = pytest.mark.timeout(60)


def run(d: Path, base: int, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(CLUSTER_SCRIPT), *args, "--dir", str(d), "--base-port", str(base)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


def test_a_stale_pid_file_never_gets_another_program_signalled(tmp_path: Path) -> None:
    """Regression: node.pid was trusted as is; once the node was gone and the system reused
    its pid, ``down`` or ``kill`` would signal whatever program had that pid now."""
    d, base = tmp_path / "c", next_base()
    cluster_script.create(d, base)
    bystander = subprocess.Popen(["sleep", "60"])
    try:
        (d / "jpk" / "node.pid").write_text(str(bystander.pid))
        res = run(d, base, "kill", "jpk")
        assert res.returncode == 2 and "not running" in res.stderr, res.stderr
        res = run(d, base, "down")
        assert res.returncode == 0 and "stopped 0 node(s)" in res.stdout, res.stdout + res.stderr
        res = run(d, base, "status")
        assert res.returncode == 0
        time.sleep(0.2)
        assert bystander.poll() is None, "cluster.py signalled a process that is not a node"
    finally:
        bystander.kill()
        bystander.wait()


def test_up_refuses_clearly_when_a_port_is_taken(tmp_path: Path) -> None:
    d, base = tmp_path / "c", next_base()
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a TIME_WAIT from an earlier run is fine
        s.bind(("127.0.0.1", base + 1002))
        s.listen()
        res = run(d, base, "up")
    assert res.returncode == 2, res.stdout + res.stderr
    assert f"port {base + 1002} is taken" in res.stderr and "--base-port" in res.stderr
    assert "Traceback" not in res.stderr
    assert not any((d / n / "node.pid").exists() for n in NAMES), "no node may start"


@pytest.mark.parametrize(("args", "words"), [
    (("kill", "nobody"), "unknown node"),
    (("pause",), "needs a NODE"),
])
def test_mistakes_are_one_line_and_exit_2(tmp_path: Path, args: tuple[str, ...], words: str) -> None:
    d, base = tmp_path / "c", next_base()
    cluster_script.create(d, base)
    res = run(d, base, *args)
    assert res.returncode == 2, res.stdout + res.stderr
    assert words in res.stderr and len(res.stderr.strip().splitlines()) == 1, res.stderr


def test_a_privileged_or_huge_base_port_is_refused(tmp_path: Path) -> None:
    for base in (80, 65000):
        res = run(tmp_path / "c", base, "status")
        assert res.returncode == 2 and "--base-port" in res.stderr, res.stderr


def test_commands_on_a_missing_cluster_say_how_to_make_one(tmp_path: Path) -> None:
    res = run(tmp_path / "none", next_base(), "status")
    assert res.returncode == 2 and "cluster.py up" in res.stderr, res.stderr


def test_up_fails_and_names_the_node_that_exited_at_start(tmp_path: Path) -> None:
    """Regression: ``up`` waited only for a leader (three nodes suffice) and printed "cluster up"
    while one node had exited at start."""
    d, base = tmp_path / "c", next_base()
    cluster_script.create(d, base)
    cfg = d / "agensi-2" / "node.toml"
    cfg.write_text(cfg.read_text().replace('key_file = "../keys/agensi-2.key"', 'key_file = "../keys/missing.key"'))
    try:
        res = run(d, base, "up")
        assert res.returncode == 2, res.stdout + res.stderr
        assert "agensi-2" in res.stderr and "cluster up" not in res.stdout, res.stdout + res.stderr
        assert "Traceback" not in res.stderr
    finally:
        run(d, base, "down")
