"""Fixtures that start real 4-node clusters with ``scripts/cluster.py``.

Ports: every cluster takes ``base+1..4`` (HTTP) and ``base+1001..1004`` (p2p). Worker ``w`` of
pytest-xdist owns bases ``20000 + 2000*w + 10*k`` (k = 0..99), so HTTP ranges and p2p ranges
of different workers and clusters never overlap, and all stay below Linux's ephemeral range
(32768+), where outgoing connections could take them. A base whose ports are taken anyway
(another program) is skipped: ``cluster.py up`` refuses it and the fixture moves on.

``shared_cluster`` is module-scoped (tests that do not disturb each other); ``cluster`` is a
fresh cluster per test for destructive ones. Teardown always runs ``down`` and then SIGKILLs
anything left, so no node outlives its test.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.node.helpers import ClusterHandle, port_free

_counter = itertools.count()


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Under plain ``-n N`` (xdist's "load"), keep each module of tests/node on one worker.

    A module-scoped cluster must serve all its tests from one worker, or each worker would
    start its own copy of it (``xdist_group`` marks would say so, but in this pytest/xdist
    pairing they do not reach the workers' test ids). Tests elsewhere spread one by one, as
    with "load".
    """
    if config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class NodeModules(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return module if module.startswith("tests/node/") else nodeid

    return NodeModules(config, log)


def _worker_index() -> int:
    wid = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    digits = "".join(c for c in wid if c.isdigit())
    return int(digits) if digits else 0


def next_base() -> int:
    while True:
        k = next(_counter)
        if k >= 100:
            raise RuntimeError("this worker ran out of cluster port ranges")
        base = 20000 + 2000 * _worker_index() + 10 * k
        ports = [base + i for i in range(1, 5)] + [base + 1000 + i for i in range(1, 5)]
        if all(port_free(p) for p in ports):
            return base


def start_cluster(root: Path) -> ClusterHandle:
    last = ""
    for _attempt in range(5):
        base = next_base()
        d = root / f"cluster-{base}"
        handle = ClusterHandle(d, base)
        res = handle.script("up", check=False)
        if res.returncode == 0:
            return handle
        last = res.stdout + res.stderr + handle.tail_logs()
        stop_cluster(handle)
        if "is taken" not in res.stderr:
            break
        shutil.rmtree(d, ignore_errors=True)
    raise RuntimeError(f"cannot start a cluster: {last}")


def stop_cluster(handle: ClusterHandle) -> None:
    try:
        handle.down()
    finally:
        handle.sigkill_leftovers()


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[ClusterHandle]:
    """A fresh 4-node cluster for one (destructive) test."""
    handle = start_cluster(tmp_path)
    try:
        yield handle
    finally:
        stop_cluster(handle)


@pytest.fixture(scope="module")
def shared_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClusterHandle]:
    """One 4-node cluster for every test of a module; its tests must not disturb each other."""
    handle = start_cluster(tmp_path_factory.mktemp("shared"))
    try:
        yield handle
    finally:
        stop_cluster(handle)
