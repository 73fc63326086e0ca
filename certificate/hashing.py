"""SHA-256 for every hash in the chain (SPEC section 5)."""

from __future__ import annotations

import hashlib


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()
