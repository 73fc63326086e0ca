"""Authenticated encryption of session frames, one key and one counter per direction.

Each frame is XChaCha20-Poly1305 (IETF) under the direction's session key, with the nonce
``16 zero bytes || 64-bit big-endian frame counter`` and the frame's 4-byte length header as
associated data.  The counter is never sent: the receiver uses the number it expects next.
So a replayed, reordered, dropped-then-resent or altered frame simply fails to decrypt, and
the caller closes the connection; there is no window of accepted counters to reason about.
Session keys come from a fresh ephemeral exchange per connection (see ``handshake``), so a
counter starting at zero never reuses a nonce under the same key.
"""

from __future__ import annotations

from typing import Final

import nacl.bindings
import nacl.exceptions

from node.p2p.errors import FrameError
from node.p2p.framing import encode_length

KEY_SIZE: Final = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_KEYBYTES
TAG_SIZE: Final = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_ABYTES
NONCE_SIZE: Final = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
# Far below 2**64: a session this long is a bug, and stopping early keeps nonces unique.
MAX_FRAMES: Final = 2**63


def _nonce(counter: int) -> bytes:
    return bytes(NONCE_SIZE - 8) + counter.to_bytes(8, "big")


class _Direction:
    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_SIZE:
            raise ValueError(f"a session key is {KEY_SIZE} bytes")
        self._key = key
        self._counter = 0

    def _next_nonce(self) -> bytes:
        if self._counter >= MAX_FRAMES:
            raise FrameError("session frame counter exhausted; reconnect")
        nonce = _nonce(self._counter)
        self._counter += 1
        return nonce

    @property
    def frames(self) -> int:
        return self._counter


class FrameSealer(_Direction):
    """Encrypts outgoing payloads into complete wire frames (header included)."""

    def seal(self, payload: bytes) -> bytes:
        header = encode_length(len(payload) + TAG_SIZE)
        box: bytes = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_encrypt(
            payload, header, self._next_nonce(), self._key
        )
        return header + box


class FrameOpener(_Direction):
    """Decrypts incoming frame bodies, in order; any failure is final for the session."""

    def __init__(self, key: bytes) -> None:
        super().__init__(key)
        self._failed = False

    def open(self, header: bytes, body: bytes) -> bytes:
        if self._failed:
            raise FrameError("session already failed")
        if len(body) < TAG_SIZE:
            self._failed = True
            raise FrameError("frame shorter than its authentication tag")
        try:
            plain: bytes = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(
                body, header, self._next_nonce(), self._key
            )
        except (nacl.exceptions.CryptoError, ValueError, TypeError):
            self._failed = True
            raise FrameError(
                "frame failed authentication (altered, replayed or reordered)"
            ) from None
        return plain
