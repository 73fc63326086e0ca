"""``PeerNetwork``: the node's authenticated, encrypted links to the other genesis members.

Connection policy: every node *sends only on connections it dialled* and *receives only on
connections it accepted*, so each ordered pair of nodes has its own TCP connection per
direction.  Why not one shared connection per pair with a tie-break?  Because the tie-break is
where transports go wrong: both sides dial at once after a partition heals, each closes the
"wrong" one, in-flight frames are lost in the swap, and the rule needs both nodes to agree on
the state of two sockets.  Here there is nothing to agree on: the dialler always knows exactly
whom it wants to reach, each direction reconnects on its own, and a duplicate inbound session
from the same member is resolved locally by keeping the newest (the dialler only ever uses its
newest connection; an older one is a half-open leftover).  The cost, two sockets per pair (12
in a four-node cluster), is nothing.  Both directions still authenticate both ends.

Inbound connections that have not finished the handshake are capped
(``max_pending_handshakes``) and timed out (``handshake_timeout``), so strangers cannot pile up
half-open connections; any protocol violation closes only the connection it happened on.

``send`` and the ``on_message`` callback run on the event loop's thread; ``send`` is not
thread-safe (use ``loop.call_soon_threadsafe`` from other threads).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any, Final

from certificate.keys import SigningKey
from node.p2p import handshake
from node.p2p.backoff import Backoff
from node.p2p.errors import ConnectionClosed, P2PError
from node.p2p.framing import read_frame
from node.p2p.members import Member
from node.p2p.outbound import OutboundLink, close_writer, describe
from node.p2p.peer_stats import ListenerStats, PeerStats
from node.p2p.secure_channel import TAG_SIZE, FrameOpener

log = logging.getLogger("node.p2p")

MessageHandler = Callable[[str, bytes], None]
# Let other tasks run after this many frames read back to back from one peer.
_FAIRNESS_FRAMES: Final = 32
_REFUSAL_LOG_INTERVAL: Final = 30.0
_STOP_GRACE: Final = 1.0


class PeerNetwork:
    """Links to every other member; see the module docstring for the connection policy."""

    def __init__(self, node_id: str, key: SigningKey, chain_id: str,
                 members: Mapping[str, Member], listen_host: str, listen_port: int,
                 on_message: MessageHandler, max_frame: int = 8 * 1024 * 1024,
                 queue_limit: int = 10_000, *, queue_max_bytes: int = 64 * 1024 * 1024,
                 handshake_timeout: float = 5.0, write_timeout: float = 15.0,
                 max_pending_handshakes: int = 16, backoff_initial: float = 0.05,
                 backoff_cap: float = 2.0) -> None:
        for name, member in members.items():
            if name != member.node_id:
                raise ValueError(f"members[{name!r}] holds node id {member.node_id!r}")
        me = members.get(node_id)
        if me is None:
            raise ValueError(f"node {node_id!r} is not in the membership")
        if me.public_key != key.public.raw:
            raise ValueError(f"the key given for {node_id!r} is not its key in the membership")
        if not 0 < len(chain_id) <= handshake.MAX_CHAIN_ID_LEN:
            raise ValueError(f"chain id must be 1-{handshake.MAX_CHAIN_ID_LEN} characters")
        if max_frame < 1 or queue_limit < 1 or max_pending_handshakes < 1:
            raise ValueError("max_frame, queue_limit and max_pending_handshakes must be positive")
        if queue_max_bytes < max_frame:
            raise ValueError("queue_max_bytes must hold at least one frame of max_frame bytes")
        self.node_id = node_id
        self._local = handshake.LocalNode(node_id, key, chain_id)
        self._members = dict(members)
        self._listen = (listen_host, listen_port)
        self._on_message = on_message
        self._max_wire_frame = max_frame + TAG_SIZE
        self._handshake_timeout = handshake_timeout
        self._max_pending = max_pending_handshakes
        self._stats = {peer: PeerStats() for peer in members if peer != node_id}
        self._listener_stats = ListenerStats()
        self._links = {
            peer: OutboundLink(
                self._local, members[peer], self._stats[peer], max_frame=max_frame,
                queue_limit=queue_limit, queue_max_bytes=queue_max_bytes,
                handshake_timeout=handshake_timeout, write_timeout=write_timeout,
                backoff=Backoff(backoff_initial, backoff_cap),
            )
            for peer in self._stats
        }
        self._server: asyncio.Server | None = None
        self._connections: dict[asyncio.Task[None], asyncio.StreamWriter] = {}
        self._inbound: dict[str, asyncio.Task[None]] = {}
        self._refusals_logged: dict[tuple[str, str], float] = {}
        self._stopping = False

    # --- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen, then start dialling every other member (in the background)."""
        if self._server is not None or self._stopping:
            raise RuntimeError("a PeerNetwork starts once; make a new one after stop()")
        host, port = self._listen
        self._server = await asyncio.start_server(self._serve_inbound, host, port)
        for link in self._links.values():
            link.start()

    async def stop(self) -> None:
        """Close the listener and every connection; queued payloads are discarded."""
        self._stopping = True
        if self._server is not None:
            self._server.close()
        await asyncio.gather(*(link.stop() for link in self._links.values()))
        # Aborting the transport ends each connection task through its normal error path.
        tasks = list(self._connections)
        for writer in list(self._connections.values()):
            writer.transport.abort()
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=_STOP_GRACE)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None
        for stats in self._stats.values():
            stats.connected = stats.inbound_connected = False

    @property
    def listen_address(self) -> tuple[str, int]:
        """Where the node actually listens (useful with port 0)."""
        if self._server is None or not self._server.sockets:
            return self._listen
        host, port = self._server.sockets[0].getsockname()[:2]
        return str(host), int(port)

    # --- sending and inspecting -------------------------------------------------------------

    def send(self, peer_id: str, payload: bytes | bytearray | memoryview) -> None:
        """Queue ``payload`` for ``peer_id``; never blocks and never fails because of the peer.

        Raises only for caller bugs: ValueError for an id that is not another member or a
        payload larger than ``max_frame``, TypeError for a payload that is not bytes.
        """
        link = self._links.get(peer_id)
        if link is None:
            raise ValueError(f"{peer_id!r} is not another member of this chain")
        if not isinstance(payload, bytes | bytearray | memoryview):
            # bytes(5) would quietly send five zero bytes.
            raise TypeError(f"payload must be bytes, not {type(payload).__name__}")
        link.enqueue(bytes(payload))

    def connected_peers(self) -> set[str]:
        """Peers this node can currently send to (its outbound session is authenticated)."""
        return {peer for peer, link in self._links.items() if link.connected}

    def stats(self) -> dict[str, dict[str, Any]]:
        """Per peer: connected, inbound_connected, frames/bytes sent/received, queued, drops,
        connects, reconnects, dial_failures, bad_frames, last_error."""
        return {peer: s.as_dict() for peer, s in self._stats.items()}

    def listener_stats(self) -> dict[str, Any]:
        """Inbound connections refused before authentication (strangers, garbage, overflow)."""
        return self._listener_stats.as_dict()

    # --- receiving ----------------------------------------------------------------------------

    async def _serve_inbound(self, reader: asyncio.StreamReader,
                             writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        if self._stopping:
            writer.transport.abort()
            return
        if self._listener_stats.handshaking >= self._max_pending:
            self._listener_stats.overflow += 1
            writer.transport.abort()
            return
        self._connections[task] = writer
        try:
            session = await self._authenticate(reader, writer)
            if session is not None:
                await self._receive(session.peer_id, session.opener, reader, writer, task)
        except asyncio.CancelledError:
            # Only stop() cancels these tasks, and it is their last word; Python 3.11's stream
            # server would log a spurious traceback for a cancelled callback task.
            writer.transport.abort()
        finally:
            self._connections.pop(task, None)

    async def _authenticate(self, reader: asyncio.StreamReader,
                            writer: asyncio.StreamWriter) -> handshake.AcceptedSession | None:
        self._listener_stats.handshaking += 1
        try:
            session = await asyncio.wait_for(
                handshake.accept(reader, writer, self._local, self._members),
                self._handshake_timeout,
            )
        except (P2PError, OSError, TimeoutError) as exc:
            if not self._stopping:
                self._listener_stats.refused += 1
                self._log_refusal(writer, exc)
            await close_writer(writer)
            return None
        finally:
            self._listener_stats.handshaking -= 1
        self._listener_stats.accepted += 1
        return session

    def _log_refusal(self, writer: asyncio.StreamWriter, exc: BaseException) -> None:
        peer = writer.get_extra_info("peername")
        host = str(peer[0]) if isinstance(peer, tuple) and peer else "?"
        reason = getattr(exc, "reason", type(exc).__name__)
        now = time.monotonic()
        key = (host, reason)
        # A stranger can retry as fast as it likes; one line per source and reason is enough.
        if now - self._refusals_logged.get(key, -_REFUSAL_LOG_INTERVAL) >= _REFUSAL_LOG_INTERVAL:
            if len(self._refusals_logged) > 1024:
                self._refusals_logged.clear()
            self._refusals_logged[key] = now
            log.warning("p2p: refused inbound connection from %s: %s", host, describe(exc))

    async def _receive(self, peer: str, opener: FrameOpener, reader: asyncio.StreamReader,
                       writer: asyncio.StreamWriter, task: asyncio.Task[None]) -> None:
        stats = self._stats[peer]
        previous = self._inbound.get(peer)
        if previous is not None:
            # The dialler only uses its newest connection; the old one is a leftover.
            old_writer = self._connections.get(previous)
            if old_writer is not None:
                old_writer.transport.abort()
        self._inbound[peer] = task
        stats.inbound_connected = True
        try:
            count = 0
            while True:
                header, body = await read_frame(reader, self._max_wire_frame)
                payload = opener.open(header, body)
                stats.frames_received += 1
                stats.bytes_received += len(payload)
                self._deliver(peer, payload)
                count += 1
                if count % _FAIRNESS_FRAMES == 0:
                    await asyncio.sleep(0)
        except ConnectionClosed:
            pass
        except OSError as exc:
            stats.last_error = f"inbound: {describe(exc)}"
        except P2PError as exc:
            # Garbage, an oversize frame or a failed decryption: this connection is over.
            stats.bad_frames += 1
            stats.last_error = f"inbound: {describe(exc)}"
            log.warning("p2p: closing connection from %s: %s", peer, describe(exc))
        finally:
            if self._inbound.get(peer) is task:
                del self._inbound[peer]
                stats.inbound_connected = False
            writer.transport.abort()

    def _deliver(self, peer: str, payload: bytes) -> None:
        try:
            self._on_message(peer, payload)
        except Exception:
            # A bug in the handler must not cost us the connection (or the peer's next frames).
            log.exception("p2p: on_message handler failed for a message from %s", peer)
