"""A man in the middle without keys can cut a session short, but never alter or replay it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from node.p2p import Member
from tests.p2p.helpers import HOST, Cluster, wait_until
from tests.p2p.tamper_proxy import (
    FIRST_SESSION_FRAME,
    Tamper,
    TamperProxy,
    drop,
    duplicate,
    flip_byte,
    swap,
)

MESSAGES = [f"m{i}".encode() for i in range(5)]


@pytest.fixture
async def proxied(cluster: Cluster) -> AsyncIterator[tuple[Cluster, TamperProxy]]:
    """mampu runs normally; jpk reaches it only through a proxy (the tamper is set per test)."""
    proxy = TamperProxy(cluster.members["mampu"].port)
    try:
        yield cluster, proxy
    finally:
        await proxy.stop()


async def start_through(cluster: Cluster, proxy: TamperProxy) -> None:
    port = await proxy.start()
    members = {**cluster.members,
               "mampu": Member("mampu", cluster.members["mampu"].public_key, HOST, port)}
    await cluster.start("mampu")
    await cluster.start("jpk", members=members)


D = FIRST_SESSION_FRAME  # index of the first encrypted frame on a connection


@pytest.mark.parametrize(("tamper", "delivered"), [
    (flip_byte(D + 2), MESSAGES[:2]),   # third frame altered: the first two got through
    (duplicate(D + 1), MESSAGES[:2]),   # second frame replayed right after itself
    (drop(D + 1), MESSAGES[:1]),        # second frame lost, the third arrives out of turn
    (swap(D + 1), MESSAGES[:1]),        # second and third frames reordered
], ids=["flip", "duplicate", "drop", "reorder"])
async def test_tampered_session_frame_closes_the_connection(
        proxied: tuple[Cluster, TamperProxy], tamper: Tamper, delivered: list[bytes]) -> None:
    cluster, proxy = proxied
    proxy.tamper = tamper
    await start_through(cluster, proxy)
    for m in MESSAGES:  # enqueued without yielding: the writer sends them as one burst
        cluster.net("jpk").send("mampu", m)
    await wait_until(lambda: cluster.net("mampu").stats()["jpk"]["bad_frames"] == 1,
                     what="the tampered frame to be rejected")
    assert cluster.received("mampu", "jpk") == delivered
    assert "authentication" in str(cluster.net("mampu").stats()["jpk"]["last_error"])

    # The dialler notices, reconnects (the proxy no longer tampers) and carries on.
    await wait_until(lambda: cluster.net("jpk").stats()["mampu"]["reconnects"] == 1)
    cluster.net("jpk").send("mampu", b"after")
    await wait_until(lambda: cluster.received("mampu", "jpk") == [*delivered, b"after"])


@pytest.mark.parametrize("at", [0, 1], ids=["hello", "finish"])
async def test_tampered_handshake_is_refused_and_nothing_is_sent(
        proxied: tuple[Cluster, TamperProxy], at: int) -> None:
    cluster, proxy = proxied
    proxy.tamper = flip_byte(at)
    await start_through(cluster, proxy)
    for m in MESSAGES:
        cluster.net("jpk").send("mampu", m)
    # Data only flows after an authenticated handshake: all of it arrives on the retry.
    await wait_until(lambda: cluster.received("mampu", "jpk") == MESSAGES)
    assert cluster.net("mampu").listener_stats()["refused"] == 1
    stats = cluster.net("jpk").stats()["mampu"]
    assert stats["dial_failures"] >= 1 and stats["connects"] == 1
