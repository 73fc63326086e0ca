"""Length-prefixed frames: a 4-byte big-endian length, then that many bytes.

The length is checked against a hard maximum *before* anything is buffered, so a peer (or a
stranger) announcing a 4 GiB frame costs us four bytes of reading, not four gigabytes of
memory.  Both the handshake (with a small maximum) and the encrypted session use these frames.
"""

from __future__ import annotations

import asyncio
import struct
from typing import Final

from node.p2p.errors import ConnectionClosed, FrameError

LENGTH_PREFIX: Final = struct.Struct(">I")
HEADER_SIZE: Final = LENGTH_PREFIX.size
MAX_WIRE_FRAME: Final = 2**32 - 1


def encode_length(length: int) -> bytes:
    if not 0 <= length <= MAX_WIRE_FRAME:
        raise FrameError(f"frame length {length} cannot be encoded")
    return LENGTH_PREFIX.pack(length)


def frame(body: bytes) -> bytes:
    """The bytes that carry ``body`` on the wire."""
    return encode_length(len(body)) + body


def parse_length(header: bytes, max_len: int) -> int:
    """Length announced by a 4-byte header; refuses lengths above ``max_len``."""
    if len(header) != HEADER_SIZE:
        raise FrameError("frame header must be 4 bytes")
    (length,) = LENGTH_PREFIX.unpack(header)
    if length > max_len:
        raise FrameError(f"frame of {length} bytes exceeds the maximum of {max_len}")
    return int(length)


async def read_frame(reader: asyncio.StreamReader, max_len: int) -> tuple[bytes, bytes]:
    """Read one frame; returns ``(header, body)`` (the header doubles as AEAD associated data).

    A clean end of stream before a header raises ``ConnectionClosed``; an end in the middle of
    a frame is a ``FrameError`` (the peer sent a truncated frame).
    """
    try:
        header = await reader.readexactly(HEADER_SIZE)
    except asyncio.IncompleteReadError as exc:
        if exc.partial:
            raise FrameError("stream ended inside a frame header") from None
        raise ConnectionClosed("peer closed the connection") from None
    length = parse_length(header, max_len)
    try:
        body = await reader.readexactly(length)
    except asyncio.IncompleteReadError:
        raise FrameError("stream ended inside a frame body") from None
    return header, body
