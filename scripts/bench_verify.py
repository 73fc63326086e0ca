"""``verify`` and ``storage``: reads on one node holding ``--certs`` certificates (1,000,000).

The node's data directory is built offline once and cached (``bench_chain.single_node``): a
one-member chain, so a read needs no ReadIndex round trip to peers (a 4-node cluster adds one
per read). Its ``node.toml`` exempts 127.0.0.1 from the look-up rate limit by configuration
(``[portal] rate_limit_exempt``). Load: ``--connections`` (64) connections for ``--duration``
seconds each, by ``wrk`` if installed, else a Python generator in another process, on

* ``GET /api/v1/holders/{ic}/certificates`` for random holders (2 certificates each, with proofs);
* ``POST /semak`` (the public MyKad form: session cookie and CSRF token from ``GET /semak``);
* a bare aiohttp hello-world server, the baseline, in the same run.

``storage`` is the data directory's size on disk divided by its number of certificates, with
LevelDB's own estimate per key family.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import re
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from scripts.bench_chain import CERTS_PER_HOLDER, du, holder_ic, single_node, write_single_config
from scripts.bench_common import PY, ROOT, CpuMeter, Target, free_base, get_json, log, save, table, wait_until
from scripts.bench_http import read_load
from scripts.bench_profile import Profiler, print_summary

RATIO = Target(0.5, ">= 50% of hello-world req/s")
P99 = Target(25.0, "p99 <= 25 ms", at_most=True)
BYTES = Target(1500.0, "<= 1.5 kB per certificate", at_most=True)
FAMILIES = {"R:e:": "raft log (blocks)", "R:hs": "raft hard state", "C:": "certificate entries",
            "H:": "holder index", "T:": "tx index", "L:": "block leaf hashes", "B:": "block locations",
            "K:": "block headers per height", "N:": "block Merkle trees"}


def semak_session(base: str) -> tuple[str, str]:
    """A session cookie and its CSRF token, as a browser gets them from GET /semak."""
    with urllib.request.urlopen(base + "/semak", timeout=5) as r:
        html = r.read().decode()
        cookies = [h.split(";", 1)[0] for h in r.headers.get_all("Set-Cookie") or []]
    m = re.search(r'name="csrf"\s+value="([^"]+)"', html) or re.search(r'value="([^"]+)"\s+name="csrf"', html)
    if not m:
        raise RuntimeError("no CSRF token on /semak")
    return "; ".join(c for c in cookies if c.startswith("spkm_sesi_")), m.group(1)


def _post_semak(base: str, cookie: str, token: str, ic: str) -> str:
    data = urllib.parse.urlencode({"csrf": token, "ic": ic}).encode()
    req = urllib.request.Request(base + "/semak", data=data, headers={"Cookie": cookie})
    with urllib.request.urlopen(req, timeout=5) as r:
        return str(r.read().decode())


def bench_verify(args: argparse.Namespace, ctx: dict[str, Any]) -> dict[str, Any]:
    n = args.certs
    d = single_node(n, rebuild=args.rebuild)
    b = free_base(args.base_port + 50, (0, 1, 2))
    http, p2p, hello_port = b, b + 1, b + 2
    cfg = write_single_config(d, http, p2p)
    base = f"http://127.0.0.1:{http}"
    holders = n // CERTS_PER_HOLDER
    rng = random.Random(7)
    items = [holder_ic(rng.randrange(holders)) for _ in range(min(100_000, holders))]
    node = subprocess.Popen([PY, "-m", "node", "--config", str(cfg)], cwd=ROOT, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=open(d / "node.log", "ab"))  # noqa: SIM115
    hello = subprocess.Popen([PY, str(ROOT / "scripts" / "bench_http.py"), "hello", "--port", str(hello_port)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    result: dict[str, Any] = {"params": {"certs": n, "connections": args.connections, "duration_s": args.duration}}
    prof: Profiler | None = None
    try:
        if not wait_until(lambda: get_json(base + "/api/v1/status")["role"] == "leader", 120):
            raise RuntimeError(f"the verify node did not start; see {d / 'node.log'}")
        wait_until(lambda: get_json(f"http://127.0.0.1:{hello_port}/hello"), 20)
        sample = get_json(f"{base}/api/v1/holders/{items[0]}/certificates")["certificates"]
        if len(sample) != CERTS_PER_HOLDER or "proof" not in sample[0]:
            raise RuntimeError(f"holder {items[0][:6]}...: expected {CERTS_PER_HOLDER} certificates with proofs")
        cookie, token = semak_session(base)
        if sample[0]["record"]["cert_no"] not in _post_semak(base, cookie, token, items[0]):
            raise RuntimeError("POST /semak did not answer with the holder's certificates")
        load = {"connections": args.connections, "seconds": args.duration}
        log(f"verify: warming up, then {args.duration:.0f} s per target at {args.connections} connections")
        result["warmup"] = warm_up(base, items, args.connections)
        with contextlib.ExitStack() as stack:
            if args.profile:
                prof = stack.enter_context(Profiler(node.pid, "verify-node"))
            with CpuMeter([node.pid]) as cpu:
                result["holders_api"] = read_load(base, path="/api/v1/holders/{item}/certificates", items=items,
                                                  **load)
            _cpu(result["holders_api"], cpu)
        with CpuMeter([node.pid]) as cpu:
            result["semak"] = read_load(base, path="/semak", items=items, method="POST",
                                        body=f"csrf={token}&ic={{item}}",
                                        content_type="application/x-www-form-urlencoded", cookie=cookie, **load)
        _cpu(result["semak"], cpu)
        with CpuMeter([hello.pid]) as cpu:
            result["hello_world"] = read_load(f"http://127.0.0.1:{hello_port}", path="/hello/{item}", items=items,
                                              **load)
        _cpu(result["hello_world"], cpu)
        result["node_rss_mib"] = rss_mib(node.pid)
    finally:
        for p in (node, hello):
            p.terminate()
            p.wait(30)
    h, s, w = result["holders_api"], result["semak"], result["hello_world"]
    ratio = h["per_second"] / w["per_second"]
    result["holders_over_hello"] = ratio
    result["targets"] = [RATIO.record("holders API / hello-world req/s", ratio, "x"),
                         P99.record("holders API p99 at 64 connections", h["latency_p99_ms"], "ms")]
    rows: list[Any] = [(f"GET /api/v1/holders/{{ic}}/certificates ({h['tool']})", _fmt(h)),
                       ("  p99", f"{h['latency_p99_ms']:.1f} ms", P99.verdict(h["latency_p99_ms"])),
                       ("POST /semak (HTML results page)", _fmt(s)),
                       ("aiohttp hello-world", _fmt(w)),
                       ("holders API / hello-world", f"{ratio:.2f}x", RATIO.verdict(ratio)),
                       ("semak / hello-world", f"{s['per_second'] / w['per_second']:.2f}x"),
                       ("holders API / hello-world, by server CPU per request",
                        f"{w['server_cpu_ms_per_request'] / h['server_cpu_ms_per_request']:.2f}x"),
                       ("node memory (RSS) after the load", f"{result['node_rss_mib']:,.0f} MiB")]
    table(f"verify: one node, {n:,} certificates, {args.connections} connections", rows)
    if prof is not None:
        result["profile_verify-node"] = ps = prof.summary()
        print_summary("verify-node", ps)
    save("verify", result)
    ctx["verify_dir"] = d
    return result


def compaction_state(base: str) -> tuple[float, bool]:
    """The node's LevelDB compaction seconds so far, and whether a compaction is due."""
    from node.metrics import parse_text

    with urllib.request.urlopen(base + "/metrics", timeout=5) as r:
        values = parse_text(r.read().decode())
    return values["spkm_storage_compaction_seconds_total"], values["spkm_storage_compaction_pending"] == 1


