"""Sessions, CSRF tokens and the security headers every response carries.

Sessions live in an encrypted cookie (aiohttp-session ``EncryptedCookieStorage``, Fernet), so a
node keeps no per-visitor state that an anonymous crowd could fill. The key comes from
``portal.session_secret_file`` when the operator shares one between nodes, else it is derived
from the node key under a "portal-session" label (a session then belongs to one node: logging
in again on another node is the price of not distributing a secret). The cookie name carries the
node id because browsers share cookies between ports of one host, and the four nodes of a local
cluster would otherwise overwrite each other's sessions.

Every form carries the session's CSRF token; a POST without it gets a 403 page. Logging in
starts a new session (new token, new creation time): a session planted before login is worth
nothing after it. Each login also gets a random ``sid``; logging out lists it in the node's
``LogoutList`` (portal/logouts.py), so a copy of the cookie taken before the logout is refused.
(With a ``session_secret_file`` shared between nodes, a logout is known only to the node it was
made on.)
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from pathlib import Path
from typing import Any, Final

from aiohttp import web
from aiohttp_session import Session, get_session, new_session
from aiohttp_session.cookie_storage import EncryptedCookieStorage

from certificate.keys import SigningKey
from portal.logouts import LogoutList

SESSION_MAX_AGE: Final = 8 * 3600
LOGIN_MAX_AGE: Final = 2 * 3600
CSRF_FIELD: Final = "csrf"
_PERSON: Final = b"portal-session"
MIN_SECRET_BYTES: Final = 32

CSP: Final = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'none'; object-src 'none'; "
              "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS: Final[dict[str, str]] = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}


class SessionSecretError(Exception):
    """The configured session secret file cannot be used; the message says why."""


def session_key(secret_file: Path | None, node_key: SigningKey) -> bytes:
    """The 32-byte cookie encryption key (see the module docstring for where it comes from)."""
    if secret_file is None:
        material = node_key.seed
    else:
        try:
            material = secret_file.read_bytes()
        except OSError as exc:
            raise SessionSecretError(f"cannot read portal.session_secret_file {secret_file}: "
                                     f"{exc.strerror or exc}") from None
        if len(material.strip()) < MIN_SECRET_BYTES:
            raise SessionSecretError(f"portal.session_secret_file {secret_file} must hold at least "
                                     f"{MIN_SECRET_BYTES} bytes of random data")
    return hashlib.blake2b(material, digest_size=32, person=_PERSON).digest()


def session_storage(key: bytes, node_id: str, public_base_url: str) -> EncryptedCookieStorage:
    return EncryptedCookieStorage(
        key, cookie_name=f"spkm_sesi_{node_id}", max_age=SESSION_MAX_AGE, httponly=True, samesite="Lax",
        secure=public_base_url.startswith("https://"), path="/",
    )


# --- CSRF ----------------------------------------------------------------------------------

def csrf_token(session: Session) -> str:
    token = session.get(CSRF_FIELD)
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        session[CSRF_FIELD] = token
    return token


def csrf_ok(session: Session, submitted: Any) -> bool:
    expected = session.get(CSRF_FIELD)
    if not isinstance(expected, str) or not isinstance(submitted, str) or not submitted:
        return False
    return hmac.compare_digest(expected.encode(), submitted.encode()[:256])


# --- logged-in holder ------------------------------------------------------------------------

def password_fingerprint(password_hash: str) -> str:
    """Kept in the session: a password change makes every older session of the account invalid."""
    return hashlib.blake2b(password_hash.encode(), digest_size=12, person=b"portal-pwfp").hexdigest()


async def start_login(request: web.Request, ic: str, password_hash: str) -> Session:
    session = await new_session(request)
    session["ic"] = ic
    session["sid"] = secrets.token_urlsafe(16)
    session["auth_at"] = int(time.time())
    session["pwfp"] = password_fingerprint(password_hash)
    csrf_token(session)
    return session


async def end_login(request: web.Request, logouts: LogoutList) -> Session:
    """Forget the login: a new, empty session replaces the cookie (and with it the CSRF token), and
    the login's sid is refused until it would have expired, whoever holds a copy of the cookie."""
    old = await get_session(request)
    sid, at = old.get("sid"), old.get("auth_at")
    if isinstance(sid, str) and isinstance(at, int):
        logouts.add(sid, at + LOGIN_MAX_AGE)
    old.invalidate()
    session = await new_session(request)
    session.changed()
    return session


def session_holder(session: Session, current_hash: str | None, logouts: LogoutList) -> str | None:
    """The MyKad number of the logged-in holder, or None when the login is absent, stale or ended."""
    ic, at, fp, sid = session.get("ic"), session.get("auth_at"), session.get("pwfp"), session.get("sid")
    if not isinstance(ic, str) or not isinstance(at, int) or not isinstance(fp, str) or not isinstance(sid, str):
        return None
    if sid in logouts:
        return None
    if time.time() - at > LOGIN_MAX_AGE or current_hash is None:
        return None
    if not hmac.compare_digest(fp, password_fingerprint(current_hash)):
        return None
    return ic
