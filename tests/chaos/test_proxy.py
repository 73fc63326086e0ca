"""The chaos proxy itself: it must identify the dialler and fault exactly the link it is told to."""

from __future__ import annotations

import asyncio
import os
import time

import pytest

from node.p2p.framing import frame
from node.p2p.handshake import Hello, encode_hello
from scripts.chaos_proxy import UNKNOWN, ChaosProxy, parse_hello_sender


def hello(sender: str, to: str = "b") -> bytes:
    return frame(encode_hello(Hello("chain", sender, to, os.urandom(32), os.urandom(32))))


def test_the_dialler_is_read_from_the_hello() -> None:
    assert parse_hello_sender(encode_hello(Hello("c", "mampu", "jpk", bytes(32), bytes(32)))) == "mampu"
    for junk in (b"", b"\xc1", b"\x81\xa1t\xa5hello", b"\x92\x01\x02"):
        assert parse_hello_sender(junk) == UNKNOWN


class Sink:
    """A stand-in node: remembers what each accepted connection delivered, and when."""

    def __init__(self) -> None:
        self.received: list[tuple[float, bytes]] = []
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def _serve(self, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        while data := await r.read(65536):
            self.received.append((time.monotonic(), data))
            w.write(b"ok")
            await w.drain()
        w.close()

    def data(self) -> bytes:
        return b"".join(d for _, d in self.received)


async def _setup() -> tuple[ChaosProxy, Sink, int]:
    sink = Sink()
    port = await sink.start()
    proxy = ChaosProxy({"b": (0, port)})
    await proxy.start()
    return proxy, sink, proxy.ports["b"]


async def _send(port: int, sender: str, payload: bytes) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    r, w = await asyncio.open_connection("127.0.0.1", port)
    w.write(hello(sender) + payload)
    await w.drain()
    return r, w


async def _until(cond: object, timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():  # type: ignore[operator]
            return
        await asyncio.sleep(0.01)


async def test_a_one_way_cut_stops_only_that_link() -> None:
    proxy, sink, port = await _setup()
    try:
        proxy.cut("a", "b", "reset")
        r, w = await _send(port, "a", b"from-a")
        assert await r.read(10) == b""  # closed at once after its hello
        w.close()
        r2, w2 = await _send(port, "c", b"from-c")
        assert await asyncio.wait_for(r2.read(2), 3) == b"ok"
        await _until(lambda: b"from-c" in sink.data())
        assert b"from-c" in sink.data() and b"from-a" not in sink.data()
        assert proxy.stats[("a", "b")].refused == 1
        proxy.heal("a", "b")
        r3, w3 = await _send(port, "a", b"again-a")
        assert await asyncio.wait_for(r3.read(2), 3) == b"ok"
        for writer in (w2, w3):
            writer.close()
    finally:
        await proxy.stop()


async def test_reset_aborts_live_connections_of_the_link() -> None:
    proxy, _sink, port = await _setup()
    try:
        r, _w = await _send(port, "a", b"x")
        assert await asyncio.wait_for(r.read(2), 3) == b"ok"
        proxy.cut("a", "b", "reset")
        assert await asyncio.wait_for(r.read(10), 3) == b""
        assert proxy.stats[("a", "b")].dropped == 1
    finally:
        await proxy.stop()


async def test_blackhole_holds_bytes_and_delivers_them_in_order_on_heal() -> None:
    proxy, sink, port = await _setup()
    try:
        r, w = await _send(port, "a", b"one")
        await asyncio.wait_for(r.read(2), 3)
        proxy.cut("a", "b", "blackhole")
        w.write(b"two")
        await w.drain()
        await asyncio.sleep(0.3)
        assert b"two" not in sink.data()
        proxy.heal("a", "b")
        await _until(lambda: b"two" in sink.data())
        assert sink.data().endswith(b"onetwo")
        w.close()
    finally:
        await proxy.stop()


@pytest.mark.parametrize("delay", [0.2])
async def test_delay_is_added_per_link(delay: float) -> None:
    proxy, sink, port = await _setup()
    try:
        proxy.set_delay("a", "b", delay)
        t0 = time.monotonic()
        _r, w = await _send(port, "a", b"slow")
        await _until(lambda: sink.received)
        assert sink.received[0][0] - t0 >= delay * 0.9
        proxy.set_delay("a", "b", 0)
        w.close()
    finally:
        await proxy.stop()


@pytest.mark.parametrize("how", ["flip", "duplicate", "drop"])
def test_tampering_hits_whole_session_frames_only(how: str) -> None:
    import random

    from scripts.chaos_proxy import FrameCutter, LinkPolicy, LinkStats

    frames = [frame(bytes([i]) * (5 + i)) for i in range(6)]  # 0, 1: handshake; 2..5: session
    stream = b"".join(frames)
    pol, st = LinkPolicy(), LinkStats()
    pol.tamper_left, pol.tamper_how = 2, how
    cutter = FrameCutter(pol, st, random.Random(1))
    out = b"".join(cutter.feed(stream[i:i + 3]) for i in range(0, len(stream), 3))  # split anywhere
    assert st.tampered == 2 and pol.tamper_left == 0
    head = frames[0] + frames[1]
    assert out.startswith(head) and out.endswith(frames[4] + frames[5])
    middle = out[len(head):len(out) - len(frames[4] + frames[5])]
    if how == "duplicate":
        assert middle == frames[2] * 2 + frames[3] * 2
    elif how == "drop":
        assert middle == b""
    else:
        assert len(middle) == len(frames[2] + frames[3]) and middle != frames[2] + frames[3]
        assert middle[:4] == frames[2][:4]  # lengths intact: only bodies altered
