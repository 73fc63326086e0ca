"""A real 4-node cluster (``scripts/cluster.py``) for the end-to-end issuance tests.

One cluster per test module; every test uses its own JPPS meeting, so tests do not depend on
each other's order.  Ports follow 30000 + xdist worker * 500 + counter * 10, skipping ranges
whose ports are taken (another run, another colleague's cluster).
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from certificate.tx import Transaction

ROOT = Path(__file__).resolve().parents[2]
CLUSTER = ROOT / "scripts" / "cluster.py"
_counter = itertools.count()


def _free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def next_base_port() -> int:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    index = int(worker[2:]) if worker[2:].isdigit() else 0
    for _ in range(50):
        base = 30000 + index * 500 + next(_counter) * 10
        if all(_free(base + i) and _free(base + 1000 + i) for i in range(1, 5)):
            return base
    raise RuntimeError("no free ports for a test cluster")


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@dataclass
class LocalCluster:
    dir: Path
    base: int

    @property
    def urls(self) -> list[str]:
        return [self.url(i) for i in range(1, 5)]

    def url(self, i: int) -> str:
        return f"http://127.0.0.1:{self.base + i}"

    @property
    def genesis(self) -> Path:
        return self.dir / "genesis.json"

    @property
    def chain_id(self) -> str:
        return str(json.loads(self.genesis.read_text())["chain_id"])

    def key(self, name: str) -> Path:
        return self.dir / "keys" / f"{name}.key"

    def ctl(self, *args: str) -> str:
        out = subprocess.run([sys.executable, str(CLUSTER), *args, "--dir", str(self.dir),
                              "--base-port", str(self.base)], cwd=ROOT, capture_output=True, text=True,
                             timeout=90, check=False)
        assert out.returncode == 0, out.stderr
        return out.stdout

    def cli(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "certificate", *args], cwd=ROOT, capture_output=True,
                              text=True, timeout=timeout, check=False)

    def popen(self, *args: str) -> subprocess.Popen[str]:
        """The CLI in the background, with Ctrl-C (SIGINT) as an officer's terminal delivers it.
        A shell without job control starts ``cmd &`` with SIGINT ignored, and Python then never
        turns SIGINT into KeyboardInterrupt: a suite started that way (``nohup .ci/run &``)
        saw the Ctrl-C test's CLI shrug off its SIGINT and finish the batch."""
        return subprocess.Popen([sys.executable, "-m", "certificate", *args], cwd=ROOT, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=_default_sigint)

    def get(self, path: str, node: int | None = None) -> tuple[int, Any]:
        """GET from the given node, or from the first that answers (tests survive a dead node)."""
        last: Exception | None = None
        for _ in range(100):
            for i in [node] if node else range(1, 5):
                try:
                    with urllib.request.urlopen(self.url(i) + path, timeout=10) as r:
                        return r.status, json.loads(r.read())
                except urllib.error.HTTPError as exc:
                    if exc.code != 503:
                        return exc.code, json.loads(exc.read() or b"{}")
                    last = exc
                except OSError as exc:
                    last = exc
            time.sleep(0.2)
        raise AssertionError(f"no node answered {path}: {last}")

    def post(self, path: str, body: Any, node: int = 1) -> tuple[int, Any]:
        req = urllib.request.Request(self.url(node) + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")

    def height(self, node: int | None = None) -> int:
        """The committed height, once every live node agrees on it (nothing still in flight)."""
        for _ in range(50):
            heights = set()
            for i in [node] if node else range(1, 5):
                try:
                    with urllib.request.urlopen(self.url(i) + "/api/v1/status", timeout=5) as r:
                        heights.add(json.loads(r.read())["height"])
                except OSError:
                    continue
            if len(heights) == 1:
                return heights.pop()
            time.sleep(0.2)
        raise AssertionError(f"nodes disagree on the height: {heights}")

    def transactions(self) -> list[Transaction]:
        """Every transaction on the chain, read block by block through the API."""
        txs = []
        for h in range(1, self.height() + 1):
            status, block = self.get(f"/api/v1/blocks/{h}")
            assert status == 200, block
            txs.extend(Transaction.decode(base64.b64decode(t)) for t in block["txs"])
        return txs


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    base = next_base_port()
    c = LocalCluster(tmp_path_factory.mktemp("issuance") / f"cluster-{base}", base)
    try:
        c.ctl("up")
        yield c
    finally:
        subprocess.run([sys.executable, str(CLUSTER), "down", "--dir", str(c.dir), "--base-port", str(base)],
                       cwd=ROOT, capture_output=True, timeout=60, check=False)
