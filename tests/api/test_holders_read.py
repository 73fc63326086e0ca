"""``GET /api/v1/holders/{ic}/certificates`` on its fast path (issue #9) answers exactly what the
node's service says, follows every new block (answers are cached by holder and height), and
keeps the API's error and header behaviour without the page middlewares."""

from __future__ import annotations

import json
from typing import Any

import pytest

from certificate.proof import CertificateProof
from certificate.tx import issue_tx, revoke_tx
from node.service import NodeService
from portal.api import cert_json
from tests.api.conftest import ApiNode
from tests.node.helpers import b64, make_record, unique_ic

pytestmark = pytest.mark.timeout(60)


async def _holder(api: ApiNode, ic: str) -> list[dict[str, object]]:
    status, body, resp = await api.request("GET", f"/api/v1/holders/{ic}/certificates")
    assert status == 200, body
    assert resp.headers["Content-Type"] == "application/json; charset=utf-8"
    assert "Set-Cookie" not in resp.headers  # no session middleware on the API
    assert resp.headers.get("X-Content-Type-Options") == "nosniff"  # security headers still apply
    certs: list[dict[str, object]] = body["certificates"]
    return certs


async def test_the_answer_is_the_service_view_and_follows_new_blocks(api: ApiNode) -> None:
    chain, svc = api.chain, api.node.service
    ic = unique_ic()
    first, second = make_record(ic=ic), make_record(ic=ic)
    for rec in (first, second):
        status, body, _ = await api.request("POST", "/api/v1/tx", json={"tx": b64(issue_tx(rec, chain.issuer,
                                                                                            chain.chain_id))})
        assert status == 201, body
    got = await _holder(api, ic)
    expected = _service_view(svc, ic)
    assert got == expected and len(got) == 2
    assert {c["status"] for c in got} == {"valid"}
    for c in got:
        CertificateProof.from_json(c["proof"]).verify(svc.genesis.member_keys, chain_id=chain.chain_id)
    assert await _holder(api, ic) == got  # from the answer cache: the same bytes

    revoke = revoke_tx(first.cert_no, "Ujian pembatalan", first.issued_at, chain.issuer, chain.chain_id)
    status, body, _ = await api.request("POST", "/api/v1/tx", json={"tx": b64(revoke)})
    assert status == 201, body
    after = {c["record"]["cert_no"]: c["status"] for c in await _holder(api, ic)}  # type: ignore[index]
    assert after == {first.cert_no: "revoked", second.cert_no: "valid"}
    assert await _holder(api, unique_ic()) == []

    # A correction supersedes the second one; a name outside ASCII (the fast path writes UTF-8).
    third = make_record(ic=ic, name="NUR ‘AIN BINTI ÇELİK", supersedes=second.cert_no)
    status, body, _ = await api.request("POST", "/api/v1/tx", json={"tx": b64(issue_tx(third, chain.issuer,
                                                                                        chain.chain_id))})
    assert status == 201, body
    got = await _holder(api, ic)
    assert got == _service_view(svc, ic) and len(got) == 3
    assert {c["status"] for c in got} == {"revoked", "superseded", "valid"}
    assert any(c["revocation"] is not None for c in got) and any(c["superseded_by"] for c in got)


def _service_view(svc: NodeService, ic: str) -> list[dict[str, Any]]:
    """What ``cert_json`` (the other endpoints' encoder) says of every certificate of ``ic``."""
    view: list[dict[str, Any]] = json.loads(json.dumps([cert_json(svc, cv) for cv in svc.holder_certificates(ic)]))
    return view


async def test_api_errors_stay_json_without_the_page_middlewares(api: ApiNode) -> None:
    for method, path, code in (("GET", "/api/v1/holders/12/certificates", 400),
                               ("GET", "/api/v1/nowhere", 404), ("GET", "/api/v2/status", 404),
                               ("GET", "/api/v1/verify-pdf", 405), ("DELETE", "/api/v1/status", 405)):
        status, body, resp = await api.request(method, path)
        assert status == code, (path, status, body)
        assert resp.content_type == "application/json" and set(body) == {"error"}, (path, body)
        assert "Set-Cookie" not in resp.headers
