"""What every sub-benchmark of ``scripts/bench.py`` shares: results, tables, targets, clusters.

Figures are printed as tables and saved as JSON under ``bench/results/`` (git-ignored); data
that is slow to build (chains of a million certificates) is cached under ``bench/cache/``.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
PY = sys.executable


class Dirs:
    """Where results and caches go (``--results``/``--cache`` move them, e.g. for smoke tests)."""

    results = ROOT / "bench" / "results"
    cache = ROOT / "bench" / "cache"


#: Every table printed in this run, for bench/BASELINE.md.
PRINTED: list[list[str]] = []


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def machine() -> dict[str, Any]:
    mem = 0
    model = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) // 1024
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cores": os.cpu_count(), "memory_mib": mem, "cpu": model, "python": platform.python_version(),
            "platform": platform.platform()}


def save(name: str, data: dict[str, Any]) -> dict[str, Any]:
    Dirs.results.mkdir(parents=True, exist_ok=True)
    data = {"benchmark": name, "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine(), "load_average": os.getloadavg(), **data}
    (Dirs.results / f"{name}.json").write_text(json.dumps(data, indent=2) + "\n")
    return data


@dataclass(frozen=True)
class Target:
    """A goal printed beside a figure: ``value >= goal`` (or ``<=`` when ``at_most``)."""

    goal: float
    text: str
    at_most: bool = False

    def met(self, value: float) -> bool:
        return value <= self.goal if self.at_most else value >= self.goal

    def verdict(self, value: float) -> str:
        return f"[{'met' if self.met(value) else 'NOT met'}: {self.text}]"

    def record(self, name: str, value: float, unit: str = "") -> dict[str, Any]:
        """The target's outcome as saved in a result's ``targets`` list."""
        return {"name": name, "value": value, "unit": unit, "goal": self.text, "met": self.met(value)}


Row = tuple[str, str] | tuple[str, str, str]


def table(title: str, rows: list[Row]) -> list[str]:
    """Print a two- or three-column table (the third column is a target verdict); return its lines."""
    width = max(len(r[0]) for r in rows)
    vwidth = max(len(r[1]) for r in rows)
    lines = [f"== {title}"]
    for r in rows:
        extra = f"  {r[2]}" if len(r) > 2 else ""
        lines.append(f"  {r[0]:<{width}}  {r[1]:<{vwidth}}{extra}".rstrip())
    print("\n" + "\n".join(lines), flush=True)
    PRINTED.append(lines)
    return lines


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


def median(values: list[float]) -> float:
    return pct(values, 50)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU seconds each of ``pids`` spends inside a ``with`` block: unlike wall-clock rates, CPU
    per transaction hardly depends on how many other programs share the machine."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids
        self.used: list[float] = []

    def __enter__(self) -> CpuMeter:
        self._start = [cpu_seconds(p) for p in self.pids]
        return self

    def __exit__(self, *exc: object) -> None:
        self.used = [cpu_seconds(p) - s for p, s in zip(self.pids, self._start, strict=True)]

    def per_tx_ms(self, committed: int) -> list[float]:
        return [1000 * u / max(1, committed) for u in self.used]


def get_json(url: str, timeout: float = 2.0) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return json.loads(r.read())


def wait_until(pred: Any, timeout: float, step: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if pred():
                return True
        except (OSError, ValueError):
            pass
        time.sleep(step)
    return False


def free_base(start: int, offsets: tuple[int, ...]) -> int:
    """The first base from ``start`` (in steps of 10) whose ``base + offset`` ports are all free:
    another program (or a client connection, if run in the ephemeral range) can sit on one."""
    from scripts.cluster import port_free

    for base in range(start, start + 400, 10):
        if all(port_free(base + o) for o in offsets):
            return base
    return start


def ports_free(base: int) -> bool:
    """Are the HTTP and p2p ports of a ``scripts/cluster.py`` cluster at ``base`` free?"""
    from scripts.cluster import port_free

    return all(port_free(base + i) and port_free(base + 1000 + i) for i in range(1, 5))


class Cluster:
    """A throw-away 4-node local cluster run by ``scripts/cluster.py``.

    ``template`` (a prepared cluster directory: keys, genesis, node configs, data) is copied in
    first, so a cluster can start with a chain already built (see ``bench_chain``).
    """

    NODES = ("jpk", "mampu", "agensi-1", "agensi-2")

    def __init__(self, base_port: int, template: Path | None = None) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="bench-cluster-"))
        if template is not None:  # its ports are in its genesis: wait for them to be free
            wait_until(lambda: ports_free(base_port), 90, 1.0)
        else:  # another program may sit on one of our ports: move along
            base_port = next((b for b in range(base_port, base_port + 100, 10) if ports_free(b)), base_port)
        self.base = base_port
        self.urls = [f"http://127.0.0.1:{base_port + i}" for i in range(1, 5)]
        if template is not None:
            shutil.rmtree(self.dir)
            shutil.copytree(template, self.dir)

    def cli(self, *args: str) -> None:
        subprocess.run([PY, str(ROOT / "scripts" / "cluster.py"), *args, "--dir", str(self.dir),
                        "--base-port", str(self.base)], check=True, stdout=subprocess.DEVNULL)

    def __enter__(self) -> Cluster:
        self.cli("up")
        self.chain_id = json.loads((self.dir / "genesis.json").read_text())["chain_id"]
        return self

    def __exit__(self, *exc: object) -> None:
        self.cli("down")
        shutil.rmtree(self.dir, ignore_errors=True)

    def status(self, i: int) -> dict[str, Any]:
        st: dict[str, Any] = get_json(self.urls[i] + "/api/v1/status", 1.0)
        return st

    def leader(self, timeout: float = 30.0) -> int:
        """Index (0-3) of the node every reachable node agrees is the leader."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for i in range(4):
                try:
                    st = self.status(i)
                except (OSError, ValueError):
                    continue
                if st.get("role") == "leader":
                    return i
            time.sleep(0.1)
        raise RuntimeError("no leader")

    def pid(self, i: int) -> int:
        return int((self.dir / self.NODES[i] / "node.pid").read_text())

    def key_file(self) -> Path:
        return self.dir / "keys" / "issuer.key"

