"""SHA-256 for every hash in the chain (SPEC section 5).

One function, so that no module can quietly pick another hash for "its" part of a proof that
third parties must recompute offline.
"""

from __future__ import annotations

import hashlib


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()
