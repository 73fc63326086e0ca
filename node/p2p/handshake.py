"""Mutual authentication of two genesis members and agreement on fresh session keys.

The dialler I knows whom it wants (responder R); both hold the genesis membership table.
Messages are canonical msgpack maps in ordinary length-prefixed frames of at most
``HANDSHAKE_MAX_FRAME`` bytes::

    1. I -> R  hello   {t, v, chain, from: I, to: R, eph: I's X25519 ephemeral, nonce: 32 random}
    2. R -> I  reply   {t, eph: R's X25519 ephemeral, nonce: 32 random, sig: R signs "responder"+T}
               (or refused {t, reason} when R will not talk to I: wrong chain, not a member, ...)
    3. I -> R  finish  {t, sig: I signs "initiator"+T}
    4. R -> I  accept: the first frame of R->I under the new session keys (key confirmation)

    T = SHA-256(canonical [protocol, chain, I, R, I.eph, R.eph, I.nonce, R.nonce])

Signatures are Ed25519 by the node keys in domain "handshake" for the chain id, so they verify
only against the key the genesis lists for that node id and only on the same chain.  Because T
holds both fresh nonces and both ephemeral keys, a recorded handshake replayed on a new
connection meets a new responder nonce and its old signature fails; a man in the middle who
substitutes an ephemeral key cannot produce the signature over the changed T; the role labels
stop one side's signature from being reflected as the other's.  Session keys are
BLAKE2b(key = X25519(ephemerals), data = direction || T), one per direction, and the ephemeral
secrets are dropped after the handshake (forward secrecy); low-order X25519 points are refused.
Refusals are unauthenticated hints for the dialler's log, never trusted for anything else.
After step 4 the dialler sends XChaCha20-Poly1305 frames with counter nonces
(``secure_channel``) and the responder only receives (``network`` explains why).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Protocol

import msgpack
import nacl.bindings
import nacl.exceptions

from certificate import canonical
from certificate.errors import SignatureError, ValidationError
from certificate.keys import PublicKey, SigningKey
from node.p2p.errors import FrameError, HandshakeError
from node.p2p.framing import frame, read_frame
from node.p2p.members import MAX_NODE_ID_LEN, Member
from node.p2p.secure_channel import FrameOpener, FrameSealer

PROTOCOL: Final = "spkm-ecert/p2p/v1"
VERSION: Final = 1
NONCE_LEN: Final = 32
EPH_LEN: Final = 32
SIG_LEN: Final = 64
HANDSHAKE_MAX_FRAME: Final = 2048
MAX_CHAIN_ID_LEN: Final = 256
MAX_REASON_LEN: Final = 64
ACCEPT: Final = b"spkm-ecert/p2p/accept"
_KDF_PERSON: Final = b"spkm-p2p-v1-kdf"


class FrameWriter(Protocol):
    """The part of ``asyncio.StreamWriter`` the handshake uses (tests pass a fake)."""

    def write(self, data: bytes) -> None: ...

    async def drain(self) -> None: ...


@dataclass(frozen=True)
class LocalNode:
    """This node's identity in the handshake."""

    node_id: str
    key: SigningKey
    chain_id: str


@dataclass(frozen=True)
class Hello:
    chain: str
    sender: str
    target: str
    eph: bytes
    nonce: bytes


@dataclass(frozen=True)
class Reply:
    eph: bytes
    nonce: bytes
    sig: bytes


@dataclass(frozen=True)
class Finish:
    sig: bytes


# --- parsing: every malformed input becomes HandshakeError("malformed", ...) -------------------


def _unpack_canonical(body: bytes, kind: str) -> Any:
    """Strict parse: only bytes that ``canonical.encode`` itself would produce are accepted.

    (Unpacks with msgpack directly rather than through ``canonical.decode``, so the handshake
    depends only on ``canonical.encode`` and stays bounded by the handshake frame limit.)
    """
    if len(body) > HANDSHAKE_MAX_FRAME:
        raise HandshakeError("malformed", f"{kind}: message too large")
    try:
        value = msgpack.unpackb(body, raw=False, strict_map_key=True, use_list=True)
        again = canonical.encode(value)
    except (ValueError, TypeError, msgpack.ExtraData, msgpack.FormatError,
            msgpack.StackError, ValidationError):
        raise HandshakeError("malformed", f"{kind}: not a canonical message") from None
    if again != body:
        raise HandshakeError("malformed", f"{kind}: not in canonical form")
    return value


