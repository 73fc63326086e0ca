"""Hostile and mistaken input over HTTP: always a 4xx JSON error ``{"error": {"code", "message"}}``,
never a 500, never a traceback, and never anything on the chain."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import random
from typing import Any

import msgpack
import pytest

from certificate import canonical
from certificate.certno import derive_cert_no
from certificate.tx import issue_tx
from tests.api.conftest import ApiNode
from tests.node.helpers import b64, make_record

pytestmark = pytest.mark.timeout(60)


def assert_error(status: int, body: Any, expected: int | tuple[int, ...], code: str | None = None) -> None:
    allowed = expected if isinstance(expected, tuple) else (expected,)
    assert status in allowed, (status, body)
    assert 400 <= status < 500
    assert isinstance(body, dict) and set(body) == {"error"}, body
    err = body["error"]
    assert set(err) == {"code", "message"} and isinstance(err["code"], str) and isinstance(err["message"], str)
    assert err["message"] and "Traceback" not in err["message"]
    if code is not None:
        assert err["code"] == code, err


GOOD_CERT = derive_cert_no("SKM", 3, 2026, b"x")
BAD_CHECK = GOOD_CERT[:-1] + ("A" if GOOD_CERT[-1] != "A" else "B")
VALID_IC = "900101145678"

# (method, path, kwargs, expected status, expected code or None)
CASES: list[tuple[str, str, dict[str, Any], int | tuple[int, ...], str | None]] = [
    # --- POST /api/v1/tx -----------------------------------------------------------------------
    ("POST", "/api/v1/tx", {"data": b"nope"}, 400, "bad_json"),
    ("POST", "/api/v1/tx", {"data": b""}, 400, "bad_json"),
    ("POST", "/api/v1/tx", {"data": b'{"tx": "abc"'}, 400, "bad_json"),
    ("POST", "/api/v1/tx", {"data": b"\xff\xfe{}"}, 400, "bad_json"),
    ("POST", "/api/v1/tx", {"json": []}, 400, "tx.shape"),
    ("POST", "/api/v1/tx", {"json": {}}, 400, "tx.shape"),
    ("POST", "/api/v1/tx", {"json": {"tx": "AAAA", "extra": 1}}, 400, "tx.shape"),
    ("POST", "/api/v1/tx", {"json": {"txs": ["AAAA"]}}, 400, "tx.shape"),
    ("POST", "/api/v1/tx", {"json": {"tx": 5}}, 400, "tx.encoding"),
    ("POST", "/api/v1/tx", {"json": {"tx": None}}, 400, "tx.encoding"),
    ("POST", "/api/v1/tx", {"json": {"tx": ["AAAA"]}}, 400, "tx.encoding"),
    ("POST", "/api/v1/tx", {"json": {"tx": "!!not base64!!"}}, 400, "tx.encoding"),
    ("POST", "/api/v1/tx", {"json": {"tx": "AAA"}}, 400, "tx.encoding"),
    ("POST", "/api/v1/tx", {"json": {"tx": ""}}, 400, None),
    ("POST", "/api/v1/tx", {"json": {"tx": base64.b64encode(random.Random(7).randbytes(300)).decode()}}, 400, None),
    ("POST", "/api/v1/tx", {"json": {"tx": base64.b64encode(msgpack.packb([1, 2, 3])).decode()}}, 400, None),
    ("POST", "/api/v1/tx", {"json": {"tx": base64.b64encode(canonical.encode({"type": "issue", "body": {},
                                                                               "sigs": []})).decode()}}, 400, None),
    ("POST", "/api/v1/tx", {"json": {"tx": base64.b64encode(canonical.encode(
        {"type": "mint", "body": {}, "sigs": []})).decode()}}, 400, "tx.type"),
    ("POST", "/api/v1/tx?wait=maybe", {"json": {"tx": "AAAA"}}, 400, "bad_query"),
    # --- POST /api/v1/txs ----------------------------------------------------------------------
    ("POST", "/api/v1/txs", {"data": b"[["}, 400, "bad_json"),
    ("POST", "/api/v1/txs", {"json": {"txs": []}}, 400, "tx.batch_size"),
    ("POST", "/api/v1/txs", {"json": {"txs": "AAAA"}}, 400, "tx.shape"),
    ("POST", "/api/v1/txs", {"json": {"tx": "AAAA"}}, 400, "tx.shape"),
    ("POST", "/api/v1/txs", {"json": {"txs": [1]}}, 400, "tx.encoding"),
    ("POST", "/api/v1/txs", {"json": {"txs": ["AAAA", "%%%"]}}, 400, "tx.encoding"),
    ("POST", "/api/v1/txs", {"json": {"txs": ["AAAA"] * 5001}}, 400, "tx.batch_size"),
    # --- MyKad numbers ----------------------------------------------------------------------------
    *[("GET", f"/api/v1/holders/{ic}/{what}", {}, 400, None)
      for what in ("certificates", "status")
      for ic in ("900101-14-5678", "90010114567A", "abcdefghijkl", "90010114567", "9001011456789",
                 "٩٠٠١٠١١٤٥٦٧٨", "９００１０１１４５６７８", "901301145678", "%20", "%00",
                 "1" * 10_000, "9" * 200, "900101145678%0A%0Ax")],
    # --- certificate numbers ----------------------------------------------------------------------
    ("GET", f"/api/v1/certificates/{BAD_CHECK}", {}, 400, "certno.check"),
    ("GET", f"/api/v1/certificates/{BAD_CHECK}/vc", {}, 400, "certno.check"),
    ("GET", "/api/v1/certificates/" + "A" * 100, {}, 400, None),
    ("GET", "/api/v1/certificates/%00", {}, 400, None),
    ("GET", "/api/v1/certificates/SKM9-26-7H3K9P2M-X", {}, 400, None),
    ("GET", f"/api/v1/certificates/{GOOD_CERT}", {}, 404, "cert.not_found"),
    # --- blocks, meetings -------------------------------------------------------------------------
    ("GET", "/api/v1/blocks/abc", {}, 400, "block.height"),
    ("GET", "/api/v1/blocks/-1", {}, 400, "block.height"),
    ("GET", "/api/v1/blocks/1.5", {}, 400, "block.height"),
    ("GET", "/api/v1/blocks/%C2%B2", {}, 400, "block.height"),  # "²" is a digit to str.isdigit()
    ("GET", "/api/v1/blocks/%D9%A1", {}, 400, "block.height"),  # Arabic-Indic one
    ("GET", "/api/v1/blocks/" + "9" * 40, {}, 400, "block.height"),
    ("GET", "/api/v1/blocks/0", {}, 404, "block.not_found"),
    ("GET", "/api/v1/blocks/7", {}, 404, "block.not_found"),
    ("GET", "/api/v1/blocks/head", {}, 404, "block.not_found"),
    ("GET", "/api/v1/jpps/" + "J" * 65, {}, 400, None),
    ("GET", "/api/v1/jpps/JPPS-2026-99", {}, 404, None),
    # --- unknown paths, wrong methods ---------------------------------------------------------------
    ("GET", "/api/v1/nope", {}, 404, "not_found"),
    ("GET", "/api/v2/status", {}, 404, "not_found"),
    ("GET", "/api/v1/certificates", {}, 404, "not_found"),
    ("GET", "/api/v1/holders//certificates", {}, (400, 404), None),
    ("DELETE", "/api/v1/status", {}, 405, "method_not_allowed"),
    ("GET", "/api/v1/tx", {}, 405, "method_not_allowed"),
    ("PUT", "/api/v1/txs", {"json": {}}, 405, "method_not_allowed"),
    ("POST", "/api/v1/certificates/" + GOOD_CERT, {"json": {}}, 405, "method_not_allowed"),
    ("POST", "/metrics", {}, 405, "method_not_allowed"),
    ("DELETE", "/healthz", {}, 405, "method_not_allowed"),
    ("GET", "/api/v1/verify-pdf", {}, 405, "method_not_allowed"),
    ("POST", "/api/v1/verify-pdf", {"data": b""}, 400, None),
]


@pytest.mark.parametrize(("method", "path", "kwargs", "expected", "code"), CASES,
                         ids=[f"{i:02d} {m} {p[:50]}" for i, (m, p, _, _, _) in enumerate(CASES)])
async def test_bad_input_is_a_4xx_json_error(api: ApiNode, method: str, path: str, kwargs: dict[str, Any],
                                             expected: int | tuple[int, ...], code: str | None) -> None:
    status, body, resp = await api.request(method, path, **kwargs)
    assert_error(status, body, expected, code)
    assert resp.content_type == "application/json"
    if status == 405:
        assert resp.headers.get("Allow")
    assert api.node.engine.state.head.height == 0


async def test_oversize_bodies_are_refused_with_413(api: ApiNode) -> None:
    big = b'{"tx": "' + b"A" * (17 << 20) + b'"}'
    for path in ("/api/v1/tx", "/api/v1/txs"):
        status, body, _ = await api.request("POST", path, data=big, headers={"Content-Type": "application/json",
                                                                              "Connection": "close"})
        assert_error(status, body, 413, "too_large")

    async def chunked() -> Any:  # no Content-Length: the limit must hold while reading
        yield b'{"tx": "'
        for _ in range(20):
            yield b"A" * (1 << 20)
        yield b'"}'

    status, body, _ = await api.request("POST", "/api/v1/tx", data=chunked(), headers={"Connection": "close"})
    assert_error(status, body, 413, "too_large")


async def test_signature_problems_never_reach_a_block(api: ApiNode) -> None:
    from certificate.keys import SigningKey
    from certificate.tx import Signature, Transaction

    chain = api.chain
    rec = make_record()
    good = issue_tx(rec, chain.issuer, chain.chain_id)
    stranger = issue_tx(rec, SigningKey.generate(), chain.chain_id)
    forged = Transaction(good.type, good.body, (Signature(chain.issuer.public.raw, os.urandom(64)),))
    altered = Transaction(good.type, {"record": {**rec.to_dict(), "holder_name": "ORANG LAIN"}}, good.sigs)
    cases = [(stranger, 403, "tx.issuer"), (forged, 400, "tx.signature"), (altered, 400, "tx.signature"),
             (Transaction(good.type, good.body, ()), 400, None)]
    for tx, status_expected, code in cases:
        status, body, _ = await api.request("POST", "/api/v1/tx", json={"tx": b64(tx)})
        assert_error(status, body, status_expected, code)
        status, body, _ = await api.request("POST", "/api/v1/txs", json={"txs": [b64(tx)]})
        assert status == 200 and body["results"][0]["status"] == status_expected, body
    assert api.node.engine.state.head.height == 0
    status, _, _ = await api.request("GET", f"/api/v1/certificates/{rec.cert_no}")
    assert status == 404
    # and the genuine one is fine, once
    status, body, _ = await api.request("POST", "/api/v1/tx", json={"tx": b64(good)})
    assert status == 201, body
    status, body, _ = await api.request("POST", "/api/v1/tx", json={"tx": b64(good)})
    assert status == 201 and body["height"] == 1
    assert api.node.engine.state.head.height == 1


async def test_a_batch_answers_per_transaction_in_order(api: ApiNode) -> None:
    chain = api.chain
    recs = [make_record() for _ in range(3)]
    txs = [b64(issue_tx(r, chain.issuer, chain.chain_id)) for r in recs]
    status, body, _ = await api.request("POST", "/api/v1/txs", json={"txs": [txs[0], "AAAA", txs[1], txs[0], txs[2]]})
    assert status == 200, body
    codes = [r["status"] for r in body["results"]]
    assert codes == [201, 400, 201, 201, 201]
    assert body["results"][1]["error"]["code"]
    assert body["results"][0]["tx_id"] == body["results"][3]["tx_id"]


async def test_holder_lookups_are_rate_limited_with_retry_after(strict_api: ApiNode) -> None:
    seen = []
    for _ in range(5):
        status, body, resp = await strict_api.request("GET", f"/api/v1/holders/{VALID_IC}/certificates")
        seen.append(status)
        if status == 429:
            assert_error(status, body, 429, "rate_limited")
            assert int(resp.headers["Retry-After"]) >= 1
    assert seen[0] == 200 and 429 in seen, seen
    # malformed numbers count too: the limit cannot be dodged with junk
    status, body, _ = await strict_api.request("GET", "/api/v1/holders/abc/status")
    assert_error(status, body, 429, "rate_limited")
    # other endpoints are not limited by it
    status, _, _ = await strict_api.request("GET", "/api/v1/status")
    assert status == 200
    metrics = (await strict_api.request("GET", "/metrics"))[1]
    assert "spkm_http_rate_limited_total" in metrics


async def test_peer_sending_garbage_is_disconnected_and_the_node_carries_on(api: ApiNode) -> None:
    port = api.chain.p2p_ports["jpk"]
    junk = [os.urandom(4096), b"\x00\x00\x00\x05hello", b"\xff\xff\xff\xff" + os.urandom(100),
            json.dumps({"hello": "node"}).encode(), b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"]
    for payload in junk:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            writer.write(payload)
            await writer.drain()
            # the node closes the connection: EOF (or a reset) well before the handshake timeout
            try:
                rest = await asyncio.wait_for(reader.read(65536), 4)
                while rest:
                    rest = await asyncio.wait_for(reader.read(65536), 4)
            except ConnectionResetError:
                pass
        finally:
            writer.close()
    # a client that says nothing is cut off by the handshake timeout, not held for ever
    status, body, _ = await api.request("GET", "/api/v1/status")
    assert status == 200 and body["role"] == "leader"
    chain = api.chain
    status, body, _ = await api.request("POST", "/api/v1/tx",
                                        json={"tx": b64(issue_tx(make_record(), chain.issuer, chain.chain_id))})
    assert status == 201, body
    assert api.node.net.listener_stats()["refused"] >= len(junk)
