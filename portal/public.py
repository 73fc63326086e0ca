"""Public pages: Platform Awam, Semakan Sijil by MyKad number, one certificate, generation status.

MyKad numbers arrive only in POSTed forms (never in a URL, so never in history, proxies or
access logs) and are shown back only masked. A well-formed number is rate-limited per client
before it is looked up, and a number nobody holds is answered by exactly the code path of a
holder without certificates: the list is simply empty.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from aiohttp import web

from certificate.certno import normalise_cert_no
from certificate.errors import ValidationError
from certificate.mykad import MyKad, parse_mykad
from certificate.record import parse_jpps_ref
from portal import api
from portal.api import generation_status, meeting_summary
from portal.pages import PageError, field, fresh, lang_of, limit, read_form, render, require_csrf, service
from portal.security import CSRF_FIELD
from portal.views import cert_row, holder_name, masked_ic, proof_details, sort_rows


async def home(request: web.Request) -> web.Response:
    return await render(request, "home.html", {"nav": "home"})


def _with_lang(request: web.Request, path: str) -> str:
    chosen = request.query.get("lang")
    return f"{path}?lang={chosen}" if chosen in ("ms", "en") else path


# --- MyKad forms ------------------------------------------------------------------------------

async def _mykad_form(request: web.Request, template: str, nav: str) -> tuple[MyKad | None, web.Response | None]:
    """Read and check a POSTed MyKad form; on a bad number, the form again with the reason (400)."""
    form = await read_form(request)
    await require_csrf(request, form.get(CSRF_FIELD))
    raw = field(form, "ic")
    try:
        mykad = parse_mykad(raw)
    except ValidationError as exc:
        ctx = {"nav": nav, "value": raw[:64], "errors": [{"field": "ic", "code": exc.code, "params": exc.params}]}
        return None, await render(request, template, ctx, status=400)
    limit(request, request.app[api.LOOKUP_LIMIT])
    await fresh(request)
    return mykad, None


async def semak_form(request: web.Request) -> web.Response:
    return await render(request, "semak.html", {"nav": "semak"})


async def semak_post(request: web.Request) -> web.Response:
    mykad, bad = await _mykad_form(request, "semak.html", "semak")
    if bad is not None:
        return bad
    assert mykad is not None
    svc, lang = service(request), lang_of(request)
    rows = sort_rows([cert_row(svc, cv, lang) for cv in svc.holder_certificates(mykad.number)])
    results = {"rows": rows, "name": holder_name(rows), "ic_masked": mykad.masked}
    return await render(request, "semak.html", {"nav": "semak", "results": results})


async def status_form(request: web.Request) -> web.Response:
    return await render(request, "status.html", {"nav": "status"})


async def status_post(request: web.Request) -> web.Response:
    mykad, bad = await _mykad_form(request, "status.html", "status")
    if bad is not None:
        return bad
    assert mykad is not None
    gen = generation_status(service(request), mykad.number)
    results = {"ic_masked": mykad.masked, "pending": gen["pending"],
               "generated": sorted(gen["generated"], key=lambda g: g.get("jpps_date", ""), reverse=True)}
    return await render(request, "status.html", {"nav": "status", "results": results})


# --- one certificate --------------------------------------------------------------------------

async def sijil_lookup(request: web.Request) -> web.Response:
    """``/sijil?cert_no=...`` from the home page's form: off to the certificate's own page."""
    raw = request.query.get("cert_no", "")
    if not raw.strip():
        raise web.HTTPSeeOther(_with_lang(request, "/"))
    try:
        cert_no = normalise_cert_no(raw)
    except ValidationError as exc:
        raise PageError(400, "error.cert_bad_title", exc.code, params=exc.params) from None
    raise web.HTTPSeeOther(_with_lang(request, f"/sijil/{cert_no}"))


async def sijil(request: web.Request) -> web.Response:
    raw = request.match_info["cert_no"]
    try:
        cert_no = normalise_cert_no(raw)
    except ValidationError as exc:
        raise PageError(400, "error.cert_bad_title", exc.code, params=exc.params) from None
    if cert_no != raw:
        raise web.HTTPMovedPermanently(_with_lang(request, f"/sijil/{cert_no}"))
    await fresh(request)
    svc = service(request)
    cv = svc.certificate(cert_no)
    if cv is None:
        raise PageError(404, "error.cert_unknown_title", "error.cert_unknown", params={"cert_no": cert_no})
    row = cert_row(svc, cv, lang_of(request))
    ctx: dict[str, Any] = {"nav": "semak", "row": row, "proof": proof_details(svc, cv),
                           "ic_masked": masked_ic(cv.record["holder_ic"])}
    return await render(request, "sijil.html", ctx)


# --- JPPS meetings ----------------------------------------------------------------------------

def _jpps_ref(raw: str) -> str:
    try:
        return parse_jpps_ref(raw)
    except ValidationError:
        raise PageError(400, "error.400", "jpps.ref") from None


async def jpps_lookup(request: web.Request) -> web.Response:
    raw = request.query.get("ref", "")
    if not raw.strip():
        raise web.HTTPSeeOther(_with_lang(request, "/status"))
    raise web.HTTPSeeOther(_with_lang(request, f"/jpps/{quote(_jpps_ref(raw), safe='')}"))


async def jpps(request: web.Request) -> web.Response:
    ref = _jpps_ref(request.match_info["ref"])
    await fresh(request)
    summary = meeting_summary(service(request), ref)
    if summary is None:
        raise PageError(404, "error.404", "jpps.not_found")
    return await render(request, "jpps.html", {"nav": "status", "m": summary})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", home)
    app.router.add_get("/semak", semak_form)
    app.router.add_post("/semak", semak_post)
    app.router.add_get("/status", status_form)
    app.router.add_post("/status", status_post)
    app.router.add_get("/sijil", sijil_lookup)
    app.router.add_get("/sijil/{cert_no}", sijil)
    app.router.add_get("/jpps", jpps_lookup)
    app.router.add_get("/jpps/{ref:.+}", jpps)
