"""OpenAPI 3.1 description of the JSON API (``GET /api/v1/openapi.json``).

Built in code so that it stays next to what it describes; ``tests/api/test_openapi.py`` checks
that every route the application registers under ``/api/v1`` (and ``/metrics``, ``/healthz``) is
described here and that every described path exists, so the document cannot silently drift.
"""

from __future__ import annotations

import copy
from typing import Any, Final

from certificate.record import FIELDS as RECORD_FIELDS

VERSION: Final = "1.0.0"

JSON = "application/json"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _resp_ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/responses/{name}"}


def _json(schema: dict[str, Any], description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"description": description, "content": {JSON: {"schema": schema}}}
    if headers:
        out["headers"] = headers
    return out


def _obj(props: dict[str, Any], required: list[str] | None = None, *, extra: bool = False,
         description: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object", "properties": props,
                           "required": list(props) if required is None else required,
                           "additionalProperties": extra}
    if description:
        out["description"] = description
    return out


HEX32 = {"type": "string", "pattern": "^[0-9a-f]{64}$", "description": "32 bytes as lowercase hex"}
HEX64 = {"type": "string", "pattern": "^[0-9a-f]{128}$", "description": "64 bytes as lowercase hex"}
NULLABLE_STR = {"type": ["string", "null"]}
CERT_NO = {"type": "string", "pattern": "^(SKM[1-3]|DKM4|DLKM5|PC[1-5])-[0-9]{2}-[0-9A-Z]{8}-[0-9A-Z]$",
           "examples": ["SKM3-26-7H3K9P2M-X"]}
RETRY_AFTER = {"Retry-After": {"description": "seconds to wait before trying again",
                               "schema": {"type": "integer", "minimum": 1}}}

_RECORD_TYPES: dict[str, Any] = {
    "cert_no": CERT_NO,
    "kind": {"type": "string", "enum": ["SKM", "DKM", "DLKM", "PC"]},
    "level": {"type": "integer", "minimum": 1, "maximum": 5},
    "holder_name": {"type": "string"},
    "holder_ic": {"type": "string", "pattern": "^[0-9]{12}$", "description": "MyKad number, 12 digits"},
    "noss_code": {"type": "string"},
    "programme_ms": {"type": "string"},
    "programme_en": {"type": "string"},
    "method": {"type": "string", "enum": ["SLaPB", "PPT", "SLDN"]},
    "centre_code": {"type": "string"},
    "centre_name": {"type": "string"},
    "jpps_ref": {"type": "string"},
    "jpps_date": {"type": "string", "format": "date"},
    "issued_at": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"},
    "supersedes": {"anyOf": [CERT_NO, {"type": "null"}]},
}

