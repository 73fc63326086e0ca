"""The genesis file: the chain's founding agreement, identical on every node.

Its hash (SHA-256 of the canonical encoding of its parsed content) names the chain: peers
with another genesis are refused at the handshake, so two deployments can never mix.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from certificate import canonical
from certificate.errors import ValidationError
from certificate.hashing import sha256
from certificate.keys import PublicKey

_NODE_ID = re.compile(r"[a-z][a-z0-9-]{0,31}")
#: Largest block_max_bytes: a block plus its raft envelope must fit one p2p frame (8 MiB).
MAX_BLOCK_BYTES = 6 << 20


@dataclass(frozen=True)
class Member:
    node_id: str
    name: str
    public_key: PublicKey
    p2p_host: str
    p2p_port: int
    http_url: str


@dataclass(frozen=True)
class Params:
    block_max_txs: int = 250
    block_max_bytes: int = 4 << 20
    batch_timeout_ms: int = 5
    heartbeat_ms: int = 100
    election_timeout_ms: int = 1000
    max_inflight_blocks: int = 4


@dataclass(frozen=True)
class Genesis:
    chain_id: str
    qr_base_url: str
    members: tuple[Member, ...]
    issuers: tuple[tuple[PublicKey, str], ...]
    admins: tuple[tuple[PublicKey, str], ...]
    admin_threshold: int
    params: Params
    hash: bytes = field(repr=False)
    document: dict[str, Any] = field(repr=False, compare=False)

    @property
    def member_keys(self) -> dict[str, PublicKey]:
        return {m.node_id: m.public_key for m in self.members}

    def member(self, node_id: str) -> Member | None:
        return next((m for m in self.members if m.node_id == node_id), None)

    def public_json(self) -> dict[str, Any]:
        """What any verifier needs to check proofs offline (no secrets here anyway)."""
        return {
            "chain_id": self.chain_id,
            "genesis_hash": self.hash.hex(),
            "qr_base_url": self.qr_base_url,
            "members": [
                {"node_id": m.node_id, "name": m.name, "public_key": m.public_key.hex,
                 "http_url": m.http_url}
                for m in self.members
            ],
            "admin_threshold": self.admin_threshold,
        }


def _req(doc: dict[str, Any], key: str, kind: type, where: str = "genesis") -> Any:
    if key not in doc:
        raise ValidationError("genesis.missing", f"{where}: missing {key!r}")
    value = doc[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise ValidationError("genesis.type", f"{where}: {key!r} must be {kind.__name__}")
    return value


def _key(text: Any, where: str) -> PublicKey:
    if not isinstance(text, str):
        raise ValidationError("genesis.key", f"{where}: public_key must be hex text")
    try:
        return PublicKey.from_hex(text)
    except ValidationError:
        raise ValidationError("genesis.key", f"{where}: public_key is not a 32-byte hex key") from None


def _named_keys(items: list[Any], where: str) -> tuple[tuple[PublicKey, str], ...]:
    """``[{public_key, name}, ...]`` with every key at most once (a key listed twice would
    count once towards a threshold but twice towards its ceiling)."""
    out = []
    for i, item in enumerate(items):
        here = f"genesis {where}[{i}]"
        if not isinstance(item, dict):
            raise ValidationError("genesis.type", f"{here} must be an object with public_key and name")
        name = item.get("name", "")
        if not isinstance(name, str):
            raise ValidationError("genesis.type", f"{here}: name must be text")
        out.append((_key(item.get("public_key"), here), name))
    if len({k for k, _ in out}) != len(out):
        raise ValidationError("genesis.duplicate", f"genesis {where} lists the same public_key twice")
    return tuple(out)


def parse_genesis(doc: Any) -> Genesis:
    if not isinstance(doc, dict):
        raise ValidationError("genesis.type", "genesis must be a JSON object")
    chain_id = _req(doc, "chain_id", str)
    if not re.fullmatch(r"[A-Za-z0-9._-]{1,64}", chain_id):
        raise ValidationError("genesis.chain_id", "chain_id is 1-64 letters, digits, . _ -")
    members = []
    for i, m in enumerate(_req(doc, "members", list)):
        where = f"genesis members[{i}]"
        if not isinstance(m, dict):
            raise ValidationError("genesis.type", f"{where} must be an object")
        node_id = _req(m, "node_id", str, where)
        if not _NODE_ID.fullmatch(node_id):
            raise ValidationError("genesis.node_id", f"{where}: node_id must be lowercase letters, digits, -")
        host, _, port = _req(m, "p2p", str, where).rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValidationError("genesis.p2p", f"{where}: p2p must be host:port")
        members.append(Member(node_id, _req(m, "name", str, where), _key(m.get("public_key"), where),
                              host, int(port), str(m.get("http", ""))))
    if not members:
        raise ValidationError("genesis.members", "genesis names no members")
    if len({m.node_id for m in members}) != len(members) or len({m.public_key for m in members}) != len(members):
        raise ValidationError("genesis.members", "member node ids and keys must be unique")
    issuers = _named_keys(_req(doc, "issuers", list), "issuers")
    admin_doc = _req(doc, "admins", dict)
    admins = _named_keys(_req(admin_doc, "keys", list, "genesis admins"), "admins.keys")
    threshold = _req(admin_doc, "threshold", int, "genesis admins")
    if not 1 <= threshold <= max(len(admins), 1):
        raise ValidationError("genesis.threshold", "admin threshold must be between 1 and the number of admins")
    raw_params = doc.get("params", {})
    if not isinstance(raw_params, dict):
        raise ValidationError("genesis.params", "params must be an object")
    known = set(Params.__dataclass_fields__)
    if set(raw_params) - known:
        raise ValidationError("genesis.params", f"unknown parameter {sorted(set(raw_params) - known)[0]!r}")
    if not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in raw_params.values()):
        raise ValidationError("genesis.params", "parameters are positive integers")
    params = Params(**raw_params)
    if params.election_timeout_ms < 3 * params.heartbeat_ms:
        raise ValidationError("genesis.params", "election_timeout_ms must be at least 3 heartbeats")
    if params.block_max_bytes > MAX_BLOCK_BYTES:
        raise ValidationError("genesis.params", f"block_max_bytes must be at most {MAX_BLOCK_BYTES} "
                                                f"(a block travels between nodes as one 8 MiB message)")
    try:
        digest = sha256(canonical.encode(doc))
    except ValidationError as exc:
        raise ValidationError("genesis.encoding", f"genesis holds a value that cannot be hashed: {exc}") from None
    return Genesis(chain_id, str(_req(doc, "qr_base_url", str)).rstrip("/"), tuple(members), issuers,
                   admins, threshold, params, digest, doc)


def describe_genesis(g: Genesis) -> str:
    """What agencies read aloud to each other before they start: the hash and every entry."""
    from certificate.keys import key_id

    lines = [f"chain_id      {g.chain_id}", f"genesis hash  {g.hash.hex()}", f"qr_base_url   {g.qr_base_url}",
             f"members       {len(g.members)} (a quorum is {len(g.members) // 2 + 1})"]
    lines += [f"  {m.node_id:12s} key {key_id(m.public_key.raw)}  p2p {m.p2p_host}:{m.p2p_port}  {m.name}"
              for m in g.members]
    lines.append(f"issuers       {len(g.issuers)}")
    lines += [f"  key {key_id(k.raw)}  {name}" for k, name in g.issuers]
    lines.append(f"admins        {g.admin_threshold} of {len(g.admins)} must sign issuer changes")
    lines += [f"  key {key_id(k.raw)}  {name}" for k, name in g.admins]
    lines.append("params        " + ", ".join(f"{k}={v}" for k, v in vars(g.params).items()))
    return "\n".join(lines)


def load_genesis(path: Path) -> Genesis:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValidationError("genesis.missing_file", f"genesis file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError("genesis.unreadable", f"cannot read genesis file {path}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise ValidationError("genesis.json", f"genesis file {path} is not valid JSON (line {exc.lineno})") from None
    return parse_genesis(doc)