def warm_up(base: str, items: list[str], connections: int, slice_s: float = 3.0,
            limit_s: float = 90.0) -> dict[str, Any]:
    """Read until LevelDB stops compacting. Random reads over a database nobody has read yet
    make it compact the tables they search in vain ("seek compactions"), in the node's process:
    the first run on a freshly built chain measured 1.05 ms of CPU per holders request against
    0.6-0.8 ms once those were done. A node that has served a while is past them, so the
    measurement starts once a whole slice of load passes without any (or after ``limit_s``)."""
    path = "/api/v1/holders/{item}/certificates"
    t0 = time.perf_counter()
    read_load(base, path=path, items=items, connections=8, seconds=2)
    before, _ = compaction_state(base)
    start = after = before
    while time.perf_counter() - t0 < limit_s:
        read_load(base, path=path, items=items, connections=connections, seconds=slice_s)
        after, due = compaction_state(base)
        if after == before and not due:
            break
        before = after
    seconds = time.perf_counter() - t0
    log(f"verify: warmed up in {seconds:.0f} s ({after - start:.1f} s of LevelDB compaction meanwhile)")
    return {"seconds": seconds, "compaction_s": after - start}


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _cpu(r: dict[str, Any], cpu: CpuMeter) -> None:
    r["server_cpu_ms_per_request"] = cpu.per_tx_ms(r["ok"])[0]


