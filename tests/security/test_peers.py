"""Attacks on the p2p layer of real node processes: strangers, impersonators, another chain, and a
man in the middle who alters, duplicates or drops frames between two nodes of a running cluster.

``tests/p2p`` proves the transport in-process; these go through ``python -m node`` end to end.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from certificate.keys import SigningKey, read_key_file
from node.genesis import load_genesis
from node.p2p import handshake
from node.p2p.errors import HandshakeError, P2PError
from node.p2p.members import Member
from scripts.chaos_cluster import prepare, proxy_port
from scripts.chaos_proxy import ProxyThread
from tests.chaos.ports import free_base, release
from tests.node.conftest import stop_cluster
from tests.node.helpers import NAMES, ClusterHandle, get, run_node_cli

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(300)]


def dial(port: int, local: handshake.LocalNode, peer: Member, timeout: float = 10.0) -> str:
    """Run the dialler's handshake against a node; 'accepted' or the error it ended with."""
    async def go() -> str:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            await asyncio.wait_for(handshake.dial(reader, writer, local, peer), timeout)
            return "accepted"
        except (HandshakeError, P2PError) as exc:
            return f"{type(exc).__name__}: {exc}"
        finally:
            writer.close()

    return asyncio.run(go())


def member(c: ClusterHandle, node: str) -> Member:
    return Member(node, c.node_key(node).public.raw, "127.0.0.1", c.p2p_port(node))


def test_strangers_impersonators_and_other_chains_are_refused(cluster: ClusterHandle) -> None:
    """Defences: node/p2p/handshake.py ``check_hello`` (chain id = genesis hash, target, membership)
    and ``_verify`` (the finish signature must verify with the genesis key of the claimed id)."""
    c = cluster
    genesis_id = load_genesis(c.dir / "genesis.json").hash.hex()
    target = member(c, NAMES[0])
    port = c.p2p_port(NAMES[0])
    stranger = dial(port, handshake.LocalNode("intruder", SigningKey.generate(), genesis_id), target)
    assert "not a member" in stranger or "not-member" in stranger, stranger
    impostor = dial(port, handshake.LocalNode("mampu", SigningKey.generate(), genesis_id), target)
    assert impostor != "accepted", impostor
    other_chain = dial(port, handshake.LocalNode("mampu", c.node_key("mampu"), "f" * 64), target)
    assert "chain" in other_chain, other_chain
    # a genuine member key on this chain is accepted (so the refusals above are about identity)
    assert dial(port, handshake.LocalNode("mampu", c.node_key("mampu"), genesis_id), target) == "accepted"
    # and the node took no harm
    height, _ = c.same_head(timeout=30)
    c.issue(2, via=NAMES[0])
    c.same_head(min_height=height + 1, timeout=30)


# --- a man in the middle -----------------------------------------------------------------------------

@pytest.fixture
def proxied(tmp_path: Path) -> Iterator[tuple[ClusterHandle, ProxyThread]]:
    """A cluster whose every p2p connection passes through the chaos proxy.

    A start that fails (another program took one of the ports after we checked) is retried on
    another base, as ``tests/security/conftest.py start_cluster`` does."""
    for attempt in range(3):
        base = free_base()
        d = tmp_path / f"mitm{attempt}"
        d.mkdir()
        prepare(d, base)
        routes = {n: (proxy_port(base, i), base + 1000 + i) for i, n in enumerate(NAMES, 1)}
        proxy = ProxyThread(routes)
        proxy.start()
        c = ClusterHandle(d, base)
        try:
            res = c.script("up", check=False)
            if res.returncode != 0 and attempt < 2:
                continue
            assert res.returncode == 0, res.stdout + res.stderr + c.tail_logs()
            yield c, proxy
            return
        finally:
            stop_cluster(c)
            proxy.stop()
            release(base)


