"""The chaos run's clients and observers: what was acknowledged, and what every response showed.

* ``Issuer`` clients submit pre-signed issue transactions (distinct cert_nos) one at a time, or
  in small batches, through different nodes; every 201 is an acknowledgement with its height
  and block hash. On 503, a timeout or a broken connection they resubmit *the same bytes*
  (idempotent by transaction id) on another node, so a transaction is never issued twice by us.
* ``Revoker`` revokes an acknowledged certificate now and then and records the acknowledgement.
* ``Reader`` reads certificates back from random nodes: a read that *started* after an
  acknowledgement must show it (a revoked certificate never "valid", an issued one never 404).
* ``StatusPoller`` polls every node's status: heights never go backwards within one process
  lifetime, and a restarted process never starts below what its predecessor showed (a SIGKILL
  loses no write the process completed: LevelDB hands each batch to the kernel before returning).
"""

from __future__ import annotations

import asyncio
import base64
import random
import time
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

NODE_NAMES = ("jpk", "mampu", "agensi-1", "agensi-2")


@dataclass
class Ack:
    cert_no: str
    tx_id: str
    height: int
    block_hash: str
    node: str
    at: float  # monotonic time the 201 arrived


@dataclass
class Ledger:
    """Everything the clients were told, and everything that broke a rule."""

    acks: dict[str, Ack] = field(default_factory=dict)
    revocations: dict[str, Ack] = field(default_factory=dict)
    submitted: set[str] = field(default_factory=set)  # cert_nos sent at least once
    violations: list[str] = field(default_factory=list)
    anomalies: list[str] = field(default_factory=list)
    stale_reads: int = 0
    reads: int = 0
    regressions: int = 0
    counts: Counter[str] = field(default_factory=Counter)

    def violation(self, text: str) -> None:
        if len(self.violations) < 200:
            self.violations.append(text)

    def anomaly(self, text: str) -> None:
        if len(self.anomalies) < 200:
            self.anomalies.append(text)

    def last_ack_at(self) -> float:
        times = [a.at for a in self.acks.values()] + [a.at for a in self.revocations.values()]
        return max(times, default=0.0)


@dataclass
class Lifetimes:
    """One counter per node, bumped before a kill is sent and again once the process is gone: a
    response is attributed to one process only if the counter did not move while it was awaited."""

    epoch: dict[str, int] = field(default_factory=lambda: dict.fromkeys(NODE_NAMES, 0))
    down: set[str] = field(default_factory=set)
    paused: set[str] = field(default_factory=set)
    wiped: set[str] = field(default_factory=set)  # data deleted on purpose: may restart from zero


class Http:
    def __init__(self, urls: dict[str, str]) -> None:
        self.urls = urls
        self.session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Http:
        self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.session is not None:
            await self.session.close()

    async def request(self, method: str, node: str, path: str, *, json: Any = None,
                      timeout: float = 10.0) -> tuple[int, Any]:
        """(status, body); status 0 for a connection error or timeout."""
        assert self.session is not None
        try:
            async with self.session.request(method, self.urls[node] + path, json=json,
                                            timeout=aiohttp.ClientTimeout(total=timeout)) as r:
                try:
                    body = await r.json(content_type=None)
                except ValueError:
                    body = None
                return r.status, body
        except (aiohttp.ClientError, TimeoutError, OSError, ValueError):
            return 0, None


def cert_no_of(raw: bytes) -> str:
    import msgpack

    return str(msgpack.unpackb(raw, raw=False)["body"]["record"]["cert_no"])


def make_issue_txs(key_file: Path, chain_id: str, n: int, tag: str) -> list[bytes]:
    """``n`` signed issue transactions with cert_nos derived from ``tag`` (distinct per tag and i)."""
    from certificate.certno import derive_cert_no
    from certificate.keys import read_key_file
    from certificate.record import CertificateRecord
    from certificate.tx import issue_tx

    key = read_key_file(key_file)
    out = []
    for i in range(n):
        n_ic = (zlib.crc32(tag.encode()) + i) % 10_000
        rec = CertificateRecord.create(
            cert_no=derive_cert_no("SKM", 3, 2026, f"{tag}|{i}".encode()), kind="SKM", level=3,
            holder_name="PESERTA UJIAN KEKACAUAN", holder_ic=f"9001{1 + i % 28:02d}14{n_ic:04d}",
            noss_code="MC-024-3:2012", programme_ms="Pemprosesan Data", programme_en="Data Processing",
            method="SLaPB", centre_code="ABC123", centre_name="Pusat Latihan Ujian",
            jpps_ref="CHAOS/2026", jpps_date="2026-01-15", issued_at="2026-02-01T08:00:00Z")
        out.append(issue_tx(rec, key, chain_id).encode())
    return out


