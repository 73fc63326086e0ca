"""The demo data ``./dev cluster`` issues: real programmes when the MySPIKE listing is beside
the clone, a small built-in list when it is not (a machine with only this repository)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from certificate.certno import derive_cert_no
from certificate.record import CertificateRecord, utc_timestamp
from scripts import demo


def _records(rows: list[dict[str, object]]) -> list[CertificateRecord]:
    now = utc_timestamp(datetime.now(UTC))
    out = []
    for r in rows:
        kind, level, ic = str(r["kind"]), int(str(r["level"])), str(r["ic"])
        cert_no = derive_cert_no(kind, level, 2026, f"JPPS/2026/11|{ic}|{r['noss_code']}".encode())
        out.append(CertificateRecord.create(
            cert_no=cert_no, kind=kind, level=level, holder_name=str(r["name"]), holder_ic=ic,
            noss_code=str(r["noss_code"]), programme_ms=str(r["programme_ms"]),
            programme_en=str(r["programme_en"]), method=str(r["method"]), centre_code=str(r["centre_code"]),
            centre_name=str(r["centre_name"]), jpps_ref="JPPS/2026/11", jpps_date="2026-11-12", issued_at=now))
    return out


def test_without_the_programme_listing_the_demo_still_makes_valid_records(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(demo, "PROGRAMMES", tmp_path / "missing.csv")
    rows = demo.demo_rows(24)
    assert {r["noss_code"] for r in rows} == {p["noss_code"] for p in demo.FALLBACK_PROGRAMMES}
    records = _records(rows)
    assert len({rec.cert_no for rec in records}) == 24


@pytest.mark.skipif(not demo.PROGRAMMES.exists(), reason="the MySPIKE listing is not beside this clone")
def test_with_the_programme_listing_the_demo_uses_it() -> None:
    rows = demo.demo_rows(24)
    assert len({r["noss_code"] for r in rows}) > len(demo.FALLBACK_PROGRAMMES)
    _records(rows)
