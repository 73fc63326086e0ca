"""``python -m certificate governance``: M-of-N admin changes to the issuer registry, offline.

Admin keys belong to different agencies and should never meet on one machine, so a change
travels as a file: one admin ``propose``s, each co-signing admin ``sign``s the file on their own
machine (it shows them exactly what they sign), anyone may ``show`` it, and once enough admins
have signed anyone may ``submit`` it.

The file's ``tx`` field (base64 of the transaction's canonical bytes, signatures included) is
the only thing that counts; the readable fields beside it are derived from it and checked
against it on every read, so an edited summary is refused rather than trusted.  A transaction's
id does not cover its signatures, so every signed copy of a proposal is the same change, and
submitting it twice has one effect.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import re
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from certificate.cli import CliError
from certificate.cli.http import NodeClient, post_txs, result_error
from certificate.cli.issue import _atomic_write
from certificate.errors import SignatureError, ValidationError
from certificate.keys import PublicKey, key_id, read_key_file
from certificate.record import utc_timestamp
from certificate.tx import GOVERNANCE, ISSUER_ADD, Transaction, governance_tx

FORMAT = "spkm-governance-proposal/1"
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")
_MAX_FILE = 1 << 20


def add_parser(sub: Any) -> None:
    p = sub.add_parser("governance", help="M-of-N admin changes to the issuer registry",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    gsub = p.add_subparsers(dest="gov_command", required=True)
    pr = gsub.add_parser("propose", help="write an unsigned proposal file")
    pr.add_argument("--action", required=True, choices=GOVERNANCE)
    pr.add_argument("--issuer-key", required=True, metavar="PUBHEX_OR_KEYFILE",
                    help="the issuer's public key (64 hex digits) or a key file")
    pr.add_argument("--name", required=True, help="who the key belongs to (for issuer.add)")
    pr.add_argument("--out", required=True, type=Path, help="the proposal file to create")
    chain = pr.add_mutually_exclusive_group(required=True)
    chain.add_argument("--genesis", type=Path, help="the chain's genesis file (gives the chain id)")
    chain.add_argument("--chain-id", help="the chain id, if the genesis file is not at hand")
    sg = gsub.add_parser("sign", help="add an admin signature to a proposal file (in place)")
    sg.add_argument("proposal", type=Path)
    sg.add_argument("--key", required=True, type=Path, help="an admin key file")
    sg.add_argument("--genesis", type=Path, help="refuse keys that are not admins of this chain")
    sh = gsub.add_parser("show", help="what a proposal does and who signed it")
    sh.add_argument("proposal", type=Path)
    sh.add_argument("--genesis", type=Path, help="name the signers and say how many more are needed")
    sm = gsub.add_parser("submit", help="send a signed proposal to the chain")
    sm.add_argument("proposal", type=Path)
    sm.add_argument("--node", required=True, action="append", metavar="URL")
    sm.add_argument("--genesis", type=Path, help="count only this chain's admins before submitting")


def run(args: argparse.Namespace) -> int:
    commands = {"propose": _propose, "sign": _sign, "show": _show, "submit": _submit}
    return commands[args.gov_command](args)


@dataclass(frozen=True)
class Admins:
    chain_id: str
    threshold: int
    names: dict[bytes, str]


@dataclass(frozen=True)
class Proposal:
    chain_id: str
    tx: Transaction

    @property
    def signers(self) -> list[bytes]:
        return [s.key for s in self.tx.sigs]

    def summary(self) -> str:
        key = self.tx.body["key"]
        what = "register" if self.tx.type == ISSUER_ADD else "remove"
        return (f"{self.tx.type}: {what} issuer key {key.hex()} (id {key_id(key)}) named "
                f"{self.tx.body['name']!r} on chain {self.chain_id}, proposed {self.tx.body['proposed_at']}")

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "summary": self.summary(),
            "chain_id": self.chain_id,
            "action": self.tx.type,
            "issuer_key": self.tx.body["key"].hex(),
            "name": self.tx.body["name"],
            "proposed_at": self.tx.body["proposed_at"],
            "tx_id": self.tx.id_hex,
            "signed_by": [{"key": k.hex(), "key_id": key_id(k)} for k in self.signers],
            "tx": base64.b64encode(self.tx.encode()).decode("ascii"),
        }


def _propose(args: argparse.Namespace) -> int:
    chain_id = _read_genesis(args.genesis).chain_id if args.genesis else args.chain_id
    if not chain_id or "\x00" in chain_id:
        raise CliError("--chain-id must not be empty")
    if args.out.exists():
        raise CliError(f"{args.out} already exists; refusing to overwrite a proposal")
    tx = governance_tx(args.action, _issuer_key(args.issuer_key), args.name, utc_timestamp(datetime.now(UTC)))
    proposal = Proposal(chain_id, tx)
    _save(args.out, proposal)
    print(proposal.summary())
    print(f"proposal {tx.id_hex[:16]} written to {args.out}; "
          f"admins now run: governance sign {args.out} --key ADMIN.key")
    return 0


def _sign(args: argparse.Namespace) -> int:
    proposal = _load(args.proposal)
    key = read_key_file(args.key)
    if key.public.raw in proposal.signers:
        raise CliError(f"key {key.public.id} has already signed this proposal")
    admins = _read_genesis(args.genesis) if args.genesis else None
    if admins is not None:
        _same_chain(admins, proposal)
        if key.public.raw not in admins.names:
            raise CliError(f"key {key.public.id} is not an admin key of chain {admins.chain_id}")
    signed = Proposal(proposal.chain_id, proposal.tx.signed_by(key, proposal.chain_id))
    _save(args.proposal, signed)
    print(f"signed: {signed.summary()}")
    print(f"{len(signed.signers)} signature(s){_needed(signed, admins)}")
    return 0


def _show(args: argparse.Namespace) -> int:
    proposal = _load(args.proposal)
    admins = _read_genesis(args.genesis) if args.genesis else None
    if admins is not None:
        _same_chain(admins, proposal)
    print(proposal.summary())
    print(f"tx id: {proposal.tx.id_hex}")
    if not proposal.signers:
        print("signed by: nobody yet")
    for k in proposal.signers:
        who = "" if admins is None else f" {admins.names.get(k, '(NOT an admin of this chain)')}"
        print(f"signed by: {key_id(k)}{who}")
    print(f"{len(proposal.signers)} signature(s){_needed(proposal, admins)}")
    return 0


def _submit(args: argparse.Namespace) -> int:
    proposal = _load(args.proposal)
    admins = _read_genesis(args.genesis) if args.genesis else None
    client = NodeClient(args.node, notify=lambda msg: print(msg, file=sys.stderr))
    info = client.chain_info()
    if info.get("chain_id") != proposal.chain_id:
        raise CliError(f"the proposal is for chain {proposal.chain_id}, the node serves {info.get('chain_id')}", 1)
    threshold = admins.threshold if admins is not None else info.get("admin_threshold")
    have = len(proposal.signers) if admins is None else sum(1 for k in proposal.signers if k in admins.names)
    if isinstance(threshold, int) and have < threshold:
        raise CliError(f"too few admin signatures: {have} of the {threshold} needed; more admins must run "
                       f"governance sign {args.proposal} --key ADMIN.key", 1)
    [res] = post_txs(client, [proposal.tx.encode()])
    code, message = result_error(res)
    if res["status"] in (200, 201):
        print(f"{proposal.tx.type} committed: tx {res['tx_id']} at height {res['height']}")
        return 0
    if code == "gov.threshold":
        raise CliError(f"too few admin signatures: {message}", 1)
    raise CliError(f"the chain refused the proposal ({res['status']}): {message}", 1)


# --- files --------------------------------------------------------------------------------
def _issuer_key(text: str) -> PublicKey:
    if _HEX64.fullmatch(text.strip()):
        return PublicKey.from_hex(text.strip())
    path = Path(text)
    if not path.exists():
        raise CliError(f"--issuer-key {text[:80]!r} is neither 64 hex digits nor an existing key file")
    return read_key_file(path).public


def _save(path: Path, proposal: Proposal) -> None:
    _atomic_write(path, json.dumps(proposal.to_json(), indent=2, ensure_ascii=False) + "\n")


def _load(path: Path) -> Proposal:
    doc = _read_json(path, "proposal")
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise CliError(f"{path} is not a governance proposal ({FORMAT})")
    chain_id = doc.get("chain_id")
    if not isinstance(chain_id, str) or not chain_id:
        raise CliError(f"{path}: chain_id is missing")
    try:
        tx = Transaction.decode(base64.b64decode(str(doc.get("tx", "")), validate=True))
    except (binascii.Error, ValueError) as exc:
        raise CliError(f"{path}: the tx field is not a valid transaction ({exc})") from None
    if tx.type not in GOVERNANCE:
        raise CliError(f"{path}: the transaction is a {tx.type}, not a governance change")
    proposal = Proposal(chain_id, tx)
    derived = proposal.to_json()
    fields = ("action", "issuer_key", "name", "proposed_at", "tx_id", "summary")
    edited = [f for f in fields if doc.get(f) != derived[f]]
    if edited:
        raise CliError(f"{path}: {edited[0]} does not match the transaction (the file was edited); "
                       "only the tx field counts, so write the proposal again")
    try:
        if tx.sigs:
            tx.verified_signers(chain_id)
    except SignatureError as exc:
        raise CliError(f"{path}: a signature does not verify ({exc})") from None
    return proposal


def _read_genesis(path: Path) -> Admins:
    doc = _read_json(path, "genesis")
    try:
        chain_id = doc["chain_id"]
        threshold = doc["admins"]["threshold"]
        names = {PublicKey.from_hex(a["public_key"]).raw: str(a.get("name", "")) for a in doc["admins"]["keys"]}
    except (KeyError, TypeError, ValidationError):
        raise CliError(f"{path} is not a genesis file (chain_id, admins.threshold, admins.keys)") from None
    if not isinstance(chain_id, str) or not isinstance(threshold, int):
        raise CliError(f"{path} is not a genesis file (chain_id, admins.threshold, admins.keys)")
    return Admins(chain_id, threshold, names)


def _read_json(path: Path, what: str) -> Any:
    try:
        with path.open("rb") as f:
            data = f.read(_MAX_FILE + 1)
    except OSError as exc:
        raise CliError(f"cannot read {what} file {path}: {exc.strerror}") from None
    if len(data) > _MAX_FILE:
        raise CliError(f"{path} is too large to be a {what} file")
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise CliError(f"{path} is not a {what} file (not JSON)") from None


def _same_chain(admins: Admins, proposal: Proposal) -> None:
    if admins.chain_id != proposal.chain_id:
        raise CliError(f"the proposal is for chain {proposal.chain_id}, the genesis file for {admins.chain_id}")


def _needed(proposal: Proposal, admins: Admins | None) -> str:
    if admins is None:
        return " (give --genesis to see how many are needed)"
    have = sum(1 for k in proposal.signers if k in admins.names)
    more = admins.threshold - have
    if more <= 0:
        return f"; {have} of {admins.threshold} admin signatures needed: ready to submit"
    return f"; {have} of {admins.threshold} admin signatures needed: {more} more"
