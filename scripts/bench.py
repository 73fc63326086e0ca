#!/usr/bin/env python3
"""Benchmarks. Each sub-benchmark prints a table and writes JSON under bench/results/.

    python scripts/bench.py all                 # everything; writes bench/BASELINE.md
                                                # (any python: sets up .venv via ./dev bench)
    python scripts/bench.py commit peer ...     # any of: limits commit peer pdf verify storage sync
    python scripts/bench.py all --quick         # tiny sizes (smoke runs)
    python scripts/bench.py commit verify --profile   # py-spy the nodes during the load

  limits   Ed25519 verifications/s/core, per-transaction decode+verify, LevelDB synced batches/s,
           and the cluster's theoretical ceiling (cores x verifications/s / 4 nodes)
  commit   certificates committed/s on the 4-node cluster: idle latency, 1,000 single-tx
           requests in flight, batches (bench_commit.py)
  peer     the same transactions and client against PySyncObj, raw and doing equal work,
           pipelined and one at a time (bench_peer.py)
  pdf      PDFs rendered per second on one core, Malay and English
  verify   holders API, /semak and a hello-world baseline on a node holding --certs
           certificates (built once, cached in bench/cache/) (bench_verify.py)
  storage  bytes on disk per certificate of that node
  sync     a wiped follower re-syncing --sync-certs certificates (bench_sync.py)

Machines here are shared and noisy: every comparison has its baseline measured in the same
run, figures are medians where runs repeat, and the load average is saved with each result.
Nothing here is asserted in tests (tests/test_bench_smoke.py only checks the JSON appears).
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.bench_common import PRINTED, ROOT, Dirs, Target, log, machine, save, table

ORDER = ("limits", "commit", "peer", "pdf", "verify", "storage", "sync")
PDF_RATE = Target(100.0, ">= 100 PDFs/s/core")
NOTES_MARK = "<!-- Everything below this line is kept when bench.py rewrites the figures above. -->"


def _rate(fn: Callable[[], object], seconds: float) -> float:
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        fn()
        n += 1
    return n / (time.perf_counter() - t0)


def bench_limits(args: argparse.Namespace, ctx: dict[str, Any]) -> dict[str, Any]:
    import plyvel

    from certificate.keys import SigningKey
    from certificate.tx import Transaction
    from scripts.bench_chain import TxFactory

    window = 0.2 if args.quick else 0.5
    key = SigningKey.generate()
    msg = os.urandom(400)
    sig = key.sign("tx", "bench", msg)
    verify = statistics.median(_rate(lambda: key.public.verify("tx", "bench", msg, sig), window) for _ in range(5))
    raws = TxFactory(key, "spkm-limits", "limits").raws(300)
    it = iter(raws * 1000)
    per_tx = statistics.median(_rate(lambda: Transaction.decode(next(it)).verified_signers("spkm-limits"), window)
                               for _ in range(5))
    with tempfile.TemporaryDirectory() as d:
        db = plyvel.DB(d, create_if_missing=True)
        i = 0

        def write() -> None:
            nonlocal i
            wb = db.write_batch(sync=True)
            wb.put(i.to_bytes(8, "big"), msg)
            wb.write()
            i += 1

        synced = statistics.median(_rate(write, window) for _ in range(5))
        db.close()
    cores = os.cpu_count() or 1
    ceiling = verify * cores / 4
    result = {"ed25519_verify_per_s_per_core": verify, "tx_decode_verify_per_s_per_core": per_tx,
              "leveldb_synced_batches_per_s": synced, "cores": cores, "cluster_ceiling_certs_per_s": ceiling,
              "decode_ceiling_certs_per_s": per_tx * cores / 4}
    table("limits: building blocks on this machine (medians of 5)", [
        ("Ed25519 verifications / s / core", f"{verify:,.0f}"),
        ("issue tx decode + verify / s / core", f"{per_tx:,.0f}  (Transaction.decode + signature: what a node "
                                                f"does per tx)"),
        ("LevelDB synced batch writes / s", f"{synced:,.0f}  (one per Raft Ready; a block carries up to 250 txs)"),
        (f"ceiling: {cores} cores x verify / 4 nodes", f"{ceiling:,.0f} certs/s"),
        (f"with decoding: {cores} cores x decode+verify / 4", f"{per_tx * cores / 4:,.0f} certs/s"),
    ])
    ctx["limits"] = result
    return save("limits", result)


def bench_pdf(args: argparse.Namespace, ctx: dict[str, Any]) -> dict[str, Any]:
    from certificate.block import make_block
    from certificate.keys import SigningKey
    from certificate.pdf import render_certificate
    from certificate.proof import CertificateProof
    from certificate.tx import Transaction
    from scripts.bench_chain import TxFactory

    chain = "spkm-pdf"
    # Distinct certificates (what a node serves), up to one block of 250: every run renders
    # --pdf-count different records with their own proofs. Rates are by CPU time of this
    # process (single-threaded, so per core), which other people's load on the machine moves
    # far less than wall time; wall time is kept in the JSON.
    n = min(250, max(8, args.pdf_runs * args.pdf_count))
    raws = TxFactory(SigningKey.generate(), chain, "pdf").raws(n)
    block = make_block(height=1, prev_hash=bytes(32), time_ms=1_795_000_000_000, txs=raws, proposer="jpk",
                       key=SigningKey.generate(), chain_id=chain)
    certs = [(Transaction.decode(raws[i]).record, CertificateProof.from_block(block, i, chain)) for i in range(n)]
    result: dict[str, Any] = {"runs": args.pdf_runs, "pdfs_per_run": args.pdf_count, "distinct": n, "targets": []}
    rows: list[Any] = []
    url = "https://sijil.jpk.gov.my"
    for lang in ("ms", "en"):
        size = len(render_certificate(*certs[0], lang=lang, base_url=url))
        rates, wall, same = [], [], []
        k = 0
        for _ in range(args.pdf_runs):
            t0, w0 = time.process_time(), time.perf_counter()
            for _ in range(args.pdf_count):
                render_certificate(*certs[k % n], lang=lang, base_url=url)
                k += 1
            rates.append(args.pdf_count / max(time.process_time() - t0, 1e-9))
            wall.append(args.pdf_count / (time.perf_counter() - w0))
            t0 = time.process_time()
            for _ in range(args.pdf_count):
                render_certificate(*certs[0], lang=lang, base_url=url)
            same.append(args.pdf_count / max(time.process_time() - t0, 1e-9))
        rate = statistics.median(rates)
        result[lang] = {"per_second_per_core": rate, "runs": rates, "wall_runs": wall, "bytes": size,
                        "same_certificate_per_second": statistics.median(same)}
        name = "Malay" if lang == "ms" else "English"
        rows.append((f"{name} ({size / 1024:.0f} kB), different certificates",
                     f"{rate:.1f} PDFs/s/core (CPU time, median of {args.pdf_runs} x {args.pdf_count})",
                     PDF_RATE.verdict(rate)))
        rows.append((f"{name}, one certificate again and again", f"{statistics.median(same):.1f} PDFs/s/core", ""))
        result["targets"].append(PDF_RATE.record(f"PDF rendering ({lang}) per core", rate, "/s"))
    table("pdf: certificate.pdf.render_certificate on one core", rows)
    return save("pdf", result)


def run(names: list[str], args: argparse.Namespace) -> dict[str, Any]:
    from scripts.bench_commit import bench_commit
    from scripts.bench_peer import bench_peer
    from scripts.bench_sync import bench_sync
    from scripts.bench_verify import bench_storage, bench_verify

    benches = {"limits": bench_limits, "commit": bench_commit, "peer": bench_peer, "pdf": bench_pdf,
               "verify": bench_verify, "storage": bench_storage, "sync": bench_sync}
    ctx: dict[str, Any] = {}
    results: dict[str, Any] = {}
    for name in ORDER:
        if name in names:
            t0 = time.perf_counter()
            log(f"{name}: starting (load average {os.getloadavg()[0]:.1f})")
            results[name] = benches[name](args, ctx)
            log(f"{name}: done in {time.perf_counter() - t0:.0f} s")
    return results


def summary(results: dict[str, Any]) -> list[dict[str, Any]]:
    targets = [t for name in ORDER for t in results.get(name, {}).get("targets", [])]
    if targets:
        table("targets", [(t["name"], f"{t['value']:.3g} {t['unit']}".strip(),
                           f"[{'met' if t['met'] else 'NOT met'}: {t['goal']}]") for t in targets])
    return targets


def code_version() -> str:
    """The commit the run measures, and any tracked files changed in the work tree."""
    try:
        head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True).stdout.split()[1::2]
    except OSError:
        return "?"
    return head + (f" with uncommitted changes to {', '.join(dirty)}" if dirty else "")


def write_baseline(path: Path, started: float, load: tuple[float, float], code: str) -> None:
    m = machine()
    end_code = code_version()
    notes = ""
    if path.exists() and NOTES_MARK in path.read_text():
        notes = path.read_text().split(NOTES_MARK, 1)[1]
    cmd = "python scripts/bench.py " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    lines = [
        "# Benchmark baseline", "",
        "Written by `scripts/bench.py all`; figures from one run on a shared machine, so compare ratios "
        "(each baseline is measured in the same run) rather than absolute numbers.", "",
        f"- date: {datetime.now().astimezone().isoformat(timespec='seconds')} "
        f"(run took {(time.time() - started) / 60:.0f} min)",
        f"- command: `{cmd}`",
        f"- code: {code} at the start" + (f" ({end_code} at the end)" if end_code != code else ""),
        f"- machine: {m['cores']} cores ({m['cpu']}), {m['memory_mib'] / 1024:.0f} GiB memory, Python {m['python']}, "
        f"{m['platform']}",
        f"- load average (1 min) at start / end: {load[0]:.1f} / {load[1]:.1f} (other people's tests share the CPUs)",
        "", "```",
    ]
    for t in PRINTED:
        lines += [*t, ""]
    lines += ["```", "", NOTES_MARK]
    path.write_text("\n".join(lines) + (notes if notes else "\n"))
    log(f"wrote {path}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("which", nargs="+", choices=[*ORDER, "all"])
    p.add_argument("--quick", action="store_true", help="tiny sizes for smoke runs (overrides the sizes below)")
    p.add_argument("--txs", type=int, default=5000, help="commit/peer: transactions per throughput shape")
    p.add_argument("--inflight", type=int, default=1000, help="commit/peer: single-tx requests outstanding")
    p.add_argument("--sequential", type=int, default=200, help="commit/peer: one-at-a-time transactions")
    p.add_argument("--peer-election", type=float, default=10.0,
                   help="peer: PySyncObj election timeout (s, up to twice that); long, so it never churns")
    p.add_argument("--clients", type=int, default=8, help="commit: batch clients")
    p.add_argument("--batch", type=int, default=250, help="commit: transactions per batch request")
    p.add_argument("--certs", type=int, default=1_000_000, help="verify/storage: certificates on the node")
    p.add_argument("--sync-certs", type=int, default=100_000, help="sync: certificates to re-sync")
    p.add_argument("--sync-timeout", type=float, default=900.0)
    p.add_argument("--duration", type=float, default=10.0, help="verify: seconds of load per target")
    p.add_argument("--connections", type=int, default=64, help="verify: open connections")
    p.add_argument("--pdf-runs", type=int, default=7)
    p.add_argument("--pdf-count", type=int, default=10)
    p.add_argument("--profile", action="store_true", help="py-spy the nodes during commit, verify and sync")
    p.add_argument("--rebuild", action="store_true", help="rebuild cached chains in bench/cache/")
    p.add_argument("--base-port", type=int, default=18000, help="ports base..base+1400 are used")
    p.add_argument("--results", type=Path, default=Dirs.results)
    p.add_argument("--cache", type=Path, default=Dirs.cache)
    p.add_argument("--baseline", type=Path, default=ROOT / "bench" / "BASELINE.md",
                   help="written after 'all' (not with --quick)")
    args = p.parse_args(argv)
    if args.quick:
        args.txs, args.inflight, args.sequential, args.clients, args.batch = 200, 100, 20, 4, 50
        args.certs, args.sync_certs, args.duration, args.pdf_runs, args.pdf_count = 2000, 2000, 2.0, 2, 2
        args.peer_election = 2.0
    Dirs.results, Dirs.cache = args.results.resolve(), args.cache.resolve()
    names = list(ORDER) if "all" in args.which else args.which
    started, load0, code = time.time(), os.getloadavg()[0], code_version()
    results = run(names, args)
    summary(results)
    if "all" in args.which and not args.quick:
        write_baseline(args.baseline, started, (load0, os.getloadavg()[0]), code)
    targets = [t for r in results.values() for t in r.get("targets", [])]
    save("summary", {"benchmarks": list(results), "targets": targets, "seconds": time.time() - started})
    return 0


if __name__ == "__main__":
    from scripts.bench_env import ensure

    ensure(sys.argv[1:])  # a fresh clone's system Python: hand over to ./dev bench
    raise SystemExit(main())
