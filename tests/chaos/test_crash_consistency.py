"""Crash consistency on real processes: SIGKILL at random moments under load, then audit.

A load thread keeps submitting batches of certificates (so blocks of dozens of transactions are
being appended, committed and applied all the time) while a kill loop SIGKILLs a random node
(the leader a third of the time) after a random delay, **audits the dead node's data directory
exactly as the crash left it** (``verify-chain``, in-process to save interpreter start-ups),
and restarts it. At the end every node must hold one head hash, every acknowledged certificate
must be on every node, and ``verify-chain`` must pass on every stopped node.

    CRASH_KILLS=100 pytest tests/chaos/test_crash_consistency.py     # more kills

Disk full: ``test_a_node_that_cannot_write_stops_instead_of_acknowledging`` restarts one node
with ``RLIMIT_FSIZE`` (``ulimit -f``; SIGXFSZ ignored so writes fail with EFBIG, as on a full
disk) and checks that it stops rather than acknowledging what it could not store.
"""

from __future__ import annotations

import contextlib
import io
import os
import random
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from certificate.tx import issue_tx
from node.__main__ import main as node_main
from scripts.chaos_cluster import Cluster
from tests.chaos.ports import free_base, release
from tests.node.conftest import stop_cluster
from tests.node.helpers import NAMES, ROOT, ClusterHandle, get, make_record, post_txs, run_node_cli, wait_for

pytestmark = [pytest.mark.cluster]

KILLS = int(os.environ.get("CRASH_KILLS", "20"))


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[ClusterHandle]:
    last = ""
    for _ in range(5):
        handle = ClusterHandle(tmp_path / f"c{_}", free_base())
        res = handle.script("up", check=False)
        if res.returncode == 0 and all(handle.alive(n) for n in NAMES):
            break
        last = res.stdout + res.stderr + handle.tail_logs()
        stop_cluster(handle)
        release(handle.base)
    else:
        raise RuntimeError(f"cannot start a cluster: {last}")
    try:
        yield handle
    finally:
        stop_cluster(handle)
        release(handle.base)


class Load:
    """Submits batches of new certificates to random live nodes until stopped; records 201s."""

    def __init__(self, c: ClusterHandle, batch: int = 40, seed: int = 0, pause: float = 0.0) -> None:
        self.c, self.batch, self.pause = c, batch, pause
        self.rng = random.Random(seed)
        self.acked: dict[str, tuple[int, str, str]] = {}  # cert_no -> (height, block_hash, via)
        self.stop = threading.Event()
        self.down: set[str] = set()
        self.errors: list[str] = []
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop.is_set():
            recs = [make_record() for _ in range(self.batch)]
            txs = [issue_tx(r, self.c.issuer, self.c.chain_id) for r in recs]
            pending = dict(zip([r.cert_no for r in recs], txs, strict=True))
            for _attempt in range(30):
                if not pending or self.stop.is_set():
                    break
                via = self.rng.choice([n for n in NAMES if n not in self.down] or list(NAMES))
                try:
                    reply = post_txs(self.c.urls[via], list(pending.values()), timeout=20)
                except OSError:
                    time.sleep(0.2)
                    continue
                if reply.status != 200:
                    time.sleep(0.2)
                    continue
                for cert_no, res in zip(list(pending), reply.body["results"], strict=True):
                    if res["status"] == 201:
                        self.acked[cert_no] = (res["height"], res["block_hash"], via)
                        del pending[cert_no]
                    elif res["status"] in (400, 403, 409):
                        self.errors.append(f"{cert_no} via {via}: {res}")
                        del pending[cert_no]
            time.sleep(self.pause)

    def __enter__(self) -> Load:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(60)


