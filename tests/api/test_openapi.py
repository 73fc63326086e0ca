"""The OpenAPI document stays true: every route is described, every description exists, and
real answers of a running node match the schemas they are described with."""

from __future__ import annotations

import asyncio
import dataclasses
import re
from typing import Any

import pytest

from certificate.tx import issue_tx, revoke_tx
from portal.openapi import document
from tests.api.conftest import ApiNode
from tests.node.helpers import b64, make_record

pytestmark = pytest.mark.timeout(60)

METHODS = {"get", "post", "put", "patch", "delete"}


def _described(doc: dict[str, Any]) -> set[tuple[str, str]]:
    return {(path, m) for path, item in doc["paths"].items() for m in item if m in METHODS}


def _registered(api: ApiNode) -> set[tuple[str, str]]:
    app = api.node._runner.app
    out = set()
    for route in app.router.routes():
        path = route.resource.canonical if route.resource is not None else ""
        if (path.startswith("/api/v1/") or path in ("/metrics", "/healthz")) and route.method != "HEAD":
            out.add((path, route.method.lower()))
    return out


async def test_every_registered_route_is_described_and_every_description_exists(api: ApiNode) -> None:
    doc = document()
    registered, described = _registered(api), _described(doc)
    assert registered, "no routes found: the app is not the one being served?"
    assert registered - described == set(), f"routes without a description: {sorted(registered - described)}"
    assert described - registered == set(), f"described but not served: {sorted(described - registered)}"


