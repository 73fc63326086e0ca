"""``sync``: how long a wiped node takes to catch up with ``--sync-certs`` certificates (100,000).

The 4-node cluster starts from prepared data directories that already hold the chain (built
offline once and cached, see ``bench_chain.four_node_template``; issuing 100,000 certificates
through consensus would take longer than everything else together). Then one follower is
stopped, its data directory deleted and the node started again; the clock runs from that
start until its head hash equals the leader's. It receives every block over Raft and
re-verifies and applies every transaction.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import time
from typing import Any

from scripts.bench_chain import four_node_template
from scripts.bench_common import Cluster, Target, log, save, table, wait_until
from scripts.bench_profile import Profiler, print_summary

RESYNC = Target(30.0, "<= 30 s for 100,000 certificates", at_most=True)


def bench_sync(args: argparse.Namespace, ctx: dict[str, Any]) -> dict[str, Any]:
    n = args.sync_certs
    template = four_node_template(n, args.base_port + 300, rebuild=args.rebuild)
    prof: Profiler | None = None
    with Cluster(args.base_port + 300, template) as c:
        lead = c.leader()
        victim = (lead + 1) % 4
        head = c.status(lead)["head_hash"]
        if not wait_until(lambda: all(c.status(i)["head_hash"] == head for i in range(4)), 60):
            raise RuntimeError("the prepared cluster's nodes do not agree on the head")
        height = c.status(lead)["height"]
        node = c.NODES[victim]
        pid = c.pid(victim)
        os.kill(pid, signal.SIGTERM)
        wait_until(lambda: not _alive(pid), 30)
        shutil.rmtree(c.dir / node / "data")
        log(f"sync: {node} wiped; restarting it to re-sync {height} blocks ({n:,} certificates)")
        t0 = time.perf_counter()
        c.cli("restart", node)
        started = None
        with contextlib.ExitStack() as stack:
            if args.profile:
                prof = stack.enter_context(Profiler(c.pid(victim), "sync-follower"))
            while time.perf_counter() - t0 < args.sync_timeout:
                try:
                    st = c.status(victim)
                except (OSError, ValueError):
                    time.sleep(0.1)
                    continue
                started = started or time.perf_counter() - t0
                if st["head_hash"] == head:
                    break
                time.sleep(0.2)
            seconds = time.perf_counter() - t0
        caught_up = c.status(victim)["head_hash"] == head
    result: dict[str, Any] = {"certs": n, "blocks": height, "seconds": seconds, "caught_up": caught_up,
                              "http_up_after_s": started, "certs_per_s": n / seconds}
    value = seconds if caught_up else float("inf")
    result["targets"] = [RESYNC.record(f"re-sync of {n:,} certificates", value, "s")]
    status = "" if caught_up else f" (NOT caught up after {args.sync_timeout:.0f} s)"
    table("sync: a wiped follower catches up from its peers", [
        ("chain", f"{n:,} certificates in {height} blocks"),
        ("re-sync time", f"{seconds:.1f} s{status}", RESYNC.verdict(value)),
        ("rate", f"{n / seconds:,.0f} certs/s"),
        ("node answering HTTP after", f"{started or float('nan'):.1f} s"),
    ])
    if prof is not None:
        result["profile_sync-follower"] = s = prof.summary()
        print_summary("sync-follower", s)
    return save("sync", result)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as f:
            return not f.read().split(") ", 1)[1].startswith("Z")
    except OSError:
        return False
