from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.p2p.helpers import Cluster


@pytest.fixture
async def cluster() -> AsyncIterator[Cluster]:
    c = Cluster()
    try:
        yield c
    finally:
        await c.stop_all()
