"""Batch files for the issuance tests: real programmes and centres, invented people.

Programmes and centres come from ``shared/data/programmes.csv`` (the MySPIKE listing, or the
demo's three built-in programmes when it is not beside the clone); names
are invented and MyKad numbers are made up but valid (real dates, place codes in use), and
unique per row so that any number of rows is a valid batch.
"""

from __future__ import annotations

import csv
import functools
import io
import random
from datetime import date
from pathlib import Path
from typing import Any

from certificate.batch import COLUMNS
from scripts import demo

ROOT = Path(__file__).resolve().parents[2]

GIVEN = ["MUHAMMAD HAZIQ", "NUR AISYAH", "AHMAD FARHAN", "SITI NURHALIZA", "TAN WEI MING", "LIM MEI LING",
         "RAJESH KUMAR", "PRIYA DEVI", "MOHD FAIZAL", "NURUL IZZAH", "WONG KAR WAI", "KAVITHA",
         "AMIRUL ASYRAF", "FATIMAH ZAHRA", "CHONG SIEW LAN", "MUTHU SAMY"]
FAMILY = {"M": ["BIN ABDULLAH", "BIN ISMAIL", "BIN HASSAN", "A/L MUNUSAMY", ""],
          "F": ["BINTI AHMAD", "BINTI OTHMAN", "BINTI YUSOF", "A/P SUBRAMANIAM", ""]}
METHODS = ["SLaPB", "SLaPB", "SLaPB", "PPT", "SLDN"]
PLACES = ["01", "03", "06", "07", "10", "11", "14", "15"]


@functools.lru_cache(maxsize=1)
def programmes() -> list[dict[str, Any]]:
    """Programmes whose NOSS code agrees with their level (a few listings disagree): the
    demo's list, so the built-in three when the listing is not beside the clone."""
    return demo.programmes()


def kind_for(level: int) -> str:
    return "SKM" if level <= 3 else ("DKM" if level == 4 else "DLKM")


def make_rows(n: int, *, seed: int = 7, jpps_ref: str = "JPPS/2026/11", jpps_date: str = "2026-11-12",
              dashed_ic: bool = True) -> list[dict[str, str]]:
    rng = random.Random(seed)
    progs = programmes()
    rows, seen = [], set()
    for i in range(n):
        p = progs[(i * 37 + seed) % len(progs)]
        gender = "F" if i % 2 else "M"
        while True:
            born = date(rng.randint(1975, 2006), rng.randint(1, 12), rng.randint(1, 28))
            last = rng.randrange(0, 10, 2) + (1 if gender == "M" else 0)
            ic = f"{born:%y%m%d}{rng.choice(PLACES)}{rng.randint(0, 999):03d}{last}"
            if ic not in seen:
                seen.add(ic)
                break
        name = f"{GIVEN[i % len(GIVEN)]} {rng.choice(FAMILY[gender])}".strip()
        rows.append({
            "name": name, "ic": f"{ic[:6]}-{ic[6:8]}-{ic[8:]}" if dashed_ic and i % 3 == 0 else ic,
            "kind": kind_for(p["level"]), "level": str(p["level"]), "noss_code": p["noss_code"],
            "programme_ms": p["programme_ms"], "programme_en": p["programme_ms"], "method": METHODS[i % len(METHODS)],
            "centre_code": p["centre_code"], "centre_name": p["centre_name"], "jpps_ref": jpps_ref,
            "jpps_date": jpps_date,
        })
    return rows


def csv_bytes(rows: list[dict[str, str]], *, header: tuple[str, ...] = COLUMNS, bom: bool = False,
              newline: str = "\r\n") -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator=newline)
    w.writerow(header)
    for r in rows:
        w.writerow([r.get(c, "") for c in header])
    return (("\ufeff" if bom else "") + buf.getvalue()).encode("utf-8")


def write_batch(path: Path, rows: list[dict[str, str]], **kw: Any) -> Path:
    path.write_bytes(csv_bytes(rows, **kw))
    return path
