"""An in-process node with the real portal app on real sockets, one per test.

A single-member chain elects itself at once, so each test gets a fresh, empty, working node
in a fraction of a second; nothing here needs process control (that is tests/node).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.node.helpers import ChainFiles, inproc_leader, start_node, write_chain


@dataclass
class ApiNode:
    node: Any
    chain: ChainFiles
    url: str
    http: aiohttp.ClientSession

    async def request(self, method: str, path: str, **kwargs: Any) -> tuple[int, Any, aiohttp.ClientResponse]:
        async with self.http.request(method, self.url + path, **kwargs) as r:
            text = await r.text()
            try:
                body: Any = await r.json(content_type=None) if text else None
            except ValueError:
                body = text
            return r.status, body, r


async def _start(tmp_path: Path, portal: str) -> AsyncIterator[ApiNode]:
    chain = write_chain(tmp_path / "chain", ("jpk",), portal=portal)
    node = await start_node(chain.configs["jpk"])
    try:
        await inproc_leader({"jpk": node})
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
            yield ApiNode(node, chain, chain.url("jpk"), http)
    finally:
        await node.stop()


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[ApiNode]:
    async for a in _start(tmp_path, "[portal]\nlookup_rate_per_minute = 6000\n"):
        yield a


@pytest.fixture
async def strict_api(tmp_path: Path) -> AsyncIterator[ApiNode]:
    """Look-ups limited to 6 a minute (a burst of 2)."""
    async for a in _start(tmp_path, "[portal]\nlookup_rate_per_minute = 6\n"):
        yield a