def audit_in_process(c: ClusterHandle, node: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = node_main(["verify-chain", "--config", str(c.config(node))])
    text = out.getvalue().strip()
    if "in use" in text:
        text += f"\nLOCK holders: {lock_holders(c.data_dir(node) / 'LOCK')}"
    return code, text


def lock_holders(lock: Path) -> list[str]:
    """Processes with ``lock`` open (to explain an 'in use' audit)."""
    out = []
    for fd_dir in Path("/proc").glob("[0-9]*/fd"):
        with contextlib.suppress(OSError):
            for fd in fd_dir.iterdir():
                with contextlib.suppress(OSError):
                    if os.readlink(fd) == str(lock):
                        pid = fd_dir.parent.name
                        cmd = (fd_dir.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                        out.append(f"{pid}: {cmd[:200]}")
    return out


def verify_all(c: ClusterHandle) -> dict[str, subprocess.CompletedProcess[str]]:
    """``python -m node verify-chain`` on every (stopped) node, in parallel."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(len(NAMES)) as pool:
        runs = {n: pool.submit(run_node_cli, "verify-chain", "--config", str(c.config(n)), timeout=300)
                for n in NAMES}
        return {n: f.result() for n, f in runs.items()}


def quick_leader(c: ClusterHandle) -> str | None:
    for n, st in c.statuses().items():
        if st and st.get("role") == "leader":
            return n
    return None


def exited(pid: int | None) -> bool:
    """The whole process has exited, every thread of it (see ``Cluster.running``)."""
    return not Cluster.running(pid)


def wait_dead(c: ClusterHandle, node: str) -> None:
    pid = c.pids()[node]
    wait_for(lambda: exited(pid), 15, f"{node} (pid {pid}) to exit")


def all_acked_on_every_node(c: ClusterHandle, acked: dict[str, tuple[int, str, str]]) -> None:
    """Each acknowledged certificate sits in the block its 201 named, on every node."""
    by_height: dict[int, set[str]] = {}
    for cert_no, (h, _bh, _via) in acked.items():
        by_height.setdefault(h, set()).add(cert_no)
    import base64

    import msgpack

    for n in NAMES:
        for h, certs in by_height.items():
            r = get(f"{c.urls[n]}/api/v1/blocks/{h}")
            assert r.status == 200, (n, h, r.body)
            found = {msgpack.unpackb(base64.b64decode(t), raw=False)["body"]["record"]["cert_no"]
                     for t in r.body["txs"]}
            missing = certs - found
            assert not missing, f"{n}: acknowledged at height {h} but not there: {sorted(missing)[:5]}"
            want = {acked[cn][1] for cn in certs}
            assert want == {r.body["hash"]}, f"{n}: block {h} is {r.body['hash']}, acks said {want}"


@pytest.mark.timeout(max(900, 45 * KILLS))  # audits grow with the chain: ~10 s a kill past 50
def test_sigkill_at_random_points_always_restarts_consistent(cluster: ClusterHandle) -> None:
    c = cluster
    rng = random.Random(int(os.environ.get("CRASH_SEED", "20261127")))
    leader_kills = 0
    audits: list[tuple[str, int, str]] = []
    # Small, steady batches: blocks are being applied all the time, yet the chain stays small
    # enough that auditing it after every kill is quick.
    t0 = time.monotonic()
    with Load(c, batch=8, seed=rng.randrange(1 << 30), pause=0.05) as load:
        wait_for(lambda: len(load.acked) >= 8, 60, "the first acknowledged batch")
        for _k in range(KILLS):
            time.sleep(rng.uniform(0.05, 1.5))
            lead = quick_leader(c)
            victim = (lead if rng.random() < 0.33 else None) or rng.choice(NAMES)
            leader_kills += victim == lead
            st = c.status(victim, timeout=1)
            load.down.add(victim)
            c.kill(victim)
            wait_dead(c, victim)
            code, out = audit_in_process(c, victim)
            audits.append((victim, code, out))
            assert code == 0, f"kill {_k}: {victim}'s data after SIGKILL fails the audit: {out}"
            c.restart(victim)
            wait_for(lambda v=victim: c.status(v, 1) is not None, 30, f"{victim} to answer after restart")
            load.down.discard(victim)
            print(f"kill {_k + 1:2d}/{KILLS} {victim:8s} at height {(st or {}).get('height')}: audit ok "
                  f"({out.split(':', 1)[-1].strip()[:40]}), {time.monotonic() - t0:6.1f} s", flush=True)
        time.sleep(1.0)
    assert not load.errors, load.errors[:5]
    height, head = c.same_head(timeout=90)
    assert len(load.acked) > 0
    all_acked_on_every_node(c, load.acked)
    c.down()
    for n, res in verify_all(c).items():
        assert res.returncode == 0, (n, res.stdout + res.stderr)
        assert f"{height} blocks" in res.stdout, (n, res.stdout)
    print(f"\n{KILLS} kills ({leader_kills} of the leader) under continuous load, {len(load.acked)} "
          f"certificates acknowledged, final height {height} head {head[:16]}; every audit after a kill passed")


# --- disk full ------------------------------------------------------------------------------------

def start_with_file_limit(c: ClusterHandle, node: str, limit: int) -> subprocess.Popen[bytes]:
    """Start ``node`` as cluster.py does, but with RLIMIT_FSIZE: a write past ``limit`` bytes in
    any one file fails with EFBIG (SIGXFSZ is ignored), which is what a full disk looks like to
    LevelDB's log writer."""
    def limit_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)

    nd = c.dir / node
    log = open(nd / "node.log", "ab")  # noqa: SIM115 - handed to the child
    proc = subprocess.Popen([sys.executable, "-m", "node", "--config", str(nd / "node.toml")], cwd=ROOT,
                            stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True,
                            preexec_fn=limit_files)
    log.close()
    (nd / "node.pid").write_text(str(proc.pid))
    return proc


def _make_leader(c: ClusterHandle, node: str) -> bool:
    """Pause whoever leads until ``node`` wins an election (bounded: 15 rounds)."""
    for _ in range(15):
        lead = c.leader(timeout=30)
        if lead == node:
            return True
        c.pause(lead)
        time.sleep(2.0)
        c.resume(lead)
        time.sleep(1.0)
    return False


@pytest.mark.timeout(400)
@pytest.mark.parametrize("role", ["follower", "leader"])
def test_a_node_that_cannot_write_stops_instead_of_acknowledging(cluster: ClusterHandle, role: str) -> None:
    c = cluster
    victim = c.follower()
    c.kill(victim)
    wait_dead(c, victim)
    proc = start_with_file_limit(c, victim, 1_500_000)
    wait_for(lambda: c.status(victim, 1) is not None, 30, f"{victim} to answer")
    if role == "leader":
        assert _make_leader(c, victim), "could not make the limited node the leader"
    acked_by_victim: dict[str, Any] = {}
    with Load(c, batch=50) as load:
        # Most traffic through the victim: a node that cannot write must not say 201.
        load.rng = random.Random(1)
        deadline = time.monotonic() + 180
        while proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert proc.poll() is not None, f"{victim} kept running although it cannot write"
        load.down.add(victim)
        time.sleep(2.0)
    acked_by_victim = {k: v for k, v in load.acked.items() if v[2] == victim}
    assert proc.returncode == 1, f"{victim} exit code {proc.returncode}"
    text = (c.dir / victim / "node.log").read_text()
    assert "File too large" in text and ("engine stopped" in text or "storage failure" in text), text[-2000:]
    # The other three carry on, and everything anyone acknowledged (the victim included) is there.
    others = [n for n in NAMES if n != victim]
    c.leader(among=others, timeout=60)
    c.issue(3, via=others[0])
    # The victim restarts without the limit from what it managed to store, and catches up.
    c.restart(victim)
    height, _ = c.same_head(timeout=90)
    all_acked_on_every_node(c, load.acked)
    c.down()
    for n, res in verify_all(c).items():
        assert res.returncode == 0, (n, res.stdout + res.stderr)
    print(f"\n{role}: {victim} stopped on EFBIG; {len(load.acked)} acknowledged "
          f"({len(acked_by_victim)} by the victim), all on every node at height {height}")
