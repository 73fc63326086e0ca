"""Fixtures for the security review: a real 4-node cluster, and one-node portals.

Clusters take a reserved base of ours (``tests/chaos/ports.py``); teardown always stops them.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.chaos.ports import free_base, release
from tests.fuzz.live import live_node
from tests.node.conftest import stop_cluster
from tests.node.helpers import NAMES, ClusterHandle
from tests.portal.helpers import Holder, PortalNode


def start_cluster(root: object) -> ClusterHandle:
    from pathlib import Path

    last = ""
    for attempt in range(5):
        handle = ClusterHandle(Path(str(root)) / f"c{attempt}", free_base())
        res = handle.script("up", check=False)
        if res.returncode == 0 and all(handle.alive(n) for n in NAMES):
            return handle
        last = res.stdout + res.stderr + handle.tail_logs()
        stop_cluster(handle)
        release(handle.base)
    raise RuntimeError(f"cannot start a cluster: {last}")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClusterHandle]:
    handle = start_cluster(tmp_path_factory.mktemp("sec"))
    try:
        yield handle
    finally:
        stop_cluster(handle)
        release(handle.base)


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PortalNode, dict[str, Holder]]]:
    with live_node(tmp_path_factory.mktemp("portal") / "chain") as node:
        yield node


@pytest.fixture(scope="module")
def strict_portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PortalNode, dict[str, Holder]]]:
    """Look-ups limited to 6 a minute, ``trust_forwarded_for`` left at its default (false)."""
    with live_node(tmp_path_factory.mktemp("strict") / "chain",
                   "lookup_rate_per_minute = 6\nlogin_rate_per_minute = 6\n") as node:
        yield node
