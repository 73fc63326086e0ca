"""``python -m certificate issue``: put one JPPS meeting's approved results on the chain.

Validate every row (nothing is sent if any row is wrong), sign the meeting's approval and one
issue transaction per row, submit in chunks with fail-over between nodes, wait for commit, and
write ``FILE.result.csv`` (the input plus cert_no, tx_id, height, activation_code).

Safe to rerun after any interruption because a rerun signs *the same bytes*: the cert_no is
derived from (chain, meeting, MyKad, kind, level, NOSS code), the activation code from the
issuer key and cert_no, Ed25519 signatures are deterministic, and the one remaining variable,
``issued_at``, is fixed by the first run and kept in ``FILE.state.json``.  The chain answers an
already committed transaction with its height, so a rerun completes what is missing and changes
nothing else.  If the state file is lost, the issue time is recovered from the chain, and any
row still answered "cert_no already issued" is compared field by field with what is on chain.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tqdm import tqdm  # type: ignore[import-untyped,unused-ignore]

from certificate import canonical
from certificate.activation import activation_digest, make_activation_code
from certificate.batch import Batch, BatchFileError, BatchInvalid, BatchRow, csv_text, read_batch, result_rows
from certificate.certno import derive_cert_no
from certificate.cli import CliError
from certificate.cli.http import NodeClient, post_txs, result_error
from certificate.errors import ValidationError
from certificate.keys import SigningKey, read_key_file
from certificate.record import MYT, CertificateRecord, utc_timestamp
from certificate.tx import Transaction, approve_txs, issue_tx
from certificate.workdays import resolve_state

STATE_FORMAT = "spkm-issue-state/1"
CHUNK = 500
#: How long one chunk may keep answering "not committed yet" before the run stops (rerun then).
CHUNK_PATIENCE = 180.0
MAX_CERTNO_ATTEMPTS = 8


def add_parser(sub: Any) -> None:
    p = sub.add_parser("issue", help="validate, sign and submit a JPPS batch CSV",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--csv", required=True, type=Path, help="the batch file (UTF-8 CSV)")
    p.add_argument("--key", required=True, type=Path, help="the certification officer's issuer key file")
    p.add_argument("--node", required=True, action="append", metavar="URL",
                   help="a node's base URL; repeat for fail-over")
    p.add_argument("--state", help="state whose calendar sets the 14-working-day deadline (default: federal)")
    p.add_argument("--chunk", type=int, default=CHUNK, metavar="N",
                   help=f"transactions per request (default {CHUNK}; smaller for a slow cluster)")


def build_issue_tx(record: CertificateRecord, key: SigningKey, chain_id: str, activation: bytes) -> Transaction:
    """The issue transaction of one row, carrying the digest of its activation code.

    The digest, not the code, goes on the chain: every block is public, and nodes need only
    to check a code a candidate types at registration (``certificate.activation``).
    """
    return issue_tx(record, key, chain_id, activation=activation)


@dataclass
class Planned:
    row: BatchRow
    attempt: int
    cert_no: str
    tx: Transaction
    code: str
    result: dict[str, str] | None = None
    error: str | None = None


@dataclass(frozen=True)
class Files:
    state: Path
    result: Path
    partial: Path

    @classmethod
    def beside(cls, csv_path: Path) -> Files:
        return cls(Path(f"{csv_path}.state.json"), Path(f"{csv_path}.result.csv"),
                   Path(f"{csv_path}.result.partial.csv"))


def run(args: argparse.Namespace) -> int:
    if not 1 <= args.chunk <= 5000:
        raise CliError("--chunk must be between 1 and 5000")
    key = read_key_file(args.key)
    state = None if args.state is None else " ".join(args.state.split())
    if state is not None:
        resolve_state(state)
    try:
        batch = read_batch(args.csv, today=datetime.now(MYT).date())
    except BatchFileError as exc:
        raise CliError(str(exc)) from None
    except BatchInvalid as exc:
        for err in exc.errors:
            print(err, file=sys.stderr)
        raise CliError(f"{len({e.line for e in exc.errors})} of {exc.rows} rows have errors; "
                       "nothing was submitted") from None
    files = Files.beside(args.csv)
    progress = Progress(len(batch.rows))
    client = NodeClient(args.node, timeout=45.0, give_up_after=120.0, notify=progress.note)
    try:
        return _issue(batch, key, state, files, client, progress, args.chunk)
    finally:
        progress.close()


def _issue(batch: Batch, key: SigningKey, state: str | None, files: Files, client: NodeClient,
           progress: Progress, chunk: int) -> int:
    chain_id = client.chain_id()
    start_height = _height(client)
    issued_at, state = _session(files.state, batch, chain_id, key, state, client)
    plans = _plan(batch, key, chain_id, issued_at)
    progress.note(f"meeting {batch.jpps_ref} ({batch.jpps_date}): {len(plans)} certificates, chain {chain_id}")
    _approve(client, batch, key, chain_id, state)
    progress.start()
    try:
        for i in range(0, len(plans), chunk):
            _submit_chunk(client, plans[i : i + chunk], key, chain_id, issued_at, progress)
            _write_partial(files, batch, plans)
    except BaseException:
        _write_partial(files, batch, plans)
        progress.note(f"stopped; work so far is in {files.partial}; rerun the same command to finish")
        raise
    failed = [p for p in plans if p.error is not None]
    for p in failed:
        print(f"line {p.row.line}: {p.error}", file=sys.stderr)
    if failed:
        raise CliError(f"{len(failed)} of {len(plans)} rows were not issued; the others are in {files.partial}", 1)
    _atomic_write(files.result, csv_text(result_rows(batch, _results(plans)), bom=batch.bom))
    files.partial.unlink(missing_ok=True)
    new = sum(1 for p in plans if p.result is not None and int(p.result["height"]) > start_height)
    progress.close()
    print(f"{batch.jpps_ref}: {len(plans)} certificates on chain {chain_id} "
          f"({new} new, {len(plans) - new} already there); result: {files.result}")
    return 0


def _height(client: NodeClient) -> int:
    res = client.get("/api/v1/status")
    height = res.data.get("height") if isinstance(res.data, dict) else None
    return height if isinstance(height, int) else 0


# --- the state file: what a rerun must reuse ----------------------------------------------
def _session(path: Path, batch: Batch, chain_id: str, key: SigningKey, state: str | None,
             client: NodeClient) -> tuple[str, str | None]:
    """The batch's issue time and calendar state on this chain: the first run's, or new ones.

    The file is written before anything is submitted, so no transaction can reach the chain
    with an issue time that a rerun would not know.
    """
    doc: dict[str, Any] = {"format": STATE_FORMAT, "jpps_ref": batch.jpps_ref, "chains": {}}
    if path.exists():
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            if doc.get("format") != STATE_FORMAT or not isinstance(doc.get("chains"), dict):
                raise ValueError
        except (OSError, ValueError, AttributeError):
            raise CliError(f"{path} is not a batch state file; move it away to start afresh") from None
        if doc.get("jpps_ref") != batch.jpps_ref:
            raise CliError(f"{path} belongs to meeting {doc.get('jpps_ref')!r}, not {batch.jpps_ref!r}; "
                           "move it away if this is a new batch")
    entry = doc["chains"].get(chain_id)
    if isinstance(entry, dict):
        if entry.get("issuer_key") != key.public.hex:
            raise CliError(f"this batch was first submitted to {chain_id} with issuer key "
                           f"{str(entry.get('issuer_key'))[:16]}...; rerun it with that key file")
        if state is not None and state != entry.get("state"):
            raise CliError(f"this batch was first submitted with --state {entry.get('state')!r}; "
                           "rerun it with the same")
        return str(entry["issued_at"]), entry.get("state")
    issued_at = _issued_at_on_chain(client, batch, chain_id) or utc_timestamp(datetime.now(UTC))
    doc["chains"][chain_id] = {"issued_at": issued_at, "state": state, "issuer_key": key.public.hex,
                               "first_run": utc_timestamp(datetime.now(UTC))}
    _atomic_write(path, json.dumps(doc, indent=2) + "\n")
    return issued_at, state


def _issued_at_on_chain(client: NodeClient, batch: Batch, chain_id: str) -> str | None:
    """A lost state file: the first row's certificate, if on chain, tells the batch's issue time."""
    row = batch.rows[0]
    res = client.get(f"/api/v1/certificates/{_cert_no(row, chain_id, batch.year, 0)}")
    rec = res.data.get("record") if res.status == 200 and isinstance(res.data, dict) else None
    if isinstance(rec, dict) and rec.get("holder_ic") == row.ic and isinstance(rec.get("issued_at"), str):
        return str(rec["issued_at"])
    return None


# --- signing ------------------------------------------------------------------------------
def _cert_no(row: BatchRow, chain_id: str, year: int, attempt: int) -> str:
    seed = canonical.encode(["spkm-certno/v1", chain_id, row.jpps_ref, row.ic, row.kind, row.level,
                             row.noss_code, attempt])
    return derive_cert_no(row.kind, row.level, year, seed)


def _sign(row: BatchRow, key: SigningKey, chain_id: str, year: int, issued_at: str, attempt: int,
          taken: set[str]) -> Planned:
    """Sign a row; ``attempt`` steps past numbers already taken, deterministically."""
    while True:
        if attempt >= MAX_CERTNO_ATTEMPTS:
            raise CliError(f"line {row.line}: no free certificate number after {attempt} attempts")
        cert_no = _cert_no(row, chain_id, year, attempt)
        if cert_no not in taken:
            break
        attempt += 1
    taken.add(cert_no)
    code = make_activation_code(key, cert_no)
    tx = build_issue_tx(row.record(cert_no, issued_at), key, chain_id, activation_digest(chain_id, cert_no, code))
    return Planned(row, attempt, cert_no, tx, code)


def _plan(batch: Batch, key: SigningKey, chain_id: str, issued_at: str) -> list[Planned]:
    taken: set[str] = set()
    return [_sign(row, key, chain_id, batch.year, issued_at, 0, taken) for row in batch.rows]


def _approve(client: NodeClient, batch: Batch, key: SigningKey, chain_id: str, state: str | None) -> None:
    """The meeting's approved list must be on chain before its certificates (it starts the clock)."""
    txs = approve_txs(batch.jpps_ref, batch.jpps_date, [r.approval() for r in batch.rows], key, chain_id,
                      state=state)
    pending = txs
    deadline = time.monotonic() + CHUNK_PATIENCE
    while pending:
        results = post_txs(client, [t.encode() for t in pending])
        retry = []
        for tx, res in zip(pending, results, strict=True):
            code, message = result_error(res)
            if res["status"] in (200, 201):
                continue
            if res["status"] in (202, 503) or code == "tx.duplicate":
                retry.append(tx)
            elif res["status"] == 403:
                raise CliError(f"the chain refused key {key.public.id}: {message}", 1)
            elif code.startswith("jpps."):
                raise CliError(f"meeting {batch.jpps_ref} already has a different approved list on the chain "
                               f"({message}); a meeting's list goes on the chain once: was the file changed "
                               "after its first run?", 1)
            else:
                raise CliError(f"the meeting's approval was refused: {message}", 1)
        pending = retry
        if pending and time.monotonic() > deadline:
            raise CliError("the meeting's approval was not committed in time; rerun the same command", 1)
        if pending:
            time.sleep(0.5)


