"""The aiohttp application every node serves: JSON API plus the public and candidate pages.

Middlewares, outermost first: ``html_errors`` (any failure outside /api becomes a page in the
visitor's language), ``api_errors`` (JSON errors under /api), the session middleware, and
``page_errors`` (a ``PageError`` rendered inside the session, so its cookie changes are kept).
"""

from __future__ import annotations

from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web
from aiohttp_session import session_middleware

from node.config import NodeConfig
from node.daemon import StartupError
from node.service import NodeService
from portal import api, candidate, pdfcheck, public
from portal.accounts import ChainAccountStore
from portal.errors import api_errors
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
    app = web.Application(middlewares=[html_errors, api_errors, session_middleware(storage), page_errors],
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
