"""Uploaded PDFs (``POST /api/v1/verify-pdf``, the public "semak PDF" check): a genuine certificate
PDF with any change must never be judged authentic, and no upload may cause a 500 or a hang.

    FUZZ_PDF_EXAMPLES=2000 pytest tests/fuzz/test_pdf_upload.py
"""

from __future__ import annotations

import os
import time
from typing import Any

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.fuzz.settings import FUZZ
from tests.fuzz.test_decoders import mutate_bytes
from tests.portal.helpers import Holder, PortalNode, genuine_pdf

pytestmark = [pytest.mark.timeout(900)]
PDF_EXAMPLES = int(os.environ.get("FUZZ_PDF_EXAMPLES", "40"))


@pytest.fixture(scope="module")
def genuine(live_node: tuple[PortalNode, dict[str, Holder]]) -> bytes:
    node, holders = live_node
    return genuine_pdf(node.url, holders["b"].certs["skm3"])


def verify(url: str, data: bytes) -> dict[str, Any]:
    started = time.monotonic()
    r = requests.post(url + "/api/v1/verify-pdf", data=data, timeout=30, headers={"Content-Type": "application/pdf",
                                                                                  "X-Forwarded-For": "10.8.8.8"})
    assert r.status_code in (200, 400, 413), (r.status_code, r.text[:300])
    assert time.monotonic() - started < 30
    return dict(r.json())


def test_the_genuine_pdf_is_authentic(live_node: tuple[PortalNode, dict[str, Holder]], genuine: bytes) -> None:
    assert verify(live_node[0].url, genuine)["authentic"] is True


@settings(FUZZ, max_examples=PDF_EXAMPLES)
@given(data=st.data())
def test_a_changed_pdf_is_never_authentic(live_node: tuple[PortalNode, dict[str, Holder]], genuine: bytes,
                                          data: st.DataObject) -> None:
    changed = mutate_bytes(data, genuine)
    if changed == genuine:
        return
    got = verify(live_node[0].url, changed)
    assert got.get("authentic") is not True, got
