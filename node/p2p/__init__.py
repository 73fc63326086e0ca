"""Authenticated, encrypted node-to-node transport over asyncio TCP.

``PeerNetwork`` (``network``) links this node to every other genesis member.  Each connection
starts with a mutually authenticated handshake (``handshake``: Ed25519 node keys from the
genesis, domain "handshake", chain id, ephemeral X25519, fresh nonces from both sides, both
signing the transcript), then carries length-prefixed frames (``framing``) sealed with
XChaCha20-Poly1305 under per-direction keys and counter nonces (``secure_channel``), so an
altered, replayed, reordered or dropped frame ends the connection.  Per-peer queues and writer
tasks (``outbound``) keep one slow or dead peer from delaying the others.
"""

from node.p2p.errors import ConnectionClosed, FrameError, HandshakeError, P2PError
from node.p2p.members import Member
from node.p2p.network import MessageHandler, PeerNetwork

__all__ = [
    "ConnectionClosed",
    "FrameError",
    "HandshakeError",
    "Member",
    "MessageHandler",
    "P2PError",
    "PeerNetwork",
]
