"""Who may not connect, and what garbage does to a node: nothing beyond one closed socket."""

from __future__ import annotations

import asyncio
import os
import time

from certificate.keys import SigningKey
from node.p2p import HandshakeError, Member, handshake
from node.p2p.framing import frame
from tests.p2p.helpers import CHAIN, HOST, Cluster, wait_until
from tests.p2p.tamper_proxy import TamperProxy


async def read_until_closed(reader: asyncio.StreamReader, timeout: float = 2.0) -> bytes:
    """Everything the node sends until it closes the connection (fails if it never does)."""
    data = bytearray()
    async with asyncio.timeout(timeout):
        while chunk := await reader.read(65536):
            data += chunk
    return bytes(data)


def refusal_reasons(data: bytes) -> list[str]:
    reasons = []
    while len(data) >= 4:
        n = int.from_bytes(data[:4], "big")
        body, data = data[4:4 + n], data[4 + n:]
        try:
            handshake.parse_reply(body)
        except HandshakeError as exc:
            if exc.reason == "refused":
                reasons.append(str(exc).rsplit(": ", 1)[-1])
    return reasons


async def assert_cluster_still_works(cluster: Cluster, a: str = "jpk", b: str = "mampu") -> None:
    cluster.net(a).send(b, b"still-working")
    cluster.net(b).send(a, b"still-working")
    await wait_until(lambda: b"still-working" in cluster.received(b, a)
                     and b"still-working" in cluster.received(a, b), what="cluster traffic")


async def test_stranger_key_cannot_connect(cluster: Cluster) -> None:
    await cluster.start("jpk", "mampu")
    stranger_key = SigningKey.generate()
    # The stranger's own (forged) view of the membership lists itself.
    members = {**cluster.members, "stranger": Member("stranger", stranger_key.public.raw, HOST, 0)}
    stranger = cluster.make_net("stranger", key=stranger_key, members=members, listen_port=0)
    await stranger.start()
    try:
        stranger.send("mampu", b"let me in")
        await wait_until(lambda: "not-member" in str(stranger.stats()["mampu"]["last_error"]),
                         what="refusal")
        assert stranger.connected_peers() == set()
        assert cluster.net("mampu").listener_stats()["refused"] >= 1
        assert all(peer != "stranger" for peer, _ in cluster.inbox["mampu"])
        await assert_cluster_still_works(cluster)
    finally:
        await stranger.stop()


async def test_member_id_with_another_key_is_refused_by_the_responder(cluster: Cluster) -> None:
    await cluster.start("mampu", "agensi-1")
    impostor_key = SigningKey.generate()
    members = {**cluster.members,
               "jpk": Member("jpk", impostor_key.public.raw, HOST, cluster.members["jpk"].port)}
    impostor = cluster.make_net("jpk", key=impostor_key, members=members)
    await impostor.start()
    try:
        impostor.send("mampu", b"I am jpk")
        await wait_until(lambda: "refused the handshake: auth"
                         in str(impostor.stats()["mampu"]["last_error"]), what="refusal")
        assert cluster.received("mampu", "jpk") == []
        assert cluster.net("mampu").stats()["jpk"]["inbound_connected"] is False
        await assert_cluster_still_works(cluster, "mampu", "agensi-1")
    finally:
        await impostor.stop()


async def test_member_id_with_another_key_is_refused_by_the_dialler(cluster: Cluster) -> None:
    # Someone else listens at agensi-1's address, claiming to be agensi-1.
    impostor_key = SigningKey.generate()
    members = {**cluster.members, "agensi-1": Member(
        "agensi-1", impostor_key.public.raw, HOST, cluster.members["agensi-1"].port)}
    await cluster.start("mampu")
    impostor = cluster.make_net("agensi-1", key=impostor_key, members=members)
    await impostor.start()
    try:
        cluster.net("mampu").send("agensi-1", b"for agensi-1 only")
        await wait_until(lambda: "does not verify" in str(
            cluster.net("mampu").stats()["agensi-1"]["last_error"]), what="dialler refusal")
        assert "agensi-1" not in cluster.net("mampu").connected_peers()
        assert cluster.net("mampu").stats()["agensi-1"]["queued"] == 1  # kept for the real one
        assert cluster.inbox["agensi-1"] == []
    finally:
        await impostor.stop()


async def test_peer_on_another_chain_is_refused_both_ways(cluster: Cluster) -> None:
    await cluster.start("jpk", "mampu")
    await cluster.start("agensi-1", chain_id="another-genesis")
    other = cluster.net("agensi-1")
    other.send("mampu", b"wrong chain")
    cluster.net("mampu").send("agensi-1", b"wrong chain")
    await wait_until(lambda: "refused the handshake: chain"
                     in str(other.stats()["mampu"]["last_error"]), what="refusal of dialler")
    await wait_until(lambda: "refused the handshake: chain" in str(
        cluster.net("mampu").stats()["agensi-1"]["last_error"]), what="refusal of responder")
    assert other.connected_peers() == set()
    assert "agensi-1" not in cluster.net("mampu").connected_peers()
    assert cluster.inbox["agensi-1"] == [] and cluster.received("mampu", "agensi-1") == []
    await assert_cluster_still_works(cluster)


