"""A four-member cluster of real PeerNetworks on loopback, and small waiting helpers.

Every node gets a fresh key and a free loopback port; tests start, stop and restart nodes
individually and read what each node's ``on_message`` received.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable
from typing import Any

from certificate.keys import SigningKey
from node.p2p import Member, PeerNetwork

IDS = ("jpk", "mampu", "agensi-1", "agensi-2")
CHAIN = "5d1a" * 16
HOST = "127.0.0.1"
# Short back-off so reconnect tests take milliseconds, not seconds.
FAST: dict[str, Any] = {"backoff_initial": 0.01, "backoff_cap": 0.1}


def free_ports(count: int) -> list[int]:
    """Distinct free loopback ports (all sockets are held until every port is picked)."""
    socks = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind((HOST, 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


async def wait_until(condition: Callable[[], bool], timeout: float = 5.0,
                     what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.005)


class Cluster:
    def __init__(self, ids: tuple[str, ...] = IDS, **options: Any) -> None:
        self.ids = ids
        self.keys = {i: SigningKey.generate() for i in ids}
        ports = free_ports(len(ids))
        self.members = {
            i: Member(i, self.keys[i].public.raw, HOST, port) for i, port in zip(ids, ports, strict=True)
        }
        self.inbox: dict[str, list[tuple[str, bytes]]] = {i: [] for i in ids}
        self.nets: dict[str, PeerNetwork] = {}
        self.options = {**FAST, **options}

    def make_net(self, node_id: str, **overrides: Any) -> PeerNetwork:
        inbox = self.inbox.setdefault(node_id, [])
        kwargs: dict[str, Any] = {
            "node_id": node_id,
            "key": self.keys.get(node_id),
            "chain_id": CHAIN,
            "members": self.members,
            "listen_host": HOST,
            "listen_port": self.members[node_id].port if node_id in self.members else 0,
            "on_message": lambda peer, payload: inbox.append((peer, payload)),
            **self.options,
        }
        kwargs.update(overrides)
        return PeerNetwork(**kwargs)

    async def start(self, *ids: str, **overrides: Any) -> None:
        for i in ids or self.ids:
            net = self.make_net(i, **overrides)
            await net.start()
            self.nets[i] = net

    async def stop(self, node_id: str) -> None:
        await self.nets.pop(node_id).stop()

    async def stop_all(self) -> None:
        for i in list(self.nets):
            await self.stop(i)

    def net(self, node_id: str) -> PeerNetwork:
        return self.nets[node_id]

    def received(self, node_id: str, sender: str) -> list[bytes]:
        return [payload for peer, payload in self.inbox[node_id] if peer == sender]

    async def wait_mesh(self, *ids: str, timeout: float = 5.0) -> None:
        """Until every listed node can send to every other listed node."""
        group = set(ids or self.ids)

        def meshed() -> bool:
            return all(group - {i} <= self.nets[i].connected_peers() for i in group)

        await wait_until(meshed, timeout, f"mesh of {sorted(group)}")
