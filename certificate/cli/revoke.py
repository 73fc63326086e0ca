"""``python -m certificate revoke``: withdraw a certificate, with a reason the verifier will see.

Everything that can be checked locally (the check character of the number, the reason, the key
file) is checked before any network call, so a typo never costs a round trip or reaches a log.
Exit 0 revoked; 1 the chain refused (unknown, already revoked, key not registered) or no node
answered; 2 bad input.

The transaction is signed once per run and resubmitted unchanged on fail-over, so a node dying
mid-request cannot produce two revocations.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from certificate.certno import normalise_cert_no
from certificate.cli import CliError
from certificate.cli.http import NodeClient, post_txs, result_error
from certificate.keys import read_key_file
from certificate.record import utc_timestamp
from certificate.tx import revoke_tx
from certificate.tx_bodies import normal_text

MAX_REASON = 500


def add_parser(sub: Any) -> None:
    p = sub.add_parser("revoke", help="revoke a certificate", description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cert-no", required=True, help="the certificate number, e.g. SKM3-26-7H3K9P2M-X")
    p.add_argument("--reason", required=True, help="why (shown to everyone who verifies it)")
    p.add_argument("--key", required=True, type=Path, help="a registered issuer key file")
    p.add_argument("--node", required=True, action="append", metavar="URL",
                   help="a node's base URL; repeat for fail-over")


def run(args: argparse.Namespace) -> int:
    cert_no = normalise_cert_no(args.cert_no)
    reason = normal_text(args.reason)
    if not reason:
        raise CliError("--reason must not be empty: it is shown with the certificate when verified")
    if len(reason) > MAX_REASON:
        raise CliError(f"--reason is {len(reason)} characters; at most {MAX_REASON}")
    key = read_key_file(args.key)
    client = NodeClient(args.node, notify=lambda msg: print(msg, file=sys.stderr))
    chain_id = client.chain_id()
    tx = revoke_tx(cert_no, reason, utc_timestamp(datetime.now(UTC)), key, chain_id)
    for _ in range(60):
        [res] = post_txs(client, [tx.encode()])
        status = res["status"]
        code, message = result_error(res)
        if status in (200, 201):
            print(f"revoked {cert_no}: tx {res['tx_id']} at height {res['height']}")
            return 0
        if status == 404:
            raise CliError(f"no certificate {cert_no} on chain {chain_id}", 1)
        if status == 409 and code == "cert.already_revoked":
            raise CliError(f"{cert_no} is already revoked{_earlier(client, cert_no)}", 1)
        if status == 403:
            raise CliError(f"key {key.public.id} may not revoke on chain {chain_id}: {message}", 1)
        if status not in (202, 503) and code != "tx.duplicate":
            raise CliError(f"the chain refused the revocation: {message}", 1)
        time.sleep(1.0)
    raise CliError("the revocation was not committed in time; run the same command again", 1)


def _earlier(client: NodeClient, cert_no: str) -> str:
    """Where and why, so the officer can tell an earlier run of this command from someone else's."""
    try:
        res = client.get(f"/api/v1/certificates/{cert_no}")
    except CliError:
        return ""
    rev = res.data.get("revocation") if res.status == 200 and isinstance(res.data, dict) else None
    if not isinstance(rev, dict):
        return ""
    return f" (at height {rev.get('height')}, reason: {str(rev.get('reason'))[:200]})"
