"""Certificate records: loose input is normalised once, stored records must already be normal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from certificate import canonical
from certificate.certno import make_cert_no
from certificate.errors import ValidationError
from certificate.record import FIELDS, CertificateRecord, utc_timestamp

CERT_NO = make_cert_no("SKM", 3, 2026, "7H3K9P2M")
OTHER_CERT_NO = make_cert_no("SKM", 3, 2026, "ABCDEFGH")

NORMAL: dict[str, Any] = {
    "cert_no": CERT_NO,
    "kind": "SKM",
    "level": 3,
    "holder_name": "Siti Nur Aisyah binti Ahmad",
    "holder_ic": "900101145678",
    "noss_code": "MC-024-3:2012",
    "programme_ms": "Pemasangan Elektrik",
    "programme_en": "Electrical Installation",
    "method": "SLaPB",
    "centre_code": "AB123",
    "centre_name": "Institut Latihan Perindustrian Kuala Lumpur",
    "jpps_ref": "JPPS/2026/11",
    "jpps_date": "2026-11-12",
    "issued_at": "2026-11-20T01:02:03Z",
    "supersedes": None,
}


def make_record(**changes: Any) -> CertificateRecord:
    """A valid record, for the other test modules too."""
    return CertificateRecord.create(**{**NORMAL, **changes})


def test_normal_input_is_kept() -> None:
    record = make_record()
    assert record.to_dict() == NORMAL
    assert CertificateRecord.from_dict(NORMAL) == record
    assert record.encode() == canonical.encode(NORMAL)
    assert tuple(NORMAL) == FIELDS
    assert record.kind_title_ms == "Sijil Kemahiran Malaysia"
    assert record.kind_title_en == "Malaysian Skills Certificate"


def test_create_normalises_loose_input() -> None:
    loose = {
        "cert_no": " " + CERT_NO.replace("-", "").lower() + " ",
        "kind": " skm ",
        "level": " 3",
        "holder_name": "  Siti  Nur Aisyah\tbinti Ahmad ",
        "holder_ic": "900101-14-5678",
        "noss_code": " mc-024-3:2012",
        "programme_ms": "Pemasangan  Elektrik",
        "programme_en": " Electrical Installation",
        "method": "slapb",
        "centre_code": "ab123 ",
        "centre_name": "Institut Latihan  Perindustrian Kuala Lumpur",
        "jpps_ref": " JPPS/2026/11 ",
        "jpps_date": " 2026-11-12 ",
        "issued_at": datetime(2026, 11, 20, 9, 2, 3, 999, tzinfo=timezone(timedelta(hours=8))),
        "supersedes": "",
    }
    assert CertificateRecord.create(**loose).to_dict() == NORMAL


def test_supersedes_is_normalised_and_checked() -> None:
    record = make_record(supersedes=OTHER_CERT_NO.lower())
    assert record.supersedes == OTHER_CERT_NO
    with pytest.raises(ValidationError) as err:
        make_record(supersedes=CERT_NO.replace("-", ""))
    assert err.value.code == "record.supersedes_self"
    mistyped = OTHER_CERT_NO[:-1] + ("A" if OTHER_CERT_NO[-1] != "A" else "B")
    with pytest.raises(ValidationError) as err:
        make_record(supersedes=mistyped)
    assert err.value.code == "certno.check"


def test_pc_may_differ_from_its_standards_level() -> None:
    record = make_record(kind="PC", level=2, cert_no=make_cert_no("PC", 2, 2026, "7H3K9P2M"))
    assert (record.kind, record.level, record.noss_code) == ("PC", 2, "MC-024-3:2012")


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"kind": "SKMX"}, "record.kind"),
        ({"kind": None}, "record.kind"),
        ({"level": 4}, "record.level"),
        ({"level": "3.0"}, "record.level"),
        ({"level": 3.0}, "record.level"),
        ({"level": True}, "record.level"),
        ({"level": "０3"}, "record.level"),
        ({"level": "0_3"}, "record.level"),
        ({"noss_code": "MC-024-2:2012"}, "record.noss_level"),
        ({"cert_no": make_cert_no("DKM", 4, 2026, "7H3K9P2M")}, "record.cert_no_kind"),
        ({"cert_no": CERT_NO[:-1] + ("A" if CERT_NO[-1] != "A" else "B")}, "certno.check"),
        ({"holder_name": None}, "name.empty"),
        ({"holder_name": 42}, "record.type"),
        ({"holder_name": "Ali\u202eBaba"}, "name.format_char"),
        ({"holder_ic": "90010114567X"}, "mykad.non_digit"),
        ({"holder_ic": "901301145678"}, "mykad.date"),
        ({"method": "online"}, "record.method"),
        ({"centre_code": "AB 123"}, "record.centre_code"),
        ({"centre_code": ""}, "record.centre_code"),
        ({"jpps_ref": "JPPS#1"}, "record.jpps_ref"),
        ({"jpps_date": "2026-02-30"}, "record.date"),
        ({"jpps_date": "2026-W46-4"}, "record.date"),
        ({"jpps_date": "٢٠٢٦-11-12"}, "record.date"),
        ({"jpps_date": "20261112"}, "record.date"),
        ({"jpps_date": "2026-11-21"}, "record.issued_before_jpps"),
        ({"issued_at": "2026-11-20T01:02:03"}, "record.timestamp"),
        ({"issued_at": "2026-11-20T25:02:03Z"}, "record.timestamp"),
        ({"issued_at": "2026-13-20T01:02:03Z"}, "record.timestamp"),
        ({"issued_at": "٢٠٢٦-11-20T01:02:03Z"}, "record.timestamp"),
        ({"issued_at": datetime(2026, 11, 20)}, "record.timestamp"),
        ({"issued_at": None}, "record.timestamp"),
        ({"supersede": OTHER_CERT_NO}, "record.unknown_field"),
    ],
)
def test_create_refuses(changes: dict[str, Any], code: str) -> None:
    with pytest.raises(ValidationError) as err:
        make_record(**changes)
    assert err.value.code == code


def test_issue_day_is_malaysian() -> None:
    # 2026-11-11T16:30Z is 00:30 on 12 November in Malaysia: the day of the meeting.
    assert make_record(issued_at="2026-11-11T16:30:00Z").issued_at == "2026-11-11T16:30:00Z"
    with pytest.raises(ValidationError):
        make_record(issued_at="2026-11-11T15:59:59Z")


def test_validation_does_not_read_the_clock() -> None:
    # A record issued long ago to a holder then a few days old still validates today; a
    # record whose holder was born after its issue date is judged by the issue date alone.
    record = make_record(holder_ic="261110145678", issued_at="2026-11-20T00:00:00Z")
    assert CertificateRecord.from_dict(record.to_dict()) == record


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"kind": "skm"}, "record.not_normal"),
        ({"holder_ic": "900101-14-5678"}, "record.not_normal"),
        ({"holder_name": "Siti  Nur Aisyah binti Ahmad"}, "record.not_normal"),
        ({"holder_name": " Siti Nur Aisyah binti Ahmad"}, "record.not_normal"),
        ({"holder_name": "Siti Nur Aisyah binti Ahmad".replace("Nur", "Nu\u0301r")}, None),
        ({"noss_code": "mc-024-3:2012"}, "record.not_normal"),
        ({"method": "SLAPB"}, "record.not_normal"),
        ({"centre_code": "ab123"}, "record.not_normal"),
        ({"jpps_ref": "JPPS/2026/11 "}, "record.not_normal"),
        ({"cert_no": CERT_NO.replace("-", "")}, "record.not_normal"),
        ({"cert_no": CERT_NO.lower()}, "record.not_normal"),
        ({"jpps_date": " 2026-11-12"}, "record.not_normal"),
        ({"supersedes": ""}, "record.not_normal"),
        ({"supersedes": OTHER_CERT_NO.lower()}, "record.not_normal"),
        ({"supersedes": 5}, "record.type"),
        ({"level": "3"}, "record.level"),
        ({"level": True}, "record.level"),
        ({"level": 3.0}, "record.level"),
        ({"holder_name": b"Siti"}, "record.type"),
        ({"issued_at": None}, "record.type"),
        ({"extra": "x"}, "record.unknown_field"),
    ],
)
def test_from_dict_refuses_non_normal(changes: dict[str, Any], code: str | None) -> None:
    with pytest.raises(ValidationError) as err:
        CertificateRecord.from_dict({**NORMAL, **changes})
    if code is not None:
        assert err.value.code == code


def test_nfd_name_is_not_normal() -> None:
    nfd = "Jose\u0301 bin Ali"
    assert make_record(holder_name=nfd).holder_name == "José bin Ali"
    with pytest.raises(ValidationError):
        CertificateRecord.from_dict({**NORMAL, "holder_name": nfd})


@pytest.mark.parametrize("name", FIELDS)
def test_from_dict_refuses_missing_field(name: str) -> None:
    data = {k: v for k, v in NORMAL.items() if k != name}
    with pytest.raises(ValidationError) as err:
        CertificateRecord.from_dict(data)
    assert err.value.code == "record.missing_field"


@pytest.mark.parametrize("data", [None, [], "record", NORMAL.items(), {1: "x"}])
def test_from_dict_refuses_non_objects(data: Any) -> None:
    with pytest.raises(ValidationError):
        CertificateRecord.from_dict(data)


def test_utc_timestamp() -> None:
    assert utc_timestamp(datetime(2026, 1, 1, 8, 0, tzinfo=timezone(timedelta(hours=8)))) == (
        "2026-01-01T00:00:00Z"
    )
    assert utc_timestamp(datetime(2026, 1, 1, tzinfo=UTC)) == "2026-01-01T00:00:00Z"
    with pytest.raises(ValidationError):
        utc_timestamp(datetime(2026, 1, 1))
