"""The aiohttp application every node serves: JSON API plus the public portal pages."""

from __future__ import annotations

from aiohttp import web

from node.config import NodeConfig
from node.service import NodeService
from portal import api
from portal.errors import api_errors
from portal.ratelimit import RateLimiter

MAX_BODY = 16 << 20


def make_app(service: NodeService, cfg: NodeConfig) -> web.Application:
    app = web.Application(middlewares=[api_errors], client_max_size=max(MAX_BODY, cfg.portal.max_upload_bytes))
    app[api.SERVICE] = service
    app[api.LOOKUP_LIMIT] = RateLimiter(cfg.portal.lookup_rate_per_minute, cfg.portal.rate_limit_exempt)
    app[api.TRUST_XFF] = cfg.portal.trust_forwarded_for
    api.add_routes(app)
    return app
