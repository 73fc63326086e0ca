"""Data on disk with real processes: restart everything, wipe a node, audit, tamper, recover.

One cluster for the module (its tests run in order on one worker: see conftest); each test starts with
``cluster.py up``, which restarts whatever an earlier test left stopped.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

import msgpack
import plyvel
import pytest

from node.__main__ import main as node_main
from tests.node.conftest import start_cluster, stop_cluster
from tests.node.helpers import NAMES, ClusterHandle, IssuedCert, get, run_node_cli, wait_for

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(240)]

_Q = struct.Struct(">Q")


@pytest.fixture(scope="module")
def dcluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClusterHandle]:
    handle = start_cluster(tmp_path_factory.mktemp("durable"))
    try:
        yield handle
    finally:
        stop_cluster(handle)


@pytest.fixture(scope="module")
def issued(dcluster: ClusterHandle) -> list[IssuedCert]:
    c = dcluster
    return c.issue(8, via=c.follower()) + c.issue(8, via=c.leader()) + c.issue(4, via=NAMES[3])


def _all_readable(c: ClusterHandle, certs: list[IssuedCert], nodes: list[str] | tuple[str, ...] = NAMES) -> None:
    for n in nodes:
        for cert in certs:
            got = c.cert(n, cert.cert_no)
            assert got.status == 200, (n, got.body)
            assert got.body["record"] == cert.record.to_dict()
            assert got.body["block"] == {"height": cert.height, "hash": cert.block_hash}


def test_whole_cluster_down_then_up_keeps_every_certificate(dcluster: ClusterHandle,
                                                            issued: list[IssuedCert]) -> None:
    c = dcluster
    height, head = c.same_head(min_height=max(x.height for x in issued))
    c.down()
    assert not any(c.alive(n) for n in NAMES)
    assert all(st is None for st in c.statuses().values())
    c.up()
    assert c.same_head(min_height=height) == (height, head)
    _all_readable(c, issued)
    more = c.issue(2, via=c.follower())
    c.same_head(min_height=more[-1].height)


def test_wiped_node_resyncs_and_passes_verify_chain(dcluster: ClusterHandle, issued: list[IssuedCert]) -> None:
    c = dcluster
    c.up()
    victim = c.follower()
    c.kill(victim)
    shutil.rmtree(c.data_dir(victim))
    more = c.issue(3, via=c.leader(among=[n for n in NAMES if n != victim]))
    c.restart(victim)
    height, _ = c.same_head(min_height=more[-1].height, timeout=40)
    _all_readable(c, issued + more, [victim])
    # Audit the resynced copy offline (LevelDB is locked while the node runs, so stop it).
    c.stop(victim)
    res = run_node_cli("verify-chain", "--config", str(c.config(victim)))
    assert res.returncode == 0, res.stdout + res.stderr
    assert f"{height} blocks" in res.stdout
    # ... and a running node's data cannot be audited, with a clear word why
    other = next(n for n in NAMES if n != victim)
    res = run_node_cli("verify-chain", "--config", str(c.config(other)))
    assert res.returncode == 2 and "stop the node" in res.stderr and "in use" in res.stderr, res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def _entry_key_of_block(db: plyvel.DB, height: int) -> bytes:
    raw = db.get(b"B:" + _Q.pack(height))
    assert raw is not None, f"no block location for height {height}"
    raft_index = msgpack.unpackb(raw[4:])  # values are crc32 || msgpack
    return b"R:e:" + _Q.pack(raft_index)


def _seal(key: bytes, value: bytes) -> bytes:
    return struct.pack(">I", zlib.crc32(value, zlib.crc32(key))) + value


def _verify(c: ClusterHandle, node: str, *, in_process: bool = False) -> tuple[int, str]:
    """``python -m node verify-chain``; ``in_process`` runs the same entry point without the
    interpreter start-up (seconds on a busy machine) for the many tampering variants."""
    if in_process:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = node_main(["verify-chain", "--config", str(c.config(node))])
        return code, out.getvalue() + err.getvalue()
    res = run_node_cli("verify-chain", "--config", str(c.config(node)))
    out = res.stdout + res.stderr
    assert "Traceback" not in out
    return res.returncode, out


def test_verify_chain_names_the_height_of_a_flipped_byte(dcluster: ClusterHandle,
                                                          issued: list[IssuedCert]) -> None:
    c = dcluster
    c.up()
    height, _ = c.same_head(min_height=max(x.height for x in issued))
    victim = c.follower()
    c.stop(victim)
    assert _verify(c, victim)[0] == 0
    h = issued[len(issued) // 2].height
    path = str(c.data_dir(victim))

    db = plyvel.DB(path)
    key = _entry_key_of_block(db, h)
    original = db.get(key)
    assert original is not None
    flipped = bytearray(original)
    flipped[len(flipped) // 2] ^= 0x01
    db.put(key, bytes(flipped), sync=True)
    db.close()
    code, out = _verify(c, victim)
    assert code == 1, out
    assert f"height {h}" in out

    # A deliberate edit that also fixes the storage checksum is caught by the hashes/signatures.
    term, etype, data = msgpack.unpackb(original[4:])
    for spot in (len(data) // 2, len(data) - 10, 20):
        tampered = bytearray(data)
        tampered[spot] ^= 0x20
        db = plyvel.DB(path)
        db.put(key, _seal(key, msgpack.packb([term, etype, bytes(tampered)])), sync=True)
        db.close()
        code, out = _verify(c, victim, in_process=True)
        assert code == 1, (spot, out)
        assert f"height {h}" in out, out

    # A stored index value edited with a valid checksum: state no longer matches the blocks.
    db = plyvel.DB(path)
    db.put(key, original, sync=True)
    ckey = b"C:" + issued[0].cert_no.encode()
    entry = msgpack.unpackb(db.get(ckey)[4:], raw=False)
    entry["status"] = "revoked"
    db.put(ckey, _seal(ckey, msgpack.packb(entry, use_bin_type=True)), sync=True)
    db.close()
    code, out = _verify(c, victim, in_process=True)
    assert code == 1 and "state" in out, out
    db = plyvel.DB(path)
    db.put(ckey, _seal(ckey, msgpack.packb({**entry, "status": "valid"}, use_bin_type=True)), sync=True)
    db.close()
    assert _verify(c, victim, in_process=True)[0] == 0
    assert height >= h


def test_a_node_that_reads_a_corrupt_block_stops_and_recovers_by_resync(dcluster: ClusterHandle,
                                                                       issued: list[IssuedCert]) -> None:
    """The operator's procedure from docs/operations.md: the node stops on a checksum error
    rather than serve bad data; move the data directory aside, restart, let it resync, audit."""
    c = dcluster
    c.up()
    height, head = c.same_head(min_height=max(x.height for x in issued))
    victim = c.follower()
    c.stop(victim)
    h = issued[0].height
    db = plyvel.DB(str(c.data_dir(victim)))
    key = _entry_key_of_block(db, h)
    bad = bytearray(db.get(key))
    bad[-3] ^= 0xFF
    db.put(key, bytes(bad), sync=True)
    db.close()
    c.restart(victim)
    c.same_head(timeout=30)  # it starts: nothing read the damaged entry yet
    r = get(f"{c.urls[victim]}/api/v1/blocks/{h}")
    assert r.status == 503, r.body
    assert r.body["error"]["code"] == "node.storage_corrupt"
    wait_for(lambda: not c.alive(victim), 20, f"{victim} to stop after finding corruption")
    log = (c.dir / victim / "node.log").read_text()
    assert "fails its checksum" in log
    # recovery: move the damaged data aside, start again, resync from peers, audit
    aside = c.dir / victim / "data.corrupt"
    Path(c.data_dir(victim)).rename(aside)
    c.restart(victim)
    assert c.same_head(min_height=height, timeout=40) == (height, head)
    _all_readable(c, issued, [victim])
    c.stop(victim)
    assert _verify(c, victim)[0] == 0
    c.up()
