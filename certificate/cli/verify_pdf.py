"""``python -m certificate verify-pdf FILE --node URL``: the upload check from a terminal.

Prints the verdict on one line. Exit status: 0 only for an authentic, valid certificate; 1
for any other verdict (revoked, superseded, edited, not ours, not a PDF, unreadable); 2 when
the check itself could not run (bad arguments, unreadable file, node unreachable).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from certificate.cli import CliError
from certificate.pdf import MAX_PDF_BYTES, ChainStatus, verify_pdf
from certificate.pdf.node_api import NodeError, fetch_certificate, fetch_chain


def add_parser(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "verify-pdf", help="check that a certificate PDF is authentic and still valid",
        description=__doc__,
    )
    p.add_argument("file", type=Path, metavar="FILE", help="the certificate PDF")
    p.add_argument("--node", required=True, metavar="URL", help="a node's portal URL")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for the node")


def run(args: argparse.Namespace) -> int:
    try:
        with args.file.open("rb") as f:
            data = f.read(MAX_PDF_BYTES + 1)
    except OSError as exc:
        raise CliError(f"cannot read {args.file}: {exc.strerror}") from None
    try:
        chain = fetch_chain(args.node, timeout=args.timeout)
    except NodeError as exc:
        raise CliError(str(exc)) from None

    def lookup(cert_no: str) -> ChainStatus | None:
        try:
            entry = fetch_certificate(args.node, cert_no, timeout=args.timeout)
        except NodeError as exc:
            raise CliError(str(exc)) from None
        return None if entry is None else entry.status

    verdict = verify_pdf(data, node_keys=chain.members, lookup=lookup,
                         allowed_base_urls=[chain.qr_base_url])
    print(f"{verdict.code.name}: {verdict.message}")
    return 0 if verdict.authentic else 1
