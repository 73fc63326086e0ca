"""Sample certificates for the local cluster: real programmes and centres, invented people.

Programmes and centres come from ``shared/data/programmes.csv`` (the MySPIKE listing); names
and MyKad numbers are invented. The demo approves one JPPS meeting, issues most of it, leaves a
few pending (so the status page has something to show), revokes one and corrects another.
"""

from __future__ import annotations

import base64
import csv
import json
import random
import urllib.error
import urllib.request
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from certificate.activation import activation_digest, make_activation_code
from certificate.certno import derive_cert_no
from certificate.keys import read_key_file
from certificate.noss import level_from_tahap, parse_noss
from certificate.record import CertificateRecord, utc_timestamp
from certificate.tx import Transaction, approve_txs, issue_tx, revoke_tx
from certificate.tx_bodies import APPROVAL_FIELDS

ROOT = Path(__file__).resolve().parent.parent
PROGRAMMES = ROOT.parent / "shared" / "data" / "programmes.csv"

GIVEN = ["MUHAMMAD HAZIQ", "NUR AISYAH", "AHMAD FARHAN", "SITI NURHALIZA", "TAN WEI MING",
         "LIM MEI LING", "RAJESH KUMAR", "PRIYA DEVI", "MOHD FAIZAL", "NURUL IZZAH",
         "WONG KAR WAI", "KAVITHA", "AMIRUL ASYRAF", "FATIMAH ZAHRA", "LEE CHONG WEI"]
FAMILY = {"M": ["BIN ABDULLAH", "BIN ISMAIL", "BIN HASSAN", "A/L MUNUSAMY", ""],
          "F": ["BINTI AHMAD", "BINTI OTHMAN", "BINTI YUSOF", "A/P SUBRAMANIAM", ""]}
METHODS = ["SLaPB", "SLaPB", "SLaPB", "PPT", "SLDN"]


#: Used when the MySPIKE listing is not beside the clone (``../shared/data``), so that
#: ``./dev cluster`` still brings up a demo on a machine that has only this repository.
FALLBACK_PROGRAMMES: tuple[dict[str, Any], ...] = (
    {"level": 3, "noss_code": "A031-002-3:2022", "programme_ms": "OPERASI PERIKANAN TANGKAPAN",
     "centre_code": "K06019", "centre_name": "AKADEMI PERIKANAN MALAYSIA", "state": "PULAU PINANG"},
    {"level": 4, "noss_code": "Q869-002-4:2016", "programme_ms": "PENJAGAAN IBU SELEPAS BERSALIN MAMACARE",
     "centre_code": "L03000", "centre_name": "AVICENNA ACADEMY MALAYSIA", "state": "SELANGOR"},
    {"level": 4, "noss_code": "Q869-005-4:2024", "programme_ms": "TERAPI BEKAM BASAH",
     "centre_code": "L03000", "centre_name": "AVICENNA ACADEMY MALAYSIA", "state": "SELANGOR"},
)


def programmes() -> list[dict[str, Any]]:
    if not PROGRAMMES.exists():
        return [dict(p) for p in FALLBACK_PROGRAMMES]
    out = []
    with PROGRAMMES.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            level = level_from_tahap(row["tahap"])
            try:
                noss = parse_noss(row["kod_noss"])
            except ValueError:
                continue
            if level is None or (noss.level is not None and noss.level != level):
                continue
            out.append({"level": level, "noss_code": noss.code, "programme_ms": row["program"].strip(),
                        "centre_code": row["kod_pusat"].strip(), "centre_name": row["institusi"].strip(),
                        "state": row["negeri"].strip()})
    return out


def kind_for(level: int) -> str:
    return "SKM" if level <= 3 else ("DKM" if level == 4 else "DLKM")


def invent_ic(rng: random.Random, gender: str) -> str:
    born = date(rng.randint(1985, 2005), rng.randint(1, 12), rng.randint(1, 28))
    place = rng.choice(["06", "11", "03", "14", "10"])
    last = rng.randrange(0, 10, 2) + (1 if gender == "M" else 0)
    return f"{born:%y%m%d}{place}{rng.randint(0, 999):03d}{last}"


