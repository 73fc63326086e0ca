"""SIGSTOP the leader for longer than the election timeout while clients keep issuing.

The frozen leader still believes it leads when it wakes up; the others have elected a new
leader meanwhile. Afterwards there must be one chain (every node holds the same block at
every height) and every transaction any client was told is committed (201) must be in it,
at the height and block the client was told.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest

from certificate.tx import issue_tx
from tests.node.helpers import NAMES, ClusterHandle, get, make_record, post_tx, wait_for

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(240)]


@dataclass
class Ack:
    cert_no: str
    tx_id: str
    height: int
    block_hash: str
    via: str
    at: float


def test_paused_leader_causes_no_fork_and_loses_no_acknowledged_tx(cluster: ClusterHandle) -> None:
    c = cluster
    old = c.leader()
    others = [n for n in NAMES if n != old]
    acks: list[Ack] = []
    odd: list[str] = []
    stop = threading.Event()
    paused = threading.Event()
    lock = threading.Lock()

    def writer(node: str, only_while_not_paused: bool) -> None:
        while not stop.is_set():
            if only_while_not_paused and paused.is_set():
                time.sleep(0.05)
                continue
            rec = make_record()
            tx = issue_tx(rec, c.issuer, c.chain_id)
            try:
                # A short client timeout: a request stuck behind the frozen leader is given up
                # (it is not acknowledged, though it may still commit) and the client moves on.
                r = post_tx(c.urls[node], tx, timeout=3)
            except OSError:
                continue
            if r.status == 201:
                with lock:
                    acks.append(Ack(rec.cert_no, r.body["tx_id"], r.body["height"], r.body["block_hash"],
                                    node, time.monotonic()))
                time.sleep(0.2)  # a steady trickle, not a flood: every ack is checked on 4 nodes
            elif r.status == 503:
                assert r.headers.get("Retry-After"), r.headers
                time.sleep(0.1)
            else:
                odd.append(f"{node}: {r.status} {r.body}")

    threads = [threading.Thread(target=writer, args=(n, False), daemon=True) for n in others * 2]
    threads.append(threading.Thread(target=writer, args=(old, True), daemon=True))
    for t in threads:
        t.start()
    time.sleep(1.5)
    paused.set()
    time.sleep(0.2)  # let a request already sent to the old leader finish
    c.pause(old)
    t_pause = time.monotonic()
    try:
        new = c.leader(among=others, timeout=20)
        assert new != old
        time.sleep(max(0.0, t_pause + 3.0 - time.monotonic()))  # 3 s frozen, election timeout is 1 s
        # stay frozen until the new leader has acknowledged some work (or give up after 20 s)
        wait_for(lambda: sum(1 for a in acks if a.at > t_pause) >= 5, 20, "acks from the new leader")
    finally:
        c.resume(old)
    t_resume = time.monotonic()
    paused.clear()
    time.sleep(2.5)
    stop.set()
    for t in threads:
        t.join(timeout=40)
    assert not any(t.is_alive() for t in threads)
    assert not odd, odd

    during = [a for a in acks if t_pause < a.at < t_resume]
    assert during, "issuing must continue while the old leader is frozen"
    assert any(a.at > t_resume for a in acks)

    height, head = c.same_head(min_height=max(a.height for a in acks), timeout=40)
    # No fork: every node holds the same block at every height.
    with ThreadPoolExecutor(16) as pool:
        hashes = {n: list(pool.map(lambda h, n=n: get(f"{c.urls[n]}/api/v1/blocks/{h}").body["hash"],
                                   range(1, height + 1)))
                  for n in NAMES}
    assert all(hashes[n] == hashes[old] for n in NAMES)
    assert hashes[old][-1] == head
    # No acknowledged transaction lost: each is where its 201 said, on every node.
    for a in acks:
        assert hashes[old][a.height - 1] == a.block_hash, a

    def check(job: tuple[str, Ack]) -> None:
        n, a = job
        got = c.cert(n, a.cert_no)
        assert got.status == 200 and got.body["block"] == {"height": a.height, "hash": a.block_hash}, (n, a)

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(check, [(n, a) for n in NAMES for a in acks]))
    st = c.status(old)
    assert st is not None and st["role"] == "follower" and st["leader_id"] == new
