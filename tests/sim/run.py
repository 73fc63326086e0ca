"""Randomised Raft simulation: one seed, or a soak over many.

    python -m tests.sim.run --seed 1234 --nodes 5 --steps 2000 --faults all [-v]
    python -m tests.sim.run --soak 10000 --nodes 4,5 --steps 2000 --faults all --jobs 2

A seed determines everything (configuration, workload, faults), so a failure is replayed by
the one-line command it prints.
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from node.consensus import Config, EntryType

from .cluster import Cluster
from .faults import FaultInjector, parse_faults

HEAL_STEPS = 4000  # after healing, the cluster must converge within this many steps


@dataclass
class SimResult:
    seed: int
    nodes: int
    steps: int
    faults: str
    ok: bool = True
    error: str = ""
    stats: dict[str, int] = field(default_factory=dict)

    @property
    def replay(self) -> str:
        return (
            f"python -m tests.sim.run --seed {self.seed} --nodes {self.nodes} "
            f"--steps {self.steps} --faults {self.faults}"
        )


def random_config(rng: random.Random, n: int) -> Config:
    """Vary the knobs per seed so flow control and the liveness features are all exercised
    (safety must not depend on PreVote or CheckQuorum, so they are sometimes off)."""
    ids = tuple(f"n{i}" for i in range(1, n + 1))
    return Config(
        node_id=ids[0],
        peers=ids,
        election_tick=rng.randint(3, 12),
        heartbeat_tick=rng.choice((1, 1, 2)),
        pre_vote=rng.random() < 0.85,
        check_quorum=rng.random() < 0.85,
        max_inflight=rng.choice((1, 2, 4, 256)),
        max_entries_per_msg=rng.choice((1, 1, 2, 64)),
        max_committed_size_per_ready=rng.choice((None, None, 0, 40)),
        max_size_per_msg=rng.choice((None, None, 0, 30)),
    )


def run_seed(
    seed: int,
    nodes: int = 5,
    steps: int = 2000,
    faults: str = "all",
    log: Callable[[str], None] | None = None,
) -> SimResult:
    res = SimResult(seed, nodes, steps, faults)
    try:
        res.stats = _run(seed, nodes, steps, faults, log)
    except Exception as e:  # a safety violation, or a crash inside the core
        res.ok = False
        if isinstance(e, AssertionError):
            res.error = f"{type(e).__name__}: {e}"
        else:
            res.error = "".join(traceback.format_exception(e)).strip()
    return res


def _run(
    seed: int, n: int, steps: int, faults: str, log: Callable[[str], None] | None
) -> dict[str, int]:
    plan = random.Random(f"plan/{seed}/{n}")
    c = Cluster(n, seed, config=random_config(plan, n))
    inj = FaultInjector(c, parse_faults(faults), plan, log)
    p_propose = plan.uniform(0.05, 0.4)
    p_read = plan.uniform(0.0, 0.1)
    p_transfer = plan.uniform(0.0, 0.003)
    p_campaign = plan.uniform(0.0, 0.002)
    ids = c.ids
    last_leader: str | None = None
    for _ in range(steps):
        inj.step()
        if plan.random() < p_propose:
            c.propose(plan.choice(ids))
        if plan.random() < p_read:
            c.read(plan.choice(ids), c.next_data())
        if plan.random() < p_transfer:
            lead = c.leader()
            if lead is not None:
                c.nodes[lead].raw.transfer_leadership(plan.choice(ids))
        if plan.random() < p_campaign:
            sn = c.nodes[plan.choice(ids)]
            if sn.up:
                sn.raw.campaign()
        c.step()
        if log is not None and c.current_leader != last_leader:
            last_leader = c.current_leader
            log(c.describe())
    inj.heal_all()
    _converge(c, log)
    _check_final(c)
    max_term = max(sn.raw.term for sn in c.live())
    return {
        **c.stats,
        "commit": c.checker.commit_index,
        "max_term": max_term,
        "messages": c.net.sent,
        "reads_answered": c.checker.reads_answered,
        "time": c.time,
    }


def _converge(c: Cluster, log: Callable[[str], None] | None) -> None:
    """After healing, a leader must emerge and commit a fresh proposal on every node."""
    deadline = c.time + HEAL_STEPS
    probe: bytes | None = None
    probe_sent_at = 0
    while c.time < deadline:
        lead = c.stable_leader()
        if lead is not None:
            if probe is None or c.time - probe_sent_at > 400:
                probe = c.next_data()
                probe_sent_at = c.time
                c.propose(lead, probe, follow=False)
            lsn = c.nodes[lead]
            commit = lsn.raw.raft.log.committed
            if (
                commit == lsn.raw.raft.log.last_index()
                and all(len(sn.sm) == commit for sn in c.live())
                and probe in c.applied_data(lead)
            ):
                if log is not None:
                    log(f"converged: {c.describe()}")
                return
        c.step()
    raise AssertionError(f"no progress within {HEAL_STEPS} steps after healing: {c.describe()}")


def _check_final(c: Cluster) -> None:
    """Every entry applied anywhere, ever, is applied exactly once and in the same place on
    every node."""
    ref = [(e.index, e.term, e.type, e.data) for e in c.nodes[c.ids[0]].sm]
    for sn in c.live():
        mine = [(e.index, e.term, e.type, e.data) for e in sn.sm]
        if mine != ref:
            raise AssertionError(f"final state machines differ: {c.ids[0]} vs {sn.id}")
    for index, (term, kind, data) in c.checker.applied.items():
        if index > len(ref) or ref[index - 1][1:] != (term, kind, data):
            raise AssertionError(f"entry applied at {index} earlier is missing at the end")
    datas = [e[3] for e in ref if e[2] is EntryType.NORMAL]
    if len(datas) != len(set(datas)):
        raise AssertionError("a proposal was applied more than once")
    if len(c.live()) != len(c.ids):
        raise AssertionError("not every node is up at the end")


# ---- command line ------------------------------------------------------------------------


def _soak_job(args: tuple[int, int, int, str]) -> SimResult:
    return run_seed(*args)


def soak(
    seeds: range, node_counts: list[int], steps: int, faults: str, jobs: int
) -> Iterator[SimResult]:
    work = [(s, n, steps, faults) for s in seeds for n in node_counts]
    if jobs <= 1:
        yield from map(_soak_job, work)
        return
    with multiprocessing.Pool(jobs) as pool:
        yield from pool.imap_unordered(_soak_job, work, chunksize=4)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.sim.run", description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=0, help="seed (first seed with --soak)")
    ap.add_argument("--nodes", default="5", help="cluster size, or a comma list with --soak")
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--faults", default="all", help="all, none, or a comma list")
    ap.add_argument("--soak", type=int, default=0, metavar="N", help="run N seeds from --seed")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("-v", "--verbose", action="store_true", help="trace faults and leaders")
    a = ap.parse_args(argv)
    parse_faults(a.faults)
    node_counts = [int(x) for x in a.nodes.split(",")]
    if not a.soak:
        log = print if a.verbose else None
        t0 = time.monotonic()
        res = run_seed(a.seed, node_counts[0], a.steps, a.faults, log)
        took = time.monotonic() - t0
        if res.ok:
            print(f"ok seed={a.seed} nodes={node_counts[0]} {res.stats} ({took:.2f}s)")
            return 0
        print(f"FAIL seed={a.seed}: {res.error}\nreplay: {res.replay}")
        return 1
    t0 = time.monotonic()
    failed = 0
    total = a.soak * len(node_counts)
    runs = soak(range(a.seed, a.seed + a.soak), node_counts, a.steps, a.faults, a.jobs)
    for done, res in enumerate(runs, 1):
        if not res.ok:
            failed += 1
            print(f"FAIL seed={res.seed} nodes={res.nodes}: {res.error.splitlines()[-1]}")
            print(f"replay: {res.replay}", flush=True)
        if done % 500 == 0 or done == total:
            print(
                f"{done}/{total} runs, {failed} failed, {time.monotonic() - t0:.0f}s",
                flush=True,
            )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
