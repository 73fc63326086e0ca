from __future__ import annotations

import csv
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from certificate.errors import ValidationError
from certificate.noss import MESSAGES, NossCode, level_from_tahap, parse_noss
from tests.shared_files import shared

PROGRAMMES = shared("data/programmes.csv")


def programme_rows() -> list[dict[str, str]]:
    if not PROGRAMMES.exists():
        pytest.skip(f"{PROGRAMMES} not available")
    with PROGRAMMES.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("MC-024-3:2012", NossCode("MC-024-3:2012", "MC", "024", 3, 2012, True)),
        ("G452-002-3:2018", NossCode("G452-002-3:2018", "G452", "002", 3, 2018, True)),
        ("A031-002-3:2022", NossCode("A031-002-3:2022", "A031", "002", 3, 2022, True)),
        ("I-031-3", NossCode("I-031-3", "I", "031", 3, None, True)),
        ("I-031-5", NossCode("I-031-5", "I", "031", 5, None, True)),
        # Same shape as AF-010-2 and I-031-3 (two-letter sector, no year): regular.
        ("ID-040-3", NossCode("ID-040-3", "ID", "040", 3, None, True)),
        ("  mc-024-3:2012\n", NossCode("MC-024-3:2012", "MC", "024", 3, 2012, True)),
        # Irregular shapes from real listings: read what is there, never refuse.
        ("Z-009:2015", NossCode("Z-009:2015", "Z", "009", None, 2015, False)),
        ("B-010-3@", NossCode("B-010-3@", "B", "010", 3, None, False)),
        ("Z-050", NossCode("Z-050", "Z", "050", None, None, False)),
        ("CSH3", NossCode("CSH3", "CSH3", None, None, None, False)),
        ("MC-024-31:2012", NossCode("MC-024-31:2012", "MC", "024", None, None, False)),
        ("MC-024-7:2012", NossCode("MC-024-7:2012", "MC", "024", None, 2012, False)),
        ("MC-024-3:1899", NossCode("MC-024-3:1899", "MC", "024", 3, None, False)),
        ("MC-024-3 :2012", NossCode("MC-024-3 :2012", "MC", "024", 3, None, False)),
        ("MC  024", NossCode("MC 024", "MC", None, None, None, False)),
        ("MC/024.3", NossCode("MC/024.3", "MC", None, None, None, False)),
        ("-024-3", NossCode("-024-3", "", "024", 3, None, False)),
    ],
)
def test_shapes(text: str, expected: NossCode) -> None:
    assert parse_noss(text) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (None, "noss.empty"),
        ("", "noss.empty"),
        ("   ", "noss.empty"),
        ("--:", "noss.empty"),
        (42, "noss.not_text"),
        ("A" * 41, "noss.too_long"),
        ("MC-024-3:2012 " + "X" * 30, "noss.too_long"),
        ("x" * 100_000, "noss.too_long"),
        ("MC_024_3", "noss.characters"),
        ("MC-024-3;2012", "noss.characters"),
        ("MC-024-3\t:2012", "noss.characters"),
        ("MC-024-3\x00", "noss.characters"),
        ("ＭＣ-024-3", "noss.characters"),
        ("MÇ-024-3", "noss.characters"),
        ("ßC-024-3", "noss.characters"),  # would upper-case to "SSC"
        ("ıD-040-3", "noss.characters"),  # would upper-case to "ID"
        ("MC-024-3\u202e", "noss.characters"),
    ],
)
def test_refusals(text: Any, code: str) -> None:
    with pytest.raises(ValidationError) as err:
        parse_noss(text)
    assert err.value.code == code
    assert err.value.field == "noss_code"
    assert code in MESSAGES


def test_whitespace_does_not_count_towards_the_limit() -> None:
    assert parse_noss(" " * 50 + "MC-024-3:2012" + " " * 50).code == "MC-024-3:2012"
    assert parse_noss("MC-024-3:2012" + " " * 30 + "X").code == "MC-024-3:2012 X"


