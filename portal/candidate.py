"""Candidate pages: Daftar Pengguna Baru, log in and out, Profil with Cetak Sijil, password change.

A MyKad number is printed on a hundred documents, so it never opens an account on its own:
registering needs the activation code of one of the holder's certificates, logging in needs
the password. Both are throttled per client and per MyKad number; a wrong password and an
unknown MyKad number get the same answer after the same work (``verify_password(None, ...)``).
The PDF is rendered on request, for its holder only, with the chain's QR base URL, so it is
byte-identical to what any other node (or ``python -m certificate render``) produces.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any

from aiohttp import web

from certificate.accounts import normalise_email
from certificate.activation import normalise_activation_code
from certificate.certno import normalise_cert_no
from certificate.errors import ValidationError
from certificate.mykad import parse_mykad
from certificate.pdf import render_certificate
from certificate.record import CertificateRecord
from node.service import Unavailable
from portal.accounts import AccountError
from portal.i18n import normal_lang, t
from portal.pages import (
    ACCOUNTS,
    LOGOUTS,
    SETTINGS,
    PageError,
    field,
    fresh,
    holder_of,
    lang_of,
    limit,
    read_form,
    render,
    require_csrf,
    service,
    session_of,
    unavailable,
)
from portal.passwords import hash_password, password_problems, verify_password
from portal.security import CSRF_FIELD, end_login, start_login
from portal.views import cert_row, holder_name, masked_ic, sort_rows

Errors = list[dict[str, Any]]


def _err(errors: Errors, name: str, code: str, params: dict[str, Any] | None = None) -> None:
    errors.append({"field": name, "code": code, "params": params or {}})


async def _flash(request: web.Request, key: str) -> None:
    session = await session_of(request)
    if session is not None:
        session["flash"] = key


def _throttle(request: web.Request, ic: str) -> None:
    settings = request.app[SETTINGS]
    limit(request, settings.login_limit)
    limit(request, settings.login_ic_limit, key=f"ic:{ic}")


async def require_holder(request: web.Request) -> str:
    ic = await holder_of(request)
    if ic is None:
        await _flash(request, "login.required")
        raise web.HTTPSeeOther("/log-masuk")
    return ic


# --- register -----------------------------------------------------------------------------------

async def register_form(request: web.Request) -> web.Response:
    return await render(request, "daftar.html", {"nav": "register", "values": {}, "errors": [],
                                                 "available": request.app[ACCOUNTS].available})


async def register_post(request: web.Request) -> web.Response:
    form = await read_form(request)
    await require_csrf(request, form.get(CSRF_FIELD))
    store = request.app[ACCOUNTS]
    values = {k: field(form, k)[:64] for k in ("ic", "activation_code")} | {"email": field(form, "email")[:254]}
    password, confirm = field(form, "password"), field(form, "password2")
    errors: Errors = []
    ic = code = email = None
    try:
        ic = parse_mykad(field(form, "ic")).number
    except ValidationError as exc:
        _err(errors, "ic", exc.code, exc.params)
    try:
        code = normalise_activation_code(field(form, "activation_code"))
    except ValidationError as exc:
        _err(errors, "activation_code", exc.code, exc.params)
    try:
        email = normalise_email(field(form, "email"))
    except ValidationError:
        _err(errors, "email", "email.invalid")
    for problem, params in password_problems(password, confirm, ic):
        _err(errors, "password2" if problem == "password.mismatch" else "password", problem, params)

    async def again(status: int) -> web.Response:
        return await render(request, "daftar.html", {"nav": "register", "values": values, "errors": errors,
                                                     "available": store.available}, status=status)

    if not store.available:
        _err(errors, "", "account.unavailable")
        return await again(503)
    if errors or ic is None or code is None or email is None:
        return await again(400)
    _throttle(request, ic)
    await fresh(request)
    cert_no = store.certificate_for_code(ic, code)
    if cert_no is None:
        _err(errors, "activation_code", "account.bad_code")
        return await again(400)
    try:
        await store.register(ic, email, await hash_password(password), cert_no, code)
    except AccountError as exc:
        _err(errors, "", exc.code, {"detail": exc.detail})
        return await again({"account.exists": 409, "account.unavailable": 503}.get(exc.code, 400))
    except Unavailable as exc:
        raise unavailable(request, exc) from None
    await _flash(request, "register.done")
    raise web.HTTPSeeOther("/log-masuk")


# --- log in and out -----------------------------------------------------------------------------

async def login_form(request: web.Request) -> web.Response:
    return await render(request, "log_masuk.html", {"nav": "login", "value": "", "errors": [],
                                                    "available": request.app[ACCOUNTS].available})


async def login_post(request: web.Request) -> web.Response:
    form = await read_form(request)
    await require_csrf(request, form.get(CSRF_FIELD))
    store = request.app[ACCOUNTS]
    raw = field(form, "ic")
    errors: Errors = []

    async def again(status: int) -> web.Response:
        return await render(request, "log_masuk.html", {"nav": "login", "value": raw[:64], "errors": errors,
                                                        "available": store.available}, status=status)

    if not store.available:
        _err(errors, "", "account.unavailable")
        return await again(503)
    try:
        ic = parse_mykad(raw).number
    except ValidationError as exc:
        _err(errors, "ic", exc.code, exc.params)
        return await again(400)
    _throttle(request, ic)
    await fresh(request)
    account = store.get(ic)
    if not await verify_password(account.password_hash if account else None, field(form, "password")):
        _err(errors, "password", "account.login_failed")
        return await again(400)
    assert account is not None
    await start_login(request, ic, account.password_hash)
    raise web.HTTPSeeOther("/pengguna/profil")


async def logout(request: web.Request) -> web.Response:
    form = await read_form(request)
    await require_csrf(request, form.get(CSRF_FIELD))
    await end_login(request, request.app[LOGOUTS])
    await _flash(request, "login.logged_out")
    raise web.HTTPSeeOther("/log-masuk")


# --- profile ------------------------------------------------------------------------------------

async def _profile(request: web.Request, ic: str, extra: dict[str, Any], status: int = 200) -> web.Response:
    await fresh(request)
    svc = service(request)
    rows = sort_rows([cert_row(svc, cv, lang_of(request)) for cv in svc.holder_certificates(ic)])
    account = request.app[ACCOUNTS].get(ic)
    ctx = {"nav": "profile", "rows": rows, "name": holder_name(rows), "ic_masked": masked_ic(ic),
           "email": account.email if account else "", "errors": [], **extra}
    return await render(request, "profil.html", ctx, status=status)


async def profile(request: web.Request) -> web.Response:
    return await _profile(request, await require_holder(request), {})


async def change_password(request: web.Request) -> web.Response:
    form = await read_form(request)
    await require_csrf(request, form.get(CSRF_FIELD))
    ic = await require_holder(request)
    store = request.app[ACCOUNTS]
    new, confirm = field(form, "new_password"), field(form, "new_password2")
    errors: Errors = []
    for problem, params in password_problems(new, confirm, ic):
        _err(errors, "new_password2" if problem == "password.mismatch" else "new_password", problem, params)
    if errors:
        return await _profile(request, ic, {"errors": errors}, 400)
    _throttle(request, ic)
    account = store.get(ic)
    if account is None or not await verify_password(account.password_hash, field(form, "current_password")):
        _err(errors, "current_password", "account.wrong_password")
        return await _profile(request, ic, {"errors": errors}, 400)
    new_hash = await hash_password(new)
    try:
        await store.set_password(ic, new_hash)
    except AccountError as exc:
        _err(errors, "", exc.code, {"detail": exc.detail})
        return await _profile(request, ic, {"errors": errors}, 503 if exc.code == "account.unavailable" else 400)
    except Unavailable as exc:
        raise unavailable(request, exc) from None
    await start_login(request, ic, new_hash)
    await _flash(request, "profile.password_done")
    raise web.HTTPSeeOther("/pengguna/profil")


async def certificate_pdf(request: web.Request) -> web.Response:
    ic = await require_holder(request)
    lang = normal_lang(request.query.get("lang", "ms"))
    if lang is None:
        raise PageError(400, "error.400", "error.bad_lang")
    try:
        cert_no = normalise_cert_no(request.match_info["cert_no"])
    except ValidationError as exc:
        raise PageError(400, "error.cert_bad_title", exc.code, params=exc.params) from None
    await fresh(request)
    svc = service(request)
    cv = svc.certificate(cert_no)
    if cv is None:
        raise PageError(404, "error.cert_unknown_title", "error.cert_unknown", params={"cert_no": cert_no})
    if cv.record["holder_ic"] != ic:
        raise PageError(403, "error.403", "error.not_yours")
    if cv.status != "valid":
        word = t(f"status.{cv.status}", lang_of(request))
        raise PageError(409, "error.title", "profile.not_printable", params={"status": word})
    record = CertificateRecord.from_dict(cv.record)
    proof = svc.engine.state.proof(cv.entry)
    job = functools.partial(render_certificate, record, proof, lang=lang, base_url=svc.genesis.qr_base_url)
    try:
        pdf = await asyncio.get_running_loop().run_in_executor(None, job)
    except ValidationError as exc:
        raise PageError(500, "error.500", "profile.pdf_failed", params={"detail": exc.message}) from None
    return web.Response(body=pdf, content_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{cert_no}-{lang}.pdf"', "Cache-Control": "no-store"})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/daftar", register_form)
    app.router.add_post("/daftar", register_post)
    app.router.add_get("/log-masuk", login_form)
    app.router.add_post("/log-masuk", login_post)
    app.router.add_post("/log-keluar", logout)
    app.router.add_get("/pengguna/profil", profile)
    app.router.add_post("/pengguna/kata-laluan", change_password)
    app.router.add_get("/pengguna/sijil/{cert_no}.pdf", certificate_pdf)
