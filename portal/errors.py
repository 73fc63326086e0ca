"""JSON error answers for the API: ``{"error": {"code": ..., "message": ...}}``, never a trace."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from node.storage.db import CorruptionError, StorageError

log = logging.getLogger("portal")


def json_error(status: int, code: str, message: str, *, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status, headers=headers)


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.retry_after = status, code, message, retry_after

    def response(self) -> web.Response:
        headers = {"Retry-After": str(self.retry_after)} if self.retry_after else None
        return json_error(self.status, self.code, self.message, headers=headers)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
#: Paths outside /api/ that machines call, so they answer errors in JSON too.
JSON_PATHS = frozenset({"/metrics", "/healthz"})


_SERVICE_KEY: list[Any] = []  # portal.api.SERVICE, fetched once (portal.api imports this module)


def _count(request: web.Request) -> None:
    if not _SERVICE_KEY:
        from portal.api import SERVICE
        _SERVICE_KEY.append(SERVICE)
    svc = request.app.get(_SERVICE_KEY[0])
    if svc is not None:
        svc.metrics.inc("http_requests_total")


@web.middleware
async def api_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every failure under /api, /metrics and /healthz becomes a JSON error with a 4xx/5xx."""
    _count(request)
    if not (request.path.startswith("/api/") or request.path in JSON_PATHS):
        return await handler(request)
    try:
        return await handler(request)
    except ApiError as exc:
        return exc.response()
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(exc.status, "http_error")
        message = exc.reason if exc.status != 404 else f"no such path: {request.path[:200]}"
        return json_error(exc.status, code, message, headers={k: v for k, v in exc.headers.items()
                                                               if k in ("Allow", "Retry-After")})
    except json.JSONDecodeError:
        return json_error(400, "bad_json", "request body is not valid JSON")
    except CorruptionError:
        # The store has already told the node, which is stopping; say so, never serve it.
        return json_error(503, "node.storage_corrupt",
                          "this node found damaged data and is stopping; ask another node")
    except StorageError:
        log.exception("storage failure serving %s", request.path[:200])
        return json_error(503, "node.storage", "this node cannot read its data; ask another node")
    except Exception:
        log.exception("unexpected error serving %s", request.path[:200])
        return json_error(500, "internal", "internal error; the operator has been told in the log")
