"""Members talking to each other: delivery, order, restarts, queues and slow peers."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from certificate.keys import SigningKey
from node.p2p import Member, PeerNetwork, handshake
from tests.p2p.helpers import CHAIN, HOST, IDS, Cluster, free_ports, wait_until


async def test_four_members_exchange_messages_both_ways(cluster: Cluster) -> None:
    await cluster.start()
    await cluster.wait_mesh()
    for sender in IDS:
        for receiver in IDS:
            if sender != receiver:
                cluster.net(sender).send(receiver, f"{sender}->{receiver}".encode())
    await wait_until(lambda: all(len(cluster.inbox[i]) == 3 for i in IDS), what="all messages")
    for receiver in IDS:
        assert sorted(cluster.inbox[receiver]) == sorted(
            (s, f"{s}->{receiver}".encode()) for s in IDS if s != receiver
        )
    stats = cluster.net("jpk").stats()
    assert set(stats) == {"mampu", "agensi-1", "agensi-2"}
    assert stats["mampu"]["connected"] and stats["mampu"]["inbound_connected"]
    assert stats["mampu"]["frames_sent"] == 1 and stats["mampu"]["frames_received"] == 1
    assert stats["mampu"]["bytes_sent"] == len(b"jpk->mampu")
    assert cluster.net("jpk").connected_peers() == {"mampu", "agensi-1", "agensi-2"}


async def test_messages_arrive_in_order_per_peer(cluster: Cluster) -> None:
    await cluster.start()
    count = 2000
    # Sent before the mesh is up, so the first ones wait in the queues.
    for sender in IDS:
        for i in range(count):
            for receiver in IDS:
                if receiver != sender:
                    cluster.net(sender).send(receiver, f"{sender}:{i}".encode())
    await wait_until(lambda: all(len(cluster.inbox[i]) == 3 * count for i in IDS),
                     timeout=20, what="every message")
    for receiver in IDS:
        for sender in IDS:
            if sender != receiver:
                expected = [f"{sender}:{i}".encode() for i in range(count)]
                assert cluster.received(receiver, sender) == expected


async def test_idle_link_hands_a_message_to_the_socket_at_once(cluster: Cluster) -> None:
    """A Raft message on a quiet link leaves inside ``send`` (no loop iteration in between):
    an idle commit's AppendEntries must not wait behind the sender's next event-loop turn."""
    await cluster.start("jpk", "mampu")
    await cluster.wait_mesh("jpk", "mampu")
    cluster.net("jpk").send("mampu", b"now")
    stats = cluster.net("jpk").stats()["mampu"]  # no await since send
    assert stats["frames_sent"] == 1 and stats["queued"] == 0
    await wait_until(lambda: cluster.received("mampu", "jpk") == [b"now"])


async def test_burst_mixing_direct_and_queued_sends_keeps_order(cluster: Cluster) -> None:
    """Sends go straight to the socket until its buffer fills, then queue behind it; the
    peer still sees one ordered stream."""
    await cluster.start("jpk", "mampu")
    await cluster.wait_mesh("jpk", "mampu")
    sent = [f"{i}:".encode() + b"z" * (i % 3000) for i in range(3000)]
    for payload in sent:
        cluster.net("jpk").send("mampu", payload)
    assert cluster.net("jpk").stats()["mampu"]["queued"] > 0  # the buffer filled: some queued
    await wait_until(lambda: len(cluster.inbox["mampu"]) == len(sent), timeout=20, what="every message")
    assert cluster.received("mampu", "jpk") == sent


async def test_large_payloads_up_to_max_frame(cluster: Cluster) -> None:
    await cluster.start("jpk", "mampu", max_frame=1 << 20)
    big = bytes(range(256)) * 4096  # exactly 1 MiB
    cluster.net("jpk").send("mampu", big)
    cluster.net("jpk").send("mampu", b"")
    await wait_until(lambda: len(cluster.inbox["mampu"]) == 2)
    assert cluster.received("mampu", "jpk") == [big, b""]
    with pytest.raises(ValueError, match="max_frame"):
        cluster.net("jpk").send("mampu", big + b"x")


async def test_restarted_peer_reconnects_and_queued_messages_flow(cluster: Cluster) -> None:
    await cluster.start("jpk", "mampu")
    await cluster.wait_mesh("jpk", "mampu")
    cluster.net("jpk").send("mampu", b"before")
    await wait_until(lambda: cluster.received("mampu", "jpk") == [b"before"])

    await cluster.stop("mampu")
    await wait_until(lambda: "mampu" not in cluster.net("jpk").connected_peers())
    for i in range(5):
        cluster.net("jpk").send("mampu", f"queued-{i}".encode())
    await asyncio.sleep(0.2)  # several failed dials while mampu is down
    assert cluster.net("jpk").stats()["mampu"]["queued"] == 5
    assert cluster.net("jpk").stats()["mampu"]["dial_failures"] >= 1

    await cluster.start("mampu")
    await cluster.wait_mesh("jpk", "mampu")
    cluster.net("mampu").send("jpk", b"hello again")
    expected = [b"before"] + [f"queued-{i}".encode() for i in range(5)]
    await wait_until(lambda: cluster.received("mampu", "jpk") == expected, what="queued messages")
    await wait_until(lambda: cluster.received("jpk", "mampu") == [b"hello again"])
    stats = cluster.net("jpk").stats()["mampu"]
    assert stats["reconnects"] == 1 and stats["queued"] == 0


async def test_full_queue_drops_oldest_and_counts(cluster: Cluster) -> None:
    await cluster.start("jpk", queue_limit=3)
    for i in range(5):
        cluster.net("jpk").send("mampu", f"m{i}".encode())
    assert cluster.net("jpk").stats()["mampu"]["drops"] == 2
    assert cluster.net("jpk").stats()["mampu"]["queued"] == 3
    await cluster.start("mampu")
    await wait_until(lambda: len(cluster.inbox["mampu"]) == 3)
    assert cluster.received("mampu", "jpk") == [b"m2", b"m3", b"m4"]


async def test_send_refuses_caller_bugs_but_not_down_peers(cluster: Cluster) -> None:
    await cluster.start("jpk")
    net = cluster.net("jpk")
    net.send("mampu", b"to a down peer")  # neither raises nor blocks
    with pytest.raises(ValueError):
        net.send("nobody", b"x")
    with pytest.raises(ValueError):
        net.send("jpk", b"to myself")
    with pytest.raises(TypeError):
        net.send("mampu", 5)  # type: ignore[arg-type]
    net.send("mampu", bytearray(b"mutable"))  # copied: later changes don't leak in
    assert net.connected_peers() == set()
    assert net.stats()["mampu"]["connected"] is False


async def test_handler_exception_does_not_cost_the_connection(cluster: Cluster) -> None:
    got: list[bytes] = []

    def handler(peer: str, payload: bytes) -> None:
        if payload == b"boom":
            raise RuntimeError("bug in the node")
        got.append(payload)

    await cluster.start("jpk")
    await cluster.start("mampu", on_message=handler)
    for payload in (b"one", b"boom", b"two"):
        cluster.net("jpk").send("mampu", payload)
    await wait_until(lambda: got == [b"one", b"two"])
    assert cluster.net("jpk").stats()["mampu"]["reconnects"] == 0


def test_constructor_refuses_a_key_that_is_not_ours() -> None:
    c = Cluster()
    with pytest.raises(ValueError, match="not its key"):
        c.make_net("jpk", key=SigningKey.generate())
    with pytest.raises(ValueError, match="not in the membership"):
        PeerNetwork("ghost", c.keys["jpk"], CHAIN, c.members, HOST, 0, lambda p, m: None)
    with pytest.raises(ValueError, match="chain id"):
        PeerNetwork("jpk", c.keys["jpk"], "x" * 257, c.members, HOST, 0, lambda p, m: None)
    with pytest.raises(ValueError, match="holds node id"):
        PeerNetwork("jpk", c.keys["jpk"], CHAIN, {**c.members, "x": c.members["mampu"]},
                    HOST, 0, lambda p, m: None)


@contextlib.asynccontextmanager
async def silent_member(key: SigningKey, port: int, members: dict[str, Member]
                        ) -> AsyncIterator[list[asyncio.StreamWriter]]:
    """A member that completes the handshake and then never reads another byte."""
    held: list[asyncio.StreamWriter] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        local = handshake.LocalNode("slow", key, CHAIN)
        await handshake.accept(reader, writer, local, members)
        held.append(writer)

    server = await asyncio.start_server(serve, HOST, port)
    try:
        yield held
    finally:
        for w in held:
            w.transport.abort()
        server.close()
        await server.wait_closed()


async def test_slow_peer_does_not_block_the_others() -> None:
    slow_key = SigningKey.generate()
    c = Cluster(queue_limit=60)
    slow_port = free_ports(1)[0]
    c.members["slow"] = Member("slow", slow_key.public.raw, HOST, slow_port)
    try:
        async with silent_member(slow_key, slow_port, c.members) as held:
            await c.start("jpk", "mampu")
            await c.wait_mesh("jpk", "mampu")
            await wait_until(lambda: "slow" in c.net("jpk").connected_peers() and bool(held))
            chunk = b"x" * (512 * 1024)
            for _ in range(100):  # 50 MiB: far more than any socket buffer
                c.net("jpk").send("slow", chunk)
            for i in range(50):
                c.net("jpk").send("mampu", f"m{i}".encode())
            await wait_until(lambda: len(c.received("mampu", "jpk")) == 50, timeout=3,
                             what="delivery to mampu while slow is stuck")
            stats = c.net("jpk").stats()["slow"]
            assert stats["drops"] >= 30 and stats["queued"] > 0
            assert stats["connected"]
    finally:
        await c.stop_all()


async def test_peer_that_stops_reading_is_disconnected_after_write_timeout() -> None:
    slow_key = SigningKey.generate()
    c = Cluster(write_timeout=0.3)
    slow_port = free_ports(1)[0]
    c.members["slow"] = Member("slow", slow_key.public.raw, HOST, slow_port)
    try:
        async with silent_member(slow_key, slow_port, c.members):
            await c.start("jpk")
            for _ in range(40):
                c.net("jpk").send("slow", b"y" * (1 << 20))
            await wait_until(lambda: "did not read" in str(c.net("jpk").stats()["slow"]["last_error"]),
                             what="write timeout")
    finally:
        await c.stop_all()


async def test_stop_is_clean_and_idempotent_enough(cluster: Cluster) -> None:
    await cluster.start()
    await cluster.wait_mesh()
    net = cluster.nets.pop("jpk")
    await net.stop()
    assert net.connected_peers() == set()
    await wait_until(lambda: all("jpk" not in cluster.net(i).connected_peers()
                                 for i in IDS if i != "jpk"))
    other = PeerNetwork("jpk", cluster.keys["jpk"], CHAIN, cluster.members, HOST,
                        cluster.members["jpk"].port, lambda p, m: None)
    await other.start()  # the port is free again
    await other.stop()
    with pytest.raises(RuntimeError):
        await other.start()
