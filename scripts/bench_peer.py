"""PySyncObj as the peer to compare with: 4 nodes on localhost, 4 processes, like ours.

    python scripts/bench_peer.py node --index I --base-port B --mode raw|equal --data DIR --chain-id C

Every PySyncObj node serves the same client path as ours (aiohttp, ``POST /api/v1/tx`` with
``{"tx": base64}``, 201 once the transaction is applied on *that* node), so the same load
generator drives both and the comparison is of what sits behind the HTTP handler.

Shapes:

* ``raw``: the replicated method counts the transaction and returns; nothing is looked at or
  persisted (PySyncObj keeps its log in memory unless given a journal file, and even then
  never fsyncs it).
* ``equal``: the work our nodes do per transaction, on every node: decode it with our
  ``Transaction.decode`` (canonical decoding and record validation), verify its Ed25519
  signature (nacl, our domain-separated signing input), check the signer is the chain's
  issuer and the cert_no is new (a LevelDB read), and write it durably (plyvel): the writes of
  one PySyncObj tick go out as one synced batch before the clients of that tick are answered,
  the group commit our nodes do with one synced Raft-log batch per Ready. (Ours additionally
  builds and signs blocks, Merkle roots and proofs, and keeps more indexes.)
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import collections
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.bench_common import PY, ROOT, free_base, get_json, log, wait_until


def raft_port(base: int, i: int) -> int:
    return base + 10 + i


def http_port(base: int, i: int) -> int:
    return base + i


# --- one node (its own process) ----------------------------------------------------------------
def run_node(a: argparse.Namespace) -> int:
    import plyvel
    from aiohttp import web
    from pysyncobj import SyncObj, SyncObjConf, replicated  # type: ignore[import-untyped]

    from certificate.keys import PublicKey
    from certificate.tx import Transaction

    issuer = PublicKey.from_hex(a.issuer) if a.issuer else None
    db = plyvel.DB(str(a.data), create_if_missing=True) if a.mode == "equal" else None
    acks: collections.deque[tuple[Any, Any, Any]] = collections.deque()
    loop: asyncio.AbstractEventLoop | None = None

    class Chain(SyncObj):  # type: ignore[misc]
        def __init__(self, me: str, partners: list[str], conf: Any) -> None:
            super().__init__(me, partners, conf)
            self.count = 0
            self.batch: Any = db.write_batch(sync=True) if db is not None else None
            self.pending = 0
            if db is not None:
                self.addOnTickCallback(self.flush)

        @replicated  # type: ignore[misc]
        def add(self, raw: bytes) -> int:
            self.count += 1
            if db is None:
                return self.count
            try:
                tx = Transaction.decode(raw)
                signers = tx.verified_signers(a.chain_id)
                if issuer is not None and signers != [issuer]:
                    return -1
                cert_key = b"C:" + tx.record.cert_no.encode()
                if db.get(cert_key) is not None:
                    return -1
            except Exception:
                return -1
            self.batch.put(b"T:" + tx.id, raw)
            self.batch.put(cert_key, tx.id)
            self.pending += 1
            return self.count

        def flush(self) -> None:
            """Runs at the end of every tick: persist this tick's applied writes, then answer."""
            if self.pending:
                self.batch.write()
                self.batch = db.write_batch(sync=True)  # type: ignore[union-attr]
                self.pending = 0
            while acks:
                fut, res, err = acks.popleft()
                assert loop is not None
                loop.call_soon_threadsafe(_resolve, fut, res, err)

    def _resolve(fut: asyncio.Future[Any], res: Any, err: Any) -> None:
        if not fut.done():
            fut.set_result((res, err))

    me = f"127.0.0.1:{raft_port(a.base_port, a.index)}"
    partners = [f"127.0.0.1:{raft_port(a.base_port, i)}" for i in range(1, 5) if i != a.index]
    # PySyncObj applies committed entries inside its tick, so a leader applying 1,000 verified
    # transactions sends no heartbeat for seconds; with our election timeouts (1-2 s) it then
    # loses leadership again and again and fails most requests (LEADER_CHANGED). Long timeouts
    # (``--election-s``, default 10-20 s) keep it stable: the comparison is of throughput, and
    # no leader is killed here, so this only ever favours PySyncObj.
    conf = SyncObjConf(appendEntriesUseBatch=not a.no_batch, dynamicMembershipChange=False,
                       raftMinTimeout=a.election_s, raftMaxTimeout=2 * a.election_s, appendEntriesPeriod=0.1,
                       connectionRetryTime=0.5, connectionTimeout=max(3.5, 2 * a.election_s),
                       logCompactionMinEntries=10**9, logCompactionMinTime=10**9, commandsQueueSize=200_000)
    obj = Chain(me, partners, conf)

    async def tx(request: web.Request) -> web.Response:
        body = await request.json()
        raw = base64.b64decode(body["tx"])
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        if db is None:
            obj.add(raw, callback=lambda res, err: loop.call_soon_threadsafe(_resolve, fut, res, err))  # type: ignore
        else:
            obj.add(raw, callback=lambda res, err: acks.append((fut, res, err)))
        res, err = await asyncio.wait_for(fut, 60)
        if err != 0 or res is None or res < 0:
            print(f"tx failed: result {res} reason {err}", file=sys.stderr, flush=True)
            return web.json_response({"error": str(err)}, status=503 if err != 0 else 400)
        return web.json_response({"tx_id": res}, status=201)

    async def status(request: web.Request) -> web.Response:
        leader = obj._getLeader()
        return web.json_response({"self": me, "leader": str(leader) if leader else None,
                                  "ready": obj.isReady(), "count": obj.count})

    async def serve() -> None:
        nonlocal loop
        loop = asyncio.get_running_loop()
        app = web.Application()
        app.router.add_post("/api/v1/tx", tx)
        app.router.add_get("/status", status)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", http_port(a.base_port, a.index)).start()
        await asyncio.Event().wait()

    threading.current_thread().name = "http"
    # Our nodes tune the garbage collector after start-up (node.daemon.tune_gc); PySyncObj's
    # processes get the same settings, so that a runtime flag is not counted as our advantage.
    from node.daemon import tune_gc
    tune_gc()
    asyncio.run(serve())
    return 0


