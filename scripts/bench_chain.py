"""Signed issue transactions at speed, and chains of up to millions of certificates built offline.

``TxFactory`` makes real issue transactions (records of demo programmes, valid MyKad numbers,
derived cert_no, activation digest, Ed25519 signature in the ``tx`` domain of the chain). It
skips the slow path of ``CertificateRecord.create`` per row: each programme's record is made
once through it, and rows vary only in fields that are already in normal form (cert_no,
holder_ic, holder_name). Canonical bytes are packed directly (the canonical encoding is
msgpack with sorted keys, see ``certificate.canonical``); ``check_sample`` decodes a sample
through ``Transaction.decode`` and the signature check, so any drift from the real encoding
fails loudly.

``build_chain`` writes a node's data directory the way consensus would have: blocks made by
``certificate.block.make_block``, applied through ``ChainState.apply_block`` over a ``Store``,
each block stored as a Raft log entry through ``RaftLog.save``. The transactions it made itself
are handed to the chain state's decoded/verified caches (exactly what a node does for a
transaction it admitted), so a million certificates build in minutes rather than an hour.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import time
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import msgpack

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from certificate.activation import activation_digest, make_activation_code
from certificate.certno import derive_cert_no
from certificate.hashing import sha256
from certificate.keys import SigningKey, signing_input
from certificate.record import FIELDS, CertificateRecord
from certificate.tx import ISSUE, Signature, Transaction
from scripts.bench_common import Dirs, log

_SORTED_FIELDS = tuple(sorted(FIELDS))
_PLACES = ("01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13", "14")
CERTS_PER_HOLDER = 2


def holder_ic(h: int) -> str:
    """A valid MyKad number for holder ``h`` (distinct for every h below 1.4e9)."""
    born = date(1975, 1, 1) + timedelta(days=h % 10_000)
    place = _PLACES[(h // 10_000) % len(_PLACES)]
    serial = (h // (10_000 * len(_PLACES))) % 10_000
    return f"{born:%y%m%d}{place}{serial:04d}"


def _rows(n: int) -> list[dict[str, Any]]:
    from scripts import demo

    return demo.demo_rows(n)  # the MySPIKE listing, or demo's fallback when it is not beside the clone


def _pack(value: Any) -> bytes:
    packed: bytes = msgpack.packb(value, use_bin_type=True)
    return packed


class TxFactory:
    """Issue transactions ``make(i)`` for i = 0, 1, ...: certificate i belongs to holder
    ``i // CERTS_PER_HOLDER``; ``tag`` keeps cert numbers of different runs apart."""

    def __init__(self, key: SigningKey, chain_id: str, tag: str, programmes: int = 97, *,
                 real_activation: bool = True) -> None:
        self.key, self.chain_id, self.tag = key, chain_id, tag
        self.real_activation = real_activation
        self.pub = key.public.raw
        self.templates: list[CertificateRecord] = []
        for i, r in enumerate(_rows(programmes)):
            self.templates.append(CertificateRecord.create(
                cert_no=derive_cert_no(r["kind"], r["level"], 2026, b"template"), kind=r["kind"], level=r["level"],
                holder_name=r["name"], holder_ic=holder_ic(i), noss_code=r["noss_code"],
                programme_ms=r["programme_ms"], programme_en=r["programme_en"], method=r["method"],
                centre_code=r["centre_code"], centre_name=r["centre_name"], jpps_ref="BENCH/2026/01",
                jpps_date="2026-11-02", issued_at="2026-11-20T08:00:00Z"))
        self.names = [t.holder_name for t in self.templates]

    def record(self, i: int, attempt: int = 0) -> CertificateRecord:
        tpl = self.templates[i % len(self.templates)]
        h = i // CERTS_PER_HOLDER
        seed = f"{self.tag}|{i}|{attempt}".encode()
        return replace(tpl, cert_no=derive_cert_no(tpl.kind, tpl.level, 2026, seed), holder_ic=holder_ic(h),
                       holder_name=self.names[h % len(self.names)])

    def make(self, i: int, attempt: int = 0) -> tuple[bytes, Transaction]:
        rec = self.record(i, attempt)
        d = rec.to_dict()
        if self.real_activation:
            digest = activation_digest(self.chain_id, rec.cert_no, make_activation_code(self.key, rec.cert_no))
        else:  # same size and shape; nobody registers with these codes, and deriving them costs 40%
            digest = sha256(b"bench-activation\x00" + rec.cert_no.encode())
        body = {"activation": digest, "record": {k: d[k] for k in _SORTED_FIELDS}}
        signing = _pack({"body": body, "type": ISSUE})
        sig = self.key._key.sign(signing_input("tx", self.chain_id, signing)).signature
        raw = _pack({"body": body, "sigs": [[self.pub, sig]], "type": ISSUE})
        tx = Transaction(ISSUE, body, (Signature(self.pub, sig),))
        tx.__dict__.update(signing_bytes=signing, _encoded=raw, record=rec)
        return raw, tx

    def make_new(self, i: int, seen: set[str]) -> tuple[bytes, Transaction]:
        """``make(i)``, derived again while its cert_no is in ``seen`` (1 in ~1e12 collide)."""
        attempt = 0
        raw, tx = self.make(i)
        while tx.record.cert_no in seen:
            attempt += 1
            raw, tx = self.make(i, attempt)
        seen.add(tx.record.cert_no)
        return raw, tx

    def raws(self, n: int, start: int = 0) -> list[bytes]:
        seen: set[str] = set()
        out = [self.make_new(i, seen)[0] for i in range(start, start + n)]
        check_sample(out, self.chain_id)
        return out