# --- submitting ---------------------------------------------------------------------------
def _submit_chunk(client: NodeClient, plans: list[Planned], key: SigningKey, chain_id: str, issued_at: str,
                  progress: Progress) -> None:
    pending = [p for p in plans if p.result is None and p.error is None]
    deadline = time.monotonic() + CHUNK_PATIENCE
    pause = 0.2
    while pending:
        results = post_txs(client, [p.tx.encode() for p in pending])
        retry: list[Planned] = []
        committed = 0
        for plan, res in zip(pending, results, strict=True):
            code, message = result_error(res)
            status = res["status"]
            if status in (200, 201):
                plan.result = _result(plan, str(res["tx_id"]), res["height"])
                committed += 1
            elif status in (202, 503) or code == "tx.duplicate":
                retry.append(plan)
            elif status == 403:
                raise CliError(f"the chain refused key {key.public.id}: {message}", 1)
            elif code == "cert.duplicate":
                if _resolve_conflict(client, plan, key, chain_id, issued_at):
                    committed += 1
                elif plan.error is None:
                    retry.append(plan)
            else:
                plan.error = f"refused by the chain: {message}"
        progress.advance(committed)
        if retry and time.monotonic() > deadline:
            raise CliError(f"{len(retry)} transactions were not committed within {CHUNK_PATIENCE:.0f} s; "
                           "rerun the same command to finish (nothing is issued twice)", 1)
        if retry and len(retry) == len(pending):
            time.sleep(pause)
            pause = min(pause * 2, 3.0)
        pending = retry


