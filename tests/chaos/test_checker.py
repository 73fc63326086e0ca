"""The chaos checker must see a violation when there is one (a checker that never fails proves nothing).

Synthetic ledgers and chains: a lost certificate, a duplicate, an acknowledgement at the wrong
place, a lost revocation, split heads, a stale read, a height that went backwards and a node
restarting below its own durable state must each be reported.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from typing import Any

from scripts.chaos_checks import NodeChain, judge
from scripts.chaos_workload import Ack, Ledger, Lifetimes, Workload


def chain(node: str, certs: dict[str, int], hashes: list[str], revokes: tuple[str, ...] = ()) -> NodeChain:
    nc = NodeChain(node, len(hashes), hashes[-1], list(hashes))
    nc.issues = Counter(certs.keys())
    nc.where = dict(certs)
    nc.revokes = Counter(revokes)
    return nc


def ledger_with(*acks: Ack) -> Ledger:
    lg = Ledger()
    for a in acks:
        lg.acks[a.cert_no] = a
        lg.submitted.add(a.cert_no)
    return lg


def test_a_consistent_run_has_no_violation() -> None:
    lg = ledger_with(Ack("A", "t", 1, "h1", "jpk", 1.0), Ack("B", "t", 2, "h2", "jpk", 1.0))
    lg.revocations["A"] = Ack("A", "r", 2, "h2", "jpk", 2.0)
    chains = [chain(n, {"A": 1, "B": 2}, ["h1", "h2"], ("A",)) for n in ("jpk", "mampu")]
    v = judge(lg, chains)
    assert not lg.violations and v.lost == v.duplicated == v.misplaced == v.lost_revocations == []


def test_lost_duplicated_misplaced_revocation_and_split_head_are_reported() -> None:
    lg = ledger_with(Ack("A", "t", 1, "h1", "jpk", 1.0), Ack("B", "t", 2, "h2", "jpk", 1.0),
                     Ack("C", "t", 1, "h1", "jpk", 1.0))
    lg.revocations["A"] = Ack("A", "r", 2, "h2", "jpk", 2.0)
    good = chain("jpk", {"A": 1, "B": 2, "C": 1}, ["h1", "h2"], ("A",))
    bad = chain("mampu", {"A": 1, "C": 2}, ["h1", "hX"])  # B lost, C elsewhere, revocation lost
    bad.issues["A"] = 2  # and A twice
    v = judge(lg, [good, bad])
    assert v.lost == ["B@mampu"]
    assert v.duplicated == ["A@mampux2"]
    assert len(v.misplaced) == 1 and v.misplaced[0].startswith("C@mampu")
    assert v.lost_revocations == ["A@mampu"]
    text = "\n".join(lg.violations)
    for what in ("lost", "duplicated", "another place", "revocation lost", "disagree on the head",
                 "different block hashes"):
        assert what in text, what


class FakeHttp:
    def __init__(self, answers: list[tuple[int, Any]]) -> None:
        self.answers = answers

    async def request(self, method: str, node: str, path: str, **kw: Any) -> tuple[int, Any]:
        return self.answers.pop(0)


def workload(answers: list[tuple[int, Any]], lg: Ledger, life: Lifetimes | None = None) -> Workload:
    return Workload(FakeHttp(answers), lg, life or Lifetimes(), random.Random(0),  # type: ignore[arg-type]
                    key_file=None, chain_id="c", seed=0)  # type: ignore[arg-type]


def test_stale_reads_are_reported_only_after_the_acknowledgement() -> None:
    lg = ledger_with(Ack("A", "t", 1, "h1", "jpk", 0.0))
    lg.revocations["A"] = Ack("A", "r", 2, "h2", "jpk", 0.0)
    wl = workload([(200, {"status": "valid"}), (404, None), (200, {"status": "revoked"}), (503, None)], lg)

    async def go() -> None:
        assert await wl.check_read("A", "jpk") == "valid"
        assert await wl.check_read("A", "jpk") == "absent"
        assert await wl.check_read("A", "jpk") == "revoked"
        assert await wl.check_read("A", "jpk") is None  # no quorum: a refusal, not a stale read

    asyncio.run(go())
    assert lg.stale_reads == 2 and len(lg.violations) == 2
    # a read that started before the acknowledgement may still show the old state
    lg2 = ledger_with(Ack("B", "t", 1, "h1", "jpk", 1e12))
    wl2 = workload([(404, None)], lg2)
    asyncio.run(wl2.check_read("B", "jpk"))
    assert lg2.stale_reads == 0


def test_height_regressions_within_a_process_and_across_a_restart() -> None:
    lg, life = Ledger(), Lifetimes()
    st = {"role": "follower", "term": 1}
    wl = workload([(200, {**st, "height": 5}), (200, {**st, "height": 4}),  # backwards: same process
                   (200, {**st, "height": 3}),  # after a restart, below what it showed before
                   (200, {**st, "height": 9})], lg, life)

    async def go() -> None:
        await wl.poll_status("jpk")
        await wl.poll_status("jpk")
        life.epoch["jpk"] += 2  # killed and restarted
        await wl.poll_status("jpk")
        await wl.poll_status("jpk")

    asyncio.run(go())
    assert lg.regressions == 2, lg.violations
    assert "backwards" in lg.violations[0] and "durable" in lg.violations[1]


def test_a_wiped_node_may_start_from_zero() -> None:
    lg, life = Ledger(), Lifetimes()
    wl = workload([(200, {"height": 50}), (200, {"height": 0})], lg, life)

    async def go() -> None:
        await wl.poll_status("mampu")
        life.epoch["mampu"] += 2
        life.wiped.add("mampu")
        await wl.poll_status("mampu")

    asyncio.run(go())
    assert lg.regressions == 0