def test_every_code_in_the_programme_listing() -> None:
    rows = programme_rows()
    assert len(rows) == 788
    distinct = sorted({row["kod_noss"] for row in rows})
    parsed = {code: parse_noss(code) for code in distinct}  # none may be refused

    with_level = [code for code, noss in parsed.items() if noss.level is not None]
    without_level = sorted(set(distinct) - set(with_level))
    assert len(distinct) == 198
    assert len(with_level) == 193
    assert without_level == ["CSH3", "CVS3", "CVS4", "PNS3", "Z-050"]
    irregular = sorted(code for code, noss in parsed.items() if not noss.regular)
    assert irregular == ["B-010-3@", *without_level]

    rows_with_both = 0
    for row in rows:
        noss = parsed[row["kod_noss"]]
        tahap = level_from_tahap(row["tahap"])
        if noss.level is not None and tahap is not None:
            rows_with_both += 1
            assert noss.level == tahap, row
    assert rows_with_both == 783  # every row whose code carries a level


@pytest.mark.parametrize(
    ("tahap", "level"),
    [
        # Every distinct value in the programme listing:
        ("SKM Tahap 1", 1),
        ("SKM Tahap 2", 2),
        ("SKM Tahap 3", 3),
        ("Diploma Kemahiran Malaysia", 4),
        ("Diploma LanjutanKemahiran Malaysia", 5),
        ("Tiada Tahap", None),
        # ... and the spellings other sources and the English certificate use:
        ("Diploma Lanjutan Kemahiran Malaysia", 5),
        ("DIPLOMA KEMAHIRAN MALAYSIA", 4),
        ("skm tahap 2", 2),
        ("SKM 3", 3),
        ("SKM Level 1", 1),
        ("Sijil Kemahiran Malaysia Tahap 2", 2),
        ("Malaysian Skills Certificate Level 3", 3),
        ("Malaysian Skills Diploma", 4),
        ("Malaysian Advanced Skills Diploma", 5),
        ("DKM", 4),
        ("DLKM", 5),
        ("Tahap 4", 4),
        ("Level 5", 5),
        ("", None),
    ],
)
def test_level_from_tahap(tahap: str, level: int | None) -> None:
    assert level_from_tahap(tahap) == level


def test_all_tahap_values_in_the_listing_are_known() -> None:
    assert {row["tahap"] for row in programme_rows()} == {
        "SKM Tahap 1",
        "SKM Tahap 2",
        "SKM Tahap 3",
        "Diploma Kemahiran Malaysia",
        "Diploma LanjutanKemahiran Malaysia",
        "Tiada Tahap",
    }


@pytest.mark.parametrize("tahap", ["SKM Tahap 4", "Tahap 6", "Diploma", "Sijil", "Level", "3"])
def test_unknown_tahap_is_refused(tahap: str) -> None:
    with pytest.raises(ValidationError) as err:
        level_from_tahap(tahap)
    assert err.value.code == "noss.tahap"


@given(st.text(max_size=60))
def test_arbitrary_text_never_crashes(text: str) -> None:
    try:
        noss = parse_noss(text)
    except ValidationError as err:
        assert err.code in MESSAGES
    else:
        assert noss.code == noss.code.strip().upper()
        assert 0 < len(noss.code) <= 40
        assert noss.level is None or 1 <= noss.level <= 5
        assert parse_noss(noss.code) == noss


@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-:@/. abc", max_size=40))
def test_allowed_characters_are_always_accepted(text: str) -> None:
    if text.strip(" -:@/.") and any(c.isalnum() for c in text):
        assert parse_noss(text).code


@given(st.text(max_size=40))
def test_level_from_tahap_never_crashes(text: str) -> None:
    try:
        level = level_from_tahap(text)
    except ValidationError as err:
        assert err.code == "noss.tahap"
    else:
        assert level is None or 1 <= level <= 5
