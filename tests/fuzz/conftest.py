"""A live, seeded one-node chain for the HTTP fuzzers (see ``tests/fuzz/live.py``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fuzz.live import live_node as start_live_node
from tests.portal.helpers import Holder, PortalNode


@pytest.fixture(scope="module")
def live_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PortalNode, dict[str, Holder]]]:
    with start_live_node(tmp_path_factory.mktemp("fuzz") / "chain") as node:
        yield node
