"""The command lines where no node is involved: local refusals, governance files, conflicts."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from certificate.batch import parse_batch
from certificate.cli import main
from certificate.cli.http import Response
from certificate.cli.issue import _plan, _resolve_conflict
from certificate.keys import SigningKey, write_key_file
from tests.issuance.helpers import csv_bytes, make_rows, write_batch

DEAD = "http://127.0.0.1:9"  # nothing listens on the discard port: any network call would fail


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, Path]:
    out = {}
    for name in ("issuer", "admin-1", "admin-2", "admin-3", "stranger"):
        out[name] = tmp_path / f"{name}.key"
        write_key_file(out[name], SigningKey(bytes([len(out)]) * 32))
    return out


@pytest.fixture
def genesis(tmp_path: Path, keys: dict[str, Path]) -> Path:
    admins = [{"public_key": SigningKey(bytes([i + 2]) * 32).public.hex, "name": f"Pentadbir {i + 1}"}
              for i in range(3)]
    path = tmp_path / "genesis.json"
    path.write_text(json.dumps({"chain_id": "spkm-offline", "admins": {"threshold": 2, "keys": admins}}))
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_issue_refuses_a_bad_batch_before_any_network_call(tmp_path: Path, keys: dict[str, Path],
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    rows = make_rows(20)
    rows[4]["level"] = "7"
    batch = write_batch(tmp_path / "b.csv", rows)
    code, out, err = run(capsys, "issue", "--csv", str(batch), "--key", str(keys["issuer"]), "--node", DEAD)
    assert code == 2 and out == ""
    assert err.splitlines() == ["line 6: level: level must be a number from 1 to 5",
                                "error: 1 of 20 rows have errors; nothing was submitted"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "not a text file"),
        (b"name;ic;kind\r\n", "wrong header row"),
    ],
)
def test_issue_refuses_unusable_files_in_one_line(tmp_path: Path, keys: dict[str, Path], content: bytes,
                                                  message: str, capsys: pytest.CaptureFixture[str]) -> None:
    batch = tmp_path / "b.csv"
    batch.write_bytes(content)
    code, _, err = run(capsys, "issue", "--csv", str(batch), "--key", str(keys["issuer"]), "--node", DEAD)
    assert code == 2 and len(err.splitlines()) == 1 and message in err


def test_issue_refuses_bad_options(tmp_path: Path, keys: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    batch = write_batch(tmp_path / "b.csv", make_rows(2))
    base = ["issue", "--csv", str(batch), "--key", str(keys["issuer"])]
    code, _, err = run(capsys, *base, "--node", DEAD, "--state", "Atlantis")
    assert code == 2 and "unknown Malaysian state" in err
    code, _, err = run(capsys, *base, "--node", "localhost:8101")
    assert code == 2 and "not a node URL" in err
    code, _, err = run(capsys, "issue", "--csv", str(batch), "--key", str(tmp_path / "none.key"), "--node", DEAD)
    assert code == 2 and "does not exist" in err


def test_governance_files(tmp_path: Path, keys: dict[str, Path], genesis: Path,
                          capsys: pytest.CaptureFixture[str]) -> None:
    prop = tmp_path / "p.json"
    issuer_hex = SigningKey(bytes([1]) * 32).public.hex
    code, out, _ = run(capsys, "governance", "propose", "--action", "issuer.add", "--issuer-key", issuer_hex,
                       "--name", " Pegawai   Baharu ", "--out", str(prop), "--genesis", str(genesis))
    assert code == 0 and "register issuer key" in out and "'Pegawai Baharu'" in out
    doc = json.loads(prop.read_text())
    assert doc["action"] == "issuer.add" and doc["signed_by"] == [] and doc["chain_id"] == "spkm-offline"
    code, _, err = run(capsys, "governance", "propose", "--action", "issuer.add", "--issuer-key", issuer_hex,
                       "--name", "x", "--out", str(prop), "--chain-id", "c")
    assert code == 2 and "already exists" in err

    code, out, _ = run(capsys, "governance", "show", str(prop), "--genesis", str(genesis))
    assert code == 0 and "signed by: nobody yet" in out and "0 of 2 admin signatures needed: 2 more" in out
    code, _, err = run(capsys, "governance", "sign", str(prop), "--key", str(keys["stranger"]), "--genesis",
                       str(genesis))
    assert code == 2 and "not an admin key" in err
    for admin in ("admin-1", "admin-2"):
        code, out, _ = run(capsys, "governance", "sign", str(prop), "--key", str(keys[admin]))
        assert code == 0
    code, _, err = run(capsys, "governance", "sign", str(prop), "--key", str(keys["admin-2"]))
    assert code == 2 and "already signed" in err
    code, out, _ = run(capsys, "governance", "show", str(prop), "--genesis", str(genesis))
    assert "Pentadbir 1" in out and "Pentadbir 2" in out and "ready to submit" in out
    tx_id = json.loads(prop.read_text())["tx_id"]
    assert tx_id == doc["tx_id"]  # signatures do not change what is proposed

    edited = json.loads(prop.read_text())
    edited["name"] = "Someone Else"
    prop.write_text(json.dumps(edited))
    code, _, err = run(capsys, "governance", "show", str(prop))
    assert code == 2 and "name does not match the transaction" in err
    code, _, err = run(capsys, "governance", "show", str(tmp_path / "missing.json"))
    assert code == 2 and "cannot read proposal file" in err


class FakeNode:
    """Answers GET /api/v1/certificates/{n} with a given record (just enough for conflict handling)."""

    def __init__(self, answer: dict[str, Any]) -> None:
        self.answer = answer

    def get(self, path: str) -> Response:
        return Response(200, self.answer, "http://fake")


def test_conflicts_step_to_a_new_number_or_refuse() -> None:
    key = SigningKey(bytes(32))
    batch = parse_batch(csv_bytes(make_rows(2)), today=date(2026, 11, 27))
    [plan, _] = _plan(batch, key, "c", "2026-11-27T00:00:00Z")
    mine = plan.tx.record.to_dict()

    # Another holder's certificate has this number: the row is re-signed under attempt 1.
    before = plan.cert_no
    other = {**mine, "holder_ic": "900101011235"}
    assert _resolve_conflict(FakeNode({"record": other, "block": {}}), plan, key, "c", mine["issued_at"]) is False
    assert plan.error is None and plan.attempt == 1 and plan.cert_no != before
    assert plan.tx.record.cert_no == plan.cert_no

    # The same row with another programme title: refused, never issued twice.
    changed = {**plan.tx.record.to_dict(), "programme_en": "Something Else"}
    assert _resolve_conflict(FakeNode({"record": changed, "block": {}}), plan, key, "c", mine["issued_at"]) is False
    assert plan.error is not None and "different programme_en" in plan.error

    # The same row, issued earlier by another officer: refused with a pointer to their result file.
    plan.error = None
    same = {**plan.tx.record.to_dict(), "issued_at": "2026-11-20T00:00:00Z"}
    answer = {"record": same, "block": {"height": 5}, "issuer_key": "00" * 32, "proof": {"tx": plan.tx.encode().hex()}}
    assert _resolve_conflict(FakeNode(answer), plan, key, "c", mine["issued_at"]) is False
    assert plan.error is not None and "another issuer key" in plan.error

    # The same row by this key (an earlier run): adopted with the chain's tx id and height.
    plan.error = None
    answer["issuer_key"] = key.public.hex
    assert _resolve_conflict(FakeNode(answer), plan, key, "c", mine["issued_at"]) is True
    assert plan.result is not None and plan.result["height"] == "5" and plan.result["tx_id"] == plan.tx.id_hex
