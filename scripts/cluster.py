#!/usr/bin/env python3
"""A 4-node local cluster on one machine: the developer's and the tests' playground.

    python scripts/cluster.py up [--dir DIR] [--base-port B] [--demo]
    python scripts/cluster.py status | down | kill NODE | restart NODE | pause NODE | resume NODE

Node i (1..4) serves HTTP on 127.0.0.1:B+i and p2p on 127.0.0.1:B+1000+i. Every node runs as
its own process (``python -m node --config DIR/<node>/node.toml``) with its pid in
``DIR/<node>/node.pid`` and its log in ``DIR/<node>/node.log``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NODES = [
    ("jpk", "Jabatan Pembangunan Kemahiran (JPK)"),
    ("mampu", "Unit Pemodenan Tadbiran dan Perancangan Pengurusan Malaysia (MAMPU)"),
    ("agensi-1", "Agensi Penguji 1"),
    ("agensi-2", "Agensi Penguji 2"),
]


class ClusterError(Exception):
    pass


def http_port(base: int, i: int) -> int:
    return base + i


def p2p_port(base: int, i: int) -> int:
    return base + 1000 + i


def resolve(name: str) -> tuple[int, str]:
    for i, (node, _) in enumerate(NODES, 1):
        if name in (node, str(i)):
            return i, node
    raise ClusterError(f"unknown node {name!r}: use one of {', '.join(n for n, _ in NODES)} or 1-4")


def port_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def get_json(url: str, timeout: float = 1.0) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return json.loads(r.read())


def pid_of(d: Path, node: str) -> int | None:
    try:
        pid = int((d / node / "node.pid").read_text())
    except (OSError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    # a zombie left by a parent that never waited is not a running node
    try:
        if Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z"):
            return None
    except OSError:
        pass
    # a stale pid file may name a pid the system has since given to another program: never
    # signal a process that is not this node (its command line names this node's config)
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return pid  # no /proc (not Linux): trust the pid file
    if str(d / node / "node.toml").encode() not in cmdline:
        return None
    return pid


def create(d: Path, base: int) -> None:
    """Keys, genesis and configs; never overwrites an existing cluster's keys."""
    from certificate.keys import SigningKey, write_key_file

    keys_dir = d / "keys"
    keys_dir.mkdir(parents=True, exist_ok=True)
    members, node_keys = [], {}
    for i, (node, name) in enumerate(NODES, 1):
        key = SigningKey.generate()
        write_key_file(keys_dir / f"{node}.key", key)
        node_keys[node] = key
        members.append({"node_id": node, "name": name, "public_key": key.public.hex,
                        "p2p": f"127.0.0.1:{p2p_port(base, i)}",
                        "http": f"http://127.0.0.1:{http_port(base, i)}"})
    issuer = SigningKey.generate()
    write_key_file(keys_dir / "issuer.key", issuer)
    admins = []
    for n in range(1, 4):
        admin = SigningKey.generate()
        write_key_file(keys_dir / f"admin-{n}.key", admin)
        admins.append({"public_key": admin.public.hex, "name": f"Pentadbir {n}"})
    genesis = {
        "chain_id": f"spkm-local-{os.urandom(4).hex()}",
        "qr_base_url": f"http://127.0.0.1:{http_port(base, 1)}",
        "members": members,
        "issuers": [{"public_key": issuer.public.hex, "name": "Pegawai Persijilan JPK"}],
        "admins": {"threshold": 2, "keys": admins},
        "params": {"block_max_txs": 250, "heartbeat_ms": 100, "election_timeout_ms": 1000,
                   "max_inflight_blocks": 4},
    }
    (d / "genesis.json").write_text(json.dumps(genesis, indent=2) + "\n")
    for i, (node, _) in enumerate(NODES, 1):
        nd = d / node
        nd.mkdir(exist_ok=True)
        (nd / "node.toml").write_text(
            f'node_id = "{node}"\n'
            f'key_file = "../keys/{node}.key"\n'
            f'data_dir = "data"\n'
            f'genesis_file = "../genesis.json"\n'
            f'p2p_listen = "127.0.0.1:{p2p_port(base, i)}"\n'
            f'http_listen = "127.0.0.1:{http_port(base, i)}"\n'
            f'public_base_url = "http://127.0.0.1:{http_port(base, i)}"\n'
            f'log_level = "info"\n'
            f"\n[portal]\n"
            f"lookup_rate_per_minute = 60\n"
            f'rate_limit_exempt = []\n'
        )


def start(d: Path, node: str) -> int:
    nd = d / node
    log = open(nd / "node.log", "ab")  # noqa: SIM115 - handed to the child
    proc = subprocess.Popen(
        [sys.executable, "-m", "node", "--config", str(nd / "node.toml")],
        cwd=ROOT, stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True,
    )
    (nd / "node.pid").write_text(str(proc.pid))
    return proc.pid


def wait_leader(base: int, timeout: float, nodes: list[int] | None = None) -> dict[str, Any] | None:
    deadline = time.monotonic() + timeout
    nodes = nodes or [1, 2, 3, 4]
    while time.monotonic() < deadline:
        for i in nodes:
            try:
                st = get_json(f"http://127.0.0.1:{http_port(base, i)}/api/v1/status", 0.5)
            except (OSError, ValueError):
                continue
            if st.get("leader_id"):
                return dict(st)
        time.sleep(0.1)
    return None


def last_log_line(d: Path, node: str) -> str:
    try:
        lines = (d / node / "node.log").read_text(errors="replace").strip().splitlines()
    except OSError:
        return "(no log)"
    return lines[-1][:300] if lines else "(empty log)"


