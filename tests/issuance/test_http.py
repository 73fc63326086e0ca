"""The CLI's node client: fail-over, back-off, Retry-After, chain check, clear failures.

Real sockets and a real HTTP server in a thread, scripted per test; only the sleeps are
recorded instead of slept.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from certificate.cli import CliError
from certificate.cli.http import NodeClient, NodeUnavailable, check_node_url, post_txs


class Node:
    """A scripted node: ``answers`` is consumed per request, then ``default`` forever."""

    def __init__(self, chain: str = "c1") -> None:
        self.chain = chain
        self.answers: list[tuple[int, Any, dict[str, str]]] = []
        self.default: tuple[int, Any, dict[str, str]] = (200, {"ok": True}, {})
        self.requests: list[tuple[str, str, Any]] = []
        node = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                node.requests.append((method, self.path, body))
                if self.path == "/api/v1/chain":
                    status, data, headers = 200, {"chain_id": node.chain, "admin_threshold": 2}, {}
                else:
                    status, data, headers = node.answers.pop(0) if node.answers else node.default
                raw = data if isinstance(data, bytes) else json.dumps(data).encode()
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_GET(self) -> None:
                self._answer("GET")

            def do_POST(self) -> None:
                self._answer("POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def nodes() -> Iterator[list[Node]]:
    made = [Node(), Node()]
    yield made
    for n in made:
        n.close()


def dead_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, s: float) -> None:
        self.sleeps.append(s)
        self.now += s

    def __call__(self) -> float:
        return self.now


def client(urls: list[str], clock: Clock, notes: list[str] | None = None, **kw: Any) -> NodeClient:
    return NodeClient(urls, sleep=clock.sleep, clock=clock, timeout=2.0,
                      notify=(notes.append if notes is not None else None), **kw)


def test_answers_pass_through_including_errors(nodes: list[Node]) -> None:
    nodes[0].answers = [(404, {"error": {"code": "cert.not_found", "message": "no such"}}, {})]
    c = client([nodes[0].url], Clock())
    res = c.get("/api/v1/certificates/X")
    assert (res.status, res.error_code(), res.error_message()) == (404, "cert.not_found", "no such")
    assert c.get("/x").data == {"ok": True}


def test_fails_over_from_a_dead_node_and_sticks(nodes: list[Node]) -> None:
    clock, notes = Clock(), []
    c = client([dead_url(), nodes[1].url], clock, notes)
    assert c.get("/a").status == 200
    assert c.get("/b").status == 200
    assert [r[1] for r in nodes[1].requests] == ["/a", "/b"]
    assert clock.sleeps == [] and "connection refused" in notes[0]


def test_503_moves_on_and_backs_off_with_retry_after(nodes: list[Node]) -> None:
    busy = (503, {"error": {"code": "node.no_leader", "message": "no leader"}}, {"Retry-After": "3"})
    nodes[0].answers = [busy, busy]
    nodes[1].answers = [busy]
    clock = Clock()
    c = client([n.url for n in nodes], clock)
    assert c.post("/api/v1/txs", {"txs": []}).status == 200
    assert len(clock.sleeps) == 1 and 2.4 <= clock.sleeps[0] <= 3.6
    assert nodes[1].requests[-1][1] == "/api/v1/txs"


def test_gives_up_with_every_node_named() -> None:
    clock = Clock()
    urls = [dead_url(), dead_url()]
    c = client(urls, clock, give_up_after=10)
    with pytest.raises(NodeUnavailable) as exc:
        c.get("/api/v1/status")
    assert exc.value.code == 1
    msg = str(exc.value)
    assert "no node answered in 10 s" in msg and all(f"{u}: connection refused" in msg for u in urls)
    assert 0 < sum(clock.sleeps) <= 10.5


def test_refuses_a_node_of_another_chain(nodes: list[Node]) -> None:
    nodes[1].chain = "c2"
    nodes[0].answers = [(503, {}, {})] * 3
    notes: list[str] = []
    c = client([n.url for n in nodes], Clock(), notes, give_up_after=5)
    c._chain_id = "c1"
    c._checked.add(nodes[0].url)
    res = c.get("/x")  # node 2 is skipped for good, node 1 answers once it is ready
    assert res.url == nodes[0].url and res.status == 200
    assert any("serves chain 'c2'" in n for n in notes)
    assert all(r[1] == "/api/v1/chain" for r in nodes[1].requests)


def test_non_json_answer_is_a_node_failure(nodes: list[Node]) -> None:
    nodes[0].default = (200, b"<html>proxy login</html>", {})
    c = client([nodes[0].url, nodes[1].url], Clock())
    assert c.get("/x").url == nodes[1].url


def test_post_txs_shapes(nodes: list[Node]) -> None:
    nodes[0].answers = [(200, {"results": [{"status": 201, "tx_id": "ab", "height": 3}]}, {}),
                        (400, {"error": {"code": "tx.batch_size", "message": "too many"}}, {})]
    c = client([nodes[0].url], Clock())
    assert post_txs(c, [b"\x01"]) == [{"status": 201, "tx_id": "ab", "height": 3}]
    assert nodes[0].requests[0][2] == {"txs": ["AQ=="]}
    with pytest.raises(CliError, match="refused the submission: too many"):
        post_txs(c, [b"\x01"])


@pytest.mark.parametrize("url", ["127.0.0.1:8101", "ftp://x", "http://", "http://x/?a=1"])
def test_bad_node_urls(url: str) -> None:
    with pytest.raises(CliError, match="not a node URL"):
        check_node_url(url)
    assert check_node_url(" http://127.0.0.1:8101/ ") == "http://127.0.0.1:8101"
