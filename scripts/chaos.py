#!/usr/bin/env python3
"""Chaos run against a real 4-node cluster: faults while certificates are issued and revoked.

    python scripts/chaos.py --seed S --duration SECONDS [--base-port B] [--dir D] [--keep] [--json FILE]

Starts a cluster with ``scripts/cluster.py`` whose genesis sends every p2p connection through a
fault-injecting proxy (``scripts/chaos_proxy.py``: one policy per directed link), issues
certificates from several concurrent clients through different nodes, revokes some, and injects
faults chosen by the seed: SIGKILL + restart, SIGSTOP/SIGCONT longer than the election timeout,
2-2 and 1-3 partitions, an isolated leader, one-way links, delay, dropped connections,
wall-clock jumps of one node, a slow disk (every fsync delayed) and a failing disk (synced writes
fail: the node must stop rather than acknowledge). Then it heals everything and checks (see ``docs/reliability.md``):
every acknowledged certificate and revocation is on every node exactly once and where its 201
said; one head hash; ``verify-chain`` passes on every stopped node; no height went backwards; no
read that began after an acknowledgement missed it. Exit 0 only if nothing was violated.

Ports: HTTP ``B+1..4`` and p2p ``B+1001..1004`` (cluster.py), proxy ``B+501..504``.
The seed fixes the fault schedule (kinds, victims, durations, gaps); which node is leader at a
given moment is up to the cluster, so two runs of one seed are alike but not identical.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.chaos_checks import converge, judge, log_tail, read_chain, verify_chains  # noqa: E402
from scripts.chaos_cluster import Cluster, PortTaken, prepare, proxy_port  # noqa: E402
from scripts.chaos_faults import NOISE, PRIMARY, Faults  # noqa: E402
from scripts.chaos_proxy import ProxyThread  # noqa: E402
from scripts.chaos_workload import NODE_NAMES, Ack, Http, Ledger, Lifetimes, Workload  # noqa: E402
from scripts.cluster import port_free  # noqa: E402


@dataclass
class Episode:
    kind: str
    detail: str
    start: float
    healed: float = 0.0
    recovered: float | None = None  # seconds from heal to the next acknowledgement


@dataclass
class Report:
    seed: int
    duration: float
    faults: Counter[str] = field(default_factory=Counter)
    episodes: list[Episode] = field(default_factory=list)
    recovery_after_last: float | None = None
    verify: dict[str, tuple[int, str]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


class Chaos(Faults):
    def __init__(self, seed: int, duration: float, base: int, d: Path, log: Any = print,
                 only: set[str] | None = None) -> None:
        self.seed, self.duration, self.base, self.dir = seed, duration, base, d
        self.only = only
        self.rng = random.Random(seed)
        self.life = Lifetimes()
        self.cluster = Cluster(d, base, life=self.life)
        self.ledger = Ledger()
        self.report = Report(seed, duration)
        self.log = log
        self.proxy: ProxyThread | None = None
        self.t0 = time.monotonic()
        self.end = self.t0 + duration

    def say(self, text: str) -> None:
        self.log(f"[{time.monotonic() - self.t0:7.2f}] {text}")

    async def episode(self, wl: Workload) -> None:
        kind = self.pick(PRIMARY)
        ep = Episode(kind, "", time.monotonic() - self.t0)
        self.report.episodes.append(ep)
        self.report.faults[kind] += 1
        noise_task = None
        if self.rng.random() < 0.35 and (self.only is None or self.only & set(NOISE)):
            nkind = self.pick(NOISE)
            self.report.faults[nkind] += 1
            nep = Episode(nkind, "", time.monotonic() - self.t0)
            self.report.episodes.append(nep)
            seconds = max(1.0, min(2 + self.rng.random() * 5, self.end - time.monotonic()))
            noise_task = asyncio.create_task(self.noise(nkind, wl, seconds))
        ep.detail = await self.primary(kind, wl)
        ep.healed = time.monotonic() - self.t0
        self.say(f"fault {kind}: {ep.detail}, healed")
        if noise_task is not None:
            nep.detail = await noise_task
            nep.healed = time.monotonic() - self.t0
            self.say(f"fault {nep.kind}: {nep.detail}")

    async def heal_everything(self) -> None:
        if self.proxy is not None:
            self.proxy.heal_all()
        for node in NODE_NAMES:
            self.cluster.set_clock(node, 0.0)
            self.cluster.set_disk(node)
        for node in list(self.life.paused):
            await self.cluster.resume(node)
        for node in NODE_NAMES:
            if not Cluster.running(self.cluster.pid(node)):
                await self.cluster.restart(node)
        await asyncio.sleep(1.0)
        await self.cluster.ensure_all_running()

    # --- the run -------------------------------------------------------------------------------
    async def run(self) -> int:
        for port in (f(self.base, i) for i in range(1, 5) for f in (proxy_port, lambda b, i: b + i,
                                                                       lambda b, i: b + 1000 + i)):
            if not port_free(port):
                raise PortTaken(f"port {port} is taken; try another --base-port")
        chain_id = prepare(self.dir, self.base)
        routes = {n: (proxy_port(self.base, i), self.base + 1000 + i) for i, n in enumerate(NODE_NAMES, 1)}
        self.proxy = ProxyThread(routes, seed=self.seed)
        self.proxy.start()
        try:
            code, out = await self.cluster.script("up")
            if code != 0:
                raise RuntimeError(f"cluster.py up failed: {out}")
            await asyncio.sleep(1.0)
            await self.cluster.ensure_all_running()
            self.say(f"cluster up in {self.dir} (chain {chain_id}), proxy on {self.base + 501}-{self.base + 504}")
            return await self._run(chain_id)
        finally:
            await self.cluster.script("down")
            self.cluster.sigkill_leftovers()
            self.proxy.stop()

    async def _run(self, chain_id: str) -> int:
        urls = {n: f"http://127.0.0.1:{self.base + i}" for i, n in enumerate(NODE_NAMES, 1)}
        key_file = self.dir / "keys" / "issuer.key"
        async with Http(urls) as http:
            wl = Workload(http, self.ledger, self.life, random.Random(self.seed + 1), key_file=key_file,
                          chain_id=chain_id, seed=self.seed)
            t_start = time.monotonic()
            end = self.end = t_start + self.duration
            submit_deadline = end + 40
            tasks: list[asyncio.Task[Any]] = []
            for n in NODE_NAMES:
                tasks.append(asyncio.create_task(wl.status_poller(n)))
            clients = [asyncio.create_task(wl.issuer(i, submit_deadline)) for i in range(4)]
            clients.append(asyncio.create_task(wl.batcher(0, submit_deadline)))
            clients.append(asyncio.create_task(wl.revoker(submit_deadline)))
            tasks += [asyncio.create_task(wl.reader()) for _ in range(2)]
            await asyncio.sleep(min(3.0, self.duration / 10))
            while time.monotonic() < end - 2:
                await self.episode(wl)
                gap = 0.3 + self.rng.random() * 2.0
                await asyncio.sleep(min(gap, max(0.0, end - time.monotonic())))
            if time.monotonic() < end:
                await asyncio.sleep(end - time.monotonic())
            last_fault = time.monotonic()
            self.say("healing everything")
            await self.heal_everything()
            healed = time.monotonic()
            wl.stop.set()
            recovery = asyncio.create_task(self.recover(wl, http, chain_id, healed))
            done, pending = await asyncio.wait(clients, timeout=45)
            for t in pending:
                t.cancel()
            for t in done:
                if t.exception() is not None:
                    self.ledger.violation(f"client crashed: {t.exception()!r}")
            await recovery
            ok, sts = await converge(http, 300)
            self.report.extra["heal_seconds"] = healed - last_fault
            if not ok:
                self.ledger.violation(
                    f"no convergence after healing (300 s cap, or 30 s without progress): "
                    f"{ {n: (s.get('height'), s.get('role'), s.get('leader_id')) for n, s in sts.items()} }; "
                    + "; ".join(f"{n}: {log_tail(self.dir, n)}" for n in NODE_NAMES
                                if n not in sts or sts[n].get("height") != max(x["height"] for x in sts.values())))
            self._recovery_per_episode()
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            # final reads: every acknowledged revocation is revoked on every node
            for cn in sorted(self.ledger.revocations):
                for n in NODE_NAMES:
                    shown = await wl.check_read(cn, n, timeout=10)
                    if shown != "revoked":
                        self.ledger.violation(f"after healing {n} shows {cn} as {shown}, its revocation was acked")
            height = max(int(s["height"]) for s in sts.values()) if sts else 0
            chains = await asyncio.gather(*(read_chain(http, n, height) for n in NODE_NAMES))
            verdict = judge(self.ledger, chains)
            self.report.extra.update(height=height, certs_on_chain=verdict.certs_on_chain,
                                     unacked_landed=verdict.unacked_landed, lost=len(verdict.lost),
                                     duplicated=len(verdict.duplicated),
                                     lost_revocations=len(verdict.lost_revocations),
                                     misplaced=len(verdict.misplaced), head_hashes=len(verdict.head_hashes),
                                     block_time_ahead_s=round(verdict.block_time_ahead_s, 1),
                                     head=next(iter(verdict.head_hashes))[:16] if verdict.head_hashes else "")
        assert self.proxy is not None
        self.report.extra["links"] = self.proxy.link_stats()
        await self.cluster.script("down")
        self.report.verify = await verify_chains(self.dir)
        for n, (code, line) in self.report.verify.items():
            if code != 0:
                self.ledger.violation(f"verify-chain failed on {n}: {line}")
        return 1 if self.ledger.violations else 0

    async def recover(self, wl: Workload, http: Http, chain_id: str, healed: float) -> None:
        """Time from healing until a new certificate is acknowledged and every node holds it."""
        ack = await self.probe(wl, chain_id)
        if ack is None:
            self.ledger.violation("the probe certificate after healing was not acknowledged")
            return
        ok, _ = await converge(http, 300, min_height=ack.height)
        if ok:
            self.report.recovery_after_last = time.monotonic() - healed

    async def probe(self, wl: Workload, chain_id: str) -> Ack | None:
        from scripts.chaos_workload import TxSupply, cert_no_of

        [raw] = await TxSupply(self.dir / "keys" / "issuer.key", chain_id, f"chaos-{self.seed}-probe", 1).take(1)
        cert_no = cert_no_of(raw)
        self.ledger.submitted.add(cert_no)
        ack = await wl.submit_until_acked(raw, self.rng.choice(NODE_NAMES), what="probe",
                                          deadline=time.monotonic() + 60)
        if ack is not None:
            ack.cert_no = cert_no
            self.ledger.acks[cert_no] = ack
        return ack

    def _recovery_per_episode(self) -> None:
        acks = sorted(a.at - self.t0 for a in [*self.ledger.acks.values(), *self.ledger.revocations.values()])
        primaries = [e for e in self.report.episodes if e.kind in PRIMARY]
        for i, ep in enumerate(primaries):
            nxt = primaries[i + 1].start if i + 1 < len(primaries) else float("inf")
            after = next((t for t in acks if t >= ep.healed), None)
            if after is not None and after <= nxt:
                ep.recovered = after - ep.healed

    # --- output ----------------------------------------------------------------------------------
    def summary(self) -> dict[str, Any]:
        r, lg = self.report, self.ledger
        rec = [e.recovered for e in r.episodes if e.recovered is not None]
        times = sorted(a.at for a in lg.acks.values())
        gap = max((b - a for a, b in itertools.pairwise(times)), default=None)
        return {
            "seed": r.seed, "duration_s": r.duration,
            "faults": dict(sorted(r.faults.items())), "faults_total": sum(r.faults.values()),
            "certificates_acknowledged": len(lg.acks), "certificates_submitted": len(lg.submitted),
            "lost": r.extra.get("lost"), "duplicated": r.extra.get("duplicated"),
            "misplaced": r.extra.get("misplaced"),
            "revocations_acknowledged": len(lg.revocations), "revocations_lost": r.extra.get("lost_revocations"),
            "stale_reads": lg.stale_reads, "reads_checked": lg.reads, "height_regressions": lg.regressions,
            "head_hashes": r.extra.get("head_hashes"), "head": r.extra.get("head"), "height": r.extra.get("height"),
            "certs_on_chain": r.extra.get("certs_on_chain"), "unacked_but_on_chain": r.extra.get("unacked_landed"),
            "recovery_after_last_fault_s": None if r.recovery_after_last is None else round(r.recovery_after_last, 2),
            "max_recovery_per_fault_s": round(max(rec), 2) if rec else None,
            "longest_ack_gap_s": None if gap is None else round(gap, 2),
            "block_time_ahead_s": r.extra.get("block_time_ahead_s"),
            "verify_chain": {n: c for n, (c, _) in r.verify.items()},
            "client_rejections": len(lg.anomalies), "node_starts_failed": self.cluster.restarts_failed,
            "node_start_failures": self.cluster.start_failures[:10],
            "http": dict(sorted(lg.counts.items())),
            "violations": lg.violations, "anomalies": lg.anomalies[:20],
            "episodes": [vars(e) for e in r.episodes],
        }

    def print_summary(self, s: dict[str, Any]) -> None:
        rows = [("seed", s["seed"]), ("duration (s)", s["duration_s"])]
        rows += [(f"faults: {k}", v) for k, v in s["faults"].items()]
        rows += [("faults total", s["faults_total"]),
                 ("certificates acknowledged", s["certificates_acknowledged"]),
                 ("  lost", s["lost"]), ("  duplicated", s["duplicated"]),
                 ("  acked at another height/hash", s["misplaced"]),
                 ("  unacknowledged but on chain", s["unacked_but_on_chain"]),
                 ("revocations acknowledged", s["revocations_acknowledged"]),
                 ("  revocations lost", s["revocations_lost"]),
                 ("reads checked", s["reads_checked"]), ("stale reads", s["stale_reads"]),
                 ("height regressions", s["height_regressions"]),
                 ("distinct head hashes", f"{s['head_hashes']} ({s['head']} at height {s['height']})"),
                 ("verify-chain exit codes", " ".join(f"{n}={c}" for n, c in s["verify_chain"].items())),
                 ("recovery after last fault (s)", s["recovery_after_last_fault_s"]),
                 ("longest recovery after a fault (s)", s["max_recovery_per_fault_s"]),
                 ("longest gap between acks (s)", s["longest_ack_gap_s"]),
                 ("newest block time ahead of real time (s)", s["block_time_ahead_s"]),
                 ("client 4xx (anomalies)", s["client_rejections"]),
                 ("node starts retried", s["node_starts_failed"]),
                 ("violations", len(s["violations"]))]
        width = max(len(k) for k, _ in rows)
        print(f"\n== chaos summary (seed {s['seed']})")
        for k, v in rows:
            print(f"  {k:<{width}}  {v}")
        for v in s["violations"][:30]:
            print(f"  VIOLATION: {v}")
        for a in s["anomalies"][:10]:
            print(f"  note: {a}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="chaos.py", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--duration", type=float, required=True, help="seconds of faults (then heal and check)")
    p.add_argument("--base-port", type=int, default=28000)
    p.add_argument("--dir", type=Path, help="cluster directory (default: a new temporary one)")
    p.add_argument("--keep", action="store_true", help="keep the cluster directory even when the run passes")
    p.add_argument("--json", type=Path, help="also write the summary as JSON here")
    p.add_argument("--quiet", action="store_true", help="no per-fault lines")
    p.add_argument("--faults", help=f"comma-separated subset of: {', '.join(sorted(PRIMARY | NOISE))} "
                                    "(to reproduce one kind; default all)")
    a = p.parse_args(argv)
    if not 1 <= a.duration <= 24 * 3600:
        p.error("--duration must be 1..86400 seconds")
    if not 1024 <= a.base_port <= 63000:
        p.error("--base-port must be 1024..63000")
    d = (a.dir or Path(tempfile.mkdtemp(prefix=f"chaos-{a.seed}-"))).resolve()
    if (d / "genesis.json").exists():
        p.error(f"{d} already holds a cluster; chaos needs a fresh directory")
    d.mkdir(parents=True, exist_ok=True)
    only = set(a.faults.split(",")) if a.faults else None
    if only is not None and not only <= set(PRIMARY) | set(NOISE):
        p.error(f"unknown fault kinds: {', '.join(sorted(only - set(PRIMARY) - set(NOISE)))}")
    chaos = Chaos(a.seed, a.duration, a.base_port, d, log=(lambda _t: None) if a.quiet else print, only=only)
    try:
        code = asyncio.run(chaos.run())
    except PortTaken as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    s = chaos.summary()
    s["dir"] = str(d)
    chaos.print_summary(s)
    if a.json:
        a.json.write_text(json.dumps(s, indent=2, default=str) + "\n")
    if code == 0 and not a.keep and a.dir is None:
        shutil.rmtree(d, ignore_errors=True)
    else:
        print(f"  cluster directory: {d}")
    return code


if __name__ == "__main__":
    raise SystemExit(main())
