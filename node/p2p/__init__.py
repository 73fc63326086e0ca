"""Authenticated, encrypted node-to-node transport over asyncio TCP (see ``network``)."""

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
