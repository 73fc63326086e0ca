"""The CSV importer (``certificate.batch.parse_batch``): whatever the file, a ``Batch`` whose every row
really builds a record, or ``BatchFileError``/``BatchInvalid`` naming lines; nothing else, and no
file gets half accepted. Inputs: arbitrary bytes, arbitrary text, and valid batches with cells,
rows, header or encoding changed.
"""

from __future__ import annotations

import csv
import io
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from certificate.batch import COLUMNS, Batch, BatchFileError, BatchInvalid, parse_batch
from certificate.certno import derive_cert_no
from tests.fuzz.settings import FUZZ
from tests.fuzz.test_decoders import mutate_bytes
from tests.issuance.helpers import csv_bytes, make_rows

TODAY = date(2026, 11, 27)
ROWS = make_rows(6)


def check(data: bytes) -> Batch | None:
    try:
        batch = parse_batch(data, today=TODAY, name="f.csv")
    except BatchInvalid as exc:
        assert exc.errors, "BatchInvalid without a single error"
        assert all(e.line >= 1 for e in exc.errors)
        return None
    except BatchFileError as exc:
        assert str(exc)
        return None
    # Accepted: every row must be one the chain will take (record and approval build).
    assert batch.rows
    for row in batch.rows:
        row.record(derive_cert_no(row.kind, row.level, batch.year, b"fuzz"), "2026-11-27T04:00:00Z")
        assert row.jpps_ref == batch.jpps_ref and row.jpps_date == batch.jpps_date
    assert len({r.key for r in batch.rows}) == len(batch.rows)
    return batch


cell_text = st.one_of(st.text(max_size=30), st.sampled_from(
    ["", " ", "SKM", "skm", "DKM", "4", "0", "-1", "2026-02-30", "2099-01-01", "1999-12-31", "900101-14-1234",
     "90010114123", "=cmd|' /C calc'!A0", '"', "\n", "\r\n", ",", "\u200b", "ＳＫＭ", "A" * 300]))


@FUZZ
@given(st.binary(max_size=3000))
def test_arbitrary_bytes(data: bytes) -> None:
    check(data)


@FUZZ
@given(st.text(max_size=2000))
def test_arbitrary_text(text: str) -> None:
    check(text.encode("utf-8", "surrogatepass"))


@FUZZ
@given(st.data())
def test_valid_batch_with_changed_cells(data: st.DataObject) -> None:
    rows = [dict(r) for r in ROWS]
    for _ in range(data.draw(st.integers(1, 4), label="changes")):
        i = data.draw(st.integers(0, len(rows) - 1), label="row")
        col = data.draw(st.sampled_from(COLUMNS), label="column")
        rows[i][col] = data.draw(cell_text, label="value")
    batch = check(csv_bytes(rows, bom=data.draw(st.booleans())))
    if batch is not None:
        assert len(batch.rows) == len(rows)  # accepted means all of it, never part


@FUZZ
@given(st.data())
def test_valid_batch_with_changed_structure(data: st.DataObject) -> None:
    header = list(data.draw(st.permutations(COLUMNS), label="order"))
    if data.draw(st.booleans(), label="header change"):
        i = data.draw(st.integers(0, len(header) - 1))
        header[i] = data.draw(st.sampled_from([header[i].upper(), f" {header[i]} ", "extra", header[0], ""]))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator=data.draw(st.sampled_from(["\r\n", "\n", "\r"])))
    w.writerow(header)
    for r in ROWS:
        cells = [r.get(c.strip().lower(), "") for c in header]
        if data.draw(st.integers(0, 9)) == 0:
            cells = cells[: data.draw(st.integers(0, len(cells)))] + data.draw(st.lists(cell_text, max_size=2))
        w.writerow(cells)
    check(buf.getvalue().encode())


@FUZZ
@given(st.data())
def test_valid_batch_with_byte_damage(data: st.DataObject) -> None:
    check(mutate_bytes(data, csv_bytes(ROWS)))
