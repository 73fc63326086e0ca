"""Process control for chaos runs: the cluster as ``scripts/cluster.py`` runs it, with the
bookkeeping the checks need (process lifetimes, restarts that really started, clock offsets), and
the genesis rewrite that routes every p2p connection through the proxy (see chaos_proxy.py)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from pathlib import Path

from scripts.chaos_workload import NODE_NAMES, Lifetimes

ROOT = Path(__file__).resolve().parent.parent
CLUSTER = ROOT / "scripts" / "cluster.py"
CLOCK_SHIM = ROOT / "scripts" / "chaos_clock"
DISK_FAULTS_FILE = "disk_faults"  # beside each node's data directory; see node/storage/db.py DiskFaults


def proxy_port(base: int, i: int) -> int:
    return base + 500 + i


class PortTaken(Exception):
    pass


class Cluster:
    """``scripts/cluster.py`` for one directory, plus the process bookkeeping the checks need."""

    def __init__(self, d: Path, base: int, life: Lifetimes) -> None:
        self.dir, self.base, self.life = d, base, life
        self.restarts_failed = 0  # node processes that exited right after a start (port races)
        self.start_failures: list[str] = []
        self.env = dict(os.environ, SPKM_CHAOS_CLOCK="1", SPKM_DISK_FAULTS=DISK_FAULTS_FILE,
                        PYTHONPATH=os.pathsep.join([str(CLOCK_SHIM), os.environ.get("PYTHONPATH", "")]))

    async def script(self, *args: str, timeout: float = 90) -> tuple[int, str]:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, str(CLUSTER), *args, "--dir", str(self.dir), "--base-port", str(self.base),
            cwd=ROOT, env=self.env, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        try:
            out, _ = await asyncio.wait_for(proc.communicate(), timeout)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            return 99, f"cluster.py {' '.join(args)} timed out"
        return int(proc.returncode or 0), out.decode(errors="replace")

    def pid(self, node: str) -> int | None:
        try:
            return int((self.dir / node / "node.pid").read_text())
        except (OSError, ValueError):
            return None

    @staticmethod
    def running(pid: int | None) -> bool:
        """Any thread of the process still alive (a zombie leader whose other threads are still
        exiting holds the data directory's lock: a restart then would fail)."""
        if pid is None:
            return False
        try:
            state = Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][:1]
            tasks = os.listdir(f"/proc/{pid}/task")
        except (OSError, IndexError):
            return False
        return state not in ("Z", "X") or tasks not in ([], [str(pid)])

    async def kill(self, node: str) -> None:
        pid = self.pid(node)
        self.life.epoch[node] += 1
        self.life.down.add(node)
        await self.script("kill", node)
        for _ in range(100):
            if not self.running(pid):
                break
            await asyncio.sleep(0.05)
        self.life.paused.discard(node)
        self.life.epoch[node] += 1

    async def restart(self, node: str) -> None:
        """``cluster.py restart``; tries again (up to 6 times, waiting longer each time) if the new
        process exits at once, e.g. because a port it needs is briefly held by another program's
        outgoing connection. Why a start failed is kept in ``start_failures``."""
        for attempt in range(6):
            code, out = await self.script("restart", node)
            if code != 0:
                raise RuntimeError(f"cluster.py restart {node} failed: {out}")
            pid = self.pid(node)
            await asyncio.sleep(1.0 + attempt)
            if self.running(pid):
                break
            self.restarts_failed += 1
            tail = (self.dir / node / "node.log").read_text(errors="replace").strip().splitlines()[-1:]
            self.start_failures.append(f"{node}: {tail[0][:200] if tail else '?'}")
        self.life.down.discard(node)

    async def ensure_all_running(self) -> None:
        for node in NODE_NAMES:
            if not self.running(self.pid(node)):
                self.restarts_failed += 1
                await self.restart(node)

    async def pause(self, node: str) -> None:
        self.life.paused.add(node)
        await self.script("pause", node)

    async def resume(self, node: str) -> None:
        await self.script("resume", node)
        self.life.paused.discard(node)

    def set_disk(self, node: str, delay_ms: float = 0.0, fail: bool = False) -> None:
        """The node's synced writes wait ``delay_ms`` first, or fail (node/storage/db.py DiskFaults)."""
        path = self.dir / node / DISK_FAULTS_FILE
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"fsync_delay_ms": delay_ms, "fail": fail}) + "\n")
        tmp.replace(path)

    def set_clock(self, node: str, offset: float) -> None:
        path = self.dir / node / "clock_offset"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(f"{offset:.3f}\n")
        tmp.replace(path)

    def sigkill_leftovers(self) -> None:
        for node in NODE_NAMES:
            pid = self.pid(node)
            if pid is None:
                continue
            with contextlib.suppress(OSError):
                if str(self.dir / node / "node.toml").encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                    os.kill(pid, signal.SIGCONT)
                    os.kill(pid, signal.SIGKILL)


def prepare(d: Path, base: int) -> str:
    """Keys, configs and a genesis whose p2p addresses are the proxy's; returns the chain id."""
    from scripts.cluster import create

    create(d, base)
    gpath = d / "genesis.json"
    genesis = json.loads(gpath.read_text())
    for i, m in enumerate(genesis["members"], 1):
        m["p2p"] = f"127.0.0.1:{proxy_port(base, i)}"
    gpath.write_text(json.dumps(genesis, indent=2) + "\n")
    return str(genesis["chain_id"])
