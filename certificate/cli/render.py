"""``python -m certificate render``: print a certificate's PDF locally from a node's data.

The PDF is rendered here, not downloaded, after checking the node's proof against the chain
members' keys; because rendering is deterministic it is byte-identical to what the portal
serves, and to what any other node would print.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from certificate.certno import normalise_cert_no
from certificate.cli import CliError
from certificate.errors import SignatureError, ValidationError
from certificate.pdf import CURRENT_TEMPLATE, TEMPLATES, render_certificate
from certificate.pdf.node_api import NodeError, fetch_certificate, fetch_chain


def add_parser(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "render", help="fetch a certificate and its proof from a node and render the PDF locally",
        description=__doc__,
    )
    p.add_argument("--cert-no", required=True, help="certificate number, e.g. SKM3-26-7H3K9P2M-X")
    p.add_argument("--node", required=True, metavar="URL", help="a node's portal URL")
    p.add_argument("--lang", choices=("ms", "en"), default="ms", help="language version (default ms)")
    p.add_argument("--out", required=True, type=Path, metavar="FILE", help="PDF file to write")
    p.add_argument("--template", choices=sorted(TEMPLATES), default=CURRENT_TEMPLATE,
                   help=f"template version (default {CURRENT_TEMPLATE})")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for the node")


def _write(path: Path, data: bytes) -> None:
    """Write atomically, so an interrupted run never leaves half a certificate."""
    directory = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise CliError(f"cannot write {path}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise CliError(f"cannot write {path}: {exc.strerror}") from None


def run(args: argparse.Namespace) -> int:
    cert_no = normalise_cert_no(args.cert_no)
    try:
        chain = fetch_chain(args.node, timeout=args.timeout)
        entry = fetch_certificate(args.node, cert_no, timeout=args.timeout)
    except NodeError as exc:
        raise CliError(str(exc)) from None
    if entry is None:
        raise CliError(f"certificate {cert_no} is not on the chain of {args.node}")
    try:
        proven, _tx = entry.proof.verify(chain.members)
    except (ValidationError, SignatureError) as exc:
        raise CliError(f"the node's proof for {cert_no} does not verify: {exc}", 1) from None
    if proven != entry.record or proven.cert_no != cert_no:
        raise CliError(f"the node's proof is not for the record it sent for {cert_no}", 1)
    if entry.proof.chain_id != chain.chain_id:
        raise CliError(f"the proof is for chain {entry.proof.chain_id!r}, the node runs {chain.chain_id!r}", 1)
    if entry.status.block_hash.lower() != entry.proof.header.hash.hex():
        raise CliError("the node's block for this certificate is not the block its proof names", 1)

    pdf = render_certificate(entry.record, entry.proof, lang=args.lang, base_url=chain.qr_base_url,
                             template=args.template)
    _write(args.out, pdf)
    if entry.status.status != "valid":
        print(f"warning: certificate {cert_no} is {entry.status.status} on the chain", file=sys.stderr)
    print(f"wrote {args.out} ({len(pdf)} bytes): {cert_no}, {args.lang}, template {args.template}")
    return 0
