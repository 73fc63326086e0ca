"""What every HTML page shares: language, rendering, forms, limits, freshness and error pages.

Handlers raise ``PageError`` for anything the visitor should read as a page (a 400 for a bad
number, a 403 for a missing CSRF token, a 429, a 503 "try another node"); the middlewares turn
it, and any aiohttp HTTP error or unexpected exception, into a page in the visitor's language.
A traceback never reaches the browser: unexpected errors are logged and answered with a 500 page.
"""

from __future__ import annotations

import asyncio
import errno
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final
from urllib.parse import quote

import aiohttp_jinja2
from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp_session import Session, get_session
from multidict import MultiDictProxy

from certificate.record import KIND_TITLES, MYT
from node.service import NodeService, Unavailable
from portal import api
from portal.accounts import AccountStore
from portal.i18n import DEFAULT_LANG, Lang, has, normal_lang, t, translator
from portal.logouts import LogoutList
from portal.ratelimit import RateLimiter, client_address
from portal.security import CSRF_FIELD, SECURITY_HEADERS, csrf_ok, csrf_token, session_holder

log = logging.getLogger("portal")
LANG_COOKIE: Final = "bahasa"
FORM_LIMIT: Final = 64 * 1024
LANG_MAX_AGE: Final = 365 * 24 * 3600
#: Under this prefix ``?lang=`` picks the certificate PDF's language, not the interface's.
PDF_PREFIX: Final = "/pengguna/sijil/"
_LANG_KEY: Final = web.RequestKey("portal_lang", str)


@dataclass
class Settings:
    login_limit: RateLimiter
    login_ic_limit: RateLimiter
    upload_limit: RateLimiter
    max_upload: int
    trust_xff: bool
    secure_cookies: bool


SETTINGS = web.AppKey("portal_settings", Settings)
ACCOUNTS = web.AppKey("portal_accounts", AccountStore)  # type: ignore[type-abstract]
LOGOUTS = web.AppKey("portal_logouts", LogoutList)


class PageError(Exception):
    """An answer shown as a page: ``title``/``text`` are translation keys, ``params`` fill them."""

    def __init__(self, status: int, title: str, text: str | None = None, *, params: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None, template: str = "error.html",
                 extra: dict[str, Any] | None = None) -> None:
        super().__init__(title)
        self.status, self.title, self.text = status, title, text
        self.params = params or {}
        self.headers = headers or {}
        self.template = template
        self.extra = extra or {}


def service(request: web.Request) -> NodeService:
    return request.app[api.SERVICE]


def lang_of(request: web.Request) -> Lang:
    """``?lang=`` first (and remembered in a cookie), then the cookie, then Malay."""
    cached = request.get(_LANG_KEY)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    chosen = None if request.path.startswith(PDF_PREFIX) else normal_lang(request.query.get("lang"))
    lang = chosen or normal_lang(request.cookies.get(LANG_COOKIE)) or DEFAULT_LANG
    request[_LANG_KEY] = lang
    return lang


def long_date(value: str | date | None, lang: Lang) -> str:
    """``2026-11-12`` -> ``12 November 2026`` / ``12 Disember 2026``: no dd/mm versus mm/dd doubt.

    A stored UTC time (``...T...Z``, e.g. ``issued_at``) is shown as its date in Malaysia.
    """
    if value is None or value == "":
        return t("common.none", lang)
    try:
        if isinstance(value, date):
            d = value
        elif "T" in value:
            d = datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(MYT).date()
        else:
            d = date.fromisoformat(value[:10])
    except ValueError:
        return str(value)
    return f"{d.day} {t(f'month.{d.month}', lang)} {d.year}"


def _now_text(lang: Lang) -> str:
    now = datetime.now(MYT)
    return f"{long_date(now.date(), lang)}, {now:%H:%M} MYT"


async def session_of(request: web.Request) -> Session | None:
    try:
        return await get_session(request)
    except RuntimeError:  # outside the session middleware (should not happen for pages)
        return None


async def holder_of(request: web.Request) -> str | None:
    """The logged-in holder's MyKad number, or None."""
    session = await session_of(request)
    if session is None or "ic" not in session:
        return None
    ic = session.get("ic")
    account = request.app[ACCOUNTS].get(ic) if isinstance(ic, str) else None
    return session_holder(session, account.password_hash if account else None, request.app[LOGOUTS])


async def render(request: web.Request, template: str, ctx: dict[str, Any] | None = None, *, status: int = 200,
                 headers: dict[str, str] | None = None) -> web.Response:
    lang = lang_of(request)
    session = await session_of(request)
    svc = service(request)
    raw_path = request.rel_url.raw_path
    base: dict[str, Any] = {
        "lang": lang, "t": translator(lang), "csrf_field": CSRF_FIELD,
        "csrf": csrf_token(session) if session is not None else "",
        "holder": await holder_of(request),
        "lang_urls": {code: f"{raw_path}?lang={code}" for code in ("ms", "en")},
        "path": request.path, "raw_path": raw_path,
        "date": lambda v: long_date(v, lang),
        "jpps_url": lambda ref: "/jpps/" + quote(str(ref), safe=""),
        "kind_title": lambda kind: f"{KIND_TITLES[kind][0 if lang == 'ms' else 1]} ({kind})" if kind in KIND_TITLES
        else kind,
        "node": {"name": svc.node_name, "id": svc.node_id, "height": svc.engine.state.head.height,
                 "healthy": svc.healthy()},
        "now": _now_text(lang),
    }
    if session is not None and "flash" in session:
        flash = session.pop("flash")
        base["flash"] = flash if isinstance(flash, str) and has(flash) else None
    base.update(ctx or {})
    response = aiohttp_jinja2.render_template(template, request, base, status=status)
    response.headers["Cache-Control"] = "no-store"
    for k, v in (headers or {}).items():
        response.headers[k] = v
    return response


