"""``commit``: certificates committed per second on the 4-node local cluster, and latency.

Shapes, all on one fresh cluster (every node verifies every signature and persists every block):

* idle single-cert commit latency, one transaction at a time, through the leader and through
  a follower (a follower forwards to the leader and answers once it applied the block itself);
* single-transaction ``POST /api/v1/tx`` with ``--inflight`` (1,000) requests outstanding,
  spread over the four nodes;
* batches: ``--clients`` clients, each on its own node, ``--batch`` transactions per request.

With ``--profile`` the leader and one follower are recorded with py-spy during the 1,000 in
flight shape (raw stacks in ``bench/results/profile-commit-*.txt``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import time
from typing import Any

from scripts.bench_chain import make_issue_txs
from scripts.bench_common import Cluster, CpuMeter, Target, log, save, table
from scripts.bench_http import post_batches, post_txs
from scripts.bench_profile import Profiler, print_summary

IDLE_P50_MS = Target(5.0, "p50 <= 5 ms idle", at_most=True)


def measure_ours(c: Cluster, pipe: list[bytes], seq: list[bytes], inflight: int) -> dict[str, Any]:
    """Ours in the two shapes the PySyncObj comparison uses (see ``bench_peer.measure``)."""
    lead = c.leader()
    out = {"sequential": asyncio.run(post_txs([c.urls[lead]], seq, 1))}
    with CpuMeter([c.pid(i) for i in range(4)]) as cpu:
        out["pipelined"] = asyncio.run(post_txs(c.urls, pipe, inflight))
    add_cpu(out["pipelined"], cpu, lead)
    return out


def add_cpu(r: dict[str, Any], cpu: CpuMeter, lead: int | None) -> None:
    """CPU milliseconds per committed transaction: all nodes together, the leader, a follower."""
    per = cpu.per_tx_ms(r["committed"])
    r["cpu_ms_per_tx"] = sum(per)
    if lead is not None:
        r["cpu_ms_per_tx_leader"] = per[lead]
        r["cpu_ms_per_tx_follower"] = statistics.mean(p for i, p in enumerate(per) if i != lead)


def bench_commit(args: argparse.Namespace, ctx: dict[str, Any]) -> dict[str, Any]:
    n, seq_n = args.txs, args.sequential
    with Cluster(args.base_port) as c:
        log(f"commit: signing {2 * n + seq_n + seq_n // 2} transactions")
        key = c.key_file()
        pipe = make_issue_txs(key, c.chain_id, n, "pipe")
        batched_txs = make_issue_txs(key, c.chain_id, n, "batch")
        seq_l = make_issue_txs(key, c.chain_id, seq_n, "seq-leader")
        seq_f = make_issue_txs(key, c.chain_id, max(1, seq_n // 2), "seq-follower")
        lead = c.leader()
        follower = (lead + 1) % 4
        profs: list[Profiler] = []
        time.sleep(1.0)
        log("commit: idle, one at a time")
        with contextlib.ExitStack() as stack:
            if args.profile:  # wall-clock, waits included: where an idle commit's milliseconds go
                profs.append(stack.enter_context(Profiler(c.pid(lead), "commit-idle-leader", idle=True)))
            idle_l = asyncio.run(post_txs([c.urls[lead]], seq_l, 1))
        idle_f = asyncio.run(post_txs([c.urls[follower]], seq_f, 1))
        log(f"commit: {n} single-tx requests, {args.inflight} in flight")
        with contextlib.ExitStack() as stack:
            if args.profile:
                profs += [stack.enter_context(Profiler(c.pid(lead), "commit-leader")),
                          stack.enter_context(Profiler(c.pid(follower), "commit-follower"))]
            cpu = stack.enter_context(CpuMeter([c.pid(i) for i in range(4)]))
            piped = asyncio.run(post_txs(c.urls, pipe, args.inflight))
        add_cpu(piped, cpu, lead)
        log(f"commit: {n} in batches of {args.batch}, {args.clients} clients")
        batched = asyncio.run(post_batches(c.urls, batched_txs, args.clients, args.batch))
    result: dict[str, Any] = {"params": {"txs": n, "sequential": seq_n, "inflight": args.inflight,
                                         "clients": args.clients, "batch": args.batch},
                              "idle_leader": idle_l, "idle_follower": idle_f, "pipelined": piped, "batched": batched}
    ceiling = ctx.get("limits", {}).get("cluster_ceiling_certs_per_s")
    rows: list[Any] = [
        ("idle commit via leader p50 / p99", f"{idle_l['latency_p50_ms']:.1f} / {idle_l['latency_p99_ms']:.1f} ms",
         IDLE_P50_MS.verdict(idle_l["latency_p50_ms"])),
        ("idle commit via follower p50 / p99",
         f"{idle_f['latency_p50_ms']:.1f} / {idle_f['latency_p99_ms']:.1f} ms"),
        (f"single txs, {args.inflight} in flight", _fmt(piped)),
        ("  p50 / p99", f"{piped['latency_p50_ms']:.0f} / {piped['latency_p99_ms']:.0f} ms"),
        ("  CPU per tx: 4 nodes / leader / follower", f"{piped['cpu_ms_per_tx']:.1f} / "
         f"{piped['cpu_ms_per_tx_leader']:.1f} / {piped['cpu_ms_per_tx_follower']:.1f} ms"),
        (f"batches of {args.batch}, {args.clients} clients", _fmt(batched)),
        ("  request p50 / p99", f"{batched['batch_latency_p50_ms']:.0f} / {batched['batch_latency_p99_ms']:.0f} ms"),
    ]
    result["targets"] = [IDLE_P50_MS.record("idle single-cert commit p50 (leader)", idle_l["latency_p50_ms"], "ms")]
    if ceiling:
        half = Target(0.5, ">= 50% of the limits ceiling")
        for label, r in ((f"{args.inflight} in flight", piped), ("batched", batched)):
            frac = r["per_second"] / ceiling
            rows.append((f"{label} / ceiling ({ceiling:.0f}/s)", f"{frac:.1%}", half.verdict(frac)))
            result["targets"].append(half.record(f"commit throughput, {label}, fraction of ceiling", frac))
        result["ceiling_fraction"] = piped["per_second"] / ceiling
    table(f"commit: 4-node cluster on {os.cpu_count()} cores, every node verifies every signature", rows)
    for p in profs:
        result[f"profile_{p.name}"] = s = p.summary()
        print_summary(p.name, s)
    return save("commit", result)


def _fmt(r: dict[str, Any]) -> str:
    fails = sum(r.get("failed", {}).values()) if "failed" in r else r["txs"] - r["committed"]
    extra = f", {fails} failed" if fails else ""
    return f"{r['per_second']:.0f} certs/s ({r['committed']} in {r['seconds']:.1f} s{extra})"