def _resolve_conflict(client: NodeClient, plan: Planned, key: SigningKey, chain_id: str, issued_at: str) -> bool:
    """Our cert_no is taken: by this very row (an earlier run), or by another certificate.

    True when the row turns out to be on the chain already (its result is filled in); False
    when it was re-signed under the next number (submit again) or failed (``plan.error``).
    """
    res = client.get(f"/api/v1/certificates/{plan.cert_no}")
    data = res.data if res.status == 200 and isinstance(res.data, dict) else {}
    record, block = data.get("record"), data.get("block")
    if not isinstance(record, dict) or not isinstance(block, dict):
        plan.error = f"certificate number {plan.cert_no} is reported taken but cannot be read ({res.error_message()})"
        return False
    ours = plan.tx.record.to_dict()
    same_row = all(record.get(f) == ours[f] for f in ("holder_ic", "kind", "level", "noss_code", "jpps_ref"))
    if not same_row:
        # Another certificate has the number: derive the next one (a rerun steps the same way).
        replanned = _sign(plan.row, key, chain_id, int(plan.row.jpps_date[:4]), issued_at, plan.attempt + 1,
                          {plan.cert_no})
        plan.attempt, plan.cert_no, plan.tx, plan.code = (replanned.attempt, replanned.cert_no, replanned.tx,
                                                          replanned.code)
        return False
    differs = sorted(f for f in ours if f not in ("issued_at",) and record.get(f) != ours[f])
    if differs:
        plan.error = (f"{plan.cert_no} is already on the chain with a different {', '.join(differs)}; a "
                      "certificate cannot be amended (issue a correction that supersedes it)")
        return False
    if data.get("issuer_key") != key.public.hex:
        plan.error = (f"{plan.cert_no} was issued with another issuer key; its activation code is in that "
                      "officer's result file")
        return False
    try:
        tx_id = Transaction.decode(bytes.fromhex(data["proof"]["tx"])).id_hex
    except (KeyError, TypeError, ValueError, ValidationError):
        plan.error = f"{plan.cert_no}: the node's proof is unreadable"
        return False
    plan.result = _result(plan, tx_id, block.get("height"))
    return True


