"""A node outside any quorum says so and points to the other nodes, never serving a stale answer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.portal.conftest import RELAXED
from tests.portal.helpers import Client, PortalNode, write_chain


@pytest.fixture(scope="module")
def lonely(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PortalNode]:
    chain = write_chain(Path(tmp_path_factory.mktemp("lonely")) / "chain", RELAXED, ghost=True)
    node = PortalNode(chain).start(wait_leader=False)
    try:
        yield node
    finally:
        node.stop()


async def test_reads_answer_503_with_the_other_nodes(lonely: PortalNode) -> None:
    c = Client(lonely.url)
    try:
        home = await c.get("/")
        assert home.status == 200 and "Kuorum: TIDAK sihat" in home.text
        page = await c.form("/semak", {"ic": "980314115234"})
        assert page.status == 503
        assert "Nod ini tidak dapat mengesahkan ia terkini" in page.text
        other = lonely.url.rsplit(":", 1)[0] + ":" + str(int(lonely.url.rsplit(":", 1)[1]) + 2)
        assert f'href="{other}/semak"' in page.text and "MAMPU (ujian)" in page.text
        assert "Retry-After" in page.headers
        english = await c.get("/sijil/SKM3-26-7H3K9P2M-X?lang=en")
        assert english.status in (400, 503)  # a mistyped number is refused before asking the chain
        status = await c.form("/status", {"ic": "980314115234"}, lang="en")
        assert status.status == 503 and "This node cannot confirm it is up to date" in status.text
        async with c.session.post(lonely.url + "/api/v1/verify-pdf", data=b"%PDF-1.7\n") as r:
            assert r.status == 503 and (await r.json())["error"]["code"] == "node.not_current"
    finally:
        await c.close()
