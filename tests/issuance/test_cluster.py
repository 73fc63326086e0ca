"""End to end: the real CLI, as a subprocess, against a real 4-node cluster.

No stubs: what is checked is what the chain says through its public API (heights, blocks,
certificates, meetings, holders).
"""

from __future__ import annotations

import csv
import io
import json
import signal
import socket
import time
from collections import Counter
from pathlib import Path

import pytest

from certificate.activation import check_activation_code, make_activation_code, normalise_activation_code
from certificate.certno import derive_cert_no, normalise_cert_no
from certificate.keys import SigningKey, read_key_file, write_key_file
from certificate.tx import ISSUE, Transaction
from tests.issuance.conftest import LocalCluster
from tests.issuance.helpers import make_rows, write_batch

pytestmark = pytest.mark.cluster


def issue_args(c: LocalCluster, csv_path: Path, *, key: Path | None = None,
               nodes: tuple[int, ...] = (1, 2)) -> list[str]:
    args = ["issue", "--csv", str(csv_path), "--key", str(key or c.key("issuer"))]
    for i in nodes:
        args += ["--node", c.url(i)]
    return args


def read_result(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def meeting(c: LocalCluster, ref: str) -> dict[str, int]:
    status, data = c.get("/api/v1/jpps/" + ref.replace("/", "%2F"))
    assert status == 200, data
    return data  # type: ignore[no-any-return]


def test_a_bad_batch_submits_nothing(cluster: LocalCluster, tmp_path: Path) -> None:
    rows = make_rows(1000, seed=21, jpps_ref="JPPS/T/BAD")
    rows[16]["ic"] = "9001010123"  # line 18
    rows[499]["method"] = "kursus"  # line 501
    rows[997]["noss_code"] = "MC-024-5:2012"  # a level-5 standard on a lower award, line 999
    batch = write_batch(tmp_path / "bad.csv", rows)
    before = cluster.height()
    out = cluster.cli(*issue_args(cluster, batch))
    assert out.returncode == 2, out.stderr
    lines = out.stderr.splitlines()
    assert [ln.split(":")[0] for ln in lines[:3]] == ["line 18", "line 501", "line 999"]
    assert lines[-1] == "error: 3 of 1000 rows have errors; nothing was submitted"
    time.sleep(1.0)
    assert cluster.height() == before
    assert not Path(f"{batch}.state.json").exists() and not Path(f"{batch}.result.csv").exists()


def test_issue_300_then_rerun_changes_nothing(cluster: LocalCluster, tmp_path: Path) -> None:
    ref = "JPPS/T/300"
    rows = make_rows(300, seed=3, jpps_ref=ref)
    batch = write_batch(tmp_path / "b300.csv", rows, bom=True)
    out = cluster.cli(*issue_args(cluster, batch))
    assert out.returncode == 0, out.stderr
    assert "300 new, 0 already there" in out.stdout
    result_path = Path(f"{batch}.result.csv")
    result = read_result(result_path)
    assert len(result) == 300
    key = read_key_file(cluster.key("issuer"))
    for row, res in zip(rows, result, strict=True):
        assert res["name"] == row["name"] and res["ic"] == row["ic"]
        assert normalise_cert_no(res["cert_no"]) == res["cert_no"]
        assert len(res["tx_id"]) == 64 and int(res["height"]) > 0
        assert normalise_activation_code(res["activation_code"]) == res["activation_code"]
        assert make_activation_code(key, res["cert_no"]) == res["activation_code"]
    assert len({r["cert_no"] for r in result}) == 300
    assert len({r["activation_code"] for r in result}) == 300
    for res in result[::30]:
        status, cert = cluster.get(f"/api/v1/certificates/{res['cert_no']}")
        assert status == 200 and cert["status"] == "valid"
        assert cert["record"]["holder_ic"] == res["ic"].replace("-", "")
        assert cert["block"]["height"] == int(res["height"])
        tx = Transaction.decode(bytes.fromhex(cert["proof"]["tx"]))
        assert tx.id_hex == res["tx_id"]
        digest = tx.body["activation"]
        assert check_activation_code(cluster.chain_id, res["cert_no"], res["activation_code"].lower(), digest)
        other = result[1] if res is result[0] else result[0]
        assert not check_activation_code(cluster.chain_id, res["cert_no"], other["activation_code"], digest)
    m = meeting(cluster, ref)
    assert (m["approved"], m["generated"], m["pending"]) == (300, 300, 0)

    height, first = cluster.height(), result_path.read_bytes()
    again = cluster.cli(*issue_args(cluster, batch, nodes=(3, 1)))
    assert again.returncode == 0, again.stderr
    assert "0 new, 300 already there" in again.stdout
    assert cluster.height() == height
    assert result_path.read_bytes() == first

    # Even without the state file, a rerun signs the very same transactions.
    state_path = Path(f"{batch}.state.json")
    state = json.loads(state_path.read_text())
    state_path.unlink()
    third = cluster.cli(*issue_args(cluster, batch))
    assert third.returncode == 0, third.stderr
    assert cluster.height() == height and result_path.read_bytes() == first
    assert json.loads(state_path.read_text())["chains"][cluster.chain_id]["issued_at"] == (
        state["chains"][cluster.chain_id]["issued_at"])

    # A rerun whose transactions differ (another issue time) finds each row on the chain, field by field.
    state["chains"][cluster.chain_id]["issued_at"] = "2026-11-26T01:02:03Z"
    state_path.write_text(json.dumps(state))
    fourth = cluster.cli(*issue_args(cluster, batch))
    assert fourth.returncode == 0, fourth.stderr
    assert cluster.height() == height and result_path.read_bytes() == first

    # A row changed after it was issued is refused, not issued twice (a certificate is never amended).
    rows[5]["programme_en"] = "Pastry Making"
    write_batch(batch, rows, bom=True)
    fifth = cluster.cli(*issue_args(cluster, batch))
    assert fifth.returncode == 1
    assert "line 7: " in fifth.stderr and "different programme_en" in fifth.stderr
    assert cluster.height() == height


def test_revoke(cluster: LocalCluster, tmp_path: Path) -> None:
    batch = write_batch(tmp_path / "r.csv", make_rows(3, seed=4, jpps_ref="JPPS/T/REVOKE"))
    assert cluster.cli(*issue_args(cluster, batch)).returncode == 0
    cert_no = read_result(Path(f"{batch}.result.csv"))[0]["cert_no"]
    base = ["--key", str(cluster.key("issuer")), "--node", cluster.url(2), "--node", cluster.url(1)]

    out = cluster.cli("revoke", "--cert-no", cert_no.lower().replace("-", ""), "--reason", "Dibatalkan  oleh JPPS",
                      *base)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(f"revoked {cert_no}: tx ") and " at height " in out.stdout
    _, cert = cluster.get(f"/api/v1/certificates/{cert_no}")
    assert cert["status"] == "revoked" and cert["revocation"]["reason"] == "Dibatalkan oleh JPPS"

    again = cluster.cli("revoke", "--cert-no", cert_no, "--reason", "again", *base)
    assert again.returncode == 1 and "already revoked" in again.stderr and "Dibatalkan oleh JPPS" in again.stderr
    unknown = derive_cert_no("SKM", 1, 2026, b"nobody")
    out = cluster.cli("revoke", "--cert-no", unknown, "--reason", "x", *base)
    assert out.returncode == 1 and f"no certificate {unknown}" in out.stderr
    stranger = tmp_path / "stranger.key"
    write_key_file(stranger, SigningKey.generate())
    other = read_result(Path(f"{batch}.result.csv"))[1]["cert_no"]
    out = cluster.cli("revoke", "--cert-no", other, "--reason", "x", "--key", str(stranger), "--node", cluster.url(1))
    assert out.returncode == 1 and "not a registered issuer" in out.stderr

    # Local mistakes are refused before any network call: the "node" is a socket that would
    # notice any connection.
    typo = other[:-1] + ("0" if other[-1] != "0" else "1")
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        listener.setblocking(False)
        node = f"http://127.0.0.1:{listener.getsockname()[1]}"
        for args in (["--cert-no", typo, "--reason", "x"], ["--cert-no", other, "--reason", "  "]):
            out = cluster.cli("revoke", *args, "--key", str(cluster.key("issuer")), "--node", node)
            assert out.returncode == 2
            assert len(out.stderr.strip().splitlines()) == 1
        with pytest.raises(BlockingIOError):
            listener.accept()
    assert cluster.get(f"/api/v1/certificates/{other}")[1]["status"] == "valid"


def test_correction_supersedes_and_points_to_the_new_certificate(cluster: LocalCluster, tmp_path: Path) -> None:
    batch = write_batch(tmp_path / "c.csv", make_rows(2, seed=5, jpps_ref="JPPS/T/CORRECT"))
    assert cluster.cli(*issue_args(cluster, batch)).returncode == 0
    row = read_result(Path(f"{batch}.result.csv"))[0]
    old = row["cert_no"]
    base = ["--key", str(cluster.key("issuer")), "--node", cluster.url(3), "--node", cluster.url(1)]

    out = cluster.cli("correct", "--cert-no", old, "--name", "NAMA YANG DIBETULKAN", *base)
    assert out.returncode == 0, out.stderr
    new = out.stdout.split(" -> ")[1].split(":")[0]
    code = out.stdout.strip().splitlines()[-1].rsplit(" ", 1)[1]
    _, before = cluster.get(f"/api/v1/certificates/{old}")
    _, after = cluster.get(f"/api/v1/certificates/{new}")
    assert before["status"] == "superseded" and before["superseded_by"] == new
    assert after["status"] == "valid" and after["record"]["supersedes"] == old
    assert after["record"]["holder_name"] == "NAMA YANG DIBETULKAN"
    changed = ("cert_no", "holder_name", "supersedes", "issued_at")
    assert {k: v for k, v in after["record"].items() if k not in changed} \
        == {k: v for k, v in before["record"].items() if k not in changed}
    digest = Transaction.decode(bytes.fromhex(after["proof"]["tx"])).activation_digest
    assert digest is not None and check_activation_code(cluster.chain_id, new, code, digest)

    height = cluster.height()
    again = cluster.cli("correct", "--cert-no", old, "--name", "NAMA YANG DIBETULKAN", *base)
    assert again.returncode == 0 and new in again.stdout and cluster.height() == height
    nothing = cluster.cli("correct", "--cert-no", row["cert_no"], *base)
    assert nothing.returncode == 2 and "say what to correct" in nothing.stderr


def test_vc_exported_by_the_cluster_verifies_and_detects_edits(cluster: LocalCluster, tmp_path: Path) -> None:
    from certificate.keys import PublicKey
    from certificate.vc import verify_credential

    batch = write_batch(tmp_path / "vc.csv", make_rows(1, seed=6, jpps_ref="JPPS/T/VC"))
    assert cluster.cli(*issue_args(cluster, batch)).returncode == 0
    cert_no = read_result(Path(f"{batch}.result.csv"))[0]["cert_no"]
    node_keys = [PublicKey.from_hex(m["public_key"]) for m in json.loads(cluster.genesis.read_text())["members"]]
    for node in (2, 4):
        status, vc = cluster.get(f"/api/v1/certificates/{cert_no}/vc", node=node)
        assert status == 200
        again = json.loads(json.dumps(vc, indent=1))
        assert verify_credential(again, trusted_keys=node_keys), "a VC from the chain must verify"
        edited = json.loads(json.dumps(vc))
        edited["credentialSubject"]["name"] += " X"
        assert not verify_credential(edited, trusted_keys=node_keys)
        edited = json.loads(json.dumps(vc))
        edited["credentialSubject"]["achievement"]["level"] = 5
        assert not verify_credential(edited, trusted_keys=node_keys)
    assert not verify_credential(vc, trusted_keys=[]), "a key outside the genesis membership is not trusted"


def test_governance_add_issue_remove(cluster: LocalCluster, tmp_path: Path) -> None:
    officer = tmp_path / "officer.key"
    write_key_file(officer, SigningKey.generate())
    proposal = tmp_path / "add.json"
    gov = ["governance"]
    out = cluster.cli(*gov, "propose", "--action", "issuer.add", "--issuer-key", str(officer), "--name",
                      "Pegawai Ujian", "--out", str(proposal), "--genesis", str(cluster.genesis))
    assert out.returncode == 0, out.stderr
    assert cluster.cli(*gov, "sign", str(proposal), "--key", str(cluster.key("admin-1"))).returncode == 0
    twice = cluster.cli(*gov, "sign", str(proposal), "--key", str(cluster.key("admin-1")))
    assert twice.returncode == 2 and "already signed" in twice.stderr
    shown = cluster.cli(*gov, "show", str(proposal), "--genesis", str(cluster.genesis))
    assert "Pentadbir 1" in shown.stdout and "1 of 2 admin signatures needed: 1 more" in shown.stdout

    height = cluster.height()
    few = cluster.cli(*gov, "submit", str(proposal), "--node", cluster.url(1))
    assert few.returncode == 1 and "too few admin signatures: 1 of the 2" in few.stderr
    # The chain itself refuses it too, not only the command line.
    tx_b64 = json.loads(proposal.read_text())["tx"]
    status, body = cluster.post("/api/v1/txs", {"txs": [tx_b64]})
    assert status == 200 and body["results"][0]["status"] == 403
    assert body["results"][0]["error"]["code"] == "gov.threshold"
    assert cluster.height() == height

    assert cluster.cli(*gov, "sign", str(proposal), "--key", str(cluster.key("admin-3"))).returncode == 0
    out = cluster.cli(*gov, "submit", str(proposal), "--node", cluster.url(2))
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("issuer.add committed: tx ")

    first = write_batch(tmp_path / "g1.csv", make_rows(4, seed=5, jpps_ref="JPPS/T/GOV1"))
    out = cluster.cli(*issue_args(cluster, first, key=officer))
    assert out.returncode == 0, out.stderr
    issued = read_result(Path(f"{first}.result.csv"))
    officer_hex = read_key_file(officer).public.hex
    for res in issued:
        status, cert = cluster.get(f"/api/v1/certificates/{res['cert_no']}")
        assert cert["status"] == "valid" and cert["issuer_key"] == officer_hex

    removal = tmp_path / "remove.json"
    assert cluster.cli(*gov, "propose", "--action", "issuer.remove", "--issuer-key", officer_hex, "--name",
                       "Pegawai Ujian", "--out", str(removal), "--chain-id", cluster.chain_id).returncode == 0
    for admin in ("admin-2", "admin-3"):
        assert cluster.cli(*gov, "sign", str(removal), "--key", str(cluster.key(admin)), "--genesis",
                           str(cluster.genesis)).returncode == 0
    assert cluster.cli(*gov, "submit", str(removal), "--node", cluster.url(1)).returncode == 0

    height = cluster.height()
    second = write_batch(tmp_path / "g2.csv", make_rows(3, seed=6, jpps_ref="JPPS/T/GOV2"))
    out = cluster.cli(*issue_args(cluster, second, key=officer))
    assert out.returncode == 1 and "not a registered issuer" in out.stderr
    assert cluster.height() == height
    for res in issued:
        assert cluster.get(f"/api/v1/certificates/{res['cert_no']}")[1]["status"] == "valid"


def _kill_halfway_and_rerun(cluster: LocalCluster, tmp_path: Path, n: int) -> None:
    ref = f"JPPS/T/KILL{n}"
    rows = make_rows(n, seed=n, jpps_ref=ref)
    batch = write_batch(tmp_path / f"k{n}.csv", rows)
    args = issue_args(cluster, batch, nodes=(1, 2))
    t0 = time.monotonic()
    proc = cluster.popen(*args)
    killed = False
    try:
        while proc.poll() is None and time.monotonic() - t0 < 240:
            status, m = cluster.get("/api/v1/jpps/" + ref.replace("/", "%2F"), node=2)
            if status == 200 and m["generated"] >= n // 2:
                cluster.ctl("kill", "jpk")
                killed = True
                break
            time.sleep(0.1)
        assert killed, "the batch finished before node 1 could be killed"
        _, first_err = proc.communicate(timeout=300)
        rerun = cluster.cli(*args)
        wall = time.monotonic() - t0
        assert rerun.returncode == 0, (first_err, rerun.stderr)

        # Exactly n certificates of this meeting on the chain: one per row, no more.
        issues = [t.record for t in cluster.transactions() if t.type == ISSUE]
        ours = [r for r in issues if r.jpps_ref == ref]
        assert len(ours) == n
        assert len({r.cert_no for r in ours}) == n
        assert Counter((r.holder_ic, r.kind, r.level, r.noss_code) for r in ours).most_common(1)[0][1] == 1
        result = read_result(Path(f"{batch}.result.csv"))
        assert {r["cert_no"] for r in result} == {r.cert_no for r in ours}
        m = meeting(cluster, ref)
        assert (m["approved"], m["generated"], m["pending"]) == (n, n, 0)
        # And as the public sees it, per holder (a sample: the holder API is rate-limited).
        for res in result[:: max(1, n // 12)]:
            status, data = cluster.get(f"/api/v1/holders/{res['ic'].replace('-', '')}/certificates", node=2)
            assert status == 200
            assert [c["record"]["cert_no"] for c in data["certificates"] if c["record"]["jpps_ref"] == ref] == [
                res["cert_no"]]
        print(f"\n{n} rows issued with node 1 killed at half-way, then rerun: {wall:.1f} s wall")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
        if killed:
            cluster.ctl("restart", "jpk")


def test_kill_the_node_in_use_halfway_then_rerun(cluster: LocalCluster, tmp_path: Path) -> None:
    _kill_halfway_and_rerun(cluster, tmp_path, 1000)


@pytest.mark.soak
def test_kill_halfway_2000(cluster: LocalCluster, tmp_path: Path) -> None:
    _kill_halfway_and_rerun(cluster, tmp_path, 2000)


def test_interrupted_run_keeps_its_work(cluster: LocalCluster, tmp_path: Path) -> None:
    """Ctrl-C mid-batch: what was committed is in the partial result; the rerun finishes."""
    n = 1500
    batch = write_batch(tmp_path / "int.csv", make_rows(n, seed=8, jpps_ref="JPPS/T/INT"))
    partial_path = Path(f"{batch}.result.partial.csv")
    proc = cluster.popen(*issue_args(cluster, batch, nodes=(2, 3)))
    try:
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline:
            if partial_path.exists():  # a first chunk is committed and recorded
                proc.send_signal(signal.SIGINT)
                break
            time.sleep(0.05)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "interrupted" in err and "rerun the same command" in err
    partial = read_result(partial_path)
    assert 0 < len(partial) < n
    for res in partial[:5]:
        assert cluster.get(f"/api/v1/certificates/{res['cert_no']}")[1]["status"] == "valid"
    out = cluster.cli(*issue_args(cluster, batch, nodes=(2, 3)))
    assert out.returncode == 0, out.stderr
    full = {r["cert_no"]: r for r in read_result(Path(f"{batch}.result.csv"))}
    assert len(full) == n and all(full[r["cert_no"]] == r for r in partial)
    assert not partial_path.exists()
