"""The randomised simulator as tests: a CI sweep, a per-fault sweep and an on-demand soak.

Work is split into chunks of seeds so ``pytest -n 2`` spreads it over both cores. A failure
lists the one-line command that replays each failing seed.
"""

from __future__ import annotations

import os

import pytest

from .faults import FAULT_KINDS
from .run import SimResult, main, run_seed

STEPS = 2000
CI_SEEDS = 300  # per cluster size
CHUNK = 25
SOAK_SEEDS = int(os.environ.get("SIM_SOAK_SEEDS", "10000"))
SOAK_CHUNK = 250


def check(results: list[SimResult]) -> None:
    failed = [r for r in results if not r.ok]
    assert not failed, "\n".join(
        f"seed {r.seed} ({r.nodes} nodes): {r.error.splitlines()[-1]}\n  replay: {r.replay}"
        for r in failed
    )


@pytest.mark.parametrize("nodes", [4, 5])
@pytest.mark.parametrize("first", range(0, CI_SEEDS, CHUNK))
def test_random_faults_ci(nodes: int, first: int) -> None:
    check([run_seed(s, nodes, STEPS, "all") for s in range(first, first + CHUNK)])


@pytest.mark.parametrize("kind", FAULT_KINDS)
def test_each_fault_kind_alone(kind: str) -> None:
    # One kind at a time finds bugs that a storm of every fault at once would mask.
    check([run_seed(s, 5 - s % 2, STEPS, kind) for s in range(1000, 1010)])


def test_fault_free_runs_commit_steadily() -> None:
    for seed in range(3):
        r = run_seed(seed, 5, STEPS, "none")
        assert r.ok, r.error
        assert r.stats["commit"] > 0.9 * r.stats["proposals"]
        assert r.stats["time"] < STEPS + 200  # converges at once after the run


def test_a_seed_replays_identically() -> None:
    a, b = run_seed(42, 5, 1000, "all"), run_seed(42, 5, 1000, "all")
    assert a.ok and a.stats == b.stats


def test_runner_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--seed", "3", "--nodes", "4", "--steps", "300", "--faults", "drop,crash"]) == 0
    assert capsys.readouterr().out.startswith("ok seed=3 nodes=4")
    assert main(["--soak", "4", "--seed", "7", "--nodes", "3,4", "--steps", "200"]) == 0
    assert "8/8 runs, 0 failed" in capsys.readouterr().out


def test_failure_report_carries_a_replay_command() -> None:
    r = SimResult(seed=1234, nodes=5, steps=2000, faults="all", ok=False, error="x")
    assert r.replay == "python -m tests.sim.run --seed 1234 --nodes 5 --steps 2000 --faults all"


@pytest.mark.soak
@pytest.mark.parametrize("nodes", [4, 5])
@pytest.mark.parametrize("first", range(0, SOAK_SEEDS, SOAK_CHUNK))
def test_random_faults_soak(nodes: int, first: int) -> None:
    seeds = range(100_000 + first, 100_000 + min(first + SOAK_CHUNK, SOAK_SEEDS))
    check([run_seed(s, nodes, STEPS, "all") for s in seeds])
