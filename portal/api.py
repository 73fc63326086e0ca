"""The JSON API of SPEC section 7, served by every node under /api/v1."""

from __future__ import annotations

import base64
import binascii
import re
from datetime import UTC, date, datetime
from typing import Any, NamedTuple

import orjson
from aiohttp import web

from certificate.certno import normalise_cert_no
from certificate.errors import ValidationError
from certificate.mykad import parse_mykad
from certificate.tx import Transaction
from certificate.vc import ChainAnchor, credential_for_certificate
from certificate.workdays import deadline, working_days_between
from node.engine import TxResult
from node.service import CertView, NodeService, Unavailable
from portal.errors import ApiError
from portal.ratelimit import RateLimiter, client_address
from portal.readcache import AnswerCache, HeightCache

MAX_BATCH = 5000
_HEIGHT = re.compile(r"[0-9]{1,18}")
SERVICE = web.AppKey("service", NodeService)
LOOKUP_LIMIT = web.AppKey("lookup_limit", RateLimiter)
TRUST_XFF = web.AppKey("trust_xff", bool)
HOLDER_ANSWERS = web.AppKey("holder_answers", AnswerCache)
BLOCK_PARTS = web.AppKey("block_parts", HeightCache["BlockParts"])
JSON_UTF8 = "application/json; charset=utf-8"


def _service(request: web.Request) -> NodeService:
    return request.app[SERVICE]


async def _fresh(svc: NodeService) -> None:
    try:
        await svc.fresh()
    except Unavailable as exc:
        raise ApiError(503, "node.not_current", str(exc), retry_after=exc.retry_after) from None


def cert_json(svc: NodeService, cv: CertView, *, with_proof: bool = True) -> dict[str, Any]:
    out = _cert_fields(cv.record, cv.entry, {"height": cv.height, "hash": cv.block_hash.hex()})
    if with_proof:
        out["proof"] = svc.engine.state.proof(cv.entry).to_json()
    return out


def _cert_fields(record: dict[str, Any], e: dict[str, Any], block: Any) -> dict[str, Any]:
    """A certificate's answer without its proof, from its stored entry (one shape for every
    endpoint and page; ``block`` as a dict or already encoded)."""
    rev = e.get("revocation")
    return {
        "record": record, "status": e["status"], "block": block, "issuer_key": e["issuer"].hex(),
        "superseded_by": e.get("superseded_by"), "supersedes": e.get("supersedes"),
        "revocation": None if rev is None else {"reason": rev["reason"], "revoked_at": rev["revoked_at"],
                                                "height": rev["height"]},
    }


def _cert_no(request: web.Request) -> str:
    try:
        return normalise_cert_no(request.match_info["cert_no"])
    except ValidationError as exc:
        raise ApiError(400, exc.code, exc.message) from None


def _ic(request: web.Request) -> str:
    app = request.app
    if not app[LOOKUP_LIMIT].allow(client_address(request, app[TRUST_XFF])):
        _service(request).metrics.inc("http_rate_limited_total")
        raise ApiError(429, "rate_limited", "too many MyKad look-ups; wait and try again",
                       retry_after=app[LOOKUP_LIMIT].retry_after())
    try:
        return parse_mykad(request.match_info["ic"]).number
    except ValidationError as exc:
        raise ApiError(400, exc.code, exc.message) from None


async def status(request: web.Request) -> web.Response:
    return web.json_response(_service(request).status())


async def chain(request: web.Request) -> web.Response:
    return web.json_response(_service(request).genesis.public_json())


async def certificate(request: web.Request) -> web.Response:
    svc = _service(request)
    cert_no = _cert_no(request)
    await _fresh(svc)
    cv = svc.certificate(cert_no)
    if cv is None:
        raise ApiError(404, "cert.not_found", f"no certificate {cert_no} on this chain")
    return web.json_response(cert_json(svc, cv))


