"""Password rules and argon2id hashing, always off the event loop.

argon2id is deliberately slow and memory-hungry (64 MiB a hash), so it runs in a thread and at
most ``PARALLEL`` at a time: a burst of log-ins costs waiting, never the node's heartbeat or
its memory. An unknown MyKad number is answered after verifying against a dummy hash, so the
time taken does not tell whether an account exists.
"""

from __future__ import annotations

import asyncio
import unicodedata
import weakref
from typing import Final

import nacl.exceptions
import nacl.pwhash.argon2id as argon2id

MIN_LEN: Final = 10
MAX_LEN: Final = 200
PARALLEL: Final = 2
OPSLIMIT: Final = argon2id.OPSLIMIT_INTERACTIVE
MEMLIMIT: Final = argon2id.MEMLIMIT_INTERACTIVE

# One semaphore per event loop: tests run several nodes, each on its own loop and thread.
_sems: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = weakref.WeakKeyDictionary()
_dummy: str | None = None


def _semaphore() -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    sem = _sems.get(loop)
    if sem is None:
        sem = _sems[loop] = asyncio.Semaphore(PARALLEL)
    return sem


def _bytes(password: str) -> bytes:
    # NFC: the same password typed on two keyboards (composed or decomposed accents) matches.
    return unicodedata.normalize("NFC", password).encode("utf-8")


def password_problems(password: str, confirm: str | None, ic: str | None) -> list[tuple[str, dict[str, int]]]:
    """Translation codes (with params) for what is wrong with a new password; empty when fine."""
    out: list[tuple[str, dict[str, int]]] = []
    if len(password) < MIN_LEN:
        out.append(("password.short", {"min": MIN_LEN}))
    elif len(password) > MAX_LEN:
        out.append(("password.long", {"max": MAX_LEN}))
    elif ic is not None and ic in password.replace("-", ""):
        out.append(("password.is_ic", {}))
    if confirm is not None and confirm != password:
        out.append(("password.mismatch", {}))
    return out


def _hash(password: str) -> str:
    return argon2id.str(_bytes(password), opslimit=OPSLIMIT, memlimit=MEMLIMIT).decode("ascii")


def _verify(stored: str, password: str) -> bool:
    try:
        return bool(argon2id.verify(stored.encode("ascii"), _bytes(password)))
    except (nacl.exceptions.InvalidkeyError, nacl.exceptions.CryptoError, ValueError, UnicodeEncodeError):
        return False


async def hash_password(password: str) -> str:
    async with _semaphore():
        return await asyncio.get_running_loop().run_in_executor(None, _hash, password)


async def verify_password(stored: str | None, password: str) -> bool:
    """True when ``password`` matches ``stored``; with ``stored=None`` spends the same time and says False."""
    global _dummy
    if len(password) > MAX_LEN:
        return False
    async with _semaphore():
        loop = asyncio.get_running_loop()
        if stored is None:
            if _dummy is None:
                _dummy = await loop.run_in_executor(None, _hash, "dummy password for unknown accounts")
            await loop.run_in_executor(None, _verify, _dummy, password)
            return False
        return await loop.run_in_executor(None, _verify, stored, password)
