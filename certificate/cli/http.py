"""A small JSON-over-HTTP client for the node API, built for unreliable clusters.

Every node of the chain serves the same API and followers forward to the leader, so when one
node is down, restarting or answers 503 (no leader right now) the right move is to try the next
``--node`` and, once every node has failed in a row, wait a little and go round again.  Only
answers that mean "ask again later" are retried that way; an answer from the chain (201, 400,
404, 409, ...) is returned to the caller as it is, because the caller knows what it means.

Retrying a POST is safe for this API only because transactions are idempotent: resubmitting the
same signed bytes has one effect whichever node gets them and however often.
"""

from __future__ import annotations

import base64
import http.client
import json
import random
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from certificate.cli import CliError

#: Statuses that say "not now" rather than "no": the next node, or a later try, may do.
RETRY_STATUSES = frozenset({502, 503, 504})
MAX_RESPONSE = 64 << 20
USER_AGENT = "spkm-ecert-cli/1"


class NodeUnavailable(CliError):
    """No node gave a usable answer before the deadline (exit 1: nothing wrong with the input)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, 1)


@dataclass(frozen=True)
class Response:
    status: int
    data: Any
    url: str

    def error_code(self) -> str:
        err = self.data.get("error") if isinstance(self.data, dict) else None
        return str(err.get("code", "")) if isinstance(err, dict) else ""

    def error_message(self) -> str:
        err = self.data.get("error") if isinstance(self.data, dict) else None
        if isinstance(err, dict) and isinstance(err.get("message"), str):
            return str(err["message"])
        return f"HTTP {self.status}"


def check_node_url(text: str) -> str:
    url = text.strip().rstrip("/")
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise CliError(f"--node {text!r} is not a node URL like http://127.0.0.1:8101")
    return url


class NodeClient:
    """Talks to the first node that answers; sticks to it until it stops answering.

    ``give_up_after`` bounds the whole of one request's retrying, so a dead cluster ends the
    command with one clear line instead of a hang.  ``notify`` gets a short line whenever the
    client moves to another node, for the user to see why the progress paused.
    """

    def __init__(
        self,
        urls: Sequence[str],
        *,
        timeout: float = 30.0,
        give_up_after: float = 60.0,
        notify: Callable[[str], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not urls:
            raise CliError("give at least one --node URL")
        self.urls = list(dict.fromkeys(check_node_url(u) for u in urls))
        self.timeout = timeout
        self.give_up_after = give_up_after
        self.notify = notify or (lambda _msg: None)
        self._sleep = sleep
        self._clock = clock
        self._current = 0
        self._chain_id: str | None = None
        self._checked: set[str] = set()
        self._wrong_chain: dict[str, str] = {}

    @property
    def current_url(self) -> str:
        return self.urls[self._current]

    # --- public ---------------------------------------------------------------------------
    def get(self, path: str, *, timeout: float | None = None) -> Response:
        return self.request("GET", path, None, timeout=timeout)

    def post(self, path: str, body: Any, *, timeout: float | None = None) -> Response:
        return self.request("POST", path, body, timeout=timeout)

    def chain_id(self) -> str:
        """The chain id of the nodes; every node used afterwards must serve the same chain."""
        if self._chain_id is None:
            res = self.request("GET", "/api/v1/chain", None)
            chain = res.data.get("chain_id") if isinstance(res.data, dict) else None
            if res.status != 200 or not isinstance(chain, str) or not chain:
                raise CliError(f"{res.url} did not say which chain it serves ({res.error_message()})", 1)
            self._chain_id = chain
            self._checked.add(res.url)
        return self._chain_id

    def chain_info(self) -> dict[str, Any]:
        res = self.request("GET", "/api/v1/chain", None)
        if res.status != 200 or not isinstance(res.data, dict):
            raise CliError(f"{res.url}: cannot read the chain description ({res.error_message()})", 1)
        return res.data

    def request(self, method: str, path: str, body: Any, *, timeout: float | None = None) -> Response:
        deadline = self._clock() + self.give_up_after
        failures: dict[str, str] = {}
        delay = 0.25
        tried_in_round = 0
        warned = False
        while True:
            url = self.current_url
            if url in self._wrong_chain:
                failures[url] = self._wrong_chain[url]
                outcome: Response | str = failures[url]
            else:
                outcome = self._attempt(url, method, path, body, timeout or self.timeout)
            if isinstance(outcome, Response):
                if outcome.status not in RETRY_STATUSES:
                    return outcome
                retry_after = _retry_after(outcome)
                failures[url] = f"{outcome.status} {outcome.error_message()}"
            else:
                retry_after = 0.0
                failures[url] = outcome
            tried_in_round += 1
            if len(self.urls) - len(self._wrong_chain) <= 0:
                raise NodeUnavailable("; ".join(f"{u}: {m}" for u, m in failures.items()))
            if self._clock() >= deadline:
                summary = "; ".join(f"{u}: {m}" for u, m in failures.items())
                raise NodeUnavailable(f"no node answered in {self.give_up_after:.0f} s ({summary})")
            self._current = (self._current + 1) % len(self.urls)
            if len(self.urls) > 1 and url not in self._wrong_chain:
                self.notify(f"{url}: {failures[url]}; trying {self.current_url}")
            if tried_in_round >= len(self.urls):
                tried_in_round = 0
                if not warned:
                    warned = True
                    self.notify(f"no node answered; retrying for up to {self.give_up_after:.0f} s (Ctrl-C stops)")
                pause = max(retry_after, delay) * random.uniform(0.8, 1.2)
                self._sleep(min(pause, max(0.0, deadline - self._clock())))
                delay = min(delay * 2, 5.0)

    # --- internals ------------------------------------------------------------------------
    def _attempt(self, url: str, method: str, path: str, body: Any, timeout: float) -> Response | str:
        """A response, or a short description of why there is none."""
        if self._chain_id is not None and url not in self._checked:
            problem = self._check_chain(url)
            if problem is not None:
                return problem
        return self._send(url, method, path, body, timeout)

    def _check_chain(self, url: str) -> str | None:
        res = self._send(url, "GET", "/api/v1/chain", None, self.timeout)
        if isinstance(res, str):
            return res
        chain = res.data.get("chain_id") if isinstance(res.data, dict) else None
        if res.status != 200 or not isinstance(chain, str):
            return f"{res.status} {res.error_message()}"
        if chain != self._chain_id:
            self._wrong_chain[url] = f"serves chain {chain[:40]!r}, not {self._chain_id!r}; not used"
            self.notify(f"{url} {self._wrong_chain[url]}")
            return self._wrong_chain[url]
        self._checked.add(url)
        return None

    def _send(self, url: str, method: str, path: str, body: Any, timeout: float) -> Response | str:
        data = None if body is None else json.dumps(body, separators=(",", ":")).encode()
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        if data is not None:
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(url + path, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                status, raw = resp.status, resp.read(MAX_RESPONSE + 1)
        except urllib.error.HTTPError as exc:
            status = exc.code
            try:
                raw = exc.read(MAX_RESPONSE + 1)
            except (OSError, http.client.HTTPException):
                raw = b""
            headers_in = exc.headers
            parsed = _json(raw)
            res = Response(status, parsed if parsed is not None else {}, url)
            if headers_in is not None and headers_in.get("Retry-After") and isinstance(res.data, dict):
                res.data.setdefault("_retry_after", headers_in.get("Retry-After"))
            if parsed is None and status not in RETRY_STATUSES and status < 500:
                return f"HTTP {status} with a non-JSON answer (is this a node URL?)"
            return res
        except urllib.error.URLError as exc:
            return _describe(exc.reason)
        except TimeoutError:
            return f"no answer within {timeout:.0f} s"
        except (OSError, http.client.HTTPException) as exc:
            return _describe(exc)
        if len(raw) > MAX_RESPONSE:
            return "answer too large"
        parsed = _json(raw)
        if parsed is None:
            return f"HTTP {status} with a non-JSON answer (is this a node URL?)"
        return Response(status, parsed, url)


def post_txs(client: NodeClient, encoded: Sequence[bytes], *, wait: bool = True) -> list[dict[str, Any]]:
    """POST /api/v1/txs; one result dict per transaction, in order.

    A request-level refusal (the node refused the whole body) is raised as CliError: it means
    the client is out of step with the node, and retrying the same body cannot help.
    """
    body = {"txs": [base64.b64encode(raw).decode("ascii") for raw in encoded]}
    res = client.post("/api/v1/txs" + ("" if wait else "?wait=none"), body, timeout=max(client.timeout, 45.0))
    results = res.data.get("results") if isinstance(res.data, dict) else None
    if res.status != 200 or not isinstance(results, list) or len(results) != len(encoded):
        raise CliError(f"{res.url} refused the submission: {res.error_message()}", 1)
    if not all(isinstance(r, dict) and isinstance(r.get("status"), int) for r in results):
        raise CliError(f"{res.url} answered with malformed results", 1)
    return results


def result_error(result: dict[str, Any]) -> tuple[str, str]:
    err = result.get("error")
    if isinstance(err, dict):
        return str(err.get("code", "")), str(err.get("message", ""))[:300]
    return "", f"HTTP {result.get('status')}"


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None


def _retry_after(res: Response) -> float:
    value = res.data.get("_retry_after") if isinstance(res.data, dict) else None
    try:
        return min(float(value), 10.0) if value is not None else 0.0
    except (TypeError, ValueError):
        return 0.0


def _describe(reason: object) -> str:
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, ConnectionResetError | http.client.RemoteDisconnected):
        return "connection closed by the node"
    if isinstance(reason, TimeoutError):
        return "no answer in time"
    if isinstance(reason, socket.gaierror):
        return "unknown host"
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror.lower()
    return str(reason)[:120] or type(reason).__name__