def _result(plan: Planned, tx_id: str, height: Any) -> dict[str, str]:
    return {"cert_no": plan.cert_no, "tx_id": tx_id, "height": str(height), "activation_code": plan.code}


def _results(plans: list[Planned]) -> dict[int, dict[str, str]]:
    return {p.row.line: p.result for p in plans if p.result is not None}


# --- files and progress -------------------------------------------------------------------
def _write_partial(files: Files, batch: Batch, plans: list[Planned]) -> None:
    results = _results(plans)
    if results:
        _atomic_write(files.partial, csv_text(result_rows(batch, results), bom=batch.bom))


def _atomic_write(path: Path, text: str) -> None:
    """Write-then-rename, so a reader (or a crash) never sees half a file.

    Mode 0600: result files hold MyKad numbers and activation codes.
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


class Progress:
    """A tqdm bar on a terminal; otherwise a plain line per chunk (at most one a second).

    The bar starts with the first issue transaction, so its rate and ETA are not skewed by
    validation, signing and the meeting's approval.
    """

    def __init__(self, total: int) -> None:
        self.tty = sys.stderr.isatty()
        self.total = total
        self.done = 0
        self.t0 = time.monotonic()
        self._last = 0.0
        self.bar: Any = None

    def start(self) -> None:
        self.t0 = time.monotonic()
        if self.tty and self.bar is None:
            self.bar = tqdm(total=self.total, unit="cert", desc="issuing", file=sys.stderr, dynamic_ncols=True,
                            smoothing=0.1)

    def advance(self, n: int) -> None:
        if n <= 0:
            return
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
        now = time.monotonic()
        if not self.tty and (now - self._last >= 1.0 or self.done >= self.total):
            self._last = now
            rate = self.done / max(now - self.t0, 1e-6)
            eta = (self.total - self.done) / rate
            print(f"issued {self.done}/{self.total} ({rate:.0f}/s, about {eta:.0f} s left)",
                  file=sys.stderr, flush=True)

    def note(self, message: str) -> None:
        if self.bar is not None:
            self.bar.write(message, file=sys.stderr)
        else:
            print(message, file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