def _raise_if_refusal(value: Any) -> None:
    """Turn a responder's refusal into an error that names its reason."""
    if not isinstance(value, dict) or value.get("t") != "refused":
        return
    reason = value.get("reason")
    if set(value) != {"t", "reason"} or not isinstance(reason, str):
        raise HandshakeError("malformed", "malformed refusal")
    raise HandshakeError("refused", f"peer refused the handshake: {reason[:MAX_REASON_LEN]}")


def _decode_map(body: bytes, kind: str, keys: set[str]) -> dict[str, Any]:
    value = _unpack_canonical(body, kind)
    if not isinstance(value, dict):
        raise HandshakeError("malformed", f"{kind}: not a map")
    if kind == "reply":
        _raise_if_refusal(value)
    if value.get("t") != kind or set(value) != keys | {"t"}:
        raise HandshakeError("malformed", f"{kind}: unexpected message type or fields")
    return value


def _bytes(msg: dict[str, Any], field: str, size: int) -> bytes:
    value = msg[field]
    if not isinstance(value, bytes) or len(value) != size:
        raise HandshakeError("malformed", f"field {field} must be {size} bytes")
    return value


def _text(msg: dict[str, Any], field: str, max_len: int) -> str:
    value = msg[field]
    if not isinstance(value, str) or not 0 < len(value) <= max_len:
        raise HandshakeError("malformed", f"field {field} must be a string of 1-{max_len} chars")
    return value


def parse_hello(body: bytes) -> Hello:
    msg = _decode_map(body, "hello", {"v", "chain", "from", "to", "eph", "nonce"})
    if msg["v"] != VERSION or isinstance(msg["v"], bool):
        raise HandshakeError("version", f"unsupported protocol version {msg['v']!r}")
    return Hello(
        chain=_text(msg, "chain", MAX_CHAIN_ID_LEN),
        sender=_text(msg, "from", MAX_NODE_ID_LEN),
        target=_text(msg, "to", MAX_NODE_ID_LEN),
        eph=_bytes(msg, "eph", EPH_LEN),
        nonce=_bytes(msg, "nonce", NONCE_LEN),
    )


def parse_reply(body: bytes) -> Reply:
    msg = _decode_map(body, "reply", {"eph", "nonce", "sig"})
    return Reply(
        eph=_bytes(msg, "eph", EPH_LEN),
        nonce=_bytes(msg, "nonce", NONCE_LEN),
        sig=_bytes(msg, "sig", SIG_LEN),
    )


def parse_finish(body: bytes) -> Finish:
    msg = _decode_map(body, "finish", {"sig"})
    return Finish(sig=_bytes(msg, "sig", SIG_LEN))


def encode_hello(h: Hello) -> bytes:
    return canonical.encode({"t": "hello", "v": VERSION, "chain": h.chain, "from": h.sender,
                             "to": h.target, "eph": h.eph, "nonce": h.nonce})


def encode_reply(r: Reply) -> bytes:
    return canonical.encode({"t": "reply", "eph": r.eph, "nonce": r.nonce, "sig": r.sig})


def encode_finish(f: Finish) -> bytes:
    return canonical.encode({"t": "finish", "sig": f.sig})


def encode_refusal(reason: str) -> bytes:
    return canonical.encode({"t": "refused", "reason": reason[:MAX_REASON_LEN]})


# --- cryptography --------------------------------------------------------------------------


def transcript_hash(hello: Hello, responder_eph: bytes, responder_nonce: bytes) -> bytes:
    return hashlib.sha256(canonical.encode([
        PROTOCOL, hello.chain, hello.sender, hello.target,
        hello.eph, responder_eph, hello.nonce, responder_nonce,
    ])).digest()


def _ephemeral() -> tuple[bytes, bytes]:
    secret = os.urandom(32)
    public: bytes = nacl.bindings.crypto_scalarmult_base(secret)
    return secret, public


def derive_keys(secret: bytes, peer_eph: bytes, transcript: bytes) -> tuple[bytes, bytes]:
    """(initiator->responder key, responder->initiator key) for this transcript."""
    try:
        shared: bytes = nacl.bindings.crypto_scalarmult(secret, peer_eph)
    except (nacl.exceptions.CryptoError, nacl.exceptions.RuntimeError, ValueError, TypeError):
        # libsodium refuses low-order points (an all-zero shared secret).
        raise HandshakeError("malformed", "ephemeral key is not a usable X25519 point") from None
    def kdf(label: bytes) -> bytes:
        return hashlib.blake2b(label + transcript, key=shared, digest_size=32,
                               person=_KDF_PERSON).digest()
    return kdf(b"i2r"), kdf(b"r2i")