def wait_all_answer(d: Path, base: int, timeout: float) -> None:
    """A leader needs only three nodes: "up" means all four run and answer, else say which did not."""
    deadline = time.monotonic() + timeout
    pending = dict(enumerate((n for n, _ in NODES), 1))
    while pending and time.monotonic() < deadline:
        for i, node in list(pending.items()):
            if pid_of(d, node) is None:
                raise ClusterError(f"{node} exited at start: {last_log_line(d, node)}")
            try:
                get_json(f"http://127.0.0.1:{http_port(base, i)}/api/v1/status", 0.5)
            except (OSError, ValueError):
                continue
            del pending[i]
        time.sleep(0.1)
    if pending:
        names = ", ".join(pending.values())
        raise ClusterError(f"{names} did not answer within {timeout:.0f} s; see {d}/<node>/node.log")


def cmd_up(d: Path, base: int, demo: bool) -> int:
    if not (d / "genesis.json").exists():
        create(d, base)
    running = [n for n, _ in NODES if pid_of(d, n)]
    for i, (node, _) in enumerate(NODES, 1):
        if node in running:
            continue
        for port in (http_port(base, i), p2p_port(base, i)):
            if not port_free(port):
                raise ClusterError(f"port {port} is taken (is another cluster running? try --base-port)")
    for node, _ in NODES:
        if node not in running:
            start(d, node)
    st = wait_leader(base, 30)
    if st is None:
        raise ClusterError(f"no leader elected within 30 s; see {d}/*/node.log")
    wait_all_answer(d, base, 30)
    if demo:
        from scripts.demo import issue_demo

        n = issue_demo(d, [f"http://127.0.0.1:{http_port(base, i)}" for i in range(1, 5)])
        print(f"demo: {n} certificates issued")
    print(f"cluster up in {d} (leader: {st['leader_id']})")
    for i, (node, name) in enumerate(NODES, 1):
        print(f"  {node:9s} http://127.0.0.1:{http_port(base, i)}/   ({name})")
    print(f"issuer key: {d / 'keys' / 'issuer.key'}")
    return 0


def cmd_status(d: Path, base: int) -> int:
    print(f"{'node':9s} {'pid':>7s} {'role':9s} {'term':>5s} {'height':>7s} {'head':16s} leader")
    for i, (node, _) in enumerate(NODES, 1):
        pid = pid_of(d, node)
        try:
            st = get_json(f"http://127.0.0.1:{http_port(base, i)}/api/v1/status", 1.0)
            print(f"{node:9s} {pid or '-':>7} {st['role']:9s} {st['term']:>5} {st['height']:>7} "
                  f"{st['head_hash'][:16]:16s} {st.get('leader_id') or '-'}")
        except (OSError, ValueError):
            state = "stopped" if pid is None else "no answer"
            print(f"{node:9s} {pid or '-':>7} {state}")
    return 0


def signal_node(d: Path, node: str, sig: signal.Signals) -> int:
    pid = pid_of(d, node)
    if pid is None:
        raise ClusterError(f"{node} is not running")
    os.kill(pid, sig)
    return pid


def cmd_down(d: Path) -> int:
    pids = []
    for node, _ in NODES:
        pid = pid_of(d, node)
        if pid:
            os.kill(pid, signal.SIGCONT)
            os.kill(pid, signal.SIGTERM)
            pids.append(pid)
    deadline = time.monotonic() + 15
    for pid in pids:
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
                if Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z"):
                    break
            except (ProcessLookupError, OSError):
                break
            time.sleep(0.05)
        else:
            os.kill(pid, signal.SIGKILL)
    print(f"stopped {len(pids)} node(s)")
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="cluster.py", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("command", choices=["up", "status", "down", "kill", "restart", "pause", "resume"])
    p.add_argument("node", nargs="?")
    p.add_argument("--dir", default="cluster", type=Path)
    p.add_argument("--base-port", default=8100, type=int)
    p.add_argument("--demo", action="store_true", help="with up: issue sample certificates")
    a = p.parse_args(argv)
    d: Path = a.dir.resolve()
    base: int = a.base_port
    if not 1024 <= base <= 64000:
        print("error: --base-port must be between 1024 and 64000", file=sys.stderr)
        return 2
    try:
        if a.command in ("kill", "restart", "pause", "resume") and not a.node:
            raise ClusterError(f"{a.command} needs a NODE (name or 1-4)")
        if a.command == "up":
            return cmd_up(d, base, a.demo)
        if not (d / "genesis.json").exists():
            raise ClusterError(f"no cluster in {d} (run: python scripts/cluster.py up --dir {a.dir})")
        if a.command == "status":
            return cmd_status(d, base)
        if a.command == "down":
            return cmd_down(d)
        i, node = resolve(a.node)
        if a.command == "kill":
            print(f"killed {node} (pid {signal_node(d, node, signal.SIGKILL)})")
        elif a.command == "pause":
            print(f"paused {node} (pid {signal_node(d, node, signal.SIGSTOP)})")
        elif a.command == "resume":
            print(f"resumed {node} (pid {signal_node(d, node, signal.SIGCONT)})")
        elif a.command == "restart":
            pid = pid_of(d, node)
            if pid:
                os.kill(pid, signal.SIGCONT)
                os.kill(pid, signal.SIGKILL)
                time.sleep(0.2)
            for port in (http_port(base, i), p2p_port(base, i)):
                for _ in range(50):
                    if port_free(port):
                        break
                    time.sleep(0.1)
            print(f"started {node} (pid {start(d, node)})")
        return 0
    except ClusterError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
