"""After the faults: convergence, the chain as every node holds it, and the offline audit."""

from __future__ import annotations

import asyncio
import base64
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgpack

from scripts.chaos_workload import NODE_NAMES, Http, Ledger

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class NodeChain:
    node: str
    height: int = 0
    head_hash: str = ""
    hashes: list[str] = field(default_factory=list)  # index h-1
    issues: Counter[str] = field(default_factory=Counter)  # cert_no -> times issued
    revokes: Counter[str] = field(default_factory=Counter)
    where: dict[str, int] = field(default_factory=dict)  # cert_no -> height of its issue
    errors: list[str] = field(default_factory=list)
    time_backwards: int = 0
    max_ahead_s: float = 0.0  # how far the newest block time ran ahead of the real clock


async def converge(http: Http, timeout: float, min_height: int = 0,
                   stall: float = 30.0) -> tuple[bool, dict[str, dict[str, Any]]]:
    """Wait until every node answers with one leader and one head at ``min_height`` or above;
    returns (ok, statuses). Gives up after ``timeout`` or when no node's height has moved for
    ``stall`` seconds: a node that lost its data catching up thousands of blocks on a loaded
    machine is slow, not stuck, and is given the time as long as it makes progress."""
    start = time.monotonic()
    deadline = start + timeout
    last_progress = start
    best: dict[str, int] = {}
    sts: dict[str, dict[str, Any]] = {}
    while time.monotonic() < deadline and time.monotonic() - last_progress < stall:
        replies = await asyncio.gather(*(http.request("GET", n, "/api/v1/status", timeout=2) for n in NODE_NAMES))
        sts = {n: b for n, (s, b) in zip(NODE_NAMES, replies, strict=True) if s == 200 and isinstance(b, dict)}
        for n, b in sts.items():
            if int(b["height"]) > best.get(n, -1):
                best[n] = int(b["height"])
                last_progress = time.monotonic()
        if len(sts) == len(NODE_NAMES):
            heads = {(b["height"], b["head_hash"]) for b in sts.values()}
            leaders = {b.get("leader_id") for b in sts.values()}
            if (len(heads) == 1 and len(leaders) == 1 and None not in leaders
                    and next(iter(heads))[0] >= min_height):
                return True, sts
        await asyncio.sleep(0.2)
    return False, sts


def log_tail(cluster_dir: Path, node: str, lines: int = 6) -> str:
    try:
        text = (cluster_dir / node / "node.log").read_text(errors="replace").splitlines()[-lines:]
    except OSError:
        return "(no log)"
    return " | ".join(line[:240] for line in text)


async def read_chain(http: Http, node: str, height: int, concurrency: int = 8) -> NodeChain:
    nc = NodeChain(node, height)
    blocks: dict[int, dict[str, Any]] = {}
    heights = list(range(1, height + 1))

    async def worker() -> None:
        while heights:
            h = heights.pop()
            for _ in range(5):
                status, body = await http.request("GET", node, f"/api/v1/blocks/{h}", timeout=10)
                if status == 200 and isinstance(body, dict):
                    blocks[h] = body
                    break
                await asyncio.sleep(0.2)
            else:
                nc.errors.append(f"{node}: block {h} unreadable (HTTP {status})")

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    last_time = 0
    for h in range(1, height + 1):
        b = blocks.get(h)
        if b is None:
            nc.hashes.append("")
            continue
        nc.hashes.append(b["hash"])
        if b["time_ms"] < last_time:
            nc.time_backwards += 1
        nc.max_ahead_s = max(nc.max_ahead_s, b["time_ms"] / 1000 - time.time())
        last_time = b["time_ms"]
        for t in b["txs"]:
            tx = msgpack.unpackb(base64.b64decode(t), raw=False)
            if tx["type"] == "issue":
                cn = tx["body"]["record"]["cert_no"]
                nc.issues[cn] += 1
                nc.where[cn] = h
            elif tx["type"] == "revoke":
                nc.revokes[tx["body"]["cert_no"]] += 1
    nc.head_hash = nc.hashes[-1] if nc.hashes else ""
    return nc


@dataclass
class ChainVerdict:
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    lost_revocations: list[str] = field(default_factory=list)
    misplaced: list[str] = field(default_factory=list)
    head_hashes: set[str] = field(default_factory=set)
    unacked_landed: int = 0
    certs_on_chain: int = 0
    block_time_ahead_s: float = 0.0


def judge(ledger: Ledger, chains: list[NodeChain]) -> ChainVerdict:
    v = ChainVerdict()
    v.head_hashes = {c.head_hash for c in chains}
    for c in chains:
        for e in c.errors:
            ledger.violation(e)
        if c.time_backwards:
            ledger.violation(f"{c.node}: {c.time_backwards} block(s) older than their parent")
        for cn, n in c.issues.items():
            if n > 1:
                v.duplicated.append(f"{cn}@{c.node}x{n}")
        for cn, n in c.revokes.items():
            if n > 1:
                v.duplicated.append(f"revoke {cn}@{c.node}x{n}")
        for cn, ack in ledger.acks.items():
            if c.issues.get(cn, 0) == 0:
                v.lost.append(f"{cn}@{c.node}")
            elif c.where[cn] != ack.height or c.hashes[ack.height - 1] != ack.block_hash:
                v.misplaced.append(f"{cn}@{c.node}: acknowledged at {ack.height}/{ack.block_hash[:12]}, "
                                   f"found at {c.where[cn]}/{c.hashes[c.where[cn] - 1][:12]}")
        for cn in ledger.revocations:
            if c.revokes.get(cn, 0) == 0:
                v.lost_revocations.append(f"{cn}@{c.node}")
    if chains:
        v.block_time_ahead_s = max(c.max_ahead_s for c in chains)
        v.certs_on_chain = len(chains[0].issues)
        v.unacked_landed = sum(1 for cn in chains[0].issues if cn in ledger.submitted and cn not in ledger.acks)
    for what, items in (("acknowledged certificate lost", v.lost), ("duplicated on chain", v.duplicated),
                        ("acknowledged revocation lost", v.lost_revocations),
                        ("acknowledged at another place than it is", v.misplaced)):
        for item in items[:20]:
            ledger.violation(f"{what}: {item}")
    if len(v.head_hashes) != 1:
        ledger.violation(f"nodes disagree on the head: {sorted(h[:16] for h in v.head_hashes)}")
    if len({tuple(c.hashes) for c in chains}) > 1:
        ledger.violation("nodes hold different block hashes at some height")
    return v


async def verify_chains(cluster_dir: Path) -> dict[str, tuple[int, str]]:
    """``python -m node verify-chain`` on every (stopped) node, in parallel."""
    async def one(node: str) -> tuple[int, str]:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "node", "verify-chain", "--config", str(cluster_dir / node / "node.toml"),
            cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        try:
            out, _ = await asyncio.wait_for(proc.communicate(), 300)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            return 99, "verify-chain timed out"
        return int(proc.returncode or 0), out.decode(errors="replace").strip().splitlines()[-1:][0] if out else ""

    results = await asyncio.gather(*(one(n) for n in NODE_NAMES))
    return dict(zip(NODE_NAMES, results, strict=True))