# --- the cluster, from the benchmark's side ------------------------------------------------------
class PeerCluster:
    def __init__(self, base_port: int, mode: str, chain_id: str, issuer_hex: str, batch: bool,
                 election_s: float = 10.0) -> None:
        base_port = free_base(base_port, (1, 2, 3, 4, 11, 12, 13, 14))
        self.base, self.mode = base_port, mode
        self.dir = Path(tempfile.mkdtemp(prefix="bench-pysyncobj-"))
        self.urls = [f"http://127.0.0.1:{http_port(base_port, i)}" for i in range(1, 5)]
        self.args = ["--base-port", str(base_port), "--mode", mode, "--chain-id", chain_id, "--issuer", issuer_hex,
                     "--election-s", str(election_s)]
        if not batch:
            self.args.append("--no-batch")
        self.procs: list[subprocess.Popen[bytes]] = []

    def __enter__(self) -> PeerCluster:
        for i in range(1, 5):
            log_file = open(self.dir / f"node{i}.log", "wb")
            self.procs.append(subprocess.Popen(
                [PY, str(ROOT / "scripts" / "bench_peer.py"), "node", "--index", str(i),
                 "--data", str(self.dir / f"db{i}"), *self.args], stdout=log_file, stderr=log_file,
                stdin=subprocess.DEVNULL))
        if not wait_until(lambda: self.leader() is not None, 60):
            logs = "".join((self.dir / f"node{i}.log").read_text()[-600:] for i in range(1, 5))
            self.__exit__()
            raise RuntimeError(f"PySyncObj cluster elected no leader:\n{logs}")
        return self

    def leader(self) -> int | None:
        seen, lead = [], None
        for i, url in enumerate(self.urls):
            st = get_json(url + "/status", 1.0)
            if not st["ready"] or not st["leader"]:
                return None
            seen.append(st["leader"])
            if st["leader"] == st["self"]:
                lead = i
        return lead if len(set(seen)) == 1 else None

    def __exit__(self, *exc: object) -> None:
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def measure(base_port: int, mode: str, chain_id: str, issuer_hex: str, pipe: list[bytes], seq: list[bytes],
            inflight: int, election_s: float = 10.0) -> dict[str, Any]:
    """Pipelined (``inflight`` outstanding, spread over the 4 nodes) and one-at-a-time (through
    the leader). PySyncObj batches append-entries on a timer by default (``appendEntriesPeriod``
    0.1 s), which is its best setting under load but costs an idle request up to 100 ms; the
    one-at-a-time shape runs with ``appendEntriesUseBatch=False`` (send at once), its best there."""
    from scripts.bench_commit import add_cpu
    from scripts.bench_common import CpuMeter
    from scripts.bench_http import post_txs

    out: dict[str, Any] = {}
    for shape, txs, batch in (("pipelined", pipe, True), ("sequential", seq, False)):
        with PeerCluster(base_port, mode, chain_id, issuer_hex, batch, election_s) as c:
            time.sleep(0.5)
            urls = c.urls if shape == "pipelined" else [c.urls[c.leader() or 0]]
            log(f"PySyncObj {mode}: {len(txs)} txs, {inflight if shape == 'pipelined' else 1} in flight")
            with CpuMeter([p.pid for p in c.procs]) as cpu:
                out[shape] = asyncio.run(post_txs(urls, txs, inflight if shape == "pipelined" else 1))
            add_cpu(out[shape], cpu, None)
            out[shape]["append_entries_batch"] = batch
    return out


