"""Shared helpers for node tests: records and transactions, HTTP, in-process chains, real clusters.

``ClusterHandle`` drives ``scripts/cluster.py`` exactly as a developer would (subprocesses, real
LevelDB, real sockets); ``write_chain`` builds keys, genesis and node.toml files for nodes that
tests start in-process with ``node.daemon.Node``.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from certificate.certno import derive_cert_no
from certificate.keys import PublicKey, SigningKey, read_key_file, write_key_file
from certificate.record import CertificateRecord, utc_timestamp
from certificate.tx import Transaction, issue_tx

ROOT = Path(__file__).resolve().parents[2]
CLUSTER_SCRIPT = ROOT / "scripts" / "cluster.py"
NAMES = ("jpk", "mampu", "agensi-1", "agensi-2")
HOST = "127.0.0.1"

_serial = itertools.count(1)
_serial_lock = threading.Lock()


# --- records and transactions ---------------------------------------------------------------

def unique_ic(n: int | None = None) -> str:
    """A valid MyKad number, different for every call in this process (and across workers)."""
    if n is None:
        with _serial_lock:
            n = next(_serial)
    # Mix in the pid so two xdist workers sharing nothing still differ; keep the date real.
    mix = (os.getpid() * 7919 + n) % 10_000_000
    day = 1 + mix % 28
    month = 1 + (mix // 28) % 12
    return f"90{month:02d}{day:02d}14{(mix // 336) % 10000:04d}"


def make_record(*, ic: str | None = None, name: str = "ALI BIN ABU", supersedes: str | None = None,
                issued_at: datetime | None = None) -> CertificateRecord:
    now = issued_at or datetime.now(UTC)
    cert_no = derive_cert_no("SKM", 3, now.year, os.urandom(16))
    return CertificateRecord.create(
        cert_no=cert_no, kind="SKM", level=3, holder_name=name, holder_ic=ic or unique_ic(),
        noss_code="MC-024-3:2012", programme_ms="Pemprosesan Data", programme_en="Data Processing",
        method="SLaPB", centre_code="ABC123", centre_name="Pusat Latihan Contoh",
        jpps_ref="JPPS/2026/01", jpps_date="2026-01-15", issued_at=utc_timestamp(now),
        supersedes=supersedes,
    )


def b64(tx: Transaction | bytes) -> str:
    raw = tx if isinstance(tx, bytes) else tx.encode()
    return base64.b64encode(raw).decode()


# --- HTTP --------------------------------------------------------------------------------------

@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


def http(method: str, url: str, body: Any = None, *, timeout: float = 30.0, raw: bytes | None = None,
         headers: dict[str, str] | None = None) -> Reply:
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    hdrs = {"Content-Type": "application/json"} if data is not None else {}
    hdrs.update(headers or {})
    req = urllib.request.Request(url, data=data, method=method, headers=hdrs)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            status, text, h = r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as exc:
        status, text, h = exc.code, exc.read(), dict(exc.headers)
    try:
        parsed: Any = json.loads(text) if text else None
    except ValueError:
        parsed = text.decode("utf-8", "replace")
    return Reply(status, parsed, h)


def get(url: str, timeout: float = 10.0) -> Reply:
    return http("GET", url, timeout=timeout)


def post_tx(url: str, tx: Transaction | bytes, *, wait: bool = True, timeout: float = 30.0) -> Reply:
    q = "" if wait else "?wait=none"
    return http("POST", f"{url}/api/v1/tx{q}", {"tx": b64(tx)}, timeout=timeout)


def post_txs(url: str, txs: Sequence[Transaction], *, timeout: float = 60.0) -> Reply:
    return http("POST", f"{url}/api/v1/txs", {"txs": [b64(t) for t in txs]}, timeout=timeout)


def wait_for(condition: Callable[[], Any], timeout: float, what: str, interval: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    last_exc: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            value = condition()
        except (OSError, ValueError, KeyError) as exc:
            last_exc = exc
            value = None
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what} (last error: {last_exc})")


def port_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, port))
        except OSError:
            return False
    return True


def free_ports(count: int) -> list[int]:
    socks = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind((HOST, 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def run_node_cli(*args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    """``python -m node ...`` as an operator runs it."""
    return subprocess.run([sys.executable, "-m", "node", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)


# --- chains for in-process nodes -----------------------------------------------------------------

@dataclass
class ChainFiles:
    dir: Path
    genesis: Path
    configs: dict[str, Path]
    node_keys: dict[str, SigningKey]
    issuer: SigningKey
    admins: list[SigningKey]
    chain_id: str
    http_ports: dict[str, int]
    p2p_ports: dict[str, int]

    def url(self, node: str) -> str:
        return f"http://{HOST}:{self.http_ports[node]}"


def write_chain(d: Path, names: Sequence[str] = ("jpk",), *, portal: str = "", threshold: int = 2,
                params: dict[str, int] | None = None) -> ChainFiles:
    """Keys, genesis.json and one node.toml per member (free loopback ports)."""
    d.mkdir(parents=True, exist_ok=True)
    keys_dir = d / "keys"
    keys_dir.mkdir(exist_ok=True)
    ports = free_ports(2 * len(names))
    node_keys = {n: SigningKey.generate() for n in names}
    http_ports = {n: ports[2 * i] for i, n in enumerate(names)}
    p2p_ports = {n: ports[2 * i + 1] for i, n in enumerate(names)}
    for n, k in node_keys.items():
        write_key_file(keys_dir / f"{n}.key", k)
    issuer = SigningKey.generate()
    write_key_file(keys_dir / "issuer.key", issuer)
    admins = [SigningKey.generate() for _ in range(3)]
    for i, a in enumerate(admins, 1):
        write_key_file(keys_dir / f"admin-{i}.key", a)
    chain_id = f"spkm-test-{os.urandom(4).hex()}"
    genesis = {
        "chain_id": chain_id,
        "qr_base_url": f"http://{HOST}:{http_ports[names[0]]}",
        "members": [{"node_id": n, "name": f"Node {n}", "public_key": node_keys[n].public.hex,
                     "p2p": f"{HOST}:{p2p_ports[n]}", "http": f"http://{HOST}:{http_ports[n]}"}
                    for n in names],
        "issuers": [{"public_key": issuer.public.hex, "name": "Pegawai Ujian"}],
        "admins": {"threshold": threshold,
                   "keys": [{"public_key": a.public.hex, "name": f"Admin {i}"} for i, a in enumerate(admins, 1)]},
        "params": params or {"heartbeat_ms": 50, "election_timeout_ms": 500},
    }
    gpath = d / "genesis.json"
    gpath.write_text(json.dumps(genesis, indent=2))
    configs = {}
    for n in names:
        nd = d / n
        nd.mkdir(exist_ok=True)
        cfg = nd / "node.toml"
        cfg.write_text(
            f'node_id = "{n}"\nkey_file = "../keys/{n}.key"\ndata_dir = "data"\n'
            f'genesis_file = "../genesis.json"\np2p_listen = "{HOST}:{p2p_ports[n]}"\n'
            f'http_listen = "{HOST}:{http_ports[n]}"\nlog_level = "warning"\n{portal}'
        )
        configs[n] = cfg
    return ChainFiles(d, gpath, configs, node_keys, issuer, admins, chain_id, http_ports, p2p_ports)


# --- real clusters through scripts/cluster.py ---------------------------------------------------

class ClusterHandle:
    """One 4-node cluster started by ``scripts/cluster.py`` in ``dir`` on ``base`` ports."""

    def __init__(self, d: Path, base: int) -> None:
        self.dir = d
        self.base = base
        self.names = NAMES
        self.urls = {n: f"http://{HOST}:{base + i}" for i, n in enumerate(NAMES, 1)}
        self.log: list[str] = []
        self._issuer: SigningKey | None = None
        self._chain_id: str | None = None

    # --- the script ---------------------------------------------------------------------------
    def script(self, *args: str, check: bool = True, timeout: float = 90.0) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, str(CLUSTER_SCRIPT), *args, "--dir", str(self.dir), "--base-port", str(self.base)]
        res = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                             stdin=subprocess.DEVNULL)
        self.log.append(f"$ cluster.py {' '.join(args)} -> {res.returncode}\n{res.stdout}{res.stderr}")
        if check and res.returncode != 0:
            raise AssertionError(f"cluster.py {' '.join(args)} failed ({res.returncode}):\n"
                                 f"{res.stdout}{res.stderr}\n{self.tail_logs()}")
        return res

    def up(self) -> None:
        self.script("up")

    def down(self) -> None:
        self.script("down", check=False)

    def kill(self, node: str) -> None:
        self.script("kill", node)

    def restart(self, node: str) -> None:
        self.script("restart", node)

    def pause(self, node: str) -> None:
        self.script("pause", node)

    def resume(self, node: str) -> None:
        self.script("resume", node)

    def stop(self, node: str, timeout: float = 20.0) -> None:
        """SIGTERM one node (a clean shutdown, as systemd does) and wait until it has exited."""
        pid = self.pids().get(node)
        assert pid is not None and self.alive(node), f"{node} is not running"
        os.kill(pid, signal.SIGTERM)
        wait_for(lambda: not self.alive(node), timeout, f"{node} to exit after SIGTERM")

    def alive(self, node: str) -> bool:
        """The node's process still exists: some thread of it is not yet a zombie.

        Checking only the main thread is not enough: it turns zombie first while LevelDB's
        background thread may still be finishing a write and holding the data directory's lock.
        """
        pid = self.pids().get(node)
        if pid is None:
            return False
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            return False
        if cmdline and str(self.config(node)).encode() not in cmdline:
            return False  # the pid now belongs to another program
        for tid in tasks:
            try:
                state = Path(f"/proc/{pid}/task/{tid}/stat").read_text().split(") ", 1)[1][:1]
            except (OSError, IndexError):
                continue
            if state not in ("Z", "X"):
                return True
        return False

    def pids(self) -> dict[str, int]:
        out = {}
        for n in NAMES:
            with contextlib.suppress(OSError, ValueError):
                out[n] = int((self.dir / n / "node.pid").read_text())
        return out

    def sigkill_leftovers(self) -> None:
        """Last resort at teardown: SIGKILL any node process of this cluster still alive."""
        for n, pid in self.pids().items():
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if str(self.dir / n / "node.toml").encode() in cmdline:
                try:
                    os.kill(pid, signal.SIGCONT)
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

    def tail_logs(self, lines: int = 15) -> str:
        parts = []
        for n in NAMES:
            try:
                text = (self.dir / n / "node.log").read_text(errors="replace").splitlines()[-lines:]
            except OSError:
                continue
            parts.append(f"--- {n} ---\n" + "\n".join(text))
        return "\n".join(parts)

    # --- identity -------------------------------------------------------------------------------
    @property
    def issuer(self) -> SigningKey:
        if self._issuer is None:
            self._issuer = read_key_file(self.dir / "keys" / "issuer.key")
        return self._issuer

    @property
    def chain_id(self) -> str:
        if self._chain_id is None:
            self._chain_id = json.loads((self.dir / "genesis.json").read_text())["chain_id"]
        return self._chain_id

    def admin(self, n: int) -> SigningKey:
        return read_key_file(self.dir / "keys" / f"admin-{n}.key")

    def node_key(self, node: str) -> SigningKey:
        return read_key_file(self.dir / "keys" / f"{node}.key")

    def config(self, node: str) -> Path:
        return self.dir / node / "node.toml"

    def data_dir(self, node: str) -> Path:
        return self.dir / node / "data"

    def genesis_hash(self) -> str:
        from node.genesis import load_genesis

        return load_genesis(self.dir / "genesis.json").hash.hex()

    def p2p_port(self, node: str) -> int:
        return self.base + 1000 + NAMES.index(node) + 1

    # --- status -----------------------------------------------------------------------------------
    def status(self, node: str, timeout: float = 2.0) -> dict[str, Any] | None:
        try:
            r = get(f"{self.urls[node]}/api/v1/status", timeout)
        except OSError:
            return None
        return r.body if r.status == 200 and isinstance(r.body, dict) else None

    def statuses(self, nodes: Iterable[str] | None = None) -> dict[str, dict[str, Any] | None]:
        return {n: self.status(n) for n in (nodes or NAMES)}

    def leader(self, among: Iterable[str] | None = None, timeout: float = 30.0) -> str:
        """The leader a majority of ``among`` agree on and that says it is leader."""
        nodes = list(among or NAMES)

        def agreed() -> str | None:
            sts = self.statuses(nodes)
            votes: dict[str, int] = {}
            for st in sts.values():
                if st and st.get("leader_id"):
                    votes[st["leader_id"]] = votes.get(st["leader_id"], 0) + 1
            for lead, count in votes.items():
                lst = sts.get(lead)
                if count >= 3 and lst and lst.get("role") == "leader" and lead in nodes:
                    return lead
            return None

        return str(wait_for(agreed, timeout, f"an agreed leader among {nodes}\n{self.tail_logs()}"))

    def follower(self, among: Iterable[str] | None = None) -> str:
        lead = self.leader(among)
        return next(n for n in (among or NAMES) if n != lead)

    def same_head(self, nodes: Iterable[str] | None = None, *, min_height: int = 0,
                  timeout: float = 30.0) -> tuple[int, str]:
        nodes = list(nodes or NAMES)

        def check() -> tuple[int, str] | None:
            sts = self.statuses(nodes)
            if any(st is None for st in sts.values()):
                return None
            heads = {(st["height"], st["head_hash"]) for st in sts.values() if st}
            if len(heads) == 1:
                h = next(iter(heads))
                return h if h[0] >= min_height else None
            return None

        def describe() -> str:
            return json.dumps({n: (st or {}).get("height") for n, st in self.statuses(nodes).items()})

        try:
            return wait_for(check, timeout, "the same head on every node")  # type: ignore[no-any-return]
        except AssertionError:
            raise AssertionError(f"heads differ: {describe()}\n{self.tail_logs()}") from None

    # --- issuing and reading ------------------------------------------------------------------
    def issue(self, n: int, via: str | None = None, key: SigningKey | None = None) -> list[IssuedCert]:
        """Issue ``n`` new certificates in one batch through ``via`` (a node name); all must be 201."""
        key = key or self.issuer
        recs = [make_record() for _ in range(n)]
        txs = [issue_tx(r, key, self.chain_id) for r in recs]
        node = via or NAMES[0]
        # A client honours 503 + Retry-After (no leader yet, e.g. an election under load); the
        # transactions are idempotent, so resubmitting them is exactly what a real client does.
        deadline = time.monotonic() + 30
        reply = post_txs(self.urls[node], txs)
        while reply.status == 503 and time.monotonic() < deadline:
            time.sleep(0.5)
            reply = post_txs(self.urls[node], txs)
        assert reply.status == 200, reply.body
        out = []
        for rec, tx, res in zip(recs, txs, reply.body["results"], strict=True):
            assert res["status"] == 201, res
            out.append(IssuedCert(rec, tx, res["height"], res["block_hash"]))
        return out

    def cert(self, node: str, cert_no: str, timeout: float = 10.0) -> Reply:
        return get(f"{self.urls[node]}/api/v1/certificates/{cert_no}", timeout)

    def block(self, node: str, height: int) -> Reply:
        return get(f"{self.urls[node]}/api/v1/blocks/{height}")

    def pubkey(self, node: str) -> PublicKey:
        return self.node_key(node).public


@dataclass
class IssuedCert:
    record: CertificateRecord
    tx: Transaction
    height: int
    block_hash: str

    @property
    def cert_no(self) -> str:
        return self.record.cert_no


# --- in-process nodes ------------------------------------------------------------------------------

async def start_node(cfg_path: Path, with_http: bool = True) -> Any:
    """A ``node.daemon.Node`` started on the running loop (HTTP too, with the real portal app)."""
    from node.config import load_config
    from node.daemon import Node

    make_app = None
    if with_http:
        from portal.app import make_app
    node = Node(load_config(cfg_path), make_app)
    await node.start()
    return node


async def wait_async(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    import asyncio

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


async def inproc_leader(nodes: dict[str, Any], timeout: float = 10.0) -> Any:
    from node.consensus import Role

    return await wait_async(
        lambda: next((n for n in nodes.values() if n.engine.role is Role.LEADER and n.engine.leader_ready()), None),
        timeout, "an in-process leader")