class TxSupply:
    """Pre-signed issue transactions, made in chunks off the event loop."""

    def __init__(self, key_file: Path, chain_id: str, tag: str, chunk: int = 100) -> None:
        self.key_file, self.chain_id, self.tag, self.chunk = key_file, chain_id, tag, chunk
        self._buf: list[bytes] = []
        self._n = 0

    async def take(self, n: int) -> list[bytes]:
        while len(self._buf) < n:
            tag = f"{self.tag}-{self._n}"
            self._n += 1
            self._buf += await asyncio.to_thread(make_issue_txs, self.key_file, self.chain_id, self.chunk, tag)
        out, self._buf = self._buf[:n], self._buf[n:]
        return out


class Workload:
    def __init__(self, http: Http, ledger: Ledger, life: Lifetimes, rng: random.Random, *,
                 key_file: Path, chain_id: str, seed: int) -> None:
        self.http, self.ledger, self.life, self.rng = http, ledger, life, rng
        self.key_file, self.chain_id, self.seed = key_file, chain_id, seed
        self.stop = asyncio.Event()
        self.latest: dict[str, tuple[float, dict[str, Any]]] = {}
        self._last_height: dict[tuple[str, int], int] = {}
        self._floor: dict[str, tuple[int, int]] = {}  # node -> (height, epoch it was seen in)
        self._issuer_key: Any = None

    # --- helpers -----------------------------------------------------------------------------
    def leader(self) -> str | None:
        now = time.monotonic()
        best: tuple[int, str] | None = None
        for node, (at, st) in self.latest.items():
            if now - at < 3 and st.get("role") == "leader" and node not in self.life.down | self.life.paused:
                cand = (int(st.get("term", 0)), node)
                best = cand if best is None or cand > best else best
        return best[1] if best else None

    def _sleep(self, seconds: float) -> Any:
        return asyncio.wait_for(self.stop.wait(), seconds)

    async def pause(self, seconds: float) -> bool:
        """Sleep; True when the run is over."""
        try:
            await self._sleep(seconds)
            return True
        except TimeoutError:
            return False

    # --- issuing -----------------------------------------------------------------------------
    async def submit_until_acked(self, raw: bytes, node: str, *, what: str, deadline: float) -> Ack | None:
        """POST the same bytes until 201 or the deadline; moves to another node after a failure."""
        body = {"tx": base64.b64encode(raw).decode()}
        nodes = list(NODE_NAMES)
        i = nodes.index(node)
        for _attempt in range(200):
            if time.monotonic() > deadline:
                return None
            node = nodes[i % len(nodes)]
            status, res = await self.http.request("POST", node, "/api/v1/tx", json=body, timeout=20)
            self.ledger.counts[f"http_{status}"] += 1
            if status == 201 and isinstance(res, dict):
                return Ack("", str(res["tx_id"]), int(res["height"]), str(res["block_hash"]), node,
                           time.monotonic())
            if status in (400, 403, 404, 409):
                code = (res or {}).get("error", {}).get("code") if isinstance(res, dict) else None
                self.ledger.anomaly(f"{what} via {node}: HTTP {status} {code}")
                self.ledger.counts[f"rejected_{code}"] += 1
                return None
            i += 1
            await asyncio.sleep(0.1 + self.rng.random() * 0.3)
        return None

    async def issuer(self, idx: int, deadline: float) -> None:
        supply = TxSupply(self.key_file, self.chain_id, f"chaos-{self.seed}-c{idx}")
        home = NODE_NAMES[idx % len(NODE_NAMES)]
        while not self.stop.is_set():
            [raw] = await supply.take(1)
            cert_no = cert_no_of(raw)
            self.ledger.submitted.add(cert_no)
            node = home if self.rng.random() < 0.7 else self.rng.choice(NODE_NAMES)
            ack = await self.submit_until_acked(raw, node, what=f"issue {cert_no}", deadline=deadline)
            if ack is not None:
                ack.cert_no = cert_no
                self._record_issue(ack)
                if self.rng.random() < 0.1:
                    await self.read_everywhere(cert_no)

    def _record_issue(self, ack: Ack) -> None:
        prev = self.ledger.acks.get(ack.cert_no)
        if prev is not None and (prev.height, prev.block_hash) != (ack.height, ack.block_hash):
            self.ledger.violation(f"{ack.cert_no} acknowledged twice at different places: "
                                  f"{prev.height}/{prev.block_hash[:12]} and {ack.height}/{ack.block_hash[:12]}")
        self.ledger.acks.setdefault(ack.cert_no, ack)

    async def batcher(self, idx: int, deadline: float, size: int = 10) -> None:
        """POST /api/v1/txs with small batches; resubmits the unacknowledged part."""
        supply = TxSupply(self.key_file, self.chain_id, f"chaos-{self.seed}-b{idx}")
        node = NODE_NAMES[(idx + 1) % len(NODE_NAMES)]
        while not self.stop.is_set():
            raws = await supply.take(size)
            left = {cert_no_of(r): r for r in raws}
            self.ledger.submitted.update(left)
            for _attempt in range(100):
                if not left or time.monotonic() > deadline:
                    break
                body = {"txs": [base64.b64encode(r).decode() for r in left.values()]}
                status, res = await self.http.request("POST", node, "/api/v1/txs", json=body, timeout=25)
                self.ledger.counts[f"http_{status}"] += 1
                if status == 200 and isinstance(res, dict):
                    for (cert_no, _raw), r in zip(list(left.items()), res["results"], strict=True):
                        if r["status"] == 201:
                            self._record_issue(Ack(cert_no, r["tx_id"], r["height"], r["block_hash"], node,
                                                   time.monotonic()))
                            del left[cert_no]
                        elif r["status"] in (400, 403, 404, 409):
                            self.ledger.anomaly(f"batch issue {cert_no} via {node}: {r}")
                            del left[cert_no]
                if left:
                    node = self.rng.choice(NODE_NAMES)
                    await asyncio.sleep(0.1 + self.rng.random() * 0.3)

    async def revoker(self, deadline: float, every: float = 2.0) -> None:
        from certificate.keys import read_key_file
        from certificate.record import utc_timestamp
        from certificate.tx import revoke_tx

        key = read_key_file(self.key_file)
        while not await self.pause(every * (0.5 + self.rng.random())):
            choices = [c for c in self.ledger.acks if c not in self.ledger.revocations]
            if not choices:
                continue
            cert_no = self.rng.choice(sorted(choices))
            from datetime import UTC, datetime

            raw = revoke_tx(cert_no, f"chaos seed {self.seed}", utc_timestamp(datetime.now(UTC)), key,
                            self.chain_id).encode()
            ack = await self.submit_until_acked(raw, self.rng.choice(NODE_NAMES), what=f"revoke {cert_no}",
                                                deadline=deadline)
            if ack is not None:
                ack.cert_no = cert_no
                self.ledger.revocations[cert_no] = ack
                await self.read_everywhere(cert_no)

    # --- observing -------------------------------------------------------------------------------
    async def reader(self, every: float = 0.05) -> None:
        while not await self.pause(every):
            revs = list(self.ledger.revocations.values())
            acks = list(self.ledger.acks.values())
            if not acks:
                continue
            ack = self.rng.choice(revs) if revs and self.rng.random() < 0.6 else self.rng.choice(acks)
            await self.check_read(ack.cert_no, self.rng.choice(NODE_NAMES))

    async def read_everywhere(self, cert_no: str) -> None:
        """Right after an acknowledgement, read it back from every node at once (where a stale
        read is likeliest: a node that has not applied it yet must wait or refuse, not answer)."""
        await asyncio.gather(*(self.check_read(cert_no, n, timeout=3) for n in NODE_NAMES))

    async def check_read(self, cert_no: str, node: str, timeout: float = 5.0) -> str | None:
        """Read one certificate; record a stale read. Returns the status shown, if any."""
        started = time.monotonic()
        status, body = await self.http.request("GET", node, f"/api/v1/certificates/{cert_no}", timeout=timeout)
        if status not in (200, 404):
            self.ledger.counts[f"read_{status}"] += 1
            return None
        self.ledger.reads += 1
        issued = self.ledger.acks.get(cert_no)
        revoked = self.ledger.revocations.get(cert_no)
        shown = body.get("status") if status == 200 and isinstance(body, dict) else "absent"
        if issued is not None and issued.at < started and status == 404:
            self.ledger.stale_reads += 1
            self.ledger.violation(f"stale read: {node} answered 404 for {cert_no}, acknowledged "
                                  f"{started - issued.at:.2f} s before the read began")
        if revoked is not None and revoked.at < started and shown == "valid":
            self.ledger.stale_reads += 1
            self.ledger.violation(f"stale read: {node} showed {cert_no} valid, its revocation was acknowledged "
                                  f"{started - revoked.at:.2f} s before the read began")
        return str(shown)

    async def status_poller(self, node: str, every: float = 0.25) -> None:
        while not await self.pause(every):
            await self.poll_status(node)

    async def poll_status(self, node: str) -> dict[str, Any] | None:
        e0 = self.life.epoch[node]
        status, st = await self.http.request("GET", node, "/api/v1/status", timeout=1.5)
        if status != 200 or not isinstance(st, dict) or self.life.epoch[node] != e0:
            return None
        self.latest[node] = (time.monotonic(), st)
        h = int(st["height"])
        prev = self._last_height.get((node, e0))
        if prev is not None and h < prev:
            self.ledger.regressions += 1
            self.ledger.violation(f"height went backwards on {node} (one process): {prev} -> {h}")
        if prev is None and node in self.life.wiped:
            self.life.wiped.discard(node)
            self._floor.pop(node, None)
        elif prev is None:
            floor = self._floor.get(node)
            if floor is not None and floor[1] != e0 and h < floor[0]:
                self.ledger.regressions += 1
                self.ledger.violation(f"{node} restarted below its own durable state: it showed height "
                                      f"{floor[0]} before the restart, {h} after")
        self._last_height[(node, e0)] = max(h, prev or 0)
        if h >= self._floor.get(node, (-1, 0))[0]:
            self._floor[node] = (h, e0)
        return st


def spawn(tasks: list[asyncio.Task[Any]], make: Callable[[], Any], name: str) -> None:
    tasks.append(asyncio.get_running_loop().create_task(make(), name=name))