def check_sample(raws: list[bytes], chain_id: str, every: int = 997) -> None:
    """Decode and verify every ``every``-th transaction the slow, real way."""
    for raw in raws[::every]:
        tx = Transaction.decode(raw)
        tx.verified_signers(chain_id)
        fast = trusted_tx(raw)
        if tx.encode() != raw or tx != fast or tx.record != fast.record or tx.signing_bytes != fast.signing_bytes:
            raise AssertionError("bench transaction is not what the node would decode")


def make_issue_txs(key_file: Path, chain_id: str, n: int, tag: str) -> list[bytes]:
    from certificate.keys import read_key_file

    return TxFactory(read_key_file(key_file), chain_id, tag).raws(n)


# --- chains built offline ------------------------------------------------------------------------
_WORKER: TxFactory | None = None


def _worker_init(seed: bytes, chain_id: str) -> None:
    global _WORKER
    _WORKER = TxFactory(SigningKey(seed), chain_id, "chain", real_activation=False)


def _worker_make(span: tuple[int, int]) -> list[bytes]:
    assert _WORKER is not None
    return [_WORKER.make(i)[0] for i in range(*span)]


def trusted_tx(raw: bytes) -> Transaction:
    """The ``Transaction`` of bytes this module made, without re-validating them (cheaper to
    ship bytes between processes and rebuild this than to pickle the objects)."""
    d = msgpack.unpackb(raw, raw=False)
    body = d["body"]
    tx = Transaction(ISSUE, body, tuple(Signature(k, s) for k, s in d["sigs"]))
    tx.__dict__.update(signing_bytes=_pack({"body": body, "type": ISSUE}), _encoded=raw,
                       record=CertificateRecord(**body["record"]))
    return tx


def build_chain(data_dir: Path, genesis_file: Path, proposer: str, proposer_key: SigningKey,
                issuer_key: SigningKey, n: int, block_txs: int = 250) -> dict[str, Any]:
    """Write a data directory holding ``n`` certificates in blocks of ``block_txs``; signing
    happens in worker processes, applying in this one."""
    import multiprocessing

    from certificate.block import make_block
    from node.chain.state import ChainState
    from node.consensus import Entry, EntryType, HardState
    from node.daemon import GENESIS_KEY
    from node.genesis import load_genesis
    from node.storage.db import Store
    from node.storage.raftlog import RaftLog

    genesis = load_genesis(genesis_file)
    store = Store(data_dir)
    store.put(GENESIS_KEY, genesis.hash, sync=True)
    raftlog = RaftLog(store)
    state = ChainState(store, genesis, raftlog.entry_data)
    local = TxFactory(issuer_key, genesis.chain_id, "chain", real_activation=False)
    seen: set[str] = set()
    t0 = time.perf_counter()
    time_ms = 1_795_000_000_000
    index, made = raftlog.last_index(), 0
    sample: list[bytes] = []
    spans = [(s, min(n, s + block_txs)) for s in range(0, n, block_txs)]
    workers = max(1, min(2, (os.cpu_count() or 1)))
    with multiprocessing.get_context("fork").Pool(workers, _worker_init, (issuer_key.seed, genesis.chain_id)) as pool:
        for (lo, _hi), raws in zip(spans, pool.imap(_worker_make, spans, chunksize=4), strict=True):
            pairs = [(raw, trusted_tx(raw)) for raw in raws]
            for j, (raw, tx) in enumerate(pairs):
                if tx.record.cert_no in seen:  # a derived number collided: derive this one again
                    raw, tx = pairs[j] = local.make_new(lo + j, seen)
                seen.add(tx.record.cert_no)
                state.decoded._txs[sha256(raw)] = tx
                state.verified.add(tx)
            raws = [raw for raw, _ in pairs]
            sample = sample or raws
            head = state.head
            time_ms += 1000
            block = make_block(height=head.height + 1, prev_hash=head.hash, time_ms=time_ms, txs=raws,
                               proposer=proposer, key=proposer_key, chain_id=genesis.chain_id)
            data = block.encode()
            index += 1
            raftlog.save(HardState(term=1, vote=None, commit=index), [Entry(1, index, EntryType.NORMAL, data)],
                         sync=False)
            state.apply_block(data, index)
            state.decoded._txs.clear()
            made += len(raws)
            if made % 50_000 < block_txs:
                log(f"built {made:,}/{n:,} certificates ({made / (time.perf_counter() - t0):,.0f}/s)")
    raftlog.save(HardState(term=1, vote=None, commit=index), [], sync=True)
    check_sample(sample, genesis.chain_id, every=50)
    store.close()
    settle(data_dir)
    return {"certs": n, "blocks": index, "seconds": time.perf_counter() - t0}


