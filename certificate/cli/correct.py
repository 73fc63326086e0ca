"""``python -m certificate correct``: issue a correction that supersedes a certificate.

A certificate can never be amended (SPEC section 1). A correction is a new certificate with its
own number, carrying ``supersedes`` = the old number; from its block on, the old one verifies
as "superseded" and points to the new one. The old record is read from the chain, the fields
given on the command line replace its values, and everything else is kept.

The new number is derived from the old number (and an attempt counter), so rerunning the same
correction finds the certificate it already issued instead of issuing a second one.
Exit 0 issued (or already issued by an earlier run); 1 the chain refused; 2 bad input.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from certificate.activation import activation_digest, make_activation_code
from certificate.certno import derive_cert_no, normalise_cert_no
from certificate.cli import CliError
from certificate.cli.http import NodeClient, post_txs, result_error
from certificate.keys import read_key_file
from certificate.record import CertificateRecord, utc_timestamp
from certificate.tx import issue_tx

FIELDS = {
    "name": "holder_name",
    "programme_ms": "programme_ms",
    "programme_en": "programme_en",
    "noss_code": "noss_code",
    "method": "method",
    "centre_code": "centre_code",
    "centre_name": "centre_name",
}
MAX_ATTEMPTS = 8


def add_parser(sub: Any) -> None:
    p = sub.add_parser("correct", help="issue a correction that supersedes a certificate", description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cert-no", required=True, help="the certificate to correct")
    for flag in FIELDS:
        p.add_argument(f"--{flag.replace('_', '-')}", dest=flag, help=f"the corrected {flag.replace('_', ' ')}")
    p.add_argument("--key", required=True, type=Path, help="a registered issuer key file")
    p.add_argument("--node", required=True, action="append", metavar="URL", help="a node's base URL; repeat")


def run(args: argparse.Namespace) -> int:
    old_no = normalise_cert_no(args.cert_no)
    changes = {FIELDS[f]: getattr(args, f) for f in FIELDS if getattr(args, f) is not None}
    if not changes:
        raise CliError("say what to correct: give at least one of " + ", ".join(f"--{f.replace('_', '-')}"
                                                                             for f in FIELDS))
    key = read_key_file(args.key)
    client = NodeClient(args.node, notify=lambda msg: print(msg, file=sys.stderr))
    chain_id = client.chain_id()
    res = client.get(f"/api/v1/certificates/{old_no}")
    if res.status == 404:
        raise CliError(f"no certificate {old_no} on chain {chain_id}", 1)
    if res.status != 200 or not isinstance(res.data, dict):
        raise CliError(f"cannot read {old_no}: {res.error_message()}", 1)
    old = CertificateRecord.from_dict(res.data["record"])
    if res.data.get("status") == "superseded":
        by = res.data.get("superseded_by")
        if by in _numbers(old.kind, old.level, int(old.jpps_date[:4]), chain_id, old_no):
            print(f"{old_no} was already corrected by {by} (an earlier run of this command)")
            return 0
        raise CliError(f"{old_no} was already corrected by {by}; correct that one", 1)
    if res.data.get("status") == "revoked":
        raise CliError(f"{old_no} is revoked; a revoked certificate cannot be corrected", 1)
    issued_at = utc_timestamp(datetime.now(UTC))
    for new_no in _numbers(old.kind, old.level, int(old.jpps_date[:4]), chain_id, old_no):
        existing = client.get(f"/api/v1/certificates/{new_no}")
        if existing.status == 200 and isinstance(existing.data, dict):
            if existing.data["record"].get("supersedes") == old_no:
                print(f"{old_no} was already corrected by {new_no} (block {existing.data['block']['height']})")
                return 0
            continue  # that number belongs to someone else: derive the next one
        record = CertificateRecord.create(**{**old.to_dict(), **changes, "cert_no": new_no,
                                             "supersedes": old_no, "issued_at": issued_at})
        code = make_activation_code(key, new_no)
        tx = issue_tx(record, key, chain_id, activation=activation_digest(chain_id, new_no, code))
        [result] = post_txs(client, [tx.encode()])
        status = result["status"]
        err_code, message = result_error(result)
        if status in (200, 201):
            print(f"corrected {old_no} -> {new_no}: tx {result['tx_id']} at height {result['height']}")
            print(f"activation code for the holder: {code}")
            return 0
        if status == 409 and err_code == "cert.duplicate":
            continue
        raise CliError(f"the chain refused the correction: {message}", 1)
    raise CliError(f"could not find a free certificate number after {MAX_ATTEMPTS} attempts", 1)


def _numbers(kind: str, level: int, year: int, chain_id: str, old_no: str) -> list[str]:
    """The numbers a correction of ``old_no`` may take, in the order they are tried."""
    return [derive_cert_no(kind, level, year, f"correction|{chain_id}|{old_no}|{n}".encode())
            for n in range(MAX_ATTEMPTS)]
