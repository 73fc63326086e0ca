"""A live, seeded one-node chain (``python -m node`` as its own process) on ports of ours."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.chaos.ports import free_base, release
from tests.portal.helpers import Chain, Holder, PortalNode, seed, write_chain

RELAXED = "lookup_rate_per_minute = 100000\nlogin_rate_per_minute = 100000\nmax_upload_bytes = 1500000\n"


def on_our_ports(chain: Chain) -> tuple[Chain, int]:
    """Move the chain to HTTP ``B+1`` and p2p ``B+1001`` of a base of ours (16000-16490)."""
    base = free_base()
    http, p2p = base + 1, base + 1001
    old_http = re.search(r"127\.0\.0\.1:(\d+)", chain.url)
    assert old_http is not None
    for path in (chain.config, chain.dir / "genesis.json"):
        text = path.read_text().replace(f"127.0.0.1:{old_http.group(1)}", f"127.0.0.1:{http}")
        text = re.sub(r'(p2p_listen = "127\.0\.0\.1:)\d+', rf"\g<1>{p2p}", text)
        text = re.sub(r'("p2p": "127\.0\.0\.1:)\d+', rf"\g<1>{p2p}", text)
        path.write_text(text)
    return dataclasses.replace(chain, url=f"http://127.0.0.1:{http}"), base


@contextmanager
def live_node(d: Path, portal_toml: str = RELAXED) -> Iterator[tuple[PortalNode, dict[str, Holder]]]:
    chain, base = on_our_ports(write_chain(d, portal_toml))
    node = PortalNode(chain).start()
    try:
        yield node, seed(chain)
    finally:
        node.stop()
        release(base)
