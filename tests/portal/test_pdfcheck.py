"""The PDF check: /semak/pdf and POST /api/v1/verify-pdf, for genuine, edited and hostile uploads."""

from __future__ import annotations

import io
from typing import Any

import aiohttp
import pikepdf
import pytest

from tests.portal.helpers import Client, Holder, genuine_pdf


async def upload(c: Client, data: bytes, name: str = "sijil.pdf", lang: str | None = None) -> Any:
    q = f"?lang={lang}" if lang else ""
    await c.get("/semak/pdf" + q)
    fd = aiohttp.FormData()
    fd.add_field("csrf", c.token)
    fd.add_field("pdf", data, filename=name, content_type="application/pdf")
    return await c.post("/semak/pdf" + q, fd, csrf=False)


async def api(c: Client, data: bytes, content_type: str = "application/pdf") -> tuple[int, Any]:
    async with c.session.post(c.base + "/api/v1/verify-pdf", data=data, headers={"Content-Type": content_type}) as r:
        return r.status, await r.json()


def edited(pdf: bytes) -> bytes:
    """The same page with its title changed, re-saved the way an editing tool would."""
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        with doc.open_metadata() as meta:
            meta["dc:title"] = "Sijil yang diubah"
        doc.docinfo["/Title"] = "Sijil yang diubah"
        out = io.BytesIO()
        doc.save(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def pdfs(portal_node: tuple[Any, dict[str, Holder]]) -> dict[str, bytes]:
    node, holders = portal_node
    a = holders["a"]
    genuine = genuine_pdf(node.url, a.certs["skm3"], "ms")
    return {"genuine": genuine, "english": genuine_pdf(node.url, a.certs["dkm4"], "en"),
            "revoked": genuine_pdf(node.url, a.certs["revoked"]), "superseded": genuine_pdf(node.url, a.certs["old"]),
            "edited": edited(genuine), "appended": genuine + b"\n% signed by someone\n"}


async def test_genuine_pdf_is_authentic(client: Client, pdfs: dict[str, bytes], holders: dict[str, Holder]) -> None:
    page = await upload(client, pdfs["genuine"])
    assert page.status == 200
    assert "TULEN DAN SAH" in page.text and "Sijil ini tulen dan sah" in page.text
    assert f'href="/sijil/{holders["a"].certs["skm3"]}"' in page.text
    english = await upload(client, pdfs["english"], lang="en")
    assert "AUTHENTIC AND VALID" in english.text and "This certificate is authentic and valid" in english.text


async def test_revoked_and_superseded_pdfs_say_so(client: Client, pdfs: dict[str, bytes], holders: dict[str, Holder]
                                                 ) -> None:
    revoked = await upload(client, pdfs["revoked"])
    assert "TULEN TETAPI DIBATALKAN" in revoked.text
    superseded = await upload(client, pdfs["superseded"])
    assert "TULEN TETAPI DIGANTIKAN" in superseded.text
    assert f'href="/sijil/{holders["a"].certs["fixed"]}"' in superseded.text


@pytest.mark.parametrize("kind", ["edited", "appended"])
async def test_edited_pdf_is_caught(client: Client, pdfs: dict[str, bytes], kind: str) -> None:
    page = await upload(client, pdfs[kind])
    assert page.status == 200 and "TELAH DIUBAH SUAI" in page.text and "Fail PDF ini telah diubah suai" in page.text
    status, body = await api(client, pdfs[kind])
    assert status == 200 and body["verdict"] == "edited" and body["authentic"] is False


@pytest.mark.parametrize(("data", "word"), [
    (b"GIF89a not a pdf", "BUKAN FAIL PDF"),
    (b"%PDF-1.7\n1 0 obj << >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n", "TIDAK DAPAT DIBACA"),
    (b"<html><script>alert(1)</script></html>", "BUKAN FAIL PDF"),
])
async def test_files_that_are_not_certificates(client: Client, data: bytes, word: str) -> None:
    page = await upload(client, data)
    assert page.status == 200 and (word in page.text or "BUKAN SIJIL SPKM" in page.text)
    assert "<script>alert" not in page.text


async def test_a_plain_pdf_is_not_ours(client: Client) -> None:
    doc = pikepdf.new()
    doc.add_blank_page()
    out = io.BytesIO()
    doc.save(out)
    page = await upload(client, out.getvalue())
    assert "BUKAN SIJIL SPKM" in page.text


async def test_huge_empty_and_missing_uploads(client: Client) -> None:
    huge = await upload(client, b"%PDF-1.7\n" + b"0" * 2_000_000)
    assert huge.status == 413 and "Fail terlalu besar" in huge.text
    empty = await upload(client, b"")
    assert empty.status == 400 and "kosong" in empty.text
    await client.get("/semak/pdf?lang=en")
    fd = aiohttp.FormData()
    fd.add_field("csrf", client.token)
    fd.add_field("pdf", b"", filename="", content_type="application/octet-stream")
    missing = await client.post("/semak/pdf", fd, csrf=False)
    assert missing.status == 400 and "Choose a certificate PDF file to upload." in missing.text
    plain = await client.post("/semak/pdf", {"pdf": "x"})
    assert plain.status == 400


async def test_api_verify_pdf(client: Client, pdfs: dict[str, bytes], holders: dict[str, Holder]) -> None:
    status, body = await api(client, pdfs["genuine"])
    assert status == 200 and body["verdict"] == "authentic" and body["authentic"] is True
    assert body["cert_no"] == holders["a"].certs["skm3"] and body["status"] == "valid"
    assert body["summary"]["ms"].startswith("Sijil ini tulen") and body["block"]["height"] >= 1
    fd = aiohttp.FormData()
    fd.add_field("pdf", pdfs["revoked"], filename="x.pdf", content_type="application/pdf")
    async with client.session.post(client.base + "/api/v1/verify-pdf", data=fd) as r:
        multi = await r.json()
    assert multi["verdict"] == "revoked" and "Kesilapan data" in multi["revocation_reason"]
    status, body = await api(client, b"hello", "text/plain")
    assert status == 200 and body["verdict"] == "not_pdf"


async def test_api_verify_pdf_errors_are_json(client: Client) -> None:
    status, body = await api(client, b"")
    assert status == 400 and body["error"]["code"] == "pdf.missing"
    status, body = await api(client, b"%PDF" + b"0" * 2_000_000)
    assert status == 413 and body["error"]["code"] == "too_large"
    async with client.session.get(client.base + "/api/v1/verify-pdf") as r:
        assert r.status == 405 and (await r.json())["error"]["code"] == "method_not_allowed"
