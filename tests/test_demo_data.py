"""The demo data ``./dev cluster`` issues: real programmes when the MySPIKE listing is beside
the clone, a small built-in list when it is not (a machine with only this repository)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from scripts import demo

JPPS_DATE = date(2026, 11, 12)


def test_without_the_programme_listing_the_demo_still_makes_valid_records(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(demo, "PROGRAMMES", tmp_path / "missing.csv")
    rows = demo.demo_rows(24)
    assert {r["noss_code"] for r in rows} == {p["noss_code"] for p in demo.FALLBACK_PROGRAMMES}
    records = demo.demo_records(rows, "JPPS/2026/11", JPPS_DATE, "2026-11-20T02:00:00Z")
    assert len({rec.cert_no for rec in records}) == 24


@pytest.mark.skipif(not demo.PROGRAMMES.exists(), reason="the MySPIKE listing is not beside this clone")
def test_with_the_programme_listing_the_demo_uses_it() -> None:
    rows = demo.demo_rows(24)
    assert len({r["noss_code"] for r in rows}) > len(demo.FALLBACK_PROGRAMMES)
    assert len(demo.demo_records(rows, "JPPS/2026/11", JPPS_DATE, "2026-11-20T02:00:00Z")) == 24
