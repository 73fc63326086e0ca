"""The handshake, the frame cipher and the back-off, without sockets."""

from __future__ import annotations

import asyncio
import dataclasses
import os
from typing import Any

import msgpack
import pytest

from certificate.keys import SigningKey
from node.p2p import handshake
from node.p2p.backoff import Backoff
from node.p2p.errors import FrameError, HandshakeError
from node.p2p.framing import frame, parse_length
from node.p2p.members import Member
from node.p2p.secure_channel import TAG_SIZE, FrameOpener, FrameSealer

CHAIN = "unit-chain"


class PipeWriter:
    """Writes straight into the other side's StreamReader: an in-memory connection."""

    def __init__(self, target: asyncio.StreamReader) -> None:
        self.target = target

    def write(self, data: bytes) -> None:
        self.target.feed_data(data)

    async def drain(self) -> None:
        await asyncio.sleep(0)


def make_members(**keys: SigningKey) -> dict[str, Member]:
    return {name: Member(name, key.public.raw, "127.0.0.1", 1) for name, key in keys.items()}


async def test_handshake_agrees_on_directional_keys() -> None:
    a, b = SigningKey.generate(), SigningKey.generate()
    members = make_members(jpk=a, mampu=b)
    to_responder, to_dialler = asyncio.StreamReader(), asyncio.StreamReader()
    dialled, accepted = await asyncio.gather(
        handshake.dial(to_dialler, PipeWriter(to_responder),
                       handshake.LocalNode("jpk", a, CHAIN), members["mampu"]),
        handshake.accept(to_responder, PipeWriter(to_dialler),
                         handshake.LocalNode("mampu", b, CHAIN), members),
    )
    assert accepted.peer_id == "jpk" and dialled.peer_id == "mampu"
    wire = dialled.sealer.seal(b"payload")
    assert accepted.opener.open(wire[:4], wire[4:]) == b"payload"


def test_transcript_binds_every_field() -> None:
    hello = handshake.Hello(CHAIN, "jpk", "mampu", os.urandom(32), os.urandom(32))
    eph, nonce = os.urandom(32), os.urandom(32)
    base = handshake.transcript_hash(hello, eph, nonce)
    changes: list[dict[str, Any]] = [{"chain": "other"}, {"sender": "agensi-1"},
                                     {"target": "agensi-2"}, {"eph": os.urandom(32)},
                                     {"nonce": os.urandom(32)}]
    variants = [handshake.transcript_hash(dataclasses.replace(hello, **change), eph, nonce)
                for change in changes]
    variants += [handshake.transcript_hash(hello, os.urandom(32), nonce),
                 handshake.transcript_hash(hello, eph, os.urandom(32))]
    assert base not in variants and len(set(variants)) == len(variants)


def test_low_order_ephemeral_key_is_refused() -> None:
    with pytest.raises(HandshakeError) as info:
        handshake.derive_keys(os.urandom(32), bytes(32), b"t" * 32)
    assert info.value.reason == "malformed"


def test_directional_keys_differ() -> None:
    i2r, r2i = handshake.derive_keys(os.urandom(32), os.urandom(32), b"t" * 32)
    assert i2r != r2i and len(i2r) == len(r2i) == 32


def test_non_canonical_hello_is_refused() -> None:
    good = handshake.encode_hello(handshake.Hello(CHAIN, "jpk", "mampu", bytes(32), bytes(32)))
    assert handshake.parse_hello(good).sender == "jpk"
    value = msgpack.unpackb(good)
    unsorted = msgpack.packb(dict(reversed(list(value.items()))), use_bin_type=True)
    with pytest.raises(HandshakeError, match="canonical"):
        handshake.parse_hello(unsorted)
    with pytest.raises(HandshakeError):
        handshake.parse_hello(good + b"\x00")


def test_check_hello_refusals() -> None:
    key = SigningKey.generate()
    members = make_members(jpk=SigningKey.generate(), mampu=key)
    local = handshake.LocalNode("mampu", key, CHAIN)
    hello = handshake.Hello(CHAIN, "jpk", "mampu", bytes(32), bytes(32))
    assert handshake.check_hello(hello, local, members).node_id == "jpk"
    cases: list[tuple[dict[str, Any], str]] = [
        ({"chain": "x"}, "chain"), ({"target": "agensi-1"}, "wrong-target"),
        ({"sender": "ghost"}, "not-member"), ({"sender": "mampu"}, "not-member"),
    ]
    for changed, reason in cases:
        with pytest.raises(HandshakeError) as info:
            handshake.check_hello(dataclasses.replace(hello, **changed), local, members)
        assert info.value.reason == reason


def test_frame_cipher_rejects_replay_reorder_and_alteration() -> None:
    key = os.urandom(32)
    sealer = FrameSealer(key)
    wires = [sealer.seal(f"m{i}".encode()) for i in range(4)]

    opener = FrameOpener(key)
    assert [opener.open(w[:4], w[4:]) for w in wires] == [b"m0", b"m1", b"m2", b"m3"]

    for sequence in ([0, 0], [1], [0, 2], [0, 1, 1]):
        opener = FrameOpener(key)
        with pytest.raises(FrameError):
            for i in sequence:
                opener.open(wires[i][:4], wires[i][4:])

    altered = bytearray(wires[0])
    altered[7] ^= 0x80
    opener = FrameOpener(key)
    with pytest.raises(FrameError):
        opener.open(bytes(altered[:4]), bytes(altered[4:]))
    with pytest.raises(FrameError, match="already failed"):
        opener.open(wires[0][:4], wires[0][4:])  # a failed session stays failed


def test_frame_header_is_authenticated() -> None:
    key = os.urandom(32)
    wire = FrameSealer(key).seal(b"x")
    assert int.from_bytes(wire[:4], "big") == 1 + TAG_SIZE
    with pytest.raises(FrameError):
        FrameOpener(key).open(b"\x00\x00\x00\x12", wire[4:])


def test_frame_length_limit() -> None:
    assert parse_length((100).to_bytes(4, "big"), 100) == 100
    with pytest.raises(FrameError, match="exceeds"):
        parse_length((101).to_bytes(4, "big"), 100)
    assert frame(b"abc") == b"\x00\x00\x00\x03abc"


def test_backoff_grows_with_jitter_caps_and_resets() -> None:
    backoff = Backoff(0.05, 2.0)
    delays = [backoff.next_delay() for _ in range(12)]
    for attempt, delay in enumerate(delays):
        ceiling = min(2.0, 0.05 * 2**attempt)
        assert ceiling / 2 <= delay <= ceiling
    assert max(delays) <= 2.0 and delays[-1] >= 1.0
    backoff.reset()
    assert backoff.next_delay() <= 0.05
    with pytest.raises(ValueError):
        Backoff(0, 1)