SCHEMAS: dict[str, Any] = {
    "Error": _obj({"error": _obj({
        "code": {"type": "string", "description": "stable machine code, e.g. mykad.length, tx.signature"},
        "message": {"type": "string", "description": "English explanation with the specifics"},
    })}, description="Every error answer of the API and of /metrics and /healthz"),
    "NodeStatus": _obj({
        "node_id": {"type": "string"},
        "name": {"type": "string"},
        "role": {"type": "string", "enum": ["leader", "follower", "candidate"]},
        "term": {"type": "integer", "minimum": 0},
        "leader_id": NULLABLE_STR,
        "height": {"type": "integer", "minimum": 0},
        "head_hash": HEX32,
        "commit_index": {"type": "integer", "minimum": 0},
        "applied_index": {"type": "integer", "minimum": 0},
        "pending_txs": {"type": "integer", "minimum": 0},
        "inflight_blocks": {"type": "integer", "minimum": 0},
        "chain_id": {"type": "string"},
        "peers": {"type": "array", "items": _obj({
            "node_id": {"type": "string"}, "name": {"type": "string"}, "connected": {"type": "boolean"}})},
    }),
    "ChainInfo": _obj({
        "chain_id": {"type": "string"},
        "genesis_hash": HEX32,
        "qr_base_url": {"type": "string", "format": "uri"},
        "members": {"type": "array", "items": _obj({
            "node_id": {"type": "string"}, "name": {"type": "string"}, "public_key": HEX32,
            "http_url": {"type": "string"}})},
        "admin_threshold": {"type": "integer", "minimum": 1},
    }, description="What a verifier needs to check proofs offline"),
    "TxSubmission": _obj({"tx": {"type": "string", "contentEncoding": "base64",
                                 "description": "base64 of the canonical encoding of a signed transaction"}}),
    "TxBatch": _obj({"txs": {"type": "array", "minItems": 1, "maxItems": 5000,
                             "items": {"type": "string", "contentEncoding": "base64"}}}),
    "TxCommitted": _obj({"tx_id": HEX32, "height": {"type": "integer", "minimum": 1}, "block_hash": HEX32}),
    "TxAccepted": _obj({"tx_id": HEX32, "status": {"type": "string", "enum": ["accepted", "committed"]}}),
    "TxResult": _obj({
        "status": {"type": "integer", "description": "the HTTP status this transaction alone would get"},
        "tx_id": {"type": ["string", "null"]},
        "height": {"type": ["integer", "null"]},
        "block_hash": {"type": ["string", "null"]},
        "error": _obj({"code": {"type": "string"}, "message": {"type": "string"}}),
    }, required=["status", "tx_id"]),
    "TxResults": _obj({"results": {"type": "array", "items": _ref("TxResult"),
                                   "description": "one result per submitted transaction, in order"}}),
    "Record": _obj({f: _RECORD_TYPES[f] for f in RECORD_FIELDS},
                   description="The certificate record exactly as its issuer signed it"),
    "Proof": _obj({
        "chain_id": {"type": "string"},
        "tx": {"type": "string", "description": "hex of the signed transaction"},
        "index": {"type": "integer", "minimum": 0},
        "path": {"type": "array", "items": HEX32, "description": "RFC 6962 audit path"},
        "header": _ref("BlockHeader"),
        "header_sig": HEX64,
    }, description="Checkable offline with the member keys of GET /api/v1/chain"),
    "BlockHeader": _obj({
        "height": {"type": "integer"}, "prev_hash": HEX32, "merkle_root": HEX32,
        "time_ms": {"type": "integer"}, "proposer": {"type": "string"}, "tx_count": {"type": "integer"},
    }),
    "Certificate": _obj({
        "record": _ref("Record"),
        "status": {"type": "string", "enum": ["valid", "revoked", "superseded"]},
        "block": _obj({"height": {"type": "integer"}, "hash": HEX32}),
        "issuer_key": HEX32,
        "superseded_by": {"anyOf": [CERT_NO, {"type": "null"}]},
        "supersedes": {"anyOf": [CERT_NO, {"type": "null"}]},
        "revocation": {"anyOf": [_obj({"reason": {"type": "string"}, "revoked_at": {"type": "string"},
                                       "height": {"type": "integer"}}), {"type": "null"}]},
        "proof": _ref("Proof"),
    }),
    "Credential": {"type": "object", "additionalProperties": True,
                   "description": "W3C Verifiable Credential 2.0 with an eddsa-jcs-2022 DataIntegrityProof",
                   "required": ["@context", "type", "issuer", "credentialSubject", "proof"]},
    "HolderCertificates": _obj({"certificates": {"type": "array", "items": _ref("Certificate")}}),
    "GenerationStatus": _obj({
        "pending": {"type": "array", "items": {"type": "object", "additionalProperties": True,
                                               "description": "approved, not generated: jpps_ref, jpps_date, "
                                               "kind, level, noss_code, programme_ms, centre_code, deadline, "
                                               "overdue, working_days_left"}},
        "generated": {"type": "array", "items": {"type": "object", "additionalProperties": True,
                                                 "description": "generated: cert_no, jpps_ref, deadline, "
                                                 "generated_height, generated_date, on_time, ..."}},
    }, description="Approved-but-not-generated items with their 14-working-day deadline, and generated ones"),
    "Meeting": _obj({
        "jpps_ref": {"type": "string"}, "jpps_date": {"type": "string", "format": "date"},
        "state": NULLABLE_STR, "deadline": {"type": "string", "format": "date"},
        "approved": {"type": "integer"}, "generated": {"type": "integer"}, "pending": {"type": "integer"},
        "overdue": {"type": "integer"}, "parts_received": {"type": "integer"}, "parts": {"type": "integer"},
    }),
    "Block": _obj({
        "height": {"type": "integer"}, "hash": HEX32, "prev_hash": HEX32, "merkle_root": HEX32,
        "time_ms": {"type": "integer"}, "proposer": {"type": "string"}, "tx_count": {"type": "integer"},
        "signature": HEX64,
        "txs": {"type": "array", "items": {"type": "string", "contentEncoding": "base64"}},
    }),
    "PdfVerdict": _obj({
        "verdict": {"type": "string", "enum": ["authentic", "revoked", "superseded", "edited", "not_ours",
                                               "not_pdf", "unreadable"]},
        "authentic": {"type": "boolean"},
        "message": {"type": "string"},
        "summary": _obj({"ms": {"type": "string"}, "en": {"type": "string"}}),
        "cert_no": NULLABLE_STR,
        "status": NULLABLE_STR,
        "block": {"anyOf": [_obj({"height": {"type": "integer"}, "hash": {"type": "string"}}), {"type": "null"}]},
        "superseded_by": NULLABLE_STR,
        "revocation_reason": NULLABLE_STR,
    }),
    "Health": _obj({"healthy": {"type": "boolean"}}),
}

