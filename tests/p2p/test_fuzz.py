"""Arbitrary bytes against every parser a remote party can reach: clean refusal, nothing else."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Iterator
from typing import Any

import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from certificate.keys import SigningKey
from node.p2p import P2PError, handshake
from node.p2p.errors import ConnectionClosed, FrameError, HandshakeError
from node.p2p.framing import frame, read_frame
from node.p2p.members import Member
from node.p2p.secure_channel import FrameOpener

FUZZ = settings(max_examples=200, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])

KEYS = {name: SigningKey.generate() for name in ("jpk", "mampu")}
MEMBERS = {name: Member(name, key.public.raw, "127.0.0.1", 1) for name, key in KEYS.items()}
CHAIN = "fuzz-chain"


class SinkWriter:
    """Collects what the code under test writes."""

    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, data: bytes) -> None:
        self.data += data

    async def drain(self) -> None:
        return None


# One private loop for all examples: a fresh asyncio.run() per example costs more than the test.
LOOP = asyncio.new_event_loop()


@pytest.fixture(scope="module", autouse=True)
def _close_loop() -> Iterator[None]:
    yield
    LOOP.close()


def run_with_input(make: Any, data: bytes) -> Any:
    """Run ``make(reader, writer)`` against a stream holding ``data`` and then EOF."""
    async def go() -> Any:
        reader = asyncio.StreamReader()
        reader.feed_data(data)
        reader.feed_eof()
        return await make(reader, SinkWriter())
    return LOOP.run_until_complete(go())


@FUZZ
@given(st.binary(max_size=4096), st.integers(min_value=0, max_value=1 << 16))
def test_frame_reader_on_arbitrary_bytes(data: bytes, max_len: int) -> None:
    async def read_all(reader: asyncio.StreamReader, _: SinkWriter) -> list[bytes]:
        bodies = []
        try:
            while True:
                _header, body = await read_frame(reader, max_len)
                assert len(body) <= max_len
                bodies.append(body)
        except (ConnectionClosed, FrameError):
            return bodies
    bodies = run_with_input(read_all, data)
    assert sum(4 + len(b) for b in bodies) <= len(data)


parsers = [handshake.parse_hello, handshake.parse_reply, handshake.parse_finish]


@FUZZ
@given(st.binary(max_size=3000))
def test_handshake_parsers_on_arbitrary_bytes(data: bytes) -> None:
    for parse in parsers:
        with contextlib.suppress(HandshakeError):
            parse(data)


msgpack_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats() | st.text(max_size=40) | st.binary(max_size=80),
    lambda inner: st.lists(inner, max_size=8)
    | st.dictionaries(st.sampled_from(["t", "v", "chain", "from", "to", "eph", "nonce", "sig",
                                       "reason"]) | st.text(max_size=5), inner, max_size=8),
    max_leaves=12,
)


@settings(FUZZ, max_examples=100)
@given(msgpack_values, st.sampled_from(["hello", "reply", "finish", "refused", None]))
def test_handshake_parsers_on_structured_junk(value: Any, kind: str | None) -> None:
    if isinstance(value, dict) and kind is not None:
        value = {**value, "t": kind}
    data = msgpack.packb(value, use_bin_type=True)
    for parse in parsers:
        with contextlib.suppress(HandshakeError):
            parse(data)


def valid_hello() -> bytes:
    return handshake.encode_hello(handshake.Hello(CHAIN, "jpk", "mampu", os.urandom(32),
                                                  os.urandom(32)))


@FUZZ
@given(st.data())
def test_mutated_hello_is_parsed_or_refused(data: st.DataObject) -> None:
    raw = bytearray(valid_hello())
    for _ in range(data.draw(st.integers(1, 4))):
        op = data.draw(st.sampled_from(["flip", "insert", "delete"]))
        pos = data.draw(st.integers(0, max(len(raw) - 1, 0)))
        if op == "flip" and raw:
            raw[pos] ^= data.draw(st.integers(1, 255))
        elif op == "insert":
            raw.insert(pos, data.draw(st.integers(0, 255)))
        elif raw:
            del raw[pos]
    with contextlib.suppress(HandshakeError):
        handshake.parse_hello(bytes(raw))


def responder(reader: asyncio.StreamReader, writer: SinkWriter) -> Any:
    return handshake.accept(reader, writer, handshake.LocalNode("mampu", KEYS["mampu"], CHAIN),
                            MEMBERS)


def dialler(reader: asyncio.StreamReader, writer: SinkWriter) -> Any:
    return handshake.dial(reader, writer, handshake.LocalNode("jpk", KEYS["jpk"], CHAIN),
                          MEMBERS["mampu"])


@FUZZ
@given(st.booleans(), st.binary(max_size=3000))
def test_responder_on_arbitrary_client_bytes(hello_first: bool, data: bytes) -> None:
    """With ``hello_first`` the junk reaches the finish parser and signature check."""
    prefix = frame(valid_hello()) if hello_first else b""
    with contextlib.suppress(P2PError):
        run_with_input(responder, prefix + data)


@FUZZ
@given(st.binary(max_size=3000))
def test_dialler_on_arbitrary_server_bytes(data: bytes) -> None:
    with contextlib.suppress(P2PError):
        run_with_input(dialler, data)


@FUZZ
@given(st.binary(min_size=4, max_size=4), st.binary(max_size=2000))
def test_session_opener_on_arbitrary_frames(header: bytes, body: bytes) -> None:
    opener = FrameOpener(os.urandom(32))
    try:
        opener.open(header, body)
    except FrameError:
        return
    raise AssertionError("a random frame decrypted under a random key")
