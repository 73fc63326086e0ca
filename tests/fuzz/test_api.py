"""The JSON API under schemathesis: every operation of ``GET /api/v1/openapi.json`` of a live node,
with generated valid and invalid inputs. No 500, no hang (10 s per request), the node survives.

    FUZZ_API_EXAMPLES=500 pytest tests/fuzz/test_api.py      # longer
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from portal.openapi import document
from tests.fuzz.settings import API_EXAMPLES
from tests.portal.helpers import Holder, PortalNode

pytestmark = [pytest.mark.timeout(900)]


# The document is built in code (portal/openapi.py), so it is loaded at collection time and the
# cases are sent to the live node; test_the_fuzzed_document_is_the_served_one keeps the two equal.
# (schemathesis.pytest.from_fixture does not work with pytest 9: 'Function' has no '_nodeid'.)
schema = schemathesis.openapi.from_dict(document())
# Raw PDF bodies for POST /api/v1/verify-pdf: random bytes or a tiny real PDF with some bytes changed.
_TINY_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Count 0/Kids[]>>endobj\n"
             b"trailer<</Root 1 0 R>>\n%%EOF\n")
schemathesis.openapi.media_type("application/pdf", st.one_of(
    st.binary(max_size=4096),
    st.builds(lambda i, b: _TINY_PDF[:i] + bytes([b]) + _TINY_PDF[i + 1:],
              st.integers(0, len(_TINY_PDF) - 1), st.integers(0, 255))))
API = settings(max_examples=API_EXAMPLES, deadline=None,
               suppress_health_check=list(HealthCheck))


@schema.parametrize()
@API
def test_no_operation_answers_500_or_hangs(case: Any, live_node: tuple[PortalNode, dict[str, Holder]]) -> None:
    response = case.call(base_url=live_node[0].url, timeout=10)
    case.validate_response(response, checks=[not_a_server_error])
    assert live_node[0].proc is not None and live_node[0].proc.poll() is None, "the node died"


@schema.parametrize()
@API
def test_answers_match_the_openapi_document(case: Any, live_node: tuple[PortalNode, dict[str, Holder]]) -> None:
    response = case.call(base_url=live_node[0].url, timeout=10)
    case.validate_response(response, checks=[status_code_conformance, content_type_conformance,
                                             response_schema_conformance])


def test_the_fuzzed_document_is_the_served_one(live_node: tuple[PortalNode, dict[str, Holder]]) -> None:
    with urllib.request.urlopen(live_node[0].url + "/api/v1/openapi.json", timeout=5) as r:
        served = json.loads(r.read())
    served.pop("servers", None)
    mine = document()
    mine.pop("servers", None)
    assert served == mine


def test_node_still_healthy_after_fuzzing(live_node: tuple[PortalNode, dict[str, Holder]]) -> None:
    with urllib.request.urlopen(live_node[0].url + "/api/v1/status", timeout=5) as r:
        assert json.loads(r.read())["role"] == "leader"