ERRORS: dict[str, tuple[str, bool]] = {
    "BadRequest": ("Malformed input (JSON, field, MyKad number, certificate number, ...)", False),
    "Forbidden": ("Signed by a key that may not do this (unregistered issuer, too few admins)", False),
    "NotFound": ("No such object on this chain, or no such path", False),
    "Conflict": ("Clashes with the chain (certificate number already issued, already revoked, ...)", False),
    "TooLarge": ("Request body too large", False),
    "RateLimited": ("Too many look-ups from this client", True),
    "Unavailable": ("No leader, no quorum, or this node cannot confirm it is current; retry", True),
    "MethodNotAllowed": ("Wrong method for this path (the Allow header lists the right ones)", False),
}


def _errors(*names: str) -> dict[str, Any]:
    status = {"BadRequest": "400", "Forbidden": "403", "NotFound": "404", "MethodNotAllowed": "405",
              "Conflict": "409", "TooLarge": "413", "RateLimited": "429", "Unavailable": "503"}
    return {status[n]: _resp_ref(n) for n in names}


def _path_param(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema, "description": description}


CERT_PARAM = _path_param("cert_no", {"type": "string", "maxLength": 64},
                         "certificate number; one with a wrong check character is refused (400), not looked up")
IC_PARAM = _path_param("ic", {"type": "string", "pattern": "^[0-9]{12}$"},
                       "MyKad number, 12 digits without dashes")
WAIT_PARAM = {"name": "wait", "in": "query", "required": False,
              "schema": {"type": "string", "enum": ["commit", "none"], "default": "commit"},
              "description": "commit: answer once committed and applied on this node (201); none: once accepted (202)"}


def _op(op_id: str, summary: str, responses: dict[str, Any], *, params: list[Any] | None = None,
        body: dict[str, Any] | None = None, tags: list[str] | None = None, description: str | None = None
        ) -> dict[str, Any]:
    op: dict[str, Any] = {"operationId": op_id, "summary": summary, "tags": tags or ["chain"],
                          "responses": {**responses, "405": _resp_ref("MethodNotAllowed")}}
    if description:
        op["description"] = description
    if params:
        op["parameters"] = params
    if body:
        op["requestBody"] = body
    return op