def demo_rows(n: int, seed: int = 2026) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    progs = programmes()
    rows = []
    for i in range(n):
        p = progs[(i * 37) % len(progs)]
        gender = "F" if i % 2 else "M"
        given = GIVEN[i % len(GIVEN)]
        name = f"{given} {rng.choice(FAMILY[gender])}".strip()
        rows.append({"name": name, "ic": invent_ic(rng, gender), "kind": kind_for(p["level"]),
                     "level": p["level"], "noss_code": p["noss_code"], "programme_ms": p["programme_ms"],
                     "programme_en": p["programme_ms"], "method": METHODS[i % len(METHODS)],
                     "centre_code": p["centre_code"], "centre_name": p["centre_name"]})
    return rows


def demo_records(rows: list[dict[str, Any]], jpps_ref: str, jpps_date: date, issued_at: str) -> list[CertificateRecord]:
    """The certificate records of ``rows`` (from ``demo_rows``), approved by one JPPS meeting."""
    records = []
    for r in rows:
        cert_no = derive_cert_no(r["kind"], r["level"], 2026, f"{jpps_ref}|{r['ic']}|{r['noss_code']}".encode())
        records.append(CertificateRecord.create(
            cert_no=cert_no, kind=r["kind"], level=r["level"], holder_name=r["name"], holder_ic=r["ic"],
            noss_code=r["noss_code"], programme_ms=r["programme_ms"], programme_en=r["programme_en"],
            method=r["method"], centre_code=r["centre_code"], centre_name=r["centre_name"],
            jpps_ref=jpps_ref, jpps_date=jpps_date.isoformat(), issued_at=issued_at))
    return records


def post(node: str, path: str, body: dict[str, Any]) -> Any:
    req = urllib.request.Request(node + path, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read())


def submit(nodes: list[str], txs: list[Transaction]) -> None:
    body = {"txs": [base64.b64encode(t.encode()).decode() for t in txs]}
    last: Exception | None = None
    for node in nodes:
        try:
            res = post(node, "/api/v1/txs", body)
            bad = [r for r in res["results"] if r["status"] not in (200, 201)]
            if bad:
                raise RuntimeError(f"demo transaction refused: {bad[0]}")
            return
        except (urllib.error.URLError, OSError) as exc:
            last = exc
    raise RuntimeError(f"no node accepted the demo batch: {last}")


def issue_demo(cluster_dir: Path, nodes: list[str], n: int = 24) -> int:
    key = read_key_file(cluster_dir / "keys" / "issuer.key")
    chain_id = json.loads((cluster_dir / "genesis.json").read_text())["chain_id"]
    jpps_date = date(2026, 11, 12)
    jpps_ref = "JPPS/2026/11"
    rows = demo_rows(n)
    cands = [{k: (r[k] if k != "ic" else r["ic"]) for k in APPROVAL_FIELDS if k != "name"} | {"name": r["name"]}
             for r in rows]
    submit(nodes, approve_txs(jpps_ref, jpps_date.isoformat(), cands, key, chain_id))
    now = utc_timestamp(datetime.now(UTC))
    records = demo_records(rows[: n - 4], jpps_ref, jpps_date, now)
    codes = {rec.cert_no: make_activation_code(key, rec.cert_no) for rec in records}
    submit(nodes, [issue_tx(rec, key, chain_id, activation=activation_digest(chain_id, rec.cert_no, codes[rec.cert_no]))
                   for rec in records])
    # One revocation and one correction, so every verdict can be seen on the portal.
    submit(nodes, [revoke_tx(records[1].cert_no, "Dibatalkan atas permintaan JPPS (demo)", now, key, chain_id)])
    old = records[2]
    new_no = derive_cert_no(old.kind, old.level, 2026, b"fix|" + old.cert_no.encode())
    fixed = CertificateRecord.create(**{**old.to_dict(), "holder_name": old.holder_name + " (PEMBETULAN)",
                                        "cert_no": new_no, "supersedes": old.cert_no})
    codes[fixed.cert_no] = make_activation_code(key, fixed.cert_no)
    submit(nodes, [issue_tx(fixed, key, chain_id,
                            activation=activation_digest(chain_id, fixed.cert_no, codes[fixed.cert_no]))])
    with (cluster_dir / "demo-holders.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["name", "ic", "cert_no", "activation_code", "note"])
        for i, rec in enumerate(records):
            note = {1: "revoked", 2: "superseded"}.get(i, "")
            w.writerow([rec.holder_name, rec.holder_ic, rec.cert_no, codes[rec.cert_no], note])
        w.writerow([fixed.holder_name, fixed.holder_ic, fixed.cert_no, codes[fixed.cert_no], "correction"])
        for r in rows[n - 4:]:
            w.writerow([r["name"], r["ic"], "", "", "pending (approved, not generated)"])
    return len(records) + 1
