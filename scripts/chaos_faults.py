"""The faults of a chaos run (``scripts/chaos.py``): what each one does to the cluster, and how
it is healed. The seed's random generator picks kinds, victims, durations and gaps."""

from __future__ import annotations

import asyncio
import random
import shutil
import time
import urllib.error
import urllib.request
from pathlib import Path

from scripts.chaos_cluster import Cluster
from scripts.chaos_proxy import ProxyThread
from scripts.chaos_workload import NODE_NAMES, Lifetimes, Workload

ELECTION_TIMEOUT = 1.0  # cluster.py's genesis: election_timeout_ms 1000
PRIMARY = {"kill": 3, "pause": 2, "partition-2-2": 2, "partition-1-3": 2, "leader-isolated": 2,
           "one-way": 2, "leader-mute": 1, "leader-deaf": 1, "kill-2": 1, "crash-all": 1, "wipe": 1, "disk-fail": 1}
NOISE = {"delay": 2, "flaky": 2, "clock": 1, "slow-disk": 2}


class Faults:
    """Fault injection for ``Chaos``, which sets these attributes."""

    rng: random.Random
    only: set[str] | None
    cluster: Cluster
    proxy: ProxyThread | None
    life: Lifetimes
    dir: Path
    base: int
    end: float

    def pick(self, table: dict[str, int]) -> str:
        if self.only is not None:
            table = {k: w for k, w in table.items() if k in self.only} or table
        kinds = sorted(table)
        return self.rng.choices(kinds, weights=[table[k] for k in kinds])[0]

    def victim(self, wl: Workload, leader_bias: float = 0.4) -> str:
        lead = wl.leader()
        if lead is not None and self.rng.random() < leader_bias:
            return lead
        return self.rng.choice(NODE_NAMES)

    async def hold(self, wl: Workload, lo: float, hi: float) -> None:
        """Sleep U(lo, hi), cut short at the end of the run (but never below ``lo``)."""
        want = lo + self.rng.random() * (hi - lo)
        await asyncio.sleep(max(lo, min(want, self.end - time.monotonic())))

    async def primary(self, kind: str, wl: Workload) -> str:
        p = self.proxy
        assert p is not None
        mode = self.rng.choice(["reset", "blackhole"])
        if kind == "kill":
            node = self.victim(wl)
            await self.cluster.kill(node)
            await self.hold(wl, 0.3, 4.0)
            await self.cluster.restart(node)
            return node
        if kind == "kill-2":  # no quorum until one is back
            nodes = self.rng.sample(NODE_NAMES, 2)
            for node in nodes:
                await self.cluster.kill(node)
            await self.hold(wl, 0.3, 3.0)
            for node in nodes:
                await self.cluster.restart(node)
            return "+".join(nodes)
        if kind == "crash-all":  # every process SIGKILLed at once: acknowledged = on disk somewhere
            await asyncio.gather(*(self.cluster.kill(n) for n in NODE_NAMES))
            await self.hold(wl, 0.2, 2.0)
            for node in NODE_NAMES:
                await self.cluster.restart(node)
            return "all"
        if kind == "wipe":  # a disk replaced: SIGKILL, delete the data directory, resync from peers
            node = self.victim(wl)
            if not self.all_same_head(wl):
                await self.cluster.kill(node)  # one lost disk at a time: wait until it has caught up
                await self.hold(wl, 0.3, 2.0)
                await self.cluster.restart(node)
                return f"{node} (kill only: a node was still catching up)"
            await self.cluster.kill(node)
            shutil.rmtree(self.dir / node / "data", ignore_errors=True)
            self.life.wiped.add(node)
            await self.hold(wl, 0.3, 2.0)
            await self.cluster.restart(node)
            return f"{node} data directory deleted"
        if kind == "disk-fail":  # synced writes fail: the node must stop rather than acknowledge
            node = self.victim(wl)
            self.cluster.set_disk(node, fail=True)
            await self.hold(wl, 0.5, 3.0)
            self.cluster.set_disk(node)
            stopped = await self.stopped_by_disk(node)
            if stopped:
                await self.cluster.restart(node)
            return f"{node} ({'stopped, restarted' if stopped else 'wrote nothing meanwhile'})"
        if kind == "pause":
            node = self.victim(wl, 0.5)
            await self.cluster.pause(node)
            await self.hold(wl, ELECTION_TIMEOUT * 1.5, ELECTION_TIMEOUT * 5)
            await self.cluster.resume(node)
            return node
        if kind in ("partition-1-3", "leader-isolated"):
            node = (wl.leader() if kind == "leader-isolated" else None) or self.rng.choice(NODE_NAMES)
            p.partition([[node], [n for n in NODE_NAMES if n != node]], mode)
            await self.hold(wl, 2.0, 7.0)
            p.heal_cuts()  # a concurrent delay fault keeps its links
            return f"{node} ({mode})"
        if kind == "partition-2-2":
            nodes = list(NODE_NAMES)
            self.rng.shuffle(nodes)
            p.partition([nodes[:2], nodes[2:]], mode)
            await self.hold(wl, 2.0, 7.0)
            p.heal_cuts()  # a concurrent delay fault keeps its links
            return f"{'+'.join(sorted(nodes[:2]))} | {'+'.join(sorted(nodes[2:]))} ({mode})"
        if kind == "one-way":
            src, dst = self.rng.sample(NODE_NAMES, 2)
            if self.rng.random() < 0.5 and wl.leader():
                src = wl.leader() or src
                dst = self.rng.choice([n for n in NODE_NAMES if n != src])
            p.cut(src, dst, mode)
            await self.hold(wl, 2.0, 7.0)
            p.heal(src, dst)
            return f"{src}->{dst} ({mode})"
        if kind in ("leader-mute", "leader-deaf"):
            lead = wl.leader() or self.rng.choice(NODE_NAMES)
            for other in NODE_NAMES:
                if other != lead:
                    if kind == "leader-mute":
                        p.cut(lead, other, mode)
                    else:
                        p.cut(other, lead, mode)
            await self.hold(wl, 2.0, 6.0)
            p.heal_cuts()  # a concurrent delay fault keeps its links
            return f"{lead} ({mode})"
        raise ValueError(kind)

    async def stopped_by_disk(self, node: str) -> bool:
        """Whether the node stopped over a failed write: its /healthz says unhealthy (the engine
        stopped; the process takes a few seconds to exit) or the process is gone already."""
        url = f"http://127.0.0.1:{self.base + NODE_NAMES.index(node) + 1}/healthz"
        for _ in range(3):
            if not Cluster.running(self.cluster.pid(node)):
                return True
            try:
                await asyncio.to_thread(urllib.request.urlopen, url, timeout=2)
                return False
            except urllib.error.HTTPError:
                break  # 503: the engine stopped
            except OSError:
                await asyncio.sleep(0.5)
        for _ in range(40):
            if not Cluster.running(self.cluster.pid(node)):
                return True
            await asyncio.sleep(0.25)
        return True  # still exiting: restart() waits for it and starts it again

    @staticmethod
    def all_same_head(wl: Workload, slack: int = 20) -> bool:
        """Every node answered lately and none is more than ``slack`` blocks behind (so no node
        is still restoring a deleted data directory)."""
        now = time.monotonic()
        fresh = [int(st["height"]) for at, st in wl.latest.values() if now - at < 2]
        return len(fresh) == len(NODE_NAMES) and max(fresh) - min(fresh) <= slack

    async def noise(self, kind: str, wl: Workload, seconds: float) -> str:
        p = self.proxy
        assert p is not None
        if kind == "delay":
            delay = 0.02 + self.rng.random() * 0.4
            jitter = delay * self.rng.random()
            node = self.rng.choice([None, *NODE_NAMES])
            links = [(a, b) for a in NODE_NAMES for b in NODE_NAMES if a != b and node in (None, a, b)]
            for a, b in links:
                p.set_delay(a, b, delay, jitter)
            await asyncio.sleep(seconds)
            for a, b in links:
                p.set_delay(a, b, 0.0)
            return f"{delay * 1000:.0f}+-{jitter * 1000:.0f} ms on {node or 'all links'}"
        if kind == "flaky":
            end = time.monotonic() + seconds
            drops = 0
            while time.monotonic() < end:
                a, b = self.rng.sample(NODE_NAMES, 2)
                drops += p.drop(a, b)
                await asyncio.sleep(0.1 + self.rng.random() * 0.8)
            return f"{drops} connections dropped"
        if kind == "slow-disk":
            node = (wl.leader() if self.rng.random() < 0.5 else None) or self.rng.choice(NODE_NAMES)
            delay_ms = self.rng.choice([5.0, 20.0, 100.0, 400.0]) * (0.5 + self.rng.random())
            self.cluster.set_disk(node, delay_ms)
            await asyncio.sleep(seconds)
            self.cluster.set_disk(node)
            return f"{node} fsync +{delay_ms:.0f} ms"
        if kind == "clock":
            node = self.rng.choice(NODE_NAMES)
            offset = self.rng.choice([-3600.0, -300.0, -5.0, 5.0, 300.0, 3600.0]) * (0.5 + self.rng.random())
            self.cluster.set_clock(node, offset)
            await asyncio.sleep(seconds)
            self.cluster.set_clock(node, 0.0)
            return f"{node} {offset:+.0f} s and back"
        raise ValueError(kind)

