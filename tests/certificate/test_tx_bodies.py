"""Approval bodies: candidates in the normal form a certificate record uses, split into parts,
and every shape a node must refuse."""

from __future__ import annotations

from typing import Any

import pytest

from certificate.errors import ValidationError
from certificate.tx import APPROVE, Transaction, approve_txs
from certificate.tx_bodies import APPROVAL_FIELDS, MAX_APPROVALS_PER_TX, approval_candidate
from tests.certificate.test_record import make_record
from tests.certificate.test_tx import CHAIN, ISSUER, candidate

# --- approve -------------------------------------------------------------------------


def test_approve_normalises_candidates_like_records() -> None:
    loose = candidate(kind="skm", level="3", ic="900101-10-0000", noss_code=" mc-024-3:2012",
                      name=" Ahmad  bin Abu", centre_code="ab123", extra_column="ignored")
    [tx] = approve_txs(" JPPS/2026/11 ", "2026-11-12", [loose], ISSUER, CHAIN, state="Selangor")
    assert tx.type == APPROVE
    assert tx.body["candidates"] == [candidate(ic="900101100000")]
    assert tx.body["jpps_ref"] == "JPPS/2026/11"
    assert (tx.body["part"], tx.body["parts"], tx.body["state"]) == (1, 1, "Selangor")
    assert Transaction.decode(tx.encode()) == tx
    # The approval item a record of the same candidate produces is the same.
    record = make_record(holder_ic="900101100000")
    c = tx.body["candidates"][0]
    assert (c["ic"], c["kind"], c["level"], c["noss_code"]) == (
        record.holder_ic, record.kind, record.level, record.noss_code,
    )


def test_approve_splits_into_parts() -> None:
    n = MAX_APPROVALS_PER_TX + 1
    txs = approve_txs("JPPS/2026/11", "2026-11-12", [candidate(i) for i in range(n)], ISSUER, CHAIN)
    assert [(t.body["part"], t.body["parts"], len(t.body["candidates"])) for t in txs] == [
        (1, 2, MAX_APPROVALS_PER_TX),
        (2, 2, 1),
    ]
    assert len({t.id for t in txs}) == 2
    for t in txs:
        assert Transaction.decode(t.encode()) == t
    with pytest.raises(ValidationError):
        approve_txs("JPPS/2026/11", "2026-11-12", [], ISSUER, CHAIN)


def _approve_body(**changes: Any) -> dict[str, Any]:
    return {
        "jpps_ref": "JPPS/2026/11",
        "jpps_date": "2026-11-12",
        "state": None,
        "part": 1,
        "parts": 1,
        "candidates": [candidate(0), candidate(1)],
        **changes,
    }


def test_approve_body_accepts_normal_form() -> None:
    Transaction.from_dict({"type": APPROVE, "body": _approve_body(), "sigs": []})


@pytest.mark.parametrize(
    "changes",
    [
        {"jpps_ref": "JPPS/2026/11 "},
        {"jpps_ref": "JPPS#11"},
        {"jpps_date": "2026-11-31"},
        {"jpps_date": "12/11/2026"},
        {"state": ""},
        {"state": "  Selangor"},
        {"part": 2, "parts": 1},
        {"part": 0},
        {"part": True},
        {"parts": True},
        {"parts": 1001, "part": 1001},
        {"part": "1"},
        {"candidates": []},
        {"candidates": [candidate(0)] * 2},
        {"candidates": [candidate(0, kind="skm")]},
        {"candidates": [candidate(0, level=True, kind="PC")]},
        {"candidates": [candidate(0, level="3")]},
        {"candidates": [candidate(0, level=4)]},
        {"candidates": [candidate(0, ic="900101-10-0000")]},
        {"candidates": [candidate(0, ic="900101100000 ")]},
        {"candidates": [candidate(0, ic="901301100000")]},
        {"candidates": [candidate(0, noss_code="mc-024-3:2012")]},
        {"candidates": [candidate(0, noss_code="MC-024-2:2012")]},
        {"candidates": [candidate(0, name="Ahmad  bin Abu")]},
        {"candidates": [candidate(0, name="Ahmad 2")]},
        {"candidates": [candidate(0, centre_code="ab123")]},
        {"candidates": [candidate(0, programme_ms="")]},
        {"candidates": [{k: v for k, v in candidate(0).items() if k != "name"}]},
        {"candidates": [{**candidate(0), "method": "PPT"}]},
        {"candidates": ["900101100000"]},
        {"extra": 1},
    ],
)
def test_approve_body_refusals(changes: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Transaction.from_dict({"type": APPROVE, "body": _approve_body(**changes), "sigs": []})


def test_born_after_the_meeting_is_judged_by_the_meeting_date() -> None:
    # A 2026-11-13 birth is in the future for a meeting on 2026-11-12, so the number reads
    # as 1926: whatever the node's clock says today.
    c = approval_candidate(candidate(0, ic="261113100000"), "2026-11-12")
    assert c["ic"] == "261113100000"


def test_approval_fields_constant() -> None:
    assert set(candidate(0)) == set(APPROVAL_FIELDS)
