#!/usr/bin/env python3
"""Benchmarks. Each sub-benchmark prints a table and writes JSON under bench/results/.

    python scripts/bench.py commit [--certs N] [--clients C] [--batch B]
    python scripts/bench.py limits
    python scripts/bench.py all

Figures are reported beside a baseline measured in the same run (machines here are shared and
noisy): medians of repeated runs, and ratios rather than absolute numbers where a baseline
exists. Nothing here is asserted in tests.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"


def machine() -> dict[str, Any]:
    mem = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) // 1024
    except OSError:
        pass
    return {"cores": os.cpu_count(), "memory_mib": mem, "python": platform.python_version(),
            "platform": platform.platform()}


def save(name: str, data: dict[str, Any]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    data = {"benchmark": name, "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine(), **data}
    (RESULTS / f"{name}.json").write_text(json.dumps(data, indent=2) + "\n")


def table(title: str, rows: list[tuple[str, str]]) -> None:
    width = max(len(k) for k, _ in rows)
    print(f"\n== {title}")
    for k, v in rows:
        print(f"  {k:<{width}}  {v}")


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


# --- signed transactions for load ---------------------------------------------------------------
def make_issue_txs(key_file: Path, chain_id: str, n: int, tag: str) -> list[bytes]:
    from certificate.certno import derive_cert_no
    from certificate.keys import read_key_file
    from certificate.record import CertificateRecord
    from certificate.tx import issue_tx
    from scripts.demo import demo_rows

    key = read_key_file(key_file)
    rows = demo_rows(min(n, 500))
    out = []
    for i in range(n):
        r = rows[i % len(rows)]
        ic = f"{900101 + (i % 28):06d}{14:02d}{i % 10000:04d}"
        rec = CertificateRecord.create(
            cert_no=derive_cert_no(r["kind"], r["level"], 2026, f"{tag}|{i}".encode()),
            kind=r["kind"], level=r["level"], holder_name=r["name"], holder_ic=ic,
            noss_code=r["noss_code"], programme_ms=r["programme_ms"], programme_en=r["programme_en"],
            method=r["method"], centre_code=r["centre_code"], centre_name=r["centre_name"],
            jpps_ref="BENCH/2026", jpps_date="2026-11-02", issued_at="2026-11-20T08:00:00Z")
        out.append(issue_tx(rec, key, chain_id).encode())
    return out


class Cluster:
    """A throw-away local cluster started with scripts/cluster.py."""

    def __init__(self, base_port: int) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="bench-cluster-"))
        self.base = base_port
        self.urls = [f"http://127.0.0.1:{base_port + i}" for i in range(1, 5)]

    def cli(self, *args: str) -> None:
        subprocess.run([sys.executable, str(ROOT / "scripts" / "cluster.py"), *args, "--dir", str(self.dir),
                        "--base-port", str(self.base)], check=True, stdout=subprocess.DEVNULL)

    def __enter__(self) -> Cluster:
        self.cli("up")
        self.chain_id = json.loads((self.dir / "genesis.json").read_text())["chain_id"]
        return self

    def __exit__(self, *exc: object) -> None:
        self.cli("down")
        subprocess.run(["rm", "-rf", str(self.dir)], check=False)


async def _post(session: Any, url: str, body: dict[str, Any]) -> Any:
    async with session.post(url, json=body) as r:
        return r.status, await r.json()


async def run_commit(urls: list[str], txs: list[bytes], clients: int, batch: int) -> dict[str, Any]:
    import aiohttp

    chunks = [txs[i : i + batch] for i in range(0, len(txs), batch)]
    queue: asyncio.Queue[list[bytes]] = asyncio.Queue()
    for c in chunks:
        queue.put_nowait(c)
    latencies: list[float] = []
    committed = 0

    async def client(n: int, session: aiohttp.ClientSession) -> None:
        nonlocal committed
        url = urls[n % len(urls)] + "/api/v1/txs"
        while not queue.empty():
            chunk = queue.get_nowait()
            t0 = time.perf_counter()
            _status, body = await _post(session, url, {"txs": [base64.b64encode(t).decode() for t in chunk]})
            latencies.append(time.perf_counter() - t0)
            committed += sum(1 for r in body.get("results", []) if r["status"] in (200, 201))

    conn = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=conn, timeout=aiohttp.ClientTimeout(total=600)) as session:
        t0 = time.perf_counter()
        await asyncio.gather(*(client(i, session) for i in range(clients)))
        elapsed = time.perf_counter() - t0
    return {"committed": committed, "seconds": elapsed, "per_second": committed / elapsed,
            "batch_latency_p50": pct(latencies, 50), "batch_latency_p99": pct(latencies, 99)}


async def run_inflight(urls: list[str], txs: list[bytes], inflight: int) -> dict[str, Any]:
    """Single transactions, ``inflight`` outstanding at once (1 = sequential latency)."""
    import aiohttp

    it = iter(enumerate(txs))
    lat: list[float] = []

    async def worker(session: aiohttp.ClientSession) -> None:
        for i, raw in it:
            t0 = time.perf_counter()
            status, _ = await _post(session, urls[i % len(urls)] + "/api/v1/tx",
                                    {"tx": base64.b64encode(raw).decode()})
            if status == 201:
                lat.append(time.perf_counter() - t0)

    conn = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=conn, timeout=aiohttp.ClientTimeout(total=600)) as session:
        t0 = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(inflight)))
        elapsed = time.perf_counter() - t0
    return {"committed": len(lat), "seconds": elapsed, "per_second": len(lat) / elapsed,
            "latency_p50_ms": 1000 * pct(lat, 50), "latency_p99_ms": 1000 * pct(lat, 99)}


def bench_commit(args: argparse.Namespace) -> dict[str, Any]:
    with Cluster(args.base_port) as c:
        key = c.dir / "keys" / "issuer.key"
        print(f"signing {args.certs + 2 * args.sequential} transactions...", file=sys.stderr)
        load = make_issue_txs(key, c.chain_id, args.certs, "load")
        seq = make_issue_txs(key, c.chain_id, args.sequential, "seq")
        pipe = make_issue_txs(key, c.chain_id, args.sequential * 5, "pipe")
        time.sleep(1.0)
        idle = asyncio.run(run_inflight(c.urls[:1], seq, 1))
        batch = asyncio.run(run_commit(c.urls, load, args.clients, args.batch))
        piped = asyncio.run(run_inflight(c.urls, pipe, args.inflight))
    result = {"batched": batch, "sequential": idle, "pipelined": piped,
              "params": {"certs": args.certs, "clients": args.clients, "batch": args.batch,
                         "inflight": args.inflight}}
    table("commit: 4-node local cluster, every node verifying every signature", [
        ("batched throughput", f"{batch['per_second']:.0f} certs/s ({batch['committed']} in "
                               f"{batch['seconds']:.1f}s, {args.clients} clients x {args.batch}/request)"),
        ("batch request p50 / p99", f"{batch['batch_latency_p50'] * 1000:.0f} / "
                                    f"{batch['batch_latency_p99'] * 1000:.0f} ms"),
        (f"single txs, {args.inflight} in flight",
         f"{piped['per_second']:.0f} certs/s, p50 {piped['latency_p50_ms']:.1f} ms, "
         f"p99 {piped['latency_p99_ms']:.1f} ms"),
        ("idle single-cert commit p50 / p99", f"{idle['latency_p50_ms']:.1f} / {idle['latency_p99_ms']:.1f} ms"),
    ])
    save("commit", result)
    return result


def _rate(fn: Callable[[], object], seconds: float = 1.0) -> float:
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        fn()
        n += 1
    return n / (time.perf_counter() - t0)


def bench_limits(args: argparse.Namespace) -> dict[str, Any]:
    import plyvel

    from certificate.keys import SigningKey

    key = SigningKey.generate()
    msg = os.urandom(400)
    sig = key.sign("tx", "bench", msg)
    verify = statistics.median(_rate(lambda: key.public.verify("tx", "bench", msg, sig), 0.5) for _ in range(3))
    with tempfile.TemporaryDirectory() as d:
        db = plyvel.DB(d, create_if_missing=True)
        i = 0

        def write() -> None:
            nonlocal i
            wb = db.write_batch(sync=True)
            wb.put(i.to_bytes(8, "big"), msg)
            wb.write()
            i += 1

        synced = statistics.median(_rate(write, 0.5) for _ in range(3))
        db.close()
    cores = os.cpu_count() or 1
    ceiling = verify * cores / 4
    result = {"ed25519_verify_per_s_per_core": verify, "leveldb_synced_batches_per_s": synced,
              "cluster_ceiling_certs_per_s": ceiling}
    table("limits: building blocks on this machine", [
        ("Ed25519 verifications / s / core", f"{verify:.0f}"),
        ("LevelDB synced batch writes / s", f"{synced:.0f}"),
        ("ceiling (cores x verify / 4 nodes)", f"{ceiling:.0f} certs/s"),
    ])
    save("limits", result)
    return result


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("which", choices=["commit", "limits", "all"])
    p.add_argument("--certs", type=int, default=10_000)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--batch", type=int, default=250)
    p.add_argument("--inflight", type=int, default=200)
    p.add_argument("--sequential", type=int, default=200)
    p.add_argument("--base-port", type=int, default=8900)
    args = p.parse_args()
    results = {}
    if args.which in ("limits", "all"):
        results["limits"] = bench_limits(args)
    if args.which in ("commit", "all"):
        results["commit"] = bench_commit(args)
    if "limits" in results and "commit" in results:
        frac = results["commit"]["batched"]["per_second"] / results["limits"]["cluster_ceiling_certs_per_s"]
        table("ratio", [("batched throughput / ceiling", f"{frac:.2f}")])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