def settle(data_dir: Path, timeout: float = 900.0) -> None:
    """Leave the LevelDB with no size-triggered compaction pending. Straight after a build it
    holds a backlog (16 level-0 files after 200,000 certificates; a level 1 three times its
    10 MB target even after ``compact_range``) that LevelDB would otherwise work off in the
    background of whoever opens it next: the node under measurement (114 compactions in its LOG
    during the first ``verify`` on a fresh clone). So compact, then keep the database open
    until LevelDB's stats show no level over its size. (Random reads then cause some seek
    compactions of their own: ``bench_verify`` warms up until they end.)"""
    import plyvel

    from node.storage import leveldb_stats

    db = plyvel.DB(str(data_dir))
    try:
        db.compact_range()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and leveldb_stats.compaction_pending(
                leveldb_stats.parse(db.get_property(b"leveldb.stats").decode())):
            time.sleep(0.5)
    finally:
        db.close()


def _genesis_doc(chain_id: str, members: list[dict[str, Any]], issuer: SigningKey,
                 admins: list[SigningKey]) -> dict[str, Any]:
    return {
        "chain_id": chain_id, "qr_base_url": members[0]["http"], "members": members,
        "issuers": [{"public_key": issuer.public.hex, "name": "Pegawai Persijilan JPK"}],
        "admins": {"threshold": 2, "keys": [{"public_key": a.public.hex, "name": f"Pentadbir {i}"}
                                            for i, a in enumerate(admins, 1)]},
        "params": {"block_max_txs": 250, "heartbeat_ms": 100, "election_timeout_ms": 1000,
                   "max_inflight_blocks": 4},
    }


def single_node(n: int, *, rebuild: bool = False) -> Path:
    """A one-member chain of ``n`` certificates, cached in ``bench/cache/single-<n>/``.

    The directory holds ``genesis.json``, ``keys/`` and ``data/``; node.toml is written per run
    (ports and portal options are not part of the chain).
    """
    from certificate.keys import write_key_file

    d = Dirs.cache / f"single-{n}"
    if (d / "ready.json").exists() and not rebuild:
        return d
    shutil.rmtree(d, ignore_errors=True)
    (d / "keys").mkdir(parents=True)
    node_key, issuer = SigningKey.generate(), SigningKey.generate()
    admins = [SigningKey.generate() for _ in range(3)]
    write_key_file(d / "keys" / "node.key", node_key)
    write_key_file(d / "keys" / "issuer.key", issuer)
    members = [{"node_id": "jpk", "name": "Jabatan Pembangunan Kemahiran (JPK)", "public_key": node_key.public.hex,
                "p2p": "127.0.0.1:1", "http": "http://127.0.0.1:8080"}]
    doc = _genesis_doc(f"spkm-bench-{os.urandom(4).hex()}", members, issuer, admins)
    (d / "genesis.json").write_text(json.dumps(doc, indent=2) + "\n")
    log(f"building a one-node chain of {n:,} certificates in {d} (cached for later runs)")
    info = build_chain(d / "data", d / "genesis.json", "jpk", node_key, issuer, n)
    (d / "ready.json").write_text(json.dumps(info) + "\n")
    return d


def write_single_config(d: Path, http_port: int, p2p_port: int, exempt: bool = True) -> Path:
    cfg = d / "node.toml"
    cfg.write_text(
        'node_id = "jpk"\nkey_file = "keys/node.key"\ndata_dir = "data"\ngenesis_file = "genesis.json"\n'
        f'p2p_listen = "127.0.0.1:{p2p_port}"\nhttp_listen = "127.0.0.1:{http_port}"\n'
        f'public_base_url = "http://127.0.0.1:{http_port}"\nlog_level = "warning"\n\n[portal]\n'
        f'rate_limit_exempt = {json.dumps(["127.0.0.1"] if exempt else [])}\n')
    return cfg


def four_node_template(n: int, base_port: int, *, rebuild: bool = False) -> Path:
    """A ``scripts/cluster.py`` directory whose four nodes already hold ``n`` certificates
    (identical data directories: what the cluster would hold after issuing them)."""
    from scripts.cluster import create

    d = Dirs.cache / f"cluster-{n}-p{base_port}"
    if (d / "ready.json").exists() and not rebuild:
        return d
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    create(d, base_port)
    from certificate.keys import read_key_file

    log(f"building a 4-node chain of {n:,} certificates in {d} (cached for later runs)")
    info = build_chain(d / "jpk" / "data", d / "genesis.json", "jpk", read_key_file(d / "keys" / "jpk.key"),
                       read_key_file(d / "keys" / "issuer.key"), n)
    for node in ("mampu", "agensi-1", "agensi-2"):
        shutil.copytree(d / "jpk" / "data", d / node / "data")
    (d / "ready.json").write_text(json.dumps(info) + "\n")
    return d


def du(path: Path) -> int:
    """Bytes on disk (allocated blocks) under ``path``."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for f in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(root, f)).st_blocks * 512
    return total
