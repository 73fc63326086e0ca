"""The aiohttp application every node serves: JSON API plus the public and candidate pages.

Requests under ``/api/`` pass only ``api_errors`` (JSON errors): API calls use no session and
render no page, and the holders look-up is the busiest route of a node. Every other request
passes the page middlewares, outermost first: ``html_errors`` (any failure outside /api becomes
a page in the visitor's language), ``api_errors`` (JSON errors for /metrics and /healthz), the
session middleware, and ``page_errors`` (a ``PageError`` rendered inside the session, so its
cookie changes are kept). Security headers (``on_prepare``) go on every response.

The split is one middleware on the path rather than an ``/api/v1`` sub-application: aiohttp runs
a parent's middlewares on its sub-applications' requests anyway, and a sub-application mounted
at /api/v1 would answer 404 instead of 405 for a wrong method on routes that other modules add
under /api/v1 to the root app (``POST /api/v1/verify-pdf``).
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web
from aiohttp.typedefs import Middleware
from aiohttp_session import session_middleware

from node.config import NodeConfig
from node.daemon import StartupError
from node.service import NodeService
from portal import api, candidate, pdfcheck, public
from portal.accounts import ChainAccountStore
from portal.errors import Handler, api_errors
from portal.logouts import LogoutList
from portal.pages import ACCOUNTS, LOGOUTS, SETTINGS, Settings, html_errors, on_prepare, page_errors
from portal.ratelimit import RateLimiter
from portal.security import SessionSecretError, session_key, session_storage

MAX_BODY = 16 << 20
HERE = Path(__file__).resolve().parent


def make_app(service: NodeService, cfg: NodeConfig) -> web.Application:
    opts = cfg.portal
    try:
        key = session_key(opts.session_secret_file, service.engine.key)
    except SessionSecretError as exc:
        raise StartupError(str(exc)) from None
    storage = session_storage(key, service.node_id, service.public_base_url)
    page_middlewares = (html_errors, api_errors, session_middleware(storage), page_errors)
    app = web.Application(middlewares=[_sections(page_middlewares)],
                          client_max_size=max(MAX_BODY, opts.max_upload_bytes))
    app[api.SERVICE] = service
    app[api.LOOKUP_LIMIT] = RateLimiter(opts.lookup_rate_per_minute, opts.rate_limit_exempt)
    app[api.TRUST_XFF] = opts.trust_forwarded_for
    app[SETTINGS] = Settings(
        login_limit=RateLimiter(opts.login_rate_per_minute, opts.rate_limit_exempt),
        login_ic_limit=RateLimiter(opts.login_rate_per_minute),
        upload_limit=RateLimiter(opts.lookup_rate_per_minute, opts.rate_limit_exempt),
        max_upload=opts.max_upload_bytes, trust_xff=opts.trust_forwarded_for,
        secure_cookies=service.public_base_url.startswith("https://"),
    )
    app[ACCOUNTS] = ChainAccountStore(service)
    app[LOGOUTS] = LogoutList(cfg.data_dir / "portal-logouts.jsonl")
    aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                         trim_blocks=True, lstrip_blocks=True)
    app.on_response_prepare.append(on_prepare)
    app.router.add_static("/static/", HERE / "static", name="static")
    api.add_routes(app)
    pdfcheck.add_routes(app)
    public.add_routes(app)
    candidate.add_routes(app)
    return app


def _sections(page_middlewares: tuple[Middleware, ...]) -> Middleware:
    """The app's only middleware: ``api_errors`` alone under /api/, else ``page_middlewares``."""

    @web.middleware
    async def sections(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith("/api/"):
            return await api_errors(request, handler)
        for m in reversed(page_middlewares):
            handler = partial(m, handler=handler)
        return await handler(request)

    return sections
