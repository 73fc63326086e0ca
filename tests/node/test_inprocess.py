"""Several real nodes in one process (real LevelDB, real sockets, one event loop): fast checks
of behaviour that needs more than one node but no process control."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from certificate.keys import SigningKey
from certificate.tx import approve_txs, issue_tx
from node.consensus import Role
from node.daemon import Node
from tests.node.helpers import (
    ChainFiles,
    inproc_leader,
    make_record,
    start_node,
    unique_ic,
    wait_async,
    write_chain,
)

pytestmark = pytest.mark.timeout(120)

SMALL_FRAME = 256 * 1024


class Trio:
    def __init__(self, chain: ChainFiles) -> None:
        self.chain = chain
        self.nodes: dict[str, Node] = {}

    async def start(self, name: str) -> Node:
        node: Node = await start_node(self.chain.configs[name], with_http=False)
        self.nodes[name] = node
        return node

    async def stop(self, name: str) -> None:
        await self.nodes.pop(name).stop()

    def healthy(self) -> None:
        for name, node in self.nodes.items():
            assert not node.failed.is_set() and node.engine.fatal is None, (name, node.engine.fatal)


@pytest.fixture
async def trio(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Trio]:
    """Three in-process nodes whose p2p frames are only 256 KiB, so "bigger than a frame" is
    cheap to reach (the real limit is 8 MiB; the arithmetic is the same)."""
    import node.daemon

    monkeypatch.setattr(node.daemon, "P2P_MAX_FRAME", SMALL_FRAME)
    chain = write_chain(tmp_path / "c", ("a", "b", "c"),
                        params={"heartbeat_ms": 50, "election_timeout_ms": 500, "block_max_bytes": 48 * 1024,
                                "block_max_txs": 250})
    t = Trio(chain)
    for n in ("a", "b", "c"):
        await t.start(n)
    try:
        yield t
    finally:
        for name in list(t.nodes):
            await t.stop(name)


def _issue_raws(chain: ChainFiles, n: int) -> list[bytes]:
    return [issue_tx(make_record(), chain.issuer, chain.chain_id).encode() for _ in range(n)]


async def test_a_lagging_follower_catches_up_although_its_backlog_exceeds_a_frame(trio: Trio) -> None:
    """Regression: AppendEntries carried up to 64 blocks whatever their size; once a follower
    lagged by more than a p2p frame of blocks, the leader's send raised and its engine died
    (then the next leader's, and so on)."""
    leader: Any = await inproc_leader(trio.nodes)
    lagging = next(n for n, node in trio.nodes.items() if node is not leader)
    await trio.stop(lagging)
    for _ in range(8):
        res = await leader.service.submit(_issue_raws(trio.chain, 100), wait=True)
        assert {r.status for r in res} == {201}
    # A new leader knows nothing of the lagging node: it probes, learns where its log ends,
    # and sends the whole backlog (not trickled messages queued while it was away).
    other = next(n for n, node in trio.nodes.items() if node is not leader)
    leader.engine.raft.transfer_leadership(other)
    leader.engine.kick()
    leader = await wait_async(lambda: trio.nodes[other].engine.leader_ready() and trio.nodes[other], 10,
                              "the leadership transfer")
    res = await leader.service.submit(_issue_raws(trio.chain, 10), wait=True)
    assert {r.status for r in res} == {201}
    head = leader.engine.state.head
    assert head.height >= 8
    node = await trio.start(lagging)
    await wait_async(lambda: node.engine.state.head == head, 30, f"{lagging} to catch up")
    trio.healthy()


async def test_a_follower_forwards_a_batch_bigger_than_a_frame(trio: Trio) -> None:
    """Regression: a follower forwarded up to 250 transactions in one p2p message whatever
    their size; a batch of large approvals could not be sent (500, nothing submitted)."""
    leader: Any = await inproc_leader(trio.nodes)
    follower = next(node for node in trio.nodes.values() if node is not leader)
    key, chain_id = trio.chain.issuer, trio.chain.chain_id
    raws = []
    for m in range(40):
        cands = [{"ic": unique_ic(), "name": "SITI BINTI AHMAD", "kind": "SKM", "level": 3,
                  "noss_code": "MC-024-3:2012", "programme_ms": "Pemprosesan Data", "centre_code": "ABC123"}
                 for _ in range(120)]
        raws += [t.encode() for t in approve_txs(f"JPPS/2026/{m + 10}", "2026-01-15", cands, key, chain_id)]
        if sum(map(len, raws)) > SMALL_FRAME:
            break
    assert sum(map(len, raws)) > SMALL_FRAME
    res = await follower.service.submit(raws, wait=True)
    assert [r.status for r in res] == [201] * len(raws), {r.code for r in res}
    trio.healthy()
    assert leader.engine.role is Role.LEADER


async def test_a_stranger_cannot_issue_on_an_in_process_cluster(trio: Trio) -> None:
    leader: Any = await inproc_leader(trio.nodes)
    [res] = await leader.service.submit([issue_tx(make_record(), SigningKey.generate(),
                                                  trio.chain.chain_id).encode()], wait=True)
    assert res.status == 403 and res.code == "tx.issuer"
    assert leader.engine.state.head.height == 0


async def test_conflicting_transactions_in_one_forwarded_batch_get_a_prompt_409(trio: Trio) -> None:
    """Two different transactions for one certificate number, sent together through a follower:
    one commits, the other is refused as a duplicate, promptly, not after a 15 s wait for a
    commit that can never come (the leader refuses it only while building the block)."""
    import dataclasses
    import time

    leader: Any = await inproc_leader(trio.nodes)
    follower = next(node for node in trio.nodes.values() if node is not leader)
    rec = make_record()
    twin = dataclasses.replace(rec, holder_name="ALI BIN AHMAD")
    key, chain_id = trio.chain.issuer, trio.chain.chain_id
    t0 = time.monotonic()
    res = await follower.service.submit([issue_tx(rec, key, chain_id).encode(),
                                         issue_tx(twin, key, chain_id).encode()], wait=True)
    assert [r.status for r in res] == [201, 409], [(r.status, r.code) for r in res]
    assert res[1].code == "cert.duplicate"
    assert time.monotonic() - t0 < 5
