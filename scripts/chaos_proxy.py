"""A fault-injecting TCP proxy for the p2p links of a local cluster (used by ``scripts/chaos.py``).

Design
------
The genesis file is identical on every node and names one p2p address per member: the address
every *other* member dials. The chaos harness rewrites those addresses to proxy ports
(``B+501..504``) while each node keeps listening on its own ``p2p_listen`` from node.toml
(``B+1001..1004``). So every p2p connection in the cluster passes through this proxy, and one
listener per destination member receives the connections of all its diallers.

To control each *directed* link separately the proxy must know who dialled. It reads the first
frame of every connection: the p2p handshake's ``hello`` (4-byte length, canonical msgpack map)
names the dialler in its ``from`` field. The proxy never needs keys: it forwards the hello
unchanged, and a proxy that lied about ``from`` would only misroute its own fault policy (the
node authenticates the dialler by signature anyway).

This matches the transport's connection policy (``node/p2p/network.py``): a node sends only on
connections it dialled and receives only on connections it accepted. So the connection X dials
to Y carries exactly the messages X sends to Y (plus Y's handshake replies), and a fault applied
to the connections of link X->Y affects X->Y messages and nothing else. That gives true
one-way links at the message level: X->Y cut while Y->X works.

Faults per directed link:

* ``cut(src, dst, "reset")``: existing connections are aborted (RST) and new ones are closed as
  soon as their hello is read: the dialler sees refused/reset connections and backs off.
* ``cut(src, dst, "blackhole")``: nothing moves any more, in either direction of the link's
  connections; bytes already read are held; new connections are accepted and held. Like a real
  partition the sender's socket buffers fill and its writes stall (its own timeouts fire). On
  heal, held bytes are delivered late, in order, as TCP retransmission would.
* ``set_delay(src, dst, seconds, jitter)``: every chunk is delivered ``delay + U(0, jitter)``
  later, order preserved.
* ``drop(src, dst)``: abort the link's current connections once (a flaky link: call it again).
* ``tamper(src, dst, count, how)``: a man in the middle without keys: the next ``count``
  session frames (after the handshake's hello and finish) that src sends to dst are altered:
  ``flip`` one bit of the frame body, ``duplicate`` the frame or ``drop`` it.

The proxy runs on its own event loop in its own thread (``ProxyThread``), so a busy harness
(parsing blocks, signing transactions) never stalls the cluster's network.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import random
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import msgpack

HOST = "127.0.0.1"
HELLO_MAX = 2048  # node.p2p.handshake.HANDSHAKE_MAX_FRAME
HELLO_TIMEOUT = 5.0
CHUNK = 64 * 1024
MAX_QUEUED = 8 << 20  # bytes held per connection direction before the proxy stops reading
UNKNOWN = "?"

T = TypeVar("T")


@dataclass
class LinkPolicy:
    cut: str | None = None  # None, "reset" or "blackhole"
    delay: float = 0.0
    jitter: float = 0.0
    healed: asyncio.Event = field(default_factory=asyncio.Event)
    tamper_left: int = 0
    tamper_how: str = "flip"

    def __post_init__(self) -> None:
        self.healed.set()


@dataclass
class LinkStats:
    connections: int = 0
    refused: int = 0
    dropped: int = 0
    bytes: int = 0
    tampered: int = 0


class FrameCutter:
    """Follows the frames (4-byte length, body) of the dialler's byte stream so that a tamper hits
    a whole session frame; frames 0 and 1 are the handshake's hello and finish. Bytes pass through
    as they arrive; only a frame chosen for tampering is held until it is complete."""

    def __init__(self, pol: LinkPolicy, st: LinkStats, rng: random.Random) -> None:
        self.pol, self.st, self.rng = pol, st, rng
        self.header = bytearray()  # the current frame's header, while incomplete
        self.left = 0  # body bytes of the current frame still to come
        self.held: bytearray | None = None  # the whole frame, when it is to be tampered with
        self.index = 0

    def feed(self, data: bytes) -> bytes:
        out = bytearray()
        view = memoryview(data)
        while view:
            if self.left == 0 and self.held is None:
                take = min(4 - len(self.header), len(view))
                self.header += view[:take]
                view = view[take:]
                if len(self.header) < 4:
                    break
                self.left = int.from_bytes(self.header, "big")
                if self.index >= 2 and self.pol.tamper_left > 0 and self.left > 0:
                    self.pol.tamper_left -= 1
                    self.held = bytearray(self.header)
                else:
                    out += self.header
                self.header = bytearray()
                if self.left == 0:
                    self._end(out)
                continue
            take = min(self.left, len(view))
            if self.held is not None:
                self.held += view[:take]
            else:
                out += view[:take]
            view = view[take:]
            self.left -= take
            if self.left == 0:
                self._end(out)
        return bytes(out)

    def _end(self, out: bytearray) -> None:
        if self.held is not None:
            out += self._tampered(bytes(self.held))
            self.held = None
        self.index += 1

    def _tampered(self, frame: bytes) -> bytes:
        self.st.tampered += 1
        if self.pol.tamper_how == "duplicate":
            return frame + frame
        if self.pol.tamper_how == "drop":
            return b""
        b = bytearray(frame)
        b[self.rng.randrange(4, len(b))] ^= 1 << self.rng.randrange(8)
        return bytes(b)


class _Conn:
    def __init__(self, src: str, dst: str, client: asyncio.StreamWriter) -> None:
        self.src, self.dst = src, dst
        self.writers: list[asyncio.StreamWriter] = [client]
        self.tasks: list[asyncio.Task[None]] = []

    def abort(self) -> None:
        for w in self.writers:
            with contextlib.suppress(Exception):
                w.transport.abort()
        for t in self.tasks:
            t.cancel()


def parse_hello_sender(body: bytes) -> str:
    """The ``from`` of a p2p hello, or ``UNKNOWN`` for anything else (never raises)."""
    try:
        msg = msgpack.unpackb(body, raw=False)
    except Exception:
        return UNKNOWN
    if isinstance(msg, dict) and msg.get("t") == "hello" and isinstance(msg.get("from"), str):
        return str(msg["from"])[:128]
    return UNKNOWN


class ChaosProxy:
    """Listeners ``{dst: (proxy_port, node_port)}``; all methods run on the proxy's loop."""

    def __init__(self, routes: dict[str, tuple[int, int]], *, seed: int = 0) -> None:
        self.routes = dict(routes)
        self.nodes = sorted(routes)
        self.policy: dict[tuple[str, str], LinkPolicy] = {}
        self.stats: dict[tuple[str, str], LinkStats] = defaultdict(LinkStats)
        self.conns: dict[tuple[str, str], set[_Conn]] = defaultdict(set)
        self._servers: list[asyncio.Server] = []
        self._rng = random.Random(seed)
        self._handlers: set[asyncio.Task[Any]] = set()
        self.ports: dict[str, int] = {}  # where each listener really is (port 0 picks one)

    def _link(self, src: str, dst: str) -> LinkPolicy:
        key = (src, dst)
        if key not in self.policy:
            self.policy[key] = LinkPolicy()
        return self.policy[key]

    # --- lifecycle -----------------------------------------------------------------------------
    async def start(self) -> None:
        for dst, (port, _) in self.routes.items():
            server = await asyncio.start_server(
                lambda r, w, dst=dst: self._accept(dst, r, w), HOST, port, reuse_address=True)
            self._servers.append(server)
            self.ports[dst] = int(server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        for s in self._servers:
            s.close()
        for conns in self.conns.values():
            for c in list(conns):
                c.abort()
        for pol in self.policy.values():
            pol.healed.set()
        for s in self._servers:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(s.wait_closed(), 2)
        for t in list(self._handlers):
            t.cancel()

    # --- faults ------------------------------------------------------------------------------
    def cut(self, src: str, dst: str, mode: str = "reset") -> None:
        if mode not in ("reset", "blackhole"):
            raise ValueError(f"unknown cut mode {mode!r}")
        pol = self._link(src, dst)
        pol.cut = mode
        pol.healed.clear()
        if mode == "reset":
            self.drop(src, dst)

    def tamper(self, src: str, dst: str, count: int, how: str = "flip") -> None:
        if how not in ("flip", "duplicate", "drop"):
            raise ValueError(f"unknown tamper {how!r}")
        pol = self._link(src, dst)
        pol.tamper_left, pol.tamper_how = count, how

    def heal(self, src: str, dst: str) -> None:
        pol = self._link(src, dst)
        pol.cut = None
        pol.healed.set()

    def set_delay(self, src: str, dst: str, delay: float, jitter: float = 0.0) -> None:
        pol = self._link(src, dst)
        pol.delay, pol.jitter = max(0.0, delay), max(0.0, jitter)

    def drop(self, src: str, dst: str) -> int:
        conns = list(self.conns.get((src, dst), ()))
        for c in conns:
            c.abort()
        self.stats[(src, dst)].dropped += len(conns)
        return len(conns)

    def heal_cuts(self) -> None:
        """Heal every cut (delays and tampering stay)."""
        for (src, dst), pol in self.policy.items():
            if pol.cut is not None:
                self.heal(src, dst)

    def heal_all(self) -> None:
        """Heal every cut, remove every delay, cancel pending tampering."""
        for pol in self.policy.values():
            pol.delay = pol.jitter = 0.0
            pol.tamper_left = 0
        self.heal_cuts()

    def partition(self, groups: Iterable[Iterable[str]], mode: str = "reset") -> None:
        """Cut every link between different groups, both ways."""
        where = {n: i for i, g in enumerate(groups) for n in g}
        for a in self.nodes:
            for b in self.nodes:
                if a != b and where.get(a, -1) != where.get(b, -2):
                    self.cut(a, b, mode)

    def describe(self) -> dict[str, Any]:
        return {f"{s}->{d}": {"cut": p.cut, "delay": p.delay} for (s, d), p in self.policy.items()
                if p.cut or p.delay}

    def link_stats(self) -> dict[str, dict[str, int]]:
        return {f"{s}->{d}": vars(st).copy() for (s, d), st in sorted(self.stats.items())}

    # --- forwarding ----------------------------------------------------------------------------
    async def _accept(self, dst: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._handlers.add(task)
        try:
            await self._serve(dst, reader, writer)
        except asyncio.CancelledError:
            writer.transport.abort()
        finally:
            if task is not None:
                self._handlers.discard(task)

    async def _serve(self, dst: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            header = await asyncio.wait_for(reader.readexactly(4), HELLO_TIMEOUT)
            length = int.from_bytes(header, "big")
            body = b""
            if length <= HELLO_MAX:
                body = await asyncio.wait_for(reader.readexactly(length), HELLO_TIMEOUT)
        except (OSError, TimeoutError, asyncio.IncompleteReadError):
            writer.transport.abort()
            return
        first = header + body
        src = parse_hello_sender(body) if length <= HELLO_MAX else UNKNOWN
        key = (src, dst)
        pol = self._link(src, dst)
        st = self.stats[key]
        st.connections += 1
        if pol.cut == "reset":
            st.refused += 1
            writer.transport.abort()
            return
        conn = _Conn(src, dst, writer)
        self.conns[key].add(conn)
        try:
            await pol.healed.wait()  # a blackholed link holds new connections until it heals
            if pol.cut == "reset":  # cut again (reset) while we waited
                st.refused += 1
                return
            try:
                up_reader, up_writer = await asyncio.wait_for(
                    asyncio.open_connection(HOST, self.routes[dst][1]), 5.0)
            except (OSError, TimeoutError):
                return  # the node is down: the dialler sees its connection closed
            conn.writers.append(up_writer)
            loop = asyncio.get_running_loop()
            conn.tasks = [
                loop.create_task(self._pipe(pol, st, reader, up_writer, first, FrameCutter(pol, st, self._rng))),
                loop.create_task(self._pipe(pol, st, up_reader, writer, b"", None)),
            ]
            await asyncio.wait(conn.tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self.conns[key].discard(conn)
            conn.abort()

    async def _pipe(self, pol: LinkPolicy, st: LinkStats, reader: asyncio.StreamReader,
                    writer: asyncio.StreamWriter, first: bytes, cutter: FrameCutter | None) -> None:
        """Copy one direction, honouring delay and blackhole; order is always preserved."""
        queue: asyncio.Queue[tuple[float, bytes] | None] = asyncio.Queue()
        queued = [0]
        room = asyncio.Event()
        room.set()
        loop = asyncio.get_running_loop()

        async def feed() -> None:
            last = 0.0
            data = cutter.feed(first) if cutter is not None else first
            while True:
                if data:
                    due = loop.time() + pol.delay + (self._rng.random() * pol.jitter if pol.jitter else 0.0)
                    last = max(last, due)
                    queue.put_nowait((last, data))
                    queued[0] += len(data)
                    if queued[0] > MAX_QUEUED:
                        room.clear()
                        await room.wait()
                await pol.healed.wait()  # blackhole: stop reading; the sender's buffers fill
                data = await reader.read(CHUNK)
                if not data:
                    queue.put_nowait(None)
                    return
                if cutter is not None:
                    data = cutter.feed(data)

        async def drain() -> None:
            while True:
                item = await queue.get()
                if item is None:
                    with contextlib.suppress(OSError):
                        writer.write_eof()
                    return
                due, data = item
                wait = due - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                await pol.healed.wait()  # blackhole: hold what was read
                writer.write(data)
                await writer.drain()
                st.bytes += len(data)
                queued[0] -= len(data)
                if queued[0] <= MAX_QUEUED // 2:
                    room.set()

        tasks = [loop.create_task(feed()), loop.create_task(drain())]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
            for t in done:
                if t.exception() is not None:
                    return
            await asyncio.gather(*tasks)
        except (OSError, asyncio.IncompleteReadError):
            return
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


class ProxyThread:
    """A ``ChaosProxy`` on its own loop and thread; every method is safe to call from elsewhere."""

    def __init__(self, routes: dict[str, tuple[int, int]], *, seed: int = 0) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="chaos-proxy", daemon=True)
        self.proxy: ChaosProxy | None = None
        self._routes, self._seed = routes, seed

    def start(self) -> None:
        self._thread.start()

        async def make() -> ChaosProxy:
            p = ChaosProxy(self._routes, seed=self._seed)
            await p.start()
            return p

        self.proxy = asyncio.run_coroutine_threadsafe(make(), self._loop).result(10)

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        fut: concurrent.futures.Future[T] = concurrent.futures.Future()

        def run() -> None:
            try:
                fut.set_result(fn(*args))
            except BaseException as exc:  # pragma: no cover - handed back to the caller
                fut.set_exception(exc)

        self._loop.call_soon_threadsafe(run)
        return fut.result(10)

    def cut(self, src: str, dst: str, mode: str = "reset") -> None:
        assert self.proxy is not None
        self.call(self.proxy.cut, src, dst, mode)

    def heal(self, src: str, dst: str) -> None:
        assert self.proxy is not None
        self.call(self.proxy.heal, src, dst)

    def tamper(self, src: str, dst: str, count: int, how: str = "flip") -> None:
        assert self.proxy is not None
        self.call(self.proxy.tamper, src, dst, count, how)

    def partition(self, groups: list[list[str]], mode: str = "reset") -> None:
        assert self.proxy is not None
        self.call(self.proxy.partition, groups, mode)

    def set_delay(self, src: str, dst: str, delay: float, jitter: float = 0.0) -> None:
        assert self.proxy is not None
        self.call(self.proxy.set_delay, src, dst, delay, jitter)

    def drop(self, src: str, dst: str) -> int:
        assert self.proxy is not None
        return self.call(self.proxy.drop, src, dst)

    def heal_all(self) -> None:
        assert self.proxy is not None
        self.call(self.proxy.heal_all)

    def heal_cuts(self) -> None:
        assert self.proxy is not None
        self.call(self.proxy.heal_cuts)

    def describe(self) -> dict[str, Any]:
        assert self.proxy is not None
        return self.call(self.proxy.describe)

    def link_stats(self) -> dict[str, dict[str, int]]:
        assert self.proxy is not None
        return self.call(self.proxy.link_stats)

    def stop(self) -> None:
        if self.proxy is not None:
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(self.proxy.stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        deadline = time.monotonic() + 2
        while self._loop.is_running() and time.monotonic() < deadline:  # pragma: no cover
            time.sleep(0.01)
        if not self._loop.is_running():
            self._loop.close()
