"""Checking an uploaded certificate PDF: the /semak/pdf page and ``POST /api/v1/verify-pdf``.

The verdict is ``certificate.pdf.verify_pdf``'s: it parses the untrusted file in a child process,
checks the embedded proof against the genesis node keys, re-renders the certificate and compares
bytes. That is seconds of CPU, so it runs in a thread executor, at most ``SLOTS`` at a time, and
uploads are rate-limited per client. The chain look-up it needs runs back on the event loop
(``run_coroutine_threadsafe``): chain state is only ever read from the loop thread.

Uploads are streamed and cut off at ``portal.max_upload_bytes``: a huge file is refused
without being held in memory.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any, Final

from aiohttp import BodyPartReader, web

from certificate.pdf import PdfVerdict, verify_pdf
from node.service import NodeService, Unavailable
from portal.errors import ApiError
from portal.pages import (
    MALFORMED_BODY,
    MALFORMED_FORM,
    SETTINGS,
    PageError,
    fresh,
    lang_of,
    limit,
    render,
    require_csrf,
    service,
)
from portal.ratelimit import client_address
from portal.security import CSRF_FIELD
from portal.views import chain_status

SLOTS: Final = 2
FORM_OVERHEAD: Final = 64 * 1024
_SLOTS_KEY = web.AppKey("pdfcheck_slots", asyncio.Semaphore)


class TooLarge(Exception):
    pass


def _mb(n: int) -> str:
    return f"{n / (1 << 20):.0f}" if n >= 1 << 20 else f"{n / (1 << 20):.1f}"


async def _read_limited(part: BodyPartReader | web.Request, cap: int) -> bytes:
    """At most ``cap`` bytes of a part or body; one byte more raises TooLarge."""
    buf = bytearray()
    while True:
        chunk = await (part.read_chunk(64 * 1024) if isinstance(part, BodyPartReader)
                       else part.content.read(64 * 1024))
        if not chunk:
            return bytes(buf)
        buf += chunk
        if len(buf) > cap:
            raise TooLarge


async def _multipart(request: web.Request, cap: int) -> tuple[bytes | None, str, str]:
    """(file bytes or None, csrf token, file name) from a multipart form."""
    data: bytes | None = None
    token, name = "", ""
    reader = await request.multipart()
    while True:
        part = await reader.next()
        if part is None:
            break
        if not isinstance(part, BodyPartReader):
            continue
        if part.name == CSRF_FIELD:
            token = (await _read_limited(part, 256)).decode("ascii", "replace")
        elif part.name == "pdf" and data is None:
            name = (part.filename or "")[:120]
            data = await _read_limited(part, cap)
            if not data and not name:
                data = None  # the browser sends an empty part when no file was chosen
        else:
            await _read_limited(part, FORM_OVERHEAD)
    return data, token, name


async def check(svc: NodeService, slots: asyncio.Semaphore, data: bytes) -> PdfVerdict:
    """The verdict on ``data``; the caller has made reads fresh."""
    loop = asyncio.get_running_loop()

    async def ask(cert_no: str) -> Any:
        return chain_status(svc, cert_no)

    def lookup(cert_no: str) -> Any:
        return asyncio.run_coroutine_threadsafe(ask(cert_no), loop).result(timeout=10)

    allowed = {svc.genesis.qr_base_url} | {m.http_url for m in svc.genesis.members if m.http_url}
    run = functools.partial(verify_pdf, data, node_keys=svc.genesis.member_keys, lookup=lookup,
                            allowed_base_urls=allowed)
    async with slots:
        return await loop.run_in_executor(None, run)


def verdict_json(v: PdfVerdict) -> dict[str, Any]:
    chain = v.chain
    return {
        "verdict": v.code.value,
        "authentic": v.authentic,
        "message": v.message,
        "summary": {"ms": v.summary("ms"), "en": v.summary("en")},
        "cert_no": v.cert_no,
        "status": chain.status if chain else None,
        "block": {"height": chain.block_height, "hash": chain.block_hash} if chain else None,
        "superseded_by": chain.superseded_by if chain else None,
        "revocation_reason": chain.revocation_reason if chain else None,
    }


# --- the page ---------------------------------------------------------------------------------

async def page(request: web.Request) -> web.Response:
    return await render(request, "pdf.html", {"nav": "pdf", "max_mb": _mb(request.app[SETTINGS].max_upload)})


async def page_post(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    cap = settings.max_upload
    ctx: dict[str, Any] = {"nav": "pdf", "max_mb": _mb(cap)}

    async def form_error(status: int, code: str) -> web.Response:
        return await render(request, "pdf.html", {**ctx, "error": {"code": code, "params": {"mb": ctx["max_mb"]}}},
                            status=status)

    if not request.content_type.startswith("multipart/form-data"):
        raise PageError(400, "error.400", "form.bad")
    if request.content_length is not None and request.content_length > cap + FORM_OVERHEAD:
        return await form_error(413, "upload.too_large")
    try:
        data, token, name = await _multipart(request, cap)
    except TooLarge:
        return await form_error(413, "upload.too_large")
    except MALFORMED_FORM:
        raise PageError(400, "error.400", "form.bad") from None
    await require_csrf(request, token)
    if data is None:
        return await form_error(400, "upload.missing")
    if not data:
        return await form_error(400, "upload.empty")
    limit(request, settings.upload_limit)
    await fresh(request)
    verdict = await check(service(request), request.app[_SLOTS_KEY], data)
    ctx["verdict"] = {"code": verdict.code.value, "summary": verdict.summary(lang_of(request)),
                      "message": verdict.message, "cert_no": verdict.cert_no, "file": name,
                      "authentic": verdict.authentic, "superseded_by": verdict.superseded_by}
    return await render(request, "pdf.html", ctx)


# --- the JSON API -----------------------------------------------------------------------------

async def api_verify(request: web.Request) -> web.Response:
    """POST /api/v1/verify-pdf: the PDF as the raw body, or as a multipart field ``pdf``."""
    svc = service(request)
    settings = request.app[SETTINGS]
    cap = settings.max_upload
    if not settings.upload_limit.allow(client_address(request, settings.trust_xff)):
        svc.metrics.inc("http_rate_limited_total")
        raise ApiError(429, "rate_limited", "too many PDF checks; wait and try again",
                       retry_after=settings.upload_limit.retry_after())
    if request.content_length is not None and request.content_length > cap + FORM_OVERHEAD:
        raise ApiError(413, "too_large", f"the PDF may be at most {cap} bytes")
    try:
        if request.content_type.startswith("multipart/"):
            data, _token, _name = await _multipart(request, cap)
        else:
            data = await _read_limited(request, cap)
    except TooLarge:
        raise ApiError(413, "too_large", f"the PDF may be at most {cap} bytes") from None
    except MALFORMED_BODY:
        raise ApiError(400, "bad_multipart", "the multipart body cannot be read") from None
    if not data:
        raise ApiError(400, "pdf.missing", "send the PDF as the request body or as multipart field 'pdf'")
    try:
        await svc.fresh()
    except Unavailable as exc:
        raise ApiError(503, "node.not_current", str(exc), retry_after=exc.retry_after) from None
    verdict = await check(svc, request.app[_SLOTS_KEY], data)
    return web.json_response(verdict_json(verdict))


def add_routes(app: web.Application) -> None:
    app[_SLOTS_KEY] = asyncio.Semaphore(SLOTS)
    app.router.add_get("/semak/pdf", page)
    app.router.add_post("/semak/pdf", page_post)
    app.router.add_post("/api/v1/verify-pdf", api_verify)