def _fmt(r: dict[str, Any]) -> str:
    bad = r["non_2xx"] + r["errors"]
    return (f"{r['per_second']:7.0f} req/s  p50 {r['latency_p50_ms']:6.1f} ms  p99 {r['latency_p99_ms']:6.1f} ms  "
            f"server CPU {r['server_cpu_ms_per_request']:.2f} ms/req" + (f"  ({bad} failed)" if bad else ""))


def family_sizes(data: Path) -> tuple[dict[str, int], dict[str, int]]:
    """Per key family: LevelDB's estimate of its bytes on disk (compressed) and the bytes of its
    keys and values as stored (before LevelDB's compression). The node must be stopped."""
    import plyvel

    db = plyvel.DB(str(data), create_if_missing=False)
    try:
        disk, logical = {}, {}
        for prefix in FAMILIES:
            p = prefix.encode()
            disk[prefix] = int(db.approximate_size(p, p[:-1] + bytes([p[-1] + 1])))
            logical[prefix] = sum(len(k) + len(v) for k, v in db.iterator(prefix=p))
        return disk, logical
    finally:
        db.close()


def bench_storage(args: argparse.Namespace, ctx: dict[str, Any]) -> dict[str, Any]:
    n = args.certs
    d = ctx.get("verify_dir") or single_node(n, rebuild=args.rebuild)
    time.sleep(0.5)
    total = du(d / "data")
    per = total / n
    fam, logical = family_sizes(d / "data")
    result = {"certs": n, "bytes_on_disk": total, "bytes_per_cert": per, "families": fam,
              "families_uncompressed": logical, "uncompressed_bytes_per_cert": sum(logical.values()) / n,
              "targets": [BYTES.record("bytes on disk per certificate", per, "B")]}
    rows: list[Any] = [("data directory", f"{total / 1e6:,.0f} MB for {n:,} certificates"),
                       ("per certificate", f"{per:,.0f} B", BYTES.verdict(per)),
                       ("  keys + values before compression", f"{sum(logical.values()) / n:,.0f} B")]
    for prefix, size in sorted(fam.items(), key=lambda kv: -kv[1]):
        if size:
            rows.append((f"  {FAMILIES[prefix]} ({prefix})",
                         f"{size / n:,.0f} B/cert on disk (estimate), {logical[prefix] / n:,.0f} B uncompressed"))
    table("storage: bytes on disk per certificate", rows)
    return save("storage", result)