async def test_replayed_handshake_is_refused(cluster: Cluster) -> None:
    proxy = TamperProxy(cluster.members["mampu"].port)
    port = await proxy.start()
    try:
        members = {**cluster.members,
                   "mampu": Member("mampu", cluster.members["mampu"].public_key, HOST, port)}
        await cluster.start("mampu")
        await cluster.start("jpk", members=members)
        cluster.net("jpk").send("mampu", b"secret")
        await wait_until(lambda: cluster.received("mampu", "jpk") == [b"secret"])
        recorded = bytes(proxy.recorded[0])  # hello, finish and the encrypted frame

        reader, writer = await asyncio.open_connection(HOST, cluster.members["mampu"].port)
        writer.write(recorded)
        answer = await read_until_closed(reader)
        writer.close()
        assert refusal_reasons(answer) == ["auth"]
        assert cluster.received("mampu", "jpk") == [b"secret"]  # not delivered twice
        assert cluster.net("mampu").listener_stats()["refused"] == 1
        # The legitimate session is untouched by the attempt.
        assert cluster.net("mampu").stats()["jpk"]["inbound_connected"]
        cluster.net("jpk").send("mampu", b"next")
        await wait_until(lambda: cluster.received("mampu", "jpk") == [b"secret", b"next"])
    finally:
        await proxy.stop()


async def test_garbage_and_oversize_prefix_are_dropped_others_keep_working(
        cluster: Cluster) -> None:
    await cluster.start("jpk", "mampu")
    await cluster.wait_mesh("jpk", "mampu")
    port = cluster.members["mampu"].port
    for attack in (os.urandom(4096), b"\xff\xff\xff\xff", b"\x00\x00\x00\x05hello",
                   frame(b"\x80")):
        reader, writer = await asyncio.open_connection(HOST, port)
        writer.write(attack)
        await read_until_closed(reader)
        writer.close()
    assert cluster.net("mampu").listener_stats()["refused"] == 4
    assert cluster.net("mampu").connected_peers() == {"jpk"}
    await assert_cluster_still_works(cluster)


async def dial_as(cluster: Cluster, node_id: str) -> tuple[asyncio.StreamReader,
                                                            asyncio.StreamWriter,
                                                            handshake.DialledSession]:
    """A hand-driven, legitimate session from ``node_id`` to mampu."""
    reader, writer = await asyncio.open_connection(HOST, cluster.members["mampu"].port)
    local = handshake.LocalNode(node_id, cluster.keys[node_id], CHAIN)
    session = await handshake.dial(reader, writer, local, cluster.members["mampu"])
    return reader, writer, session


async def test_authenticated_peer_sending_garbage_or_oversize_frames_is_cut_off(
        cluster: Cluster) -> None:
    await cluster.start("jpk", "mampu", max_frame=1024)
    await cluster.wait_mesh("jpk", "mampu")
    for attack in ((1024 + 17).to_bytes(4, "big"),              # one byte over the limit
                   frame(os.urandom(100)),                      # not encrypted under the key
                   (50).to_bytes(4, "big") + b"short"):         # truncated, then EOF
        reader, writer, session = await dial_as(cluster, "agensi-1")
        writer.write(session.sealer.seal(b"genuine"))
        writer.write(attack)
        if attack.endswith(b"short"):
            writer.write_eof()
        await read_until_closed(reader)
        writer.close()
    stats = cluster.net("mampu").stats()["agensi-1"]
    assert stats["bad_frames"] == 3 and stats["inbound_connected"] is False
    assert cluster.received("mampu", "agensi-1") == [b"genuine"] * 3
    await assert_cluster_still_works(cluster)


async def test_half_open_strangers_time_out_and_are_capped(cluster: Cluster) -> None:
    await cluster.start("mampu", handshake_timeout=0.3, max_pending_handshakes=2)
    port = cluster.members["mampu"].port
    conns = [await asyncio.open_connection(HOST, port) for _ in range(4)]
    started = time.monotonic()
    await asyncio.gather(*(read_until_closed(r) for r, _ in conns))
    elapsed = time.monotonic() - started
    for _, w in conns:
        w.close()
    assert elapsed > 0.2  # not before the handshake timeout (the test's own timeout bounds the wait)
    stats = cluster.net("mampu").listener_stats()
    assert stats["overflow"] == 2 and stats["refused"] == 2 and stats["handshaking"] == 0
    # Once the strangers are gone, a member gets in.
    await cluster.start("jpk")
    await cluster.wait_mesh("jpk", "mampu")
