"""Why a connection was closed, as exception types the connection tasks can tell apart.

Every failure that a remote party can cause derives from ``P2PError``, so the code that
serves a connection needs one ``except`` clause (plus ``OSError`` for the socket itself) and
nothing a peer sends can escape as an unexpected exception into the node.
"""

from __future__ import annotations


class P2PError(Exception):
    """Something a remote party did (or failed to do) that ends one connection."""


class ConnectionClosed(P2PError):
    """The other end closed the stream, possibly in the middle of a frame."""


class FrameError(P2PError):
    """A frame that is too large, truncated, or fails authenticated decryption."""


class HandshakeError(P2PError):
    """A handshake message that is malformed, unauthenticated or not for this chain.

    ``reason`` is a short stable code (``chain``, ``not-member``, ``auth``, ...) used in
    counters and in the refusal sent back to a dialler, so operators see why without the
    free-text message.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