@pytest.mark.parametrize("how", ["flip", "duplicate", "drop"])
def test_frames_altered_in_transit_are_detected_and_change_nothing(
        proxied: tuple[ClusterHandle, ProxyThread], how: str) -> None:
    """Defences: node/p2p/secure_channel.py ``FrameOpener.open`` (XChaCha20-Poly1305 with the frame
    header as associated data and an implicit per-direction counter nonce: an altered, repeated or
    missing frame fails to decrypt) and node/p2p/network.py ``_receive`` (the first bad frame
    closes that connection; nothing of it reaches Raft)."""
    c, proxy = proxied
    lead = c.leader()
    victim = next(n for n in NAMES if n != lead)
    before = c.issue(3, via=lead)
    proxy.tamper(lead, victim, 6, how)
    issued = []
    deadline = time.monotonic() + 60
    while proxy.link_stats().get(f"{lead}->{victim}", {}).get("tampered", 0) < 6 and time.monotonic() < deadline:
        issued += c.issue(2, via=NAMES[(len(issued) // 2) % 4])
    assert proxy.link_stats()[f"{lead}->{victim}"]["tampered"] == 6, proxy.link_stats()
    issued += c.issue(2, via=victim)
    height, head = c.same_head(min_height=issued[-1].height, timeout=60)
    for cert in before + issued:
        got = get(f"{c.urls[victim]}/api/v1/certificates/{cert.cert_no}")
        assert got.status == 200 and got.body["record"] == cert.record.to_dict()
    log = (c.dir / victim / "node.log").read_text()
    bad = [json.loads(line)["msg"] for line in log.splitlines() if "closing connection from" in line]
    assert bad and all(lead in m for m in bad), bad[:3]
    assert any(re.search("authentication|altered|replayed|reordered", m) for m in bad), bad[:3]
    c.down()
    for n in NAMES:
        res = run_node_cli("verify-chain", "--config", str(c.config(n)), timeout=300)
        assert res.returncode == 0 and f"{height} blocks" in res.stdout, (n, res.stdout + res.stderr)
    assert head


def test_a_recorded_session_replayed_to_a_node_is_refused(cluster: ClusterHandle, tmp_path: Path) -> None:
    """Record a genuine member's handshake and first frames, then replay the bytes on a new
    connection. Defence: node/p2p/handshake.py (the responder's fresh nonce and ephemeral key enter
    the transcript, so the recorded finish signature and session frames are worthless)."""
    c = cluster
    genesis_id = load_genesis(c.dir / "genesis.json").hash.hex()
    port = c.p2p_port(NAMES[1])
    key = read_key_file(c.dir / "keys" / "agensi-2.key")
    recorded = bytearray()

    async def record_and_replay() -> bytes:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)

        class Tee:
            def write(self, data: bytes) -> None:
                recorded.extend(data)
                writer.write(data)

            async def drain(self) -> None:
                await writer.drain()

        session = await handshake.dial(reader, Tee(), handshake.LocalNode("agensi-2", key, genesis_id),
                                       member(c, NAMES[1]))
        sealed = session.sealer.seal(b"\x90")  # an (empty) message, genuinely encrypted
        recorded.extend(sealed)
        writer.write(sealed)
        await writer.drain()
        writer.close()
        r2, w2 = await asyncio.open_connection("127.0.0.1", port)
        w2.write(bytes(recorded))
        await w2.drain()
        answer = bytearray()
        try:
            # Read everything until the node closes the connection: the refusal may follow the
            # fresh hello reply in a later segment.
            while chunk := await asyncio.wait_for(r2.read(4096), 10):
                answer.extend(chunk)
        except (TimeoutError, ConnectionError):
            pass
        finally:
            w2.close()
        return bytes(answer)

    answer = asyncio.run(record_and_replay())
    # the node answers the replayed hello with a fresh reply and refuses the stale finish
    assert b"refused" in answer or answer == b"", answer[-200:]
    c.same_head(timeout=30)


# --- what a member may send after the handshake ------------------------------------------------------

@pytest.mark.parametrize("mtype", ["heartbeat", "vote", "app"])
def test_a_huge_term_from_a_member_does_not_stop_the_node(tmp_path: Path, mtype: str) -> None:
    """Defence: node/consensus/message.py MAX_UINT (a term of 2**64 - 1 made term + 1 unencodable)."""
    import msgpack

    from tests.node.helpers import start_node, write_chain

    async def go() -> object:
        chain = write_chain(tmp_path / "chain", ("jpk", "mampu", "agensi-1", "agensi-2"))
        node = await start_node(chain.configs["jpk"], with_http=False)
        try:
            msg = {"type": mtype, "to": "jpk", "frm": "mampu", "term": 2**64 - 1, "log_term": 0, "index": 0,
                   "entries": [], "commit": 0, "reject": False, "reject_hint": 0, "context": b""}
            node.service.on_peer_message("mampu", msgpack.packb(["raft", msg], use_bin_type=True))
            await asyncio.sleep(3)  # several election timeouts (500 ms here)
            return node.engine.fatal
        finally:
            await node.stop()

    fatal = asyncio.run(go())
    assert fatal is None, f"the node stopped: {fatal!r}"