def _verify(member: Member, chain_id: str, role: bytes, transcript: bytes, sig: bytes) -> None:
    try:
        PublicKey(member.public_key).verify("handshake", chain_id, role + transcript, sig)
    except SignatureError:
        raise HandshakeError("auth", f"{member.node_id}: handshake signature does not "
                             "verify with its genesis key") from None


# --- the two roles -------------------------------------------------------------------------


@dataclass
class DialledSession:
    peer_id: str
    sealer: FrameSealer


@dataclass
class AcceptedSession:
    peer_id: str
    opener: FrameOpener


async def dial(reader: asyncio.StreamReader, writer: FrameWriter, local: LocalNode,
               peer: Member) -> DialledSession:
    """Run the initiator side against ``peer``; raises HandshakeError on any failure."""
    secret, eph = _ephemeral()
    hello = Hello(local.chain_id, local.node_id, peer.node_id, eph, os.urandom(NONCE_LEN))
    writer.write(frame(encode_hello(hello)))
    await writer.drain()
    _, body = await read_frame(reader, HANDSHAKE_MAX_FRAME)
    reply = parse_reply(body)
    transcript = transcript_hash(hello, reply.eph, reply.nonce)
    _verify(peer, local.chain_id, b"responder", transcript, reply.sig)
    i2r, r2i = derive_keys(secret, reply.eph, transcript)
    sig = local.key.sign("handshake", local.chain_id, b"initiator" + transcript)
    writer.write(frame(encode_finish(Finish(sig))))
    await writer.drain()
    header, body = await read_frame(reader, HANDSHAKE_MAX_FRAME)
    try:
        confirmed = FrameOpener(r2i).open(header, body) == ACCEPT
    except FrameError:
        confirmed = False
    if not confirmed:
        refusal: Any = None
        # Not the confirmation; perhaps a refusal of our finish (its reason helps operators).
        with contextlib.suppress(HandshakeError):
            refusal = _unpack_canonical(body, "accept")
        _raise_if_refusal(refusal)
        raise HandshakeError("auth", f"{peer.node_id}: key confirmation failed")
    return DialledSession(peer.node_id, FrameSealer(i2r))


def check_hello(hello: Hello, local: LocalNode, members: Mapping[str, Member]) -> Member:
    """The member that ``hello`` claims to come from, if this node may talk to it at all."""
    if hello.chain != local.chain_id:
        raise HandshakeError("chain", f"peer {hello.sender!r} is on another chain {hello.chain!r}")
    if hello.target != local.node_id:
        raise HandshakeError("wrong-target", f"hello addressed to {hello.target!r}, not us")
    member = members.get(hello.sender)
    if member is None or hello.sender == local.node_id:
        raise HandshakeError("not-member", f"{hello.sender!r} is not a member of this chain")
    return member


async def accept(reader: asyncio.StreamReader, writer: FrameWriter, local: LocalNode,
                 members: Mapping[str, Member]) -> AcceptedSession:
    """Run the responder side; raises HandshakeError (after sending a refusal) on failure."""
    try:
        _, body = await read_frame(reader, HANDSHAKE_MAX_FRAME)
        hello = parse_hello(body)
        member = check_hello(hello, local, members)
        secret, eph = _ephemeral()
        nonce = os.urandom(NONCE_LEN)
        transcript = transcript_hash(hello, eph, nonce)
        i2r, r2i = derive_keys(secret, hello.eph, transcript)
        sig = local.key.sign("handshake", local.chain_id, b"responder" + transcript)
        writer.write(frame(encode_reply(Reply(eph, nonce, sig))))
        await writer.drain()
        _, body = await read_frame(reader, HANDSHAKE_MAX_FRAME)
        finish = parse_finish(body)
        _verify(member, local.chain_id, b"initiator", transcript, finish.sig)
    except HandshakeError as exc:
        writer.write(frame(encode_refusal(exc.reason)))
        raise
    writer.write(FrameSealer(r2i).seal(ACCEPT))
    await writer.drain()
    return AcceptedSession(member.node_id, FrameOpener(i2r))
