"""Fixtures: one seeded one-node chain for the whole session, and one with strict rate limits."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from tests.portal.helpers import Chain, Client, Holder, PortalNode, seed, write_chain

RELAXED = ("lookup_rate_per_minute = 600\nlogin_rate_per_minute = 600\ntrust_forwarded_for = true\n"
           "max_upload_bytes = 1500000\n")
STRICT = "lookup_rate_per_minute = 3\nlogin_rate_per_minute = 3\ntrust_forwarded_for = true\n"


@pytest.fixture(scope="session")
def portal_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PortalNode, dict[str, Holder]]]:
    chain: Chain = write_chain(tmp_path_factory.mktemp("portal") / "chain", RELAXED)
    node = PortalNode(chain).start()
    try:
        yield node, seed(chain)
    finally:
        node.stop()


@pytest.fixture(scope="session")
def strict_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PortalNode, dict[str, Holder]]]:
    chain = write_chain(tmp_path_factory.mktemp("strict") / "chain", STRICT)
    node = PortalNode(chain).start()
    try:
        yield node, seed(chain)
    finally:
        node.stop()


@pytest.fixture
def holders(portal_node: tuple[PortalNode, dict[str, Holder]]) -> dict[str, Holder]:
    return portal_node[1]


@pytest.fixture
def url(portal_node: tuple[PortalNode, dict[str, Holder]]) -> str:
    return portal_node[0].url


@pytest.fixture
async def client(url: str) -> AsyncIterator[Client]:
    c = Client(url)
    try:
        yield c
    finally:
        await c.close()
