"""A JPPS batch file: the CSV of one certification committee meeting's approved results.

Everything is read and checked before anything is signed: a batch is refused as a whole when any
row is wrong, with every problem of every row reported by line number, because the officer fixes
the file in a spreadsheet and reruns; half a meeting on the chain and half in an error list is
worse for everyone than a file that goes in complete.

One file is one JPPS meeting (all rows share ``jpps_ref`` and ``jpps_date``).  The chain takes a
meeting's approved list once (its ``approve`` transactions start the 14-working-day clock for
exactly the candidates listed), so a file mixing meetings would either split one list across
files or glue several into one; rows that differ from the meeting of most rows are reported.

Pure: reads the file it is given and nothing else; the clock comes in as ``today``.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any, Final

from certificate.certno import derive_cert_no
from certificate.errors import ValidationError
from certificate.mykad import parse_mykad
from certificate.names import normalise_name, normalise_text
from certificate.record import (
    MYT,
    CertificateRecord,
    parse_jpps_ref,
)
from certificate.record_fields import (
    parse_centre_code,
    parse_iso_date,
    parse_kind_level,
    parse_method,
    parse_noss_for_level,
)
from certificate.tx_bodies import approval_candidate

COLUMNS: Final = (
    "name", "ic", "kind", "level", "noss_code", "programme_ms", "programme_en",
    "method", "centre_code", "centre_name", "jpps_ref", "jpps_date",
)
RESULT_COLUMNS: Final = ("cert_no", "tx_id", "height", "activation_code")
#: A meeting approves hundreds to a few thousand candidates; 50,000 rows is far beyond any
#: real meeting and still small enough to validate in memory in seconds.
MAX_ROWS: Final = 50_000
MAX_BYTES: Final = 32 << 20
_BOM: Final = "\ufeff"


class BatchFileError(Exception):
    """The file as a whole is unusable (not CSV, empty, too big, wrong header): one line."""


@dataclass(frozen=True)
class RowError:
    line: int
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        return f"{where}{self.column}: {self.message}" if self.column else f"{where}{self.message}"


class BatchInvalid(Exception):
    """One or more rows are wrong; ``errors`` lists every problem found, in line order."""

    def __init__(self, errors: list[RowError], rows: int) -> None:
        super().__init__(f"{len({e.line for e in errors})} of {rows} rows have errors")
        self.errors = errors
        self.rows = rows


@dataclass(frozen=True)
class BatchRow:
    """One candidate and programme, every field in the normal form it is signed in."""

    line: int
    cells: dict[str, str]  # as written in the file, for the result file
    name: str
    ic: str
    kind: str
    level: int
    noss_code: str
    programme_ms: str
    programme_en: str
    method: str
    centre_code: str
    centre_name: str
    jpps_ref: str
    jpps_date: str

    @property
    def key(self) -> tuple[str, str, int, str]:
        """What the chain matches an approval and an issue by; unique in a batch."""
        return (self.ic, self.kind, self.level, self.noss_code)

    def approval(self) -> dict[str, Any]:
        return {"ic": self.ic, "name": self.name, "kind": self.kind, "level": self.level,
                "noss_code": self.noss_code, "programme_ms": self.programme_ms, "centre_code": self.centre_code}

    def record(self, cert_no: str, issued_at: str) -> CertificateRecord:
        return CertificateRecord.create(
            cert_no=cert_no, kind=self.kind, level=self.level, holder_name=self.name, holder_ic=self.ic,
            noss_code=self.noss_code, programme_ms=self.programme_ms, programme_en=self.programme_en,
            method=self.method, centre_code=self.centre_code, centre_name=self.centre_name,
            jpps_ref=self.jpps_ref, jpps_date=self.jpps_date, issued_at=issued_at,
        )


@dataclass(frozen=True)
class Batch:
    columns: tuple[str, ...]  # header order of the file
    rows: tuple[BatchRow, ...]
    jpps_ref: str
    jpps_date: str
    bom: bool = field(default=False)

    @property
    def year(self) -> int:
        return date.fromisoformat(self.jpps_date).year


def read_batch(path: str | Path, *, today: date) -> Batch:
    """Read and check a batch file; raise BatchFileError or BatchInvalid."""
    path = Path(path)
    try:
        with path.open("rb") as f:
            data = f.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise BatchFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise BatchFileError(f"{path} is a directory, not a CSV file") from None
    except OSError as exc:
        raise BatchFileError(f"cannot read {path}: {exc.strerror}") from None
    return parse_batch(data, today=today, name=str(path))


def parse_batch(data: bytes, *, today: date, name: str = "batch") -> Batch:
    text = _decode(data, name)
    bom = text.startswith(_BOM)
    reader = csv.reader(io.StringIO(text.removeprefix(_BOM), newline=""), strict=True)
    try:
        header = next(reader, None)
        while header is not None and not any(c.strip() for c in header):
            header = next(reader, None)
        if header is None:
            raise BatchFileError(f"{name} is empty; expected a header row: {', '.join(COLUMNS)}")
        columns = _check_header(header, name)
        raw_rows: list[tuple[int, list[str]]] = []
        line = reader.line_num + 1
        for cells in reader:
            if any(c.strip() for c in cells):
                raw_rows.append((line, cells))
                if len(raw_rows) > MAX_ROWS:
                    raise BatchFileError(f"{name} has more than {MAX_ROWS:,} rows; split the meeting's list")
            line = reader.line_num + 1
    except csv.Error as exc:
        raise BatchFileError(f"{name} is not a well-formed CSV file (line {reader.line_num}: {exc})") from None
    if not raw_rows:
        raise BatchFileError(f"{name} has a header but no rows")
    return _check_rows(columns, raw_rows, today, bom)


def _decode(data: bytes, name: str) -> str:
    if len(data) > MAX_BYTES:
        raise BatchFileError(f"{name} is larger than {MAX_BYTES >> 20} MB; a JPPS batch is far smaller")
    if not data.strip():
        raise BatchFileError(f"{name} is empty; expected a header row: {', '.join(COLUMNS)}")
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise BatchFileError(f"{name} is a spreadsheet workbook, not CSV; save it as 'CSV UTF-8'")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise BatchFileError(f"{name} is UTF-16 text; save it as 'CSV UTF-8'")
    if b"\x00" in data:
        raise BatchFileError(f"{name} is not a text file (it contains NUL bytes)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise BatchFileError(
            f"{name} is not UTF-8 (line {line}, byte 0x{data[exc.start]:02x}); save it as 'CSV UTF-8'"
        ) from None


def _check_header(header: list[str], name: str) -> tuple[str, ...]:
    """Column names, order free (they are matched by name), set exact, case and spaces forgiven."""
    columns = tuple(h.strip().lower() for h in header)
    missing = [c for c in COLUMNS if c not in columns]
    unknown = [c for c in columns if c not in COLUMNS]
    doubled = sorted(c for c, n in Counter(columns).items() if n > 1)
    if missing or unknown or doubled:
        problems = []
        if missing:
            problems.append(f"missing {', '.join(missing)}")
        if unknown:
            problems.append(f"unknown {', '.join(repr(c[:30]) for c in unknown[:5])}")
        if doubled:
            problems.append(f"repeated {', '.join(doubled)}")
        raise BatchFileError(
            f"{name}: wrong header row ({'; '.join(problems)}); expected: {', '.join(COLUMNS)}"
        )
    return columns


def _check_rows(columns: tuple[str, ...], raw_rows: list[tuple[int, list[str]]], today: date,
                bom: bool) -> Batch:
    errors: list[RowError] = []
    rows: list[BatchRow] = []
    for line, cells in raw_rows:
        if len(cells) != len(columns):
            errors.append(RowError(line, None, f"expected {len(columns)} columns, found {len(cells)} "
                                   "(a comma inside a value needs \"quotes\")"))
            continue
        row = _check_row(line, dict(zip(columns, cells, strict=True)), today, errors)
        if row is not None:
            rows.append(row)
    jpps_ref, jpps_date = _check_meeting(rows, errors)
    _check_duplicates(rows, errors)
    if errors:
        raise BatchInvalid(sorted(errors, key=lambda e: e.line), len(raw_rows))
    return Batch(columns, tuple(rows), jpps_ref, jpps_date, bom)


def _check_row(line: int, cells: dict[str, str], today: date, errors: list[RowError]) -> BatchRow | None:
    """Check every field on its own so that one row reports all its problems at once."""
    found: list[RowError] = []
    values: dict[str, Any] = {}

    def check(column: str, parse: Any, *args: Any) -> None:
        try:
            values[column] = parse(*args)
        except ValidationError as exc:
            found.append(RowError(line, exc.field if exc.field in COLUMNS else column, exc.message))

    check("jpps_date", _meeting_date, cells["jpps_date"], today)
    meeting = date.fromisoformat(values["jpps_date"]) if "jpps_date" in values else today
    check("name", normalise_name, cells["name"])
    check("ic", lambda t: parse_mykad(t, strip_separators=True, today=meeting).number, cells["ic"])
    check("kind", lambda k, lv: parse_kind_level(k, lv), cells["kind"], cells["level"])
    if "kind" in values:
        values["kind"], values["level"] = values["kind"]
        check("noss_code", parse_noss_for_level, cells["noss_code"], values["kind"], values["level"])
    for column in ("programme_ms", "programme_en", "centre_name"):
        check(column, lambda t, c=column: normalise_text(t, field=c, max_len=200), cells[column])
    check("method", parse_method, cells["method"])
    check("centre_code", parse_centre_code, cells["centre_code"])
    check("jpps_ref", parse_jpps_ref, cells["jpps_ref"])
    if found:
        errors.extend(found)
        return None
    row = BatchRow(line=line, cells=cells, **values)
    # The field checks above mirror the record's; building the real record and approval entry
    # (with a stand-in number) makes sure nothing the chain would refuse slips through.
    try:
        cert_no = derive_cert_no(row.kind, row.level, meeting.year, b"validation")
        row.record(cert_no, _end_of_day(today))
        approval_candidate(row.approval(), row.jpps_date)
    except ValidationError as exc:
        errors.append(RowError(line, exc.field, exc.message))
        return None
    return row


def _meeting_date(text: str, today: date) -> str:
    iso = parse_iso_date(text, "jpps_date")
    day = date.fromisoformat(iso)
    if day > today:
        raise ValidationError("batch.future_meeting", f"the JPPS meeting date {iso} is in the future",
                              field="jpps_date")
    if day.year < 2000:
        raise ValidationError("batch.old_meeting", f"the JPPS meeting date {iso} is before 2000",
                              field="jpps_date")
    return iso


def _end_of_day(today: date) -> str:
    """A time on ``today`` in Malaysia, as a stored timestamp: late enough for any meeting today."""
    return datetime.combine(today, time(12, 0), MYT).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _check_meeting(rows: list[BatchRow], errors: list[RowError]) -> tuple[str, str]:
    """The meeting of most rows; every row naming another meeting is an error."""
    if not rows:
        return "", ""
    counts = Counter((r.jpps_ref, r.jpps_date) for r in rows)
    (ref, day), _ = counts.most_common(1)[0]
    first = next(r.line for r in rows if (r.jpps_ref, r.jpps_date) == (ref, day))
    for r in rows:
        if r.jpps_ref != ref:
            errors.append(RowError(r.line, "jpps_ref", f"{r.jpps_ref} differs from {ref} (line {first}); "
                                   "a batch file holds one JPPS meeting"))
        elif r.jpps_date != day:
            errors.append(RowError(r.line, "jpps_date", f"{r.jpps_date} differs from {day} (line {first}) "
                                   f"for meeting {ref}"))
    return ref, day


def _check_duplicates(rows: list[BatchRow], errors: list[RowError]) -> None:
    seen: dict[tuple[str, str, int, str], int] = {}
    for r in rows:
        if r.key in seen:
            errors.append(RowError(r.line, None, f"duplicate of line {seen[r.key]} (same ic, kind, level "
                                   "and noss_code): one certificate per candidate and programme"))
        else:
            seen[r.key] = r.line


def result_rows(batch: Batch, results: Mapping[int, Mapping[str, str]]) -> list[list[str]]:
    """The result file's rows: header, then each input row (by line) with its result columns.

    Rows without a result (an interrupted run) are left out, so a partial file lists exactly
    what is on the chain.
    """
    out = [[*batch.columns, *RESULT_COLUMNS]]
    for row in batch.rows:
        res = results.get(row.line)
        if res is not None:
            out.append([*(row.cells[c] for c in batch.columns), *(res[c] for c in RESULT_COLUMNS)])
    return out


def csv_text(rows: list[list[str]], *, bom: bool) -> str:
    buf = io.StringIO()
    if bom:
        buf.write(_BOM)
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    return buf.getvalue()
