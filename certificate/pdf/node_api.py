"""Asking a node's JSON API for a certificate and the chain's keys (render / verify-pdf CLIs).

Everything a node says is checked rather than trusted: the proof is verified against the
member keys, and the record, chain id and block must agree with it. Every failure becomes a
``NodeError`` with one line a person can act on (unreachable, timeout, HTTP status, bad JSON).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any, Final

from certificate.errors import ValidationError
from certificate.keys import PublicKey
from certificate.pdf.verify import ChainStatus
from certificate.proof import CertificateProof
from certificate.record import CertificateRecord

MAX_RESPONSE_BYTES: Final = 8 * 1024 * 1024
STATUSES: Final = ("valid", "revoked", "superseded")


class NodeError(Exception):
    """The node could not be asked, or answered something unusable."""


@dataclass(frozen=True)
class ChainInfo:
    chain_id: str
    genesis_hash: str
    qr_base_url: str
    members: dict[str, PublicKey]


@dataclass(frozen=True)
class CertificateEntry:
    record: CertificateRecord
    status: ChainStatus
    proof: CertificateProof


def node_url(text: str) -> str:
    url = text.strip().rstrip("/")
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise NodeError(f"node URL must look like http://host:port, got {text[:80]!r}")
    return url


def get_json(url: str, *, timeout: float) -> Any | None:
    """GET ``url`` and parse JSON; None for 404; NodeError for anything else that fails."""
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read(MAX_RESPONSE_BYTES + 1)
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        raise NodeError(f"{url} answered HTTP {exc.code}{_error_detail(exc)}") from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise NodeError(f"{url} did not answer within {timeout:g} s") from None
        reason = exc.reason.strerror if isinstance(exc.reason, OSError) and exc.reason.strerror else exc.reason
        raise NodeError(f"cannot reach {url}: {reason}") from None
    except TimeoutError:
        raise NodeError(f"{url} did not answer within {timeout:g} s") from None
    except OSError as exc:
        raise NodeError(f"cannot reach {url}: {exc.strerror or exc}") from None
    if len(body) > MAX_RESPONSE_BYTES:
        raise NodeError(f"{url} answered more than {MAX_RESPONSE_BYTES // (1024 * 1024)} MB")
    try:
        return json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise NodeError(f"{url} did not answer valid JSON") from None


def _error_detail(exc: urllib.error.HTTPError) -> str:
    try:
        doc = json.loads(exc.read(65536))
        return f": {str(doc['error']['message'])[:200]}"
    except Exception:  # the error body is only a courtesy
        return ""


def fetch_chain(node: str, *, timeout: float) -> ChainInfo:
    url = f"{node_url(node)}/api/v1/chain"
    doc = get_json(url, timeout=timeout)
    if not isinstance(doc, dict):
        raise NodeError(f"{url} did not answer a chain description")
    try:
        members = {str(m["node_id"]): PublicKey.from_hex(str(m["public_key"])) for m in doc["members"]}
        info = ChainInfo(str(doc["chain_id"]), str(doc["genesis_hash"]), str(doc["qr_base_url"]), members)
    except (KeyError, TypeError, ValidationError):
        raise NodeError(f"{url} did not answer a chain description") from None
    if not members:
        raise NodeError(f"{url} lists no chain members")
    return info


def chain_status(doc: Any) -> ChainStatus:
    """The ``status``/``block`` part of a certificate answer as a ChainStatus."""
    if not isinstance(doc, dict) or doc.get("status") not in STATUSES:
        raise NodeError("certificate answer has no valid status")
    block = doc.get("block")
    record = doc.get("record")
    revocation = doc.get("revocation")
    reason = doc.get("revocation_reason")
    if isinstance(revocation, dict):
        reason = revocation.get("reason", reason)
    superseded_by = doc.get("superseded_by")
    if not isinstance(block, dict) or not isinstance(record, dict):
        raise NodeError("certificate answer has no block or record")
    try:
        return ChainStatus(
            cert_no=str(record["cert_no"]),
            status=doc["status"],
            block_height=int(block["height"]),
            block_hash=str(block["hash"]),
            superseded_by=None if superseded_by is None else str(superseded_by),
            revocation_reason=None if reason is None else str(reason),
        )
    except (KeyError, TypeError, ValueError):
        raise NodeError("certificate answer has no valid block") from None


def fetch_certificate(node: str, cert_no: str, *, timeout: float) -> CertificateEntry | None:
    url = f"{node_url(node)}/api/v1/certificates/{urllib.parse.quote(cert_no, safe='')}"
    doc = get_json(url, timeout=timeout)
    if doc is None:
        return None
    status = chain_status(doc)
    try:
        record = CertificateRecord.from_dict(doc["record"])
        proof = CertificateProof.from_json(doc["proof"])
    except (KeyError, TypeError, ValidationError) as exc:
        raise NodeError(f"{url} answered a malformed certificate ({exc})") from None
    return CertificateEntry(record, status, proof)