# --- forms ---------------------------------------------------------------------------------

# What aiohttp's body parsers raise for a body that is not what it claims to be. Its multipart
# reader raises HttpProcessingError subclasses (BadHttpMessage, LineTooLong, InvalidHeader) for
# a malformed part header or an endless line; those are the sender's fault, so a 400.
MALFORMED_BODY: tuple[type[Exception], ...] = (ValueError, UnicodeDecodeError, AssertionError, HttpProcessingError)
MALFORMED_FORM: tuple[type[Exception], ...] = (*MALFORMED_BODY, web.HTTPException)


async def read_form(request: web.Request) -> MultiDictProxy[Any]:
    """A small url-encoded form; anything else (or anything big) is refused before parsing."""
    if request.content_type not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        raise PageError(400, "error.400", "form.bad")
    if request.content_length is None:
        raise PageError(411, "error.411", "form.bad")
    if request.content_length > FORM_LIMIT:
        raise PageError(413, "error.413", "form.too_large")
    try:
        return await request.post()
    except MALFORMED_FORM:
        raise PageError(400, "error.400", "form.bad") from None


def field(form: MultiDictProxy[Any], name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


async def require_csrf(request: web.Request, submitted: Any) -> None:
    session = await session_of(request)
    if session is None or not csrf_ok(session, submitted):
        raise PageError(403, "error.403", "form.csrf")


def limit(request: web.Request, limiter: RateLimiter, key: str | None = None) -> None:
    """Spend one token of ``limiter`` for this client (or ``key``), or answer 429 in the page's language."""
    who = key if key is not None else client_address(request, request.app[SETTINGS].trust_xff)
    if limiter.allow(who):
        return
    service(request).metrics.inc("http_rate_limited_total")
    wait = limiter.retry_after()
    raise PageError(429, "error.429", "error.429_text", params={"seconds": wait},
                    headers={"Retry-After": str(wait)})


def unavailable(request: web.Request, exc: Unavailable) -> PageError:
    svc = service(request)
    nodes = [{"name": m.name, "url": m.http_url} for m in svc.genesis.members
             if m.node_id != svc.node_id and m.http_url]
    return PageError(503, "error.503", "error.503_text", template="unavailable.html", extra={"nodes": nodes},
                     headers={"Retry-After": str(exc.retry_after)})


async def fresh(request: web.Request) -> None:
    """Reads after this are linearizable, or the visitor is sent to another node."""
    try:
        await service(request).fresh()
    except Unavailable as exc:
        raise unavailable(request, exc) from None


# --- errors and headers --------------------------------------------------------------------

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def error_page(request: web.Request, exc: PageError) -> web.Response:
    ctx = {"title": exc.title, "text": exc.text, "params": exc.params, "status": exc.status, **exc.extra}
    try:
        return await render(request, exc.template, ctx, status=exc.status, headers=exc.headers)
    except Exception:
        log.exception("cannot render the %d page for %s", exc.status, request.path[:200])
        return web.Response(status=exc.status, text=t(exc.title, lang_of(request)), headers=exc.headers)


@web.middleware
async def page_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Inside the session middleware, so an error page's session changes are saved too."""
    try:
        return await handler(request)
    except PageError as exc:
        return await error_page(request, exc)


@web.middleware
async def html_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Outermost: every failure outside /api becomes a page, never a traceback."""
    if request.path.startswith("/api/"):
        return await handler(request)
    try:
        return await handler(request)
    except PageError as exc:
        return await error_page(request, exc)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        title = f"error.{exc.status}" if has(f"error.{exc.status}") else "error.title"
        text = f"error.{exc.status}_text" if has(f"error.{exc.status}_text") else None
        if exc.status == 413:
            text = "form.too_large"
        keep = {k: v for k, v in exc.headers.items() if k in ("Allow", "Retry-After")}
        return await error_page(request, PageError(exc.status, title, text, headers=keep))
    except asyncio.CancelledError:
        raise
    except OSError as exc:
        if request.path.startswith("/static/") and exc.errno in (errno.ENAMETOOLONG, errno.ENOENT, errno.EINVAL):
            # aiohttp's static handler lets the file system's refusal of a hostile name escape
            return await error_page(request, PageError(404, "error.404", "error.404_text"))
        log.exception("unexpected error serving %s", request.path[:200])
        return await error_page(request, PageError(500, "error.500", "error.500_text"))
    except Exception:
        log.exception("unexpected error serving %s", request.path[:200])
        return await error_page(request, PageError(500, "error.500", "error.500_text"))


async def on_prepare(request: web.Request, response: web.StreamResponse) -> None:
    """Security headers on every response; a ``?lang=`` choice remembered for the next visit."""
    for k, v in SECURITY_HEADERS.items():
        response.headers.setdefault(k, v)
    if request.path.startswith("/api/"):
        return  # JSON: no page, no language to remember
    chosen = normal_lang(request.query.get("lang"))
    is_page = response.content_type == "text/html" and not request.path.startswith(PDF_PREFIX)
    if chosen and is_page and request.cookies.get(LANG_COOKIE) != chosen:
        # Added as a header: aiohttp has already serialised response.cookies when this hook runs.
        secure = "; Secure" if request.app[SETTINGS].secure_cookies else ""
        response.headers.add("Set-Cookie", f"{LANG_COOKIE}={chosen}; Max-Age={LANG_MAX_AGE}; Path=/; HttpOnly; "
                             f"SameSite=Lax{secure}")