PATHS: dict[str, Any] = {
    "/api/v1/status": {"get": _op("getStatus", "This node's view of the chain and of consensus", {
        "200": _json(_ref("NodeStatus"), "status")}, tags=["node"])},
    "/api/v1/chain": {"get": _op("getChain", "Chain id, genesis hash and member keys (for offline checks)", {
        "200": _json(_ref("ChainInfo"), "public genesis information")}, tags=["node"])},
    "/api/v1/tx": {"post": _op(
        "submitTx", "Submit one signed transaction",
        {"201": _json(_ref("TxCommitted"), "committed and applied on this node"),
         "202": _json(_ref("TxAccepted"), "accepted (with ?wait=none)"),
         **_errors("BadRequest", "Forbidden", "NotFound", "Conflict", "TooLarge", "Unavailable")},
        params=[WAIT_PARAM],
        body={"required": True, "content": {JSON: {"schema": _ref("TxSubmission")}}},
        tags=["transactions"],
        description="Idempotent: the same transaction again answers with its first place on the chain. "
                    "Followers forward to the leader. 404 when a revocation names an unknown certificate.")},
    "/api/v1/txs": {"post": _op(
        "submitTxs", "Submit a batch of signed transactions; one result each, in order",
        {"200": _json(_ref("TxResults"), "per-transaction results (each with its own status)"),
         **_errors("BadRequest", "TooLarge", "Unavailable")},
        params=[WAIT_PARAM],
        body={"required": True, "content": {JSON: {"schema": _ref("TxBatch")}}},
        tags=["transactions"])},
    "/api/v1/certificates/{cert_no}": {"get": _op(
        "getCertificate", "A certificate with its status, block and proof",
        {"200": _json(_ref("Certificate"), "the certificate"),
         **_errors("BadRequest", "NotFound", "Unavailable")},
        params=[CERT_PARAM], tags=["certificates"])},
    "/api/v1/certificates/{cert_no}/vc": {"get": _op(
        "getCertificateCredential", "The certificate as a W3C Verifiable Credential 2.0",
        {"200": _json(_ref("Credential"), "the credential, signed by the serving node's key"),
         **_errors("BadRequest", "NotFound", "Unavailable")},
        params=[CERT_PARAM], tags=["certificates"])},
    "/api/v1/holders/{ic}/certificates": {"get": _op(
        "getHolderCertificates", "Every certificate of one MyKad number (Semakan Sijil)",
        {"200": _json(_ref("HolderCertificates"), "the holder's certificates (possibly none)"),
         **_errors("BadRequest", "RateLimited", "Unavailable")},
        params=[IC_PARAM], tags=["holders"])},
    "/api/v1/holders/{ic}/status": {"get": _op(
        "getHolderStatus", "Generation status: approved items and their 14-working-day deadline",
        {"200": _json(_ref("GenerationStatus"), "pending and generated items"),
         **_errors("BadRequest", "RateLimited", "Unavailable")},
        params=[IC_PARAM], tags=["holders"])},
    "/api/v1/jpps/{ref}": {"get": _op(
        "getMeeting", "One JPPS meeting's approvals and how many are generated",
        {"200": _json(_ref("Meeting"), "the meeting"), **_errors("BadRequest", "NotFound", "Unavailable")},
        params=[_path_param("ref", {"type": "string", "maxLength": 64}, "JPPS meeting reference")],
        tags=["certificates"])},
    "/api/v1/blocks/head": {"get": _op(
        "getHeadBlock", "The newest block", {"200": _json(_ref("Block"), "the block"), **_errors("NotFound")},
        tags=["blocks"])},
    "/api/v1/blocks/{height}": {"get": _op(
        "getBlock", "The block at a height",
        {"200": _json(_ref("Block"), "the block"), **_errors("BadRequest", "NotFound")},
        params=[_path_param("height", {"type": "string", "pattern": "^[0-9]{1,18}$"}, "block height, 1 or more")],
        tags=["blocks"])},
    "/api/v1/verify-pdf": {"post": _op(
        "verifyPdf", "Check an uploaded certificate PDF (authentic, or what is wrong with it)",
        {"200": _json(_ref("PdfVerdict"), "the verdict (also for PDFs that are not authentic)"),
         **_errors("BadRequest", "TooLarge", "RateLimited", "Unavailable")},
        body={"required": True, "content": {
            "application/pdf": {"schema": {"type": "string", "contentMediaType": "application/pdf"}},
            "multipart/form-data": {"schema": _obj({"pdf": {"type": "string", "contentMediaType":
                                                            "application/pdf"}}, extra=True)}}},
        tags=["certificates"])},
    "/api/v1/openapi.json": {"get": _op(
        "getOpenApi", "This document", {"200": {"description": "OpenAPI 3.1",
                                                "content": {JSON: {"schema": {"type": "object"}}}}},
        tags=["node"])},
    "/metrics": {"get": _op(
        "getMetrics", "Prometheus metrics (text exposition format)",
        {"200": {"description": "metrics", "content": {"text/plain": {"schema": {"type": "string"}}}}},
        tags=["node"])},
    "/healthz": {"get": _op(
        "getHealth", "200 when this node is part of a quorum, 503 otherwise",
        {"200": _json(_ref("Health"), "healthy"), "503": _json(_ref("Health"), "not part of a quorum")},
        tags=["node"])},
}


def document(server_url: str | None = None) -> dict[str, Any]:
    """The OpenAPI document (a fresh copy: callers may modify it)."""
    doc: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "SPKM eCertificate chain node API",
            "version": VERSION,
            "summary": "JSON API served by every node of JPK's skills-certificate chain",
            "description": "Every error is {\"error\": {\"code\", \"message\"}} with a 4xx or 5xx status. "
                           "Reads are linearizable: a node that cannot confirm it is current answers 503.",
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
        },
        "paths": PATHS,
        "components": {
            "schemas": SCHEMAS,
            "responses": {
                name: _json(_ref("Error"), text, RETRY_AFTER if retry else None)
                for name, (text, retry) in ERRORS.items()
            },
        },
    }
    if server_url:
        doc["servers"] = [{"url": server_url}]
    return copy.deepcopy(doc)
