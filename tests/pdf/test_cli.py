"""The render and verify-pdf command lines against a small stand-in for a node's JSON API."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from certificate.cli import main
from certificate.keys import SigningKey
from certificate.pdf import render_certificate
from tests.pdf import tampering
from tests.pdf.conftest import issued, rendered
from tests.pdf.factory import BASE_URL, CHAIN_ID, NODE, Issued


class FakeNode:
    """Serves /api/v1/chain and /api/v1/certificates/{cert_no} in the node's JSON shapes."""

    def __init__(self, *certs: Issued) -> None:
        self.certs = {c.record.cert_no: c for c in certs}
        self.status: dict[str, dict[str, Any]] = {}
        self.members = [{"node_id": "jpk", "name": "JPK", "public_key": NODE.public.hex}]
        self.chain_body: str | None = None

    async def chain(self, request: web.Request) -> web.StreamResponse:
        if self.chain_body is not None:
            return web.Response(text=self.chain_body, content_type="application/json")
        return web.json_response({"chain_id": CHAIN_ID, "genesis_hash": "ab" * 32,
                                  "qr_base_url": BASE_URL, "members": self.members})

    async def certificate(self, request: web.Request) -> web.StreamResponse:
        cert = self.certs.get(request.match_info["cert_no"])
        if cert is None:
            return web.json_response({"error": {"code": "not_found", "message": "no such certificate"}},
                                     status=404)
        return web.json_response({
            "record": cert.record.to_dict(),
            "status": "valid",
            "block": {"height": cert.height, "hash": cert.block_hash},
            "proof": cert.proof.to_json(),
            **self.status.get(cert.record.cert_no, {}),
        })

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/api/v1/chain", self.chain)
        app.router.add_get("/api/v1/certificates/{cert_no}", self.certificate)
        return app


async def _cli(*argv: str) -> int:
    return await asyncio.to_thread(main, list(argv))


@pytest.fixture
async def node() -> Any:
    fake = FakeNode(issued("SKM", 3), issued("DKM", 4))
    server = TestServer(fake.app())
    await server.start_server()
    fake.url = str(server.make_url("")).rstrip("/")  # type: ignore[attr-defined]
    yield fake
    await server.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def test_render_writes_the_same_bytes_as_the_portal(node: Any, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    cert = issued("DKM", 4)
    out = tmp_path / "dkm.pdf"
    code = await _cli("render", "--cert-no", cert.record.cert_no.lower(), "--node", node.url,
                      "--lang", "en", "--out", str(out))
    assert code == 0
    assert out.read_bytes() == rendered("DKM", 4, "en")
    assert "wrote" in capsys.readouterr().out


async def test_verify_pdf_exit_codes(node: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cert = issued("SKM", 3)
    good = tmp_path / "good.pdf"
    good.write_bytes(rendered("SKM", 3, "ms"))
    assert await _cli("verify-pdf", str(good), "--node", node.url) == 0
    assert capsys.readouterr().out.startswith("AUTHENTIC: ")

    forged = tmp_path / "forged.pdf"
    forged.write_bytes(tampering.change_visible_text(good.read_bytes(), cert.record.holder_name, "M"))
    assert await _cli("verify-pdf", str(forged), "--node", node.url) == 1
    assert capsys.readouterr().out.startswith("EDITED: ")

    node.status[cert.record.cert_no] = {"status": "revoked", "revocation": {"reason": "duplicate"}}
    assert await _cli("verify-pdf", str(good), "--node", node.url) == 1
    assert capsys.readouterr().out.startswith("REVOKED: certificate")

    node.status[cert.record.cert_no] = {"status": "superseded", "superseded_by": "SKM3-27-0000000A-X"}
    assert await _cli("verify-pdf", str(good), "--node", node.url) == 1
    assert "SKM3-27-0000000A-X" in capsys.readouterr().out

    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"GIF89a")
    assert await _cli("verify-pdf", str(junk), "--node", node.url) == 1
    assert capsys.readouterr().out.startswith("NOT_PDF: ")


async def test_certificate_unknown_to_the_node(node: Any, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    other = issued("DLKM", 5)
    path = tmp_path / "other.pdf"
    path.write_bytes(rendered("DLKM", 5, "ms"))
    assert await _cli("verify-pdf", str(path), "--node", node.url) == 1
    assert capsys.readouterr().out.startswith("NOT_OURS: ")
    code = await _cli("render", "--cert-no", other.record.cert_no, "--node", node.url, "--lang", "ms",
                      "--out", str(tmp_path / "x.pdf"))
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "not on the chain" in err
    assert not (tmp_path / "x.pdf").exists()


async def test_unreachable_node_is_a_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "c.pdf"
    path.write_bytes(rendered("SKM", 3, "ms"))
    url = f"http://127.0.0.1:{_free_port()}"
    assert await _cli("verify-pdf", str(path), "--node", url) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: cannot reach") and err.count("\n") == 1
    code = await _cli("render", "--cert-no", issued("SKM", 3).record.cert_no, "--node", url,
                      "--out", str(tmp_path / "o.pdf"))
    assert code == 2 and "cannot reach" in capsys.readouterr().err


async def test_bad_answers_and_bad_input(node: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cert_no = issued("SKM", 3).record.cert_no
    out = str(tmp_path / "o.pdf")
    assert await _cli("render", "--cert-no", "SKM3-26-AAAAAAAA-A", "--node", node.url, "--out", out) == 2
    assert "error:" in capsys.readouterr().err
    assert await _cli("verify-pdf", str(tmp_path / "missing.pdf"), "--node", node.url) == 2
    assert "cannot read" in capsys.readouterr().err

    node.chain_body = "{not json"
    assert await _cli("render", "--cert-no", cert_no, "--node", node.url, "--out", out) == 2
    assert "valid JSON" in capsys.readouterr().err
    node.chain_body = None

    node.members = [{"node_id": "jpk", "name": "JPK", "public_key": SigningKey(b"\x02" * 32).public.hex}]
    assert await _cli("render", "--cert-no", cert_no, "--node", node.url, "--out", out) == 1
    assert "does not verify" in capsys.readouterr().err


def test_rendered_bytes_match_direct_render() -> None:
    cert = issued("SKM", 3)
    assert render_certificate(cert.record, cert.proof, lang="ms", base_url=BASE_URL + "/") == rendered("SKM", 3, "ms")
