"""``node.toml``: one agency's settings for its node.

Relative paths are resolved against the file's own folder, so a config can be moved with its
keys and data. Every mistake is reported as one ``ValidationError`` naming the key.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from certificate.errors import ValidationError

LOG_LEVELS = ("debug", "info", "warning", "error")


@dataclass(frozen=True)
class PortalOptions:
    session_secret_file: Path | None = None
    lookup_rate_per_minute: int = 30
    login_rate_per_minute: int = 10
    rate_limit_exempt: tuple[str, ...] = ()
    trust_forwarded_for: bool = False
    max_upload_bytes: int = 5 << 20


@dataclass(frozen=True)
class NodeConfig:
    path: Path
    node_id: str
    key_file: Path
    data_dir: Path
    genesis_file: Path
    p2p_host: str
    p2p_port: int
    http_host: str
    http_port: int
    public_base_url: str
    log_level: str = "info"
    portal: PortalOptions = field(default_factory=PortalOptions)


def _addr(value: Any, key: str) -> tuple[str, int]:
    if not isinstance(value, str):
        raise ValidationError("config.type", f"{key} must be \"host:port\"", field=key)
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValidationError("config.address", f"{key} must be \"host:port\", got {value!r}", field=key)
    return host.strip("[]"), int(port)


def _str(doc: dict[str, Any], key: str, default: str | None = None) -> str:
    value = doc.get(key, default)
    if not isinstance(value, str) or not value:
        raise ValidationError("config.missing" if key not in doc else "config.type",
                              f"{key} must be set to a non-empty string", field=key)
    return value


def load_config(path: Path) -> NodeConfig:
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValidationError("config.missing_file", f"config file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError("config.unreadable", f"cannot read config file {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValidationError("config.toml", f"config file {path} is not valid TOML: {exc}") from None
    base = path.resolve().parent

    def rel(key: str, default: str | None = None) -> Path:
        p = Path(_str(doc, key, default))
        return p if p.is_absolute() else base / p

    known = {"node_id", "key_file", "data_dir", "genesis_file", "p2p_listen", "http_listen",
             "public_base_url", "log_level", "portal"}
    unknown = set(doc) - known
    if unknown:
        raise ValidationError("config.unknown", f"unknown setting {sorted(unknown)[0]!r}")
    p2p = _addr(doc.get("p2p_listen"), "p2p_listen")
    http = _addr(doc.get("http_listen"), "http_listen")
    log_level = _str(doc, "log_level", "info").lower()
    if log_level not in LOG_LEVELS:
        raise ValidationError("config.log_level", f"log_level must be one of {', '.join(LOG_LEVELS)}")
    public = _str(doc, "public_base_url", f"http://{http[0]}:{http[1]}").rstrip("/")
    if not public.startswith(("http://", "https://")):
        raise ValidationError("config.url", "public_base_url must start with http:// or https://")
    portal_doc = doc.get("portal", {})
    if not isinstance(portal_doc, dict):
        raise ValidationError("config.type", "[portal] must be a table")
    portal = _portal(portal_doc, base)
    return NodeConfig(
        path=path, node_id=_str(doc, "node_id"), key_file=rel("key_file"),
        data_dir=rel("data_dir"), genesis_file=rel("genesis_file"),
        p2p_host=p2p[0], p2p_port=p2p[1], http_host=http[0], http_port=http[1],
        public_base_url=public, log_level=log_level, portal=portal,
    )


def _portal(doc: dict[str, Any], base: Path) -> PortalOptions:
    known = set(PortalOptions.__dataclass_fields__)
    unknown = set(doc) - known
    if unknown:
        raise ValidationError("config.unknown", f"unknown [portal] setting {sorted(unknown)[0]!r}")
    values: dict[str, Any] = {}
    for key in ("lookup_rate_per_minute", "login_rate_per_minute", "max_upload_bytes"):
        if key in doc:
            if not isinstance(doc[key], int) or isinstance(doc[key], bool) or doc[key] <= 0:
                raise ValidationError("config.type", f"portal.{key} must be a positive integer")
            values[key] = doc[key]
    if "rate_limit_exempt" in doc:
        ex = doc["rate_limit_exempt"]
        if not isinstance(ex, list) or not all(isinstance(v, str) for v in ex):
            raise ValidationError("config.type", "portal.rate_limit_exempt must be a list of addresses")
        values["rate_limit_exempt"] = tuple(ex)
    if "trust_forwarded_for" in doc:
        # bool("false") is True: a quoted value would silently trust a spoofable header
        if not isinstance(doc["trust_forwarded_for"], bool):
            raise ValidationError("config.type", "portal.trust_forwarded_for must be true or false (unquoted)")
        values["trust_forwarded_for"] = doc["trust_forwarded_for"]
    if "session_secret_file" in doc:
        if not isinstance(doc["session_secret_file"], str) or not doc["session_secret_file"]:
            raise ValidationError("config.type", "portal.session_secret_file must be a file name")
        p = Path(doc["session_secret_file"])
        values["session_secret_file"] = p if p.is_absolute() else base / p
    return PortalOptions(**values)