async def certificate_vc(request: web.Request) -> web.Response:
    """The certificate as a W3C VC 2.0, signed by this node's key (see certificate.vc)."""
    svc = _service(request)
    cert_no = _cert_no(request)
    await _fresh(svc)
    cv = svc.certificate(cert_no)
    if cv is None:
        raise ApiError(404, "cert.not_found", f"no certificate {cert_no} on this chain")
    meta = svc.engine.state.block_meta(cv.height)
    assert meta is not None
    created = datetime.fromtimestamp(meta.header.time_ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    anchor: ChainAnchor = {
        "tx_id": Transaction.decode(cv.entry["tx"]).id_hex, "block_height": cv.height,
        "block_hash": cv.block_hash.hex(), "issuer_public_key": cv.entry["issuer"].hex(),
    }
    doc = credential_for_certificate(cv.record, public_base_url=svc.public_base_url, key=svc.engine.key,
                                     created=created, chain_anchor=anchor)
    return web.json_response(doc)


class BlockParts(NamedTuple):
    """What every certificate of one block shares in an answer, encoded once per block:
    ``cert_json``'s ``block`` and its proof's ``header`` (JSON) and ``header_sig``."""

    block: orjson.Fragment
    header: orjson.Fragment
    header_sig: str
    tx_count: int


def block_parts(svc: NodeService, height: int) -> BlockParts:
    meta = svc.engine.state.block_meta(height)
    if meta is None:
        raise LookupError(f"no applied block at height {height}")
    h = meta.header
    return BlockParts(
        orjson.Fragment(orjson.dumps({"height": height, "hash": meta.hash.hex()})),
        orjson.Fragment(orjson.dumps({"height": h.height, "prev_hash": h.prev_hash.hex(),
                                      "merkle_root": h.merkle_root.hex(), "time_ms": h.time_ms,
                                      "proposer": h.proposer, "tx_count": h.tx_count})),
        meta.signature.hex(), h.tx_count)


def holder_answer(svc: NodeService, ic: str, parts: HeightCache[BlockParts]) -> bytes:
    """The JSON body of ``GET /api/v1/holders/{ic}/certificates``: ``{"certificates": [...]}``
    with each item exactly ``cert_json`` (a test holds the two equal), built straight from the
    stored entries with the per-block parts from ``parts``: no ``CertView`` or
    ``CertificateProof`` per certificate, and the block's JSON is not encoded again."""
    state = svc.engine.state
    chain_id = svc.genesis.chain_id
    path = state.index.path
    certs = []
    for e, record in state.holder_entries(ic):
        height, index = e["height"], e["index"]
        bp = parts(height)
        item = _cert_fields(record, e, bp.block)
        item["proof"] = {"chain_id": chain_id, "tx": e["tx"].hex(), "index": index,
                         "path": [p.hex() for p in path(height, bp.tx_count, index)],
                         "header": bp.header, "header_sig": bp.header_sig}
        certs.append(item)
    return orjson.dumps({"certificates": certs})


async def holder_certificates(request: web.Request) -> web.Response:
    svc = _service(request)
    ic = _ic(request)
    await _fresh(svc)
    # The answer depends on the holder and the applied state only, and the state changes only
    # with the head height: after the barrier above, (ic, height) names exactly this answer.
    key = (ic, svc.engine.state.head.height)
    app = request.app
    answers = app[HOLDER_ANSWERS]
    body = answers.get(key)
    if body is None:
        body = holder_answer(svc, ic, app[BLOCK_PARTS])
        answers.put(key, body)
    return web.Response(body=body, headers={"Content-Type": JSON_UTF8})


def generation_status(svc: NodeService, ic: str, today: date | None = None) -> dict[str, Any]:
    """Approved-but-not-generated items with their 14-working-day deadline, and generated ones."""
    today = today or date.today()
    pending, generated = [], []
    for ap in sorted(svc.engine.state.approvals_for_holder(ic), key=lambda a: (a["jpps_date"], a["jpps_ref"])):
        jdate = date.fromisoformat(ap["jpps_date"])
        due = deadline(jdate, state=ap.get("state"))
        item = {
            "jpps_ref": ap["jpps_ref"], "jpps_date": ap["jpps_date"], "kind": ap["kind"],
            "level": ap["level"], "noss_code": ap["noss_code"], "programme_ms": ap["programme_ms"],
            "centre_code": ap["centre_code"], "deadline": due.isoformat(),
        }
        if ap.get("cert_no"):
            item["cert_no"] = ap["cert_no"]
            item["generated_height"] = ap.get("generated_height")
            ms = ap.get("generated_ms")
            item["generated_date"] = date.fromtimestamp(ms / 1000).isoformat() if ms else None
            item["on_time"] = item["generated_date"] is None or item["generated_date"] <= due.isoformat()
            generated.append(item)
        else:
            item["overdue"] = today > due
            item["working_days_left"] = (working_days_between(today, due, state=ap.get("state"))
                                         if today <= due else 0)
            pending.append(item)
    known = {g.get("cert_no") for g in generated}
    for cv in svc.holder_certificates(ic):
        if cv.record["cert_no"] not in known:
            generated.append({"cert_no": cv.record["cert_no"], "jpps_ref": cv.record["jpps_ref"],
                              "jpps_date": cv.record["jpps_date"], "kind": cv.record["kind"],
                              "level": cv.record["level"], "noss_code": cv.record["noss_code"],
                              "programme_ms": cv.record["programme_ms"],
                              "centre_code": cv.record["centre_code"], "generated_height": cv.height})
    return {"pending": pending, "generated": generated}


async def holder_status(request: web.Request) -> web.Response:
    svc = _service(request)
    ic = _ic(request)
    await _fresh(svc)
    return web.json_response(generation_status(svc, ic))


def meeting_summary(svc: NodeService, ref: str, today: date | None = None) -> dict[str, Any] | None:
    """One JPPS meeting's counts (approved, generated, pending, overdue); shared with the /jpps page."""
    m, approvals = svc.engine.state.meeting(ref)
    if m is None:
        return None
    today = today or date.today()
    due = deadline(date.fromisoformat(m["jpps_date"]), state=m.get("state"))
    gen = [a for a in approvals if a.get("cert_no")]
    return {
        "jpps_ref": ref, "jpps_date": m["jpps_date"], "state": m.get("state"),
        "deadline": due.isoformat(), "approved": len(approvals), "generated": len(gen),
        "pending": len(approvals) - len(gen),
        "overdue": (len(approvals) - len(gen)) if today > due else 0,
        "parts_received": m["parts_seen"], "parts": m["parts"],
    }


async def meeting(request: web.Request) -> web.Response:
    svc = _service(request)
    ref = request.match_info["ref"]
    if len(ref) > 64:
        raise ApiError(400, "jpps.ref", "JPPS reference too long")
    await _fresh(svc)
    summary = meeting_summary(svc, ref)
    if summary is None:
        raise ApiError(404, "jpps.not_found", f"no JPPS meeting {ref} on this chain")
    return web.json_response(summary)


def _block_json(svc: NodeService, height: int) -> dict[str, Any]:
    block = svc.engine.state.block(height)
    if block is None:
        raise ApiError(404, "block.not_found", f"no block at height {height}")
    h = block.header
    return {
        "height": h.height, "hash": block.hash.hex(), "prev_hash": h.prev_hash.hex(),
        "merkle_root": h.merkle_root.hex(), "time_ms": h.time_ms, "proposer": h.proposer,
        "tx_count": h.tx_count, "signature": block.signature.hex(),
        "txs": [base64.b64encode(t).decode() for t in block.txs],
    }


async def block_at(request: web.Request) -> web.Response:
    raw = request.match_info["height"]
    if not _HEIGHT.fullmatch(raw):  # not str.isdigit: "²" and "١" are digits to it
        raise ApiError(400, "block.height", "height must be a non-negative integer")
    return web.json_response(_block_json(_service(request), int(raw)))


async def block_head(request: web.Request) -> web.Response:
    svc = _service(request)
    if svc.engine.state.head.height == 0:
        raise ApiError(404, "block.not_found", "the chain has no blocks yet")
    return web.json_response(_block_json(svc, svc.engine.state.head.height))


def _decode_b64(value: Any, where: str) -> bytes:
    if not isinstance(value, str) or len(value) > 2_000_000:
        raise ApiError(400, "tx.encoding", f"{where} must be a base64 string of a signed transaction")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(400, "tx.encoding", f"{where} is not valid base64") from None


async def _json_body(request: web.Request) -> Any:
    if request.content_length is not None and request.content_length > request.app._client_max_size:
        raise ApiError(413, "too_large", "request body too large")
    try:
        return await request.json()
    except web.HTTPRequestEntityTooLarge:
        raise ApiError(413, "too_large", "request body too large") from None
    except (ValueError, UnicodeDecodeError, RecursionError):
        # RecursionError: json.loads gives up on nesting ~1000 deep; no valid request is deep.
        raise ApiError(400, "bad_json", "request body is not valid JSON") from None


def _result_json(r: TxResult) -> dict[str, Any]:
    out: dict[str, Any] = {"status": r.status, "tx_id": r.tx_id}
    if r.status in (200, 201):
        out.update(height=r.height, block_hash=r.block_hash)
    if r.code and r.status >= 300:
        out["error"] = {"code": r.code, "message": r.message}
    return out


def _wait(request: web.Request) -> bool:
    wait = request.query.get("wait", "commit")
    if wait not in ("commit", "none"):
        raise ApiError(400, "bad_query", "wait must be 'commit' or 'none'")
    return wait == "commit"


async def submit_tx(request: web.Request) -> web.Response:
    svc = _service(request)
    wait = _wait(request)
    body = await _json_body(request)
    if not isinstance(body, dict) or set(body) != {"tx"}:
        raise ApiError(400, "tx.shape", 'body must be {"tx": "<base64 signed transaction>"}')
    raw = _decode_b64(body["tx"], "tx")
    try:
        [res] = await svc.submit([raw], wait=wait)
    except Unavailable as exc:
        raise ApiError(503, "node.no_leader", str(exc), retry_after=exc.retry_after) from None
    if res.status >= 400:
        raise ApiError(res.status, res.code or "tx.rejected", res.message or "rejected",
                       retry_after=1 if res.status == 503 else None)
    if not wait:
        return web.json_response({"tx_id": res.tx_id, "status": "accepted" if res.status == 202 else "committed"},
                                 status=202)
    return web.json_response({"tx_id": res.tx_id, "height": res.height, "block_hash": res.block_hash},
                             status=201)


async def submit_txs(request: web.Request) -> web.Response:
    svc = _service(request)
    wait = _wait(request)
    body = await _json_body(request)
    if not isinstance(body, dict) or set(body) != {"txs"} or not isinstance(body["txs"], list):
        raise ApiError(400, "tx.shape", 'body must be {"txs": ["<base64 signed transaction>", ...]}')
    if not 1 <= len(body["txs"]) <= MAX_BATCH:
        raise ApiError(400, "tx.batch_size", f"a batch holds 1-{MAX_BATCH} transactions")
    raws = [_decode_b64(t, f"txs[{i}]") for i, t in enumerate(body["txs"])]
    try:
        results = await svc.submit(raws, wait=wait)
    except Unavailable as exc:
        raise ApiError(503, "node.no_leader", str(exc), retry_after=exc.retry_after) from None
    return web.json_response({"results": [_result_json(r) for r in results]})


async def metrics(request: web.Request) -> web.Response:
    return web.Response(text=_service(request).render_metrics(), content_type="text/plain",
                        charset="utf-8", headers={"X-Content-Type-Options": "nosniff"})


async def openapi_json(request: web.Request) -> web.Response:
    from portal.openapi import document

    return web.json_response(document(_service(request).public_base_url))


async def healthz(request: web.Request) -> web.Response:
    ok = _service(request).healthy()
    return web.json_response({"healthy": ok}, status=200 if ok else 503)


def add_routes(app: web.Application) -> None:
    app[HOLDER_ANSWERS] = AnswerCache()
    app[BLOCK_PARTS] = HeightCache(lambda height: block_parts(app[SERVICE], height))
    app.router.add_get("/api/v1/status", status)
    app.router.add_get("/api/v1/chain", chain)
    app.router.add_post("/api/v1/tx", submit_tx)
    app.router.add_post("/api/v1/txs", submit_txs)
    app.router.add_get("/api/v1/certificates/{cert_no}", certificate)
    app.router.add_get("/api/v1/certificates/{cert_no}/vc", certificate_vc)
    app.router.add_get("/api/v1/holders/{ic}/certificates", holder_certificates)
    app.router.add_get("/api/v1/holders/{ic}/status", holder_status)
    app.router.add_get("/api/v1/jpps/{ref}", meeting)
    app.router.add_get("/api/v1/blocks/head", block_head)
    app.router.add_get("/api/v1/blocks/{height}", block_at)
    app.router.add_get("/api/v1/openapi.json", openapi_json)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/healthz", healthz)
