"""Real certificates for PDF tests: a signed issue transaction in a signed block, with proof.

Keys are derived from fixed seeds so that every test process builds the same proofs (the
golden-file test and the two-process determinism test depend on it).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from certificate.block import make_block
from certificate.certno import derive_cert_no
from certificate.keys import PublicKey, SigningKey
from certificate.merkle import inclusion_path
from certificate.proof import CertificateProof
from certificate.record import CertificateRecord
from certificate.tx import issue_tx, revoke_tx

CHAIN_ID = "spkm-test"
BASE_URL = "https://sijil.jpk.gov.my"
ISSUER = SigningKey(hashlib.sha256(b"test issuer").digest())
NODE = SigningKey(hashlib.sha256(b"test node jpk").digest())
NODE_KEYS: dict[str, PublicKey] = {"jpk": NODE.public}

# Real programmes and centres from ../shared/data/programmes.csv, invented people.
PROGRAMMES: dict[tuple[str, int], dict[str, str]] = {
    ("SKM", 1): dict(noss_code="TA-011-1:2012", programme_ms="Pembuatan Pakaian Wanita",
                     programme_en="Women's Garment Making", centre_code="K05568",
                     centre_name="SMK ALOR AKAR"),
    ("SKM", 2): dict(noss_code="MC-113-2:2015",
                     programme_ms="Pemeriksaan Ultrasonik- Binaan Berkimpalan (Plat & Paip)Minyak & Gas",
                     programme_en="Ultrasonic Testing - Welded Construction (Plate & Pipe), Oil & Gas",
                     centre_code="NDT005", centre_name="RSA ACADEMY"),
    ("SKM", 3): dict(noss_code="A031-002-3:2022", programme_ms="OPERASI PERIKANAN TANGKAPAN",
                     programme_en="CAPTURE FISHERIES OPERATIONS", centre_code="K06019",
                     centre_name="AKADEMI PERIKANAN MALAYSIA"),
    ("DKM", 4): dict(noss_code="Q869-002-4:2016",
                     programme_ms="PENJAGAAN IBU SELEPAS BERSALIN MAMACARE",
                     programme_en="POSTNATAL MATERNAL CARE (MAMACARE)", centre_code="L03000",
                     centre_name="AVICENNA ACADEMY MALAYSIA - FAKULTI PERUBATAN (UniSZA)"),
    ("DLKM", 5): dict(noss_code="F432-005-5:2019",
                      programme_ms="Sistem Pengagihan Dan Penjanaan Tenaga Elektrik Voltan Rendah",
                      programme_en="Low Voltage Electrical Power Generation and Distribution Systems",
                      centre_code="K12009", centre_name="TVETMARA PEKAN"),
    ("PC", 3): dict(noss_code="C331-015-3:2021",
                    programme_ms="Operasi Pembaikpulih dan Pemeriksaan Struktur Kepingan Logam Aeroangkasa",
                    programme_en="Aerospace Sheet Metal Structure Repair and Inspection Operations",
                    centre_code="K03021", centre_name="INSTITUT KEMAHIRAN BELIA NEGARA PEKAN"),
}
KINDS: list[tuple[str, int]] = [("SKM", 1), ("SKM", 2), ("SKM", 3), ("DKM", 4), ("DLKM", 5), ("PC", 3)]
LONGEST_PROGRAMME_MS = (
    "Pemeriksaan Ultrasonik- Binaan Berkimpalan (Pengukuran Ketebalan & Pelaminaan)Minyak & Gas"
)


@dataclass(frozen=True)
class Issued:
    record: CertificateRecord
    proof: CertificateProof
    block_hash: str
    height: int


def make_record(kind: str = "SKM", level: int = 3, *, seed: str = "1", **overrides: Any) -> CertificateRecord:
    fields: dict[str, Any] = dict(
        cert_no=derive_cert_no(kind, level, 2026, f"{kind}{level}-{seed}".encode()),
        kind=kind,
        level=level,
        holder_name="NUR AISYAH BINTI AHMAD FAUZI",
        holder_ic="980314-11-5234",
        method="SLaPB",
        jpps_ref="JPPS 11/2026",
        jpps_date="2026-11-27",
        issued_at="2026-12-04T02:15:00Z",
        **PROGRAMMES[(kind, level)],
    )
    fields.update(overrides)
    return CertificateRecord.create(**fields)


def issue(*records: CertificateRecord, height: int = 42) -> list[Issued]:
    """Put ``records`` in one block signed by the test node; return each with its proof."""
    txs = [issue_tx(r, ISSUER, CHAIN_ID).encode() for r in records]
    block = make_block(height=height, prev_hash=bytes(32), time_ms=1_796_000_000_000, txs=txs,
                       proposer="jpk", key=NODE, chain_id=CHAIN_ID)
    out = []
    for i, record in enumerate(records):
        proof = CertificateProof(CHAIN_ID, txs[i], i, tuple(inclusion_path(txs, i)), block.header,
                                 block.signature)
        out.append(Issued(record, proof, block.hash.hex(), height))
    return out


def issue_one(kind: str = "SKM", level: int = 3, **overrides: Any) -> Issued:
    return issue(make_record(kind, level, **overrides))[0]


def revoke_tx_bytes(cert_no: str) -> bytes:
    return revoke_tx(cert_no, "data entry error", "2026-12-10T00:00:00Z", ISSUER, CHAIN_ID).encode()
