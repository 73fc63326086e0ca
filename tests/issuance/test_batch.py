"""Batch CSV reading and validation (pure: no cluster)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from certificate.batch import (
    COLUMNS,
    MAX_BYTES,
    RESULT_COLUMNS,
    BatchFileError,
    BatchInvalid,
    csv_text,
    parse_batch,
    read_batch,
    result_rows,
)
from tests.issuance.helpers import csv_bytes, make_rows

TODAY = date(2026, 11, 27)


def errors_of(data: bytes) -> list[str]:
    with pytest.raises(BatchInvalid) as exc:
        parse_batch(data, today=TODAY)
    return [str(e) for e in exc.value.errors]


def file_error(data: bytes) -> str:
    with pytest.raises(BatchFileError) as exc:
        parse_batch(data, today=TODAY, name="b.csv")
    return str(exc.value)


def test_good_batch_is_normalised() -> None:
    rows = make_rows(40)
    rows[0]["kind"], rows[0]["method"], rows[0]["name"] = " skm ", "slapb", "  ALI   BIN  ABU "
    rows[0]["level"] = "2"
    rows[0]["noss_code"] = "ht-014-2:2011"
    batch = parse_batch(csv_bytes(rows), today=TODAY)
    assert len(batch.rows) == 40
    first = batch.rows[0]
    assert (first.kind, first.level, first.method, first.name) == ("SKM", 2, "SLaPB", "ALI BIN ABU")
    assert first.noss_code == "HT-014-2:2011"
    assert first.line == 2 and batch.rows[-1].line == 41
    assert (batch.jpps_ref, batch.jpps_date, batch.year) == ("JPPS/2026/11", "2026-11-12", 2026)
    dashed = [r for r in batch.rows if "-" in r.cells["ic"]]
    assert dashed and all(len(r.ic) == 12 and r.ic.isdigit() for r in dashed)
    assert first.cells["name"] == "  ALI   BIN  ABU "  # the result file repeats the input as written


def test_three_bad_rows_among_a_thousand_are_all_reported() -> None:
    rows = make_rows(1000)
    rows[16]["ic"] = "90010101234"  # 11 digits -> line 18
    rows[499]["kind"] = "SKN"  # line 501
    rows[997]["jpps_date"] = "2026-02-30"  # line 999
    errs = errors_of(csv_bytes(rows))
    assert [e.split(":")[0] for e in errs] == ["line 18", "line 501", "line 999"]
    assert errs[0].startswith("line 18: ic: ") and "12 digits" in errs[0]
    assert errs[1].startswith("line 501: kind: ")
    assert errs[2].startswith("line 999: jpps_date: ")


def test_every_problem_of_a_row_is_reported() -> None:
    rows = make_rows(3)
    rows[1].update(name="ALI 2", ic="991332011234", method="online", centre_code="K 1", programme_en="")
    errs = errors_of(csv_bytes(rows))
    assert {e.split(": ")[1] for e in errs} == {"name", "ic", "method", "centre_code", "programme_en"}
    assert all(e.startswith("line 3: ") for e in errs)


@pytest.mark.parametrize(
    ("change", "column", "words"),
    [
        ({"level": "4"}, "level", "awarded at level"),
        ({"kind": "DKM", "level": "4"}, "noss_code", "level 2 standard"),
        ({"noss_code": "HT-014-2:2011 ¶"}, "noss_code", "NOSS code"),
        ({"jpps_date": "2027-01-05"}, "jpps_date", "in the future"),
        ({"jpps_date": "12/11/2026"}, "jpps_date", "YYYY-MM-DD"),
        ({"ic": "950313-03-84O1"}, "ic", "only the digits"),
        ({"ic": "9503-1303-8401"}, "ic", "dashes"),
        ({"ic": "950313008401"}, "ic", "place-of-birth"),
        ({"name": "ALI\u202eBIN ABU"}, "name", "invisible"),
        ({"jpps_ref": "JPPS#1"}, "jpps_ref", "JPPS reference"),
    ],
)
def test_field_rules(change: dict[str, str], column: str, words: str) -> None:
    rows = make_rows(2, seed=1)
    rows[0]["noss_code"], rows[0]["kind"], rows[0]["level"] = "HT-014-2:2011", "SKM", "2"
    rows[0].update(change)
    errs = errors_of(csv_bytes(rows))
    assert any(e.startswith(f"line 2: {column}: ") and words in e for e in errs), errs


def test_one_meeting_per_file() -> None:
    rows = make_rows(10)
    rows[3]["jpps_ref"] = "JPPS/2026/10"
    rows[7]["jpps_date"] = "2026-11-11"
    errs = errors_of(csv_bytes(rows))
    assert errs[0].startswith("line 5: jpps_ref: JPPS/2026/10 differs from JPPS/2026/11 (line 2)")
    assert errs[1].startswith("line 9: jpps_date: 2026-11-11 differs from 2026-11-12")
    assert len(errs) == 2


def test_duplicate_candidate_and_programme() -> None:
    rows = make_rows(6)
    dup = dict(rows[1])
    dup["ic"] = dup["ic"].replace("-", "")[:6] + "-" + dup["ic"].replace("-", "")[6:8] + "-" + dup["ic"].replace(
        "-", "")[8:]  # same number, written differently
    dup["name"] = "SOMEONE ELSE"
    rows.append(dup)
    errs = errors_of(csv_bytes(rows))
    assert errs == ["line 8: duplicate of line 3 (same ic, kind, level and noss_code): "
                    "one certificate per candidate and programme"]


def test_bom_crlf_quoted_commas_and_header_spacing() -> None:
    rows = make_rows(5)
    rows[2]["centre_name"] = 'KOLEJ "BINA", KUALA LUMPUR'
    rows[3]["programme_ms"] = "Pengurusan, Operasi\nPelancongan"  # a quoted newline inside a field
    data = csv_bytes(rows, bom=True, newline="\r\n")
    data = data.replace(b"name,ic,", b" NAME , Ic ,", 1)
    batch = parse_batch(data, today=TODAY)
    assert batch.bom and batch.columns == COLUMNS
    assert batch.rows[2].centre_name == 'KOLEJ "BINA", KUALA LUMPUR'
    assert batch.rows[3].programme_ms == "Pengurusan, Operasi Pelancongan"
    assert [r.line for r in batch.rows] == [2, 3, 4, 5, 7]  # line numbers follow the file, not the records
    assert parse_batch(csv_bytes(rows, newline="\n"), today=TODAY).rows[4].line == 7


def test_columns_in_another_order_and_blank_lines() -> None:
    rows = make_rows(3)
    header = tuple(reversed(COLUMNS))
    data = csv_bytes(rows, header=header).replace(b"\r\n", b"\r\n\r\n,,,\r\n", 1)
    batch = parse_batch(data, today=TODAY)
    assert batch.columns == header and [r.line for r in batch.rows] == [4, 5, 6]


def test_wrong_number_of_cells() -> None:
    data = csv_bytes(make_rows(3)) + b"ALI,900101011234,SKM\r\n"
    assert errors_of(data) == ['line 5: expected 12 columns, found 3 (a comma inside a value needs "quotes")']


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "is empty"),
        (b"  \r\n\r\n", "is empty"),
        (b"\xef\xbb\xbf", "is empty"),
        (",".join(COLUMNS).encode() + b"\r\n", "header but no rows"),
        (b"nama,ic\r\nALI,900101011234\r\n", "wrong header row (missing name, kind"),
        (",".join((*COLUMNS, "email")).encode() + b"\r\n", "unknown 'email'"),
        (",".join((*COLUMNS[:-1], "name")).encode() + b"\r\n", "repeated name"),
        (b"PK\x03\x04\x14\x00\x06\x00", "spreadsheet workbook"),
        (b"\xff\xfen\x00a\x00", "UTF-16"),
        (b"%PDF-1.7\n\x00\x01", "not a text file"),
        (",".join(COLUMNS).encode() + b"\r\nJOS\xc9,900101011234\r\n", "not UTF-8 (line 2, byte 0xc9)"),
        (",".join(COLUMNS).encode() + b'\r\n"unclosed,x\r\n', "not a well-formed CSV"),
    ],
)
def test_unusable_files(data: bytes, words: str) -> None:
    assert words in file_error(data)


def test_file_errors_on_disk(tmp_path: Path) -> None:
    with pytest.raises(BatchFileError, match="no such file"):
        read_batch(tmp_path / "missing.csv", today=TODAY)
    with pytest.raises(BatchFileError, match="is a directory"):
        read_batch(tmp_path, today=TODAY)
    big = tmp_path / "big.csv"
    with big.open("wb") as f:
        f.truncate(MAX_BYTES + 1)
    with pytest.raises(BatchFileError, match="larger than"):
        read_batch(big, today=TODAY)


def test_result_rows_keep_the_input_and_skip_missing() -> None:
    rows = make_rows(3)
    batch = parse_batch(csv_bytes(rows, bom=True), today=TODAY)
    res = {"cert_no": "C", "tx_id": "T", "height": "7", "activation_code": "A"}
    out = result_rows(batch, {2: res, 4: res})
    assert out[0] == [*COLUMNS, *RESULT_COLUMNS]
    assert [r[1] for r in out[1:]] == [rows[0]["ic"], rows[2]["ic"]]
    assert out[1][-4:] == ["C", "T", "7", "A"]
    text = csv_text(out, bom=batch.bom)
    assert text.startswith("\ufeffname,") and text.count("\r\n") == 3