def bench_peer(args: argparse.Namespace, ctx: dict[str, Any]) -> dict[str, Any]:
    """Ours and PySyncObj (raw, equal work), same transaction count and in-flight count, one run."""
    from certificate.keys import SigningKey
    from scripts.bench_chain import TxFactory, make_issue_txs
    from scripts.bench_commit import measure_ours
    from scripts.bench_common import Cluster, Target, save, table

    n, seq_n, inflight = args.txs, args.sequential, args.inflight
    if importlib.util.find_spec("pysyncobj") is None:
        why = "pysyncobj is not installed (.venv/bin/pip install -e '.[bench]')"
        table("peer: skipped", [("PySyncObj", why)])
        return save("peer", {"skipped": why, "targets": []})
    with Cluster(args.base_port) as c:
        log(f"peer: ours, {n} txs at {inflight} in flight and {seq_n} one at a time")
        ours = measure_ours(c, make_issue_txs(c.key_file(), c.chain_id, n, "peer-pipe"),
                            make_issue_txs(c.key_file(), c.chain_id, seq_n, "peer-seq"), inflight)
    key = SigningKey.generate()
    chain_id = f"spkm-pysyncobj-{os.getpid()}"
    factory = TxFactory(key, chain_id, "pysyncobj")
    pipe, seq = factory.raws(n), factory.raws(seq_n, start=n)
    el = args.peer_election
    raw = measure(args.base_port + 100, "raw", chain_id, key.public.hex, pipe, seq, inflight, el)
    equal = measure(args.base_port + 100, "equal", chain_id, key.public.hex, pipe, seq, inflight, el)
    gen = _generator_ceiling(args.base_port + 200, pipe, inflight)
    result: dict[str, Any] = {"params": {"txs": n, "sequential": seq_n, "inflight": inflight,
                                         "pysyncobj_election_timeout_s": [el, 2 * el]},
                              "ours": ours, "pysyncobj_raw": raw, "pysyncobj_equal": equal, "generator_ceiling": gen}
    goal = Target(1.0, "ours >= 1.0x PySyncObj equal work")
    rows: list[Any] = []
    result["ratios"] = {}
    for shape, label in (("pipelined", f"{inflight} in flight"), ("sequential", "one at a time")):
        o, r, e = ours[shape], raw[shape], equal[shape]
        rows.append((f"{label}: ours", _fmt(o)))
        rows.append((f"{label}: PySyncObj raw", _fmt(r)))
        rows.append((f"{label}: PySyncObj equal work", _fmt(e)))
        ratio_raw, ratio_eq = o["per_second"] / r["per_second"], o["per_second"] / e["per_second"]
        result["ratios"][shape] = {"ours_over_raw": ratio_raw, "ours_over_equal": ratio_eq}
        rows.append((f"{label}: ours / raw", f"{ratio_raw:.2f}x"))
        rows.append((f"{label}: ours / equal work", f"{ratio_eq:.2f}x",
                     goal.verdict(ratio_eq) if shape == "pipelined" else ""))
        if shape == "pipelined":
            rows.append((f"{label}: CPU per tx, 4 nodes: ours / raw / equal",
                         f"{o['cpu_ms_per_tx']:.1f} / {r['cpu_ms_per_tx']:.1f} / {e['cpu_ms_per_tx']:.1f} ms"))
            result["ratios"][shape]["cpu_equal_over_ours"] = e["cpu_ms_per_tx"] / o["cpu_ms_per_tx"]
    rows.append(("load generator alone (hello-world POST)", f"{gen['per_second']:.0f} req/s at {inflight} in flight"))
    result["targets"] = [goal.record(f"commit throughput at {inflight} in flight, ours / PySyncObj equal work",
                                     result["ratios"]["pipelined"]["ours_over_equal"], "x")]
    table("peer: ours vs PySyncObj, 4 nodes / 4 processes, same transactions and client", rows)
    return save("peer", result)


def _fmt(r: dict[str, Any]) -> str:
    fails = sum(r["failed"].values())
    extra = f", {fails} failed" if fails else ""
    return (f"{r['per_second']:7.0f} certs/s  p50 {r['latency_p50_ms']:7.1f} ms  p99 {r['latency_p99_ms']:7.1f} ms"
            f"  ({r['committed']}/{r['txs']}{extra})")


def _generator_ceiling(port: int, txs: list[bytes], inflight: int) -> dict[str, Any]:
    """The same client against a hello-world POST handler: what the generator can do at most."""
    from scripts.bench_http import post_txs

    port = free_base(port, (0,))
    proc = subprocess.Popen([PY, str(ROOT / "scripts" / "bench_http.py"), "hello", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: get_json(f"http://127.0.0.1:{port}/hello", 1.0), 20)
        return asyncio.run(post_txs([f"http://127.0.0.1:{port}"], txs, inflight))
    finally:
        proc.terminate()
        proc.wait()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    n = sub.add_parser("node")
    n.add_argument("--index", type=int, required=True)
    n.add_argument("--base-port", type=int, required=True)
    n.add_argument("--mode", choices=["raw", "equal"], required=True)
    n.add_argument("--data", type=Path, required=True)
    n.add_argument("--chain-id", required=True)
    n.add_argument("--issuer", default="")
    n.add_argument("--no-batch", action="store_true")
    n.add_argument("--election-s", type=float, default=10.0)
    a = p.parse_args()
    return run_node(a)


if __name__ == "__main__":
    raise SystemExit(main())
