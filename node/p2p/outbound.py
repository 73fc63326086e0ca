"""One peer's send side: its own queue, its own dialler and its own writer task.

Everything that can stall on a peer (connecting, the handshake, ``drain()`` on a full socket)
happens inside this peer's task, so a slow, dead or malicious peer delays only its own queue.
``enqueue`` is synchronous and O(1): the node's consensus loop never waits for the network.
When the link is up, nothing is queued and the socket's buffer is nearly empty, ``enqueue``
seals and hands the frame to the socket at once: a Raft message then leaves before the
caller goes on (the leader's AppendEntries before its own fsync is started) instead of a
loop iteration later, which is most of an idle commit's network time on a busy machine.

Queue policy: bounded by count and by bytes; when full, the *oldest* payload is dropped and
counted.  Consensus messages are self-contained and superseded by newer ones (a fresh
heartbeat or AppendEntries says more than a stale one), and Raft already tolerates loss, so
keeping the newest is the useful choice.  Delivery is at most once: a payload handed to a
socket that then dies is not resent.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import Final

from node.p2p import handshake
from node.p2p.backoff import Backoff
from node.p2p.errors import ConnectionClosed, FrameError, P2PError
from node.p2p.members import Member
from node.p2p.peer_stats import PeerStats
from node.p2p.secure_channel import FrameSealer

log = logging.getLogger("node.p2p")

# Frames written before each drain(): bounds the bytes buffered in user space per peer.
BATCH_BYTES: Final = 256 * 1024
# ``enqueue`` writes straight to the socket only while less than this waits in its buffer.
DIRECT_BUFFER_LIMIT: Final = 64 * 1024
CLOSE_GRACE: Final = 1.0


async def close_writer(writer: asyncio.StreamWriter, *, abort: bool = False) -> None:
    """Close a connection without ever hanging on a peer that stopped reading."""
    if abort:
        writer.transport.abort()
        return
    writer.close()
    try:
        await asyncio.wait_for(writer.wait_closed(), CLOSE_GRACE)
    except (TimeoutError, OSError):
        writer.transport.abort()


def describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if text != type(exc).__name__ else text


class OutboundLink:
    """Sends this node's payloads to one peer over connections that this node dials."""

    def __init__(self, local: handshake.LocalNode, peer: Member, stats: PeerStats, *,
                 max_frame: int, queue_limit: int, queue_max_bytes: int,
                 handshake_timeout: float, write_timeout: float, backoff: Backoff) -> None:
        self._local = local
        self._peer = peer
        self._stats = stats
        self._max_frame = max_frame
        self._queue_limit = queue_limit
        self._queue_max_bytes = queue_max_bytes
        self._handshake_timeout = handshake_timeout
        self._write_timeout = write_timeout
        self._backoff = backoff
        self._queue: deque[bytes] = deque()
        self._queued_bytes = 0
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopped = False
        self._logged_error: str | None = None
        # Set while a session is up; ``enqueue`` may then write directly (see module doc).
        self._direct: tuple[asyncio.StreamWriter, FrameSealer] | None = None

    @property
    def connected(self) -> bool:
        return self._stats.connected

    def enqueue(self, payload: bytes) -> None:
        if len(payload) > self._max_frame:
            raise ValueError(f"payload of {len(payload)} bytes exceeds max_frame {self._max_frame}")
        direct = self._direct
        if direct is not None and not self._queue:
            writer, sealer = direct
            transport = writer.transport
            if not transport.is_closing() and transport.get_write_buffer_size() < DIRECT_BUFFER_LIMIT:
                try:
                    writer.write(sealer.seal(payload))
                except (FrameError, OSError, RuntimeError):
                    # Counter exhausted or the socket died: the send task notices and reconnects.
                    self._direct = None
                    self._stats.drops += 1
                    return
                self._stats.frames_sent += 1
                self._stats.bytes_sent += len(payload)
                return
        self._queue.append(payload)
        self._queued_bytes += len(payload)
        while len(self._queue) > self._queue_limit or self._queued_bytes > self._queue_max_bytes:
            self._queued_bytes -= len(self._queue.popleft())
            self._stats.drops += 1
        self._stats.queued = len(self._queue)
        self._wakeup.set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"p2p-out-{self._peer.node_id}")

    async def stop(self) -> None:
        self._stopped = True
        task, self._task = self._task, None
        # Cancel until it sticks (see _run for how 3.11 can lose one cancellation).
        while task is not None and not task.done():
            task.cancel()
            await asyncio.wait({task}, timeout=0.1)
        if task is not None and not task.cancelled():
            task.exception()  # retrieved, so asyncio does not log it as never retrieved

    async def _run(self) -> None:
        # The flag, not only the cancellation, ends the loop: Python 3.11's wait_for() can
        # turn a cancellation that races with a failed connect into that connect's OSError.
        while not self._stopped:
            try:
                await self._connect_and_send()
            except (P2PError, OSError, TimeoutError) as exc:
                if not self._stopped:
                    self._record_failure(exc)
            self._stats.connected = False
            if not self._stopped:
                await asyncio.sleep(self._backoff.next_delay())

    async def _connect_and_send(self) -> None:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(self._peer.host, self._peer.port), self._handshake_timeout
        )
        try:
            session = await asyncio.wait_for(
                handshake.dial(reader, writer, self._local, self._peer), self._handshake_timeout
            )
            self._session_established()
            await self._pump(reader, writer, session.sealer)
        finally:
            # This only runs when the link failed or the node stops: abort rather than flush,
            # since flushing to a peer that stopped reading could hang.
            await close_writer(writer, abort=True)

    def _session_established(self) -> None:
        if self._stats.connects:
            self._stats.reconnects += 1
        self._stats.connects += 1
        self._stats.connected = True
        self._backoff.reset()
        if self._logged_error is not None:
            log.info("p2p: connected to %s again", self._peer.node_id)
        self._logged_error = None

    def _record_failure(self, exc: BaseException) -> None:
        message = describe(exc)
        self._stats.last_error = message
        if not self._stats.connected:
            self._stats.dial_failures += 1
        # Log each distinct problem once, not on every retry of the back-off loop.
        if message != self._logged_error:
            log.warning("p2p: link to %s (%s:%d): %s", self._peer.node_id, self._peer.host,
                        self._peer.port, message)
            self._logged_error = message

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                    sealer: FrameSealer) -> None:
        """Send until either the socket fails or the peer closes its end."""
        self._direct = (writer, sealer)
        tasks = {
            asyncio.create_task(self._send_loop(writer, sealer)),
            asyncio.create_task(self._watch_peer_close(reader)),
        }
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()
        finally:
            self._direct = None
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    @staticmethod
    async def _watch_peer_close(reader: asyncio.StreamReader) -> None:
        """The peer never sends on this connection, so any read result means it is over."""
        data = await reader.read(1)
        if data:
            raise FrameError("peer sent data on a send-only connection")
        raise ConnectionClosed("peer closed the connection")

    async def _send_loop(self, writer: asyncio.StreamWriter, sealer: FrameSealer) -> None:
        while True:
            while not self._queue:
                self._wakeup.clear()
                await self._wakeup.wait()
            batch = 0
            while self._queue and batch < BATCH_BYTES:
                payload = self._queue.popleft()
                self._queued_bytes -= len(payload)
                data = sealer.seal(payload)
                writer.write(data)
                batch += len(data)
                self._stats.frames_sent += 1
                self._stats.bytes_sent += len(payload)
            self._stats.queued = len(self._queue)
            try:
                await asyncio.wait_for(writer.drain(), self._write_timeout)
            except TimeoutError:
                raise FrameError(
                    f"peer did not read for {self._write_timeout:g} s; reconnecting"
                ) from None