async def test_the_document_is_served_and_well_formed(api: ApiNode) -> None:
    status, served, resp = await api.request("GET", "/api/v1/openapi.json")
    assert status == 200 and resp.content_type == "application/json"
    assert served["openapi"] == "3.1.0"
    assert served["servers"] == [{"url": api.node.service.public_base_url}]
    doc = document()
    assert served["paths"].keys() == doc["paths"].keys()
    refs = set(re.findall(r"#/components/(\w+)/(\w+)", repr(doc)))
    for section, name in refs:
        assert name in doc["components"][section], f"dangling $ref {section}/{name}"
    for path, item in doc["paths"].items():
        placeholders = set(re.findall(r"{(\w+)}", path))
        for method, op in item.items():
            params = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert params == placeholders, (path, method)
            assert op["operationId"] and op["responses"], (path, method)
            for code, response in op["responses"].items():
                assert re.fullmatch(r"[1-5][0-9]{2}", code), (path, method, code)
                if code.startswith(("4", "5")) and path != "/healthz":
                    assert response == {"$ref": f"#/components/responses/{_ERRORS[code]}"}, (path, method, code)
    ids = [op["operationId"] for item in doc["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))


_ERRORS = {"400": "BadRequest", "403": "Forbidden", "404": "NotFound", "405": "MethodNotAllowed",
           "409": "Conflict", "413": "TooLarge", "429": "RateLimited", "503": "Unavailable"}


# --- a small JSON Schema checker for the subset the document uses ------------------------------

def check(value: Any, schema: dict[str, Any], doc: dict[str, Any], where: str = "$") -> None:
    if "$ref" in schema:
        _, section, name = schema["$ref"].rsplit("/", 2)
        check(value, doc["components"][section][name], doc, where)
        return
    if "anyOf" in schema:
        errors = []
        for option in schema["anyOf"]:
            try:
                check(value, option, doc, where)
                return
            except AssertionError as exc:
                errors.append(str(exc))
        raise AssertionError(f"{where}: matches no option: {errors}")
    kinds = schema.get("type")
    if kinds is not None:
        kinds = kinds if isinstance(kinds, list) else [kinds]
        py = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}
        ok = any((k == "integer" and isinstance(value, int) and not isinstance(value, bool))
                 or (k == "number" and isinstance(value, int | float) and not isinstance(value, bool))
                 or (k in py and isinstance(value, py[k])) for k in kinds)
        assert ok, f"{where}: {value!r:.80} is not {kinds}"
    if "enum" in schema:
        assert value in schema["enum"], f"{where}: {value!r} not in {schema['enum']}"
    if isinstance(value, str) and "pattern" in schema:
        assert re.search(schema["pattern"], value), f"{where}: {value!r} does not match {schema['pattern']}"
    if isinstance(value, int) and "minimum" in schema:
        assert value >= schema["minimum"], where
    if isinstance(value, dict):
        for key in schema.get("required", []):
            assert key in value, f"{where}: missing {key!r}"
    if isinstance(value, dict) and "properties" in schema:
        if schema.get("additionalProperties") is False:
            extra = set(value) - set(schema["properties"])
            assert not extra, f"{where}: undocumented fields {sorted(extra)}"
        for key, sub in schema["properties"].items():
            if key in value:
                check(value[key], sub, doc, f"{where}.{key}")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            check(item, schema["items"], doc, f"{where}[{i}]")


def _schema_for(doc: dict[str, Any], path: str, method: str, status: int) -> dict[str, Any]:
    response = doc["paths"][path][method]["responses"][str(status)]
    if "$ref" in response:
        response = doc["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    return response["content"]["application/json"]["schema"]  # type: ignore[no-any-return]


def test_the_checker_catches_what_it_should() -> None:
    doc = document()
    good = {"error": {"code": "x", "message": "y"}}
    check(good, doc["components"]["schemas"]["Error"], doc)
    for bad in ({"error": {"code": "x"}}, {"error": {"code": 1, "message": "y"}}, {**good, "extra": 1}, []):
        with pytest.raises(AssertionError):
            check(bad, doc["components"]["schemas"]["Error"], doc)
    with pytest.raises(AssertionError):
        check({"@context": []}, doc["components"]["schemas"]["Credential"], doc)


async def test_real_answers_match_the_document(api: ApiNode) -> None:
    doc = document()
    chain = api.chain
    rec = make_record()
    other = make_record()
    correction = make_record(ic=other.holder_ic, supersedes=other.cert_no)

    async def call(method: str, path: str, template: str, expect: int, *, described_as: str | None = None,
                   **kw: Any) -> Any:
        status, body, _ = await api.request(method, path, **kw)
        assert status == expect, (path, status, body)
        op = described_as or method.lower()
        check(body, _schema_for(doc, template, op, status), doc, f"{method} {template} {status}")
        return body

    await call("GET", "/api/v1/status", "/api/v1/status", 200)
    await call("GET", "/api/v1/chain", "/api/v1/chain", 200)
    await call("GET", "/api/v1/blocks/head", "/api/v1/blocks/head", 404)
    await call("POST", "/api/v1/tx", "/api/v1/tx", 201, json={"tx": b64(issue_tx(rec, chain.issuer, chain.chain_id))})
    await call("POST", "/api/v1/tx?wait=none", "/api/v1/tx", 202,
               json={"tx": b64(issue_tx(other, chain.issuer, chain.chain_id))})
    txs = [b64(issue_tx(correction, chain.issuer, chain.chain_id)), "AAAA",
           b64(revoke_tx(rec.cert_no, "Ujian pembatalan", rec.issued_at, chain.issuer, chain.chain_id))]
    for _ in range(100):  # the 202 above commits on its own
        if api.node.engine.state.cert_entry(other.cert_no):
            break
        await asyncio.sleep(0.02)
    body = await call("POST", "/api/v1/txs", "/api/v1/txs", 200, json={"txs": txs})
    assert [r["status"] for r in body["results"]] == [201, 400, 201]
    for cert_no, status in ((rec.cert_no, "revoked"), (other.cert_no, "superseded"), (correction.cert_no, "valid")):
        got = await call("GET", f"/api/v1/certificates/{cert_no}", "/api/v1/certificates/{cert_no}", 200)
        assert got["status"] == status
        await call("GET", f"/api/v1/certificates/{cert_no}/vc", "/api/v1/certificates/{cert_no}/vc", 200)
    await call("GET", f"/api/v1/holders/{other.holder_ic}/certificates", "/api/v1/holders/{ic}/certificates", 200)
    await call("GET", f"/api/v1/holders/{other.holder_ic}/status", "/api/v1/holders/{ic}/status", 200)
    await call("GET", "/api/v1/blocks/1", "/api/v1/blocks/{height}", 200)
    await call("GET", "/api/v1/blocks/head", "/api/v1/blocks/head", 200)
    await call("GET", "/api/v1/jpps/NONE", "/api/v1/jpps/{ref}", 404)
    await call("GET", "/healthz", "/healthz", 200)
    # errors, each against the shared error shape
    await call("GET", "/api/v1/certificates/SKM3-26-XXXXXXXX-X", "/api/v1/certificates/{cert_no}", 400)
    await call("GET", "/api/v1/holders/12/certificates", "/api/v1/holders/{ic}/certificates", 400)
    dup = issue_tx(dataclasses.replace(make_record(), cert_no=rec.cert_no), chain.issuer, chain.chain_id)
    await call("POST", "/api/v1/tx", "/api/v1/tx", 409, json={"tx": b64(dup)})
    await call("DELETE", "/api/v1/status", "/api/v1/status", 405, described_as="get")
    status, text, resp = await api.request("GET", "/metrics")
    assert status == 200 and resp.content_type == "text/plain" and "spkm_http_requests_total" in text
