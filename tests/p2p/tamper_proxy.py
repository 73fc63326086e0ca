"""A man-in-the-middle TCP proxy that understands the frame layer but holds no keys.

It relays whole frames from the dialler to the real peer and lets a test rewrite the stream
(flip a byte, duplicate, drop or swap frames) on the first ``tamper_connections``
connections.  Frames 0 and 1 of each connection are the handshake's hello and finish; session
frames start at index 2.  It also records every byte the dialler sent, for replay tests.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from node.p2p.framing import HEADER_SIZE
from tests.p2p.helpers import HOST

Tamper = Callable[[int, bytes], list[bytes]]
FIRST_SESSION_FRAME = 2


class TamperProxy:
    def __init__(self, target_port: int, tamper: Tamper | None = None,
                 tamper_connections: int = 1) -> None:
        self.target_port = target_port
        self.tamper = tamper
        self.tamper_connections = tamper_connections
        self.recorded: list[bytearray] = []
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []

    async def start(self, port: int = 0) -> int:
        self._server = await asyncio.start_server(self._handle, HOST, port)
        return int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        for w in self._writers:
            w.transport.abort()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        index = len(self.recorded)
        record = bytearray()
        self.recorded.append(record)
        try:
            up_reader, up_writer = await asyncio.open_connection(HOST, self.target_port)
        except OSError:
            writer.transport.abort()
            return
        self._writers += [writer, up_writer]
        tamper = self.tamper if index < self.tamper_connections else None
        tasks = {
            asyncio.create_task(self._frames(reader, up_writer, tamper, record)),
            asyncio.create_task(self._bytes(up_reader, writer)),
        }
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        writer.transport.abort()
        up_writer.transport.abort()

    @staticmethod
    async def _frames(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                      tamper: Tamper | None, record: bytearray) -> None:
        index = 0
        with contextlib.suppress(asyncio.IncompleteReadError, OSError):
            while True:
                header = await reader.readexactly(HEADER_SIZE)
                body = await reader.readexactly(int.from_bytes(header, "big"))
                raw = header + body
                record += raw
                for out in tamper(index, raw) if tamper else [raw]:
                    writer.write(out)
                index += 1
                await writer.drain()

    @staticmethod
    async def _bytes(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()


def flip_byte(at: int) -> Tamper:
    def tamper(index: int, raw: bytes) -> list[bytes]:
        if index != at:
            return [raw]
        changed = bytearray(raw)
        changed[-1] ^= 0x01
        return [bytes(changed)]
    return tamper


def duplicate(at: int) -> Tamper:
    return lambda index, raw: [raw, raw] if index == at else [raw]


def drop(at: int) -> Tamper:
    return lambda index, raw: [] if index == at else [raw]


def swap(at: int) -> Tamper:
    """Hold frame ``at`` and send it after frame ``at + 1``."""
    held: list[bytes] = []

    def tamper(index: int, raw: bytes) -> list[bytes]:
        if index == at:
            held.append(raw)
            return []
        if index == at + 1:
            return [raw, *held]
        return [raw]
    return tamper
