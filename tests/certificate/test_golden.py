"""Golden vectors: the byte layout third parties rely on, frozen in files under ``golden/``.

Each test does two things:

* rebuilds every vector with the project's code and demands the stored bytes exactly, so any
  change to the encoding, the normalisation or the signing layout fails here;
* re-checks the stored vectors with hashlib, PyNaCl and msgpack alone, following SPEC section 5
  literally, so the files stay a usable reference for an independent verifier.

The files were generated once with ``python -m tests.certificate.test_golden --write``.  Never
regenerate them to make a test pass: a failure here means that certificates already issued
would stop verifying.  See ``golden/README.md``.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import msgpack
import nacl.signing
import pytest

from certificate import canonical
from certificate.block import make_block
from certificate.certno import make_cert_no
from certificate.keys import DOMAINS, SigningKey
from certificate.merkle import inclusion_path, merkle_root
from certificate.proof import CertificateProof
from certificate.record import CertificateRecord
from certificate.tx import ISSUER_ADD, Transaction, approve_txs, governance_tx, issue_tx, revoke_tx

GOLDEN = Path(__file__).parent / "golden"
CHAIN = "spkm-golden-1"


def seed(label: str) -> bytes:
    return hashlib.sha256(b"spkm-ecert golden vector key: " + label.encode()).digest()


SEEDS = {name: seed(name) for name in ("issuer", "node-jpk", "admin-1", "admin-2", "new-issuer")}

RECORD_INPUT: dict[str, Any] = {
    "cert_no": make_cert_no("SKM", 3, 2026, "7H3K9P2M").lower(),
    "kind": "skm",
    "level": "3",
    "holder_name": "  Nurul  Ain binti Mohd. Zaki ",
    "holder_ic": "950615-10-5432",
    "noss_code": "mc-024-3:2012",
    "programme_ms": "Pendawaian  Elektrik",
    "programme_en": "Electrical Wiring",
    "method": "slapb",
    "centre_code": "ilp-kl",
    "centre_name": "Institut Latihan Perindustrian Kuala Lumpur",
    "jpps_ref": "JPPS/2026/11 ",
    "jpps_date": "2026-11-12",
    "issued_at": "2026-11-20T01:02:03Z",
    "supersedes": None,
}
CORRECTION_INPUT: dict[str, Any] = {
    **RECORD_INPUT,
    "cert_no": make_cert_no("SKM", 3, 2026, "8J4L0R3N"),
    "holder_name": "Nurul 'Ain binti Mohd. Zaki",
    "issued_at": "2026-12-01T08:00:00Z",
    "supersedes": RECORD_INPUT["cert_no"],
}
CANDIDATES: list[dict[str, Any]] = [
    {"ic": "950615-10-5432", "name": "Nurul Ain binti Mohd. Zaki", "kind": "SKM", "level": 3,
     "noss_code": "MC-024-3:2012", "programme_ms": "Pendawaian Elektrik", "centre_code": "ILP-KL"},
    {"ic": "010203-14-1235", "name": "Tan Wei Ming", "kind": "DKM", "level": "4",
     "noss_code": "MC-024-4:2012", "programme_ms": "Pendawaian Elektrik", "centre_code": "ILP-KL"},
]
LEAF_SETS = {
    "empty": [],
    "one empty leaf": [""],
    "one leaf": ["00"],
    "two leaves": ["00", "01"],
    "three leaves": ["00", "01", "02"],
    "seven leaves": [bytes([i]).hex() * (i + 1) for i in range(7)],
    "eight leaves": [bytes([i]).hex() for i in range(8)],
}


def _tag(value: Any) -> Any:
    """Canonical values as JSON: bytes become {"bytes": hex}."""
    if isinstance(value, bytes):
        return {"bytes": value.hex()}
    if isinstance(value, dict):
        return {k: _tag(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_tag(v) for v in value]
    return value


def _untag(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"bytes"}:
            return bytes.fromhex(value["bytes"])
        return {k: _untag(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_untag(v) for v in value]
    return value


CANONICAL_VALUES: list[tuple[str, Any]] = [
    ("null", None),
    ("booleans", [True, False]),
    ("integers at every msgpack width", [0, 127, 128, 255, 256, 65535, 65536, 2**32, 2**64 - 1,
                                         -1, -32, -33, -128, -129, -32768, -32769, -(2**63)]),
    ("text", ["", "a", "Nurul 'Ain", "é", "中文", "x" * 31, "x" * 32]),
    ("bytes", [b"", b"\x00", b"\xff" * 32]),
    ("map keys in code-point order", {"b": 1, "a": 2, "B": 3, "ab": 4, "é": 5, "": 6}),
    ("nesting", {"list": [[], {}, [None]], "map": {"inner": {"x": b"\x01"}}}),
]


def build() -> dict[str, Any]:
    """Every vector, computed by the project's code."""
    keys = {name: SigningKey(s) for name, s in SEEDS.items()}
    record_in, correction_in = RECORD_INPUT, CORRECTION_INPUT
    record = CertificateRecord.create(**record_in)
    correction = CertificateRecord.create(**correction_in)

    payload = canonical.encode({"golden": "payload"})
    out: dict[str, Any] = {}
    out["canonical"] = {
        "description": "canonical encoding of values; bytes are written {\"bytes\": hex}",
        "vectors": [
            {"name": name, "value": _tag(value), "hex": canonical.encode(value).hex()}
            for name, value in CANONICAL_VALUES
        ],
    }
    out["keys"] = {
        "description": "Ed25519 keys from 32-byte seeds and one signature per domain",
        "chain_id": CHAIN,
        "payload_hex": payload.hex(),
        "keys": [
            {
                "name": name,
                "seed_hex": key.seed.hex(),
                "public_key_hex": key.public.hex,
                "key_id": key.public.id,
                "signatures": {d: key.sign(d, CHAIN, payload).hex() for d in DOMAINS},
            }
            for name, key in keys.items()
        ],
    }
    out["record"] = {
        "description": "loose input normalised into a record, its canonical bytes and hash",
        "vectors": [
            {
                "name": name,
                "input": inp,
                "record": rec.to_dict(),
                "canonical_hex": rec.encode().hex(),
                "sha256_hex": hashlib.sha256(rec.encode()).hexdigest(),
            }
            for name, inp, rec in (
                ("first issue", record_in, record),
                ("correction superseding it", correction_in, correction),
            )
        ],
    }

    issue = issue_tx(record, keys["issuer"], CHAIN)
    txs = {
        "issue": issue,
        "issue (correction)": issue_tx(correction, keys["issuer"], CHAIN),
        "revoke": revoke_tx(record.cert_no, "Nama pemegang salah eja", "2026-12-01T08:00:00Z",
                            keys["issuer"], CHAIN),
        "approve": approve_txs("JPPS/2026/11", "2026-11-12", CANDIDATES, keys["issuer"], CHAIN,
                               state="Wilayah Persekutuan Kuala Lumpur")[0],
        "issuer.add (2 admin signatures)": governance_tx(
            ISSUER_ADD, keys["new-issuer"].public, "Pegawai Pensijilan Baharu",
            "2026-11-01T00:00:00Z",
        ).signed_by(keys["admin-2"], CHAIN).signed_by(keys["admin-1"], CHAIN),
    }
    out["tx"] = {
        "description": "transactions: signing bytes, id, signatures, full encoding",
        "chain_id": CHAIN,
        "vectors": [
            {
                "name": name,
                "type": tx.type,
                "body": _tag(tx.body),
                "signing_bytes_hex": tx.signing_bytes.hex(),
                "tx_id_hex": tx.id_hex,
                "signatures": [{"public_key_hex": s.key.hex(), "signature_hex": s.sig.hex()}
                               for s in tx.sigs],
                "encoded_hex": tx.encode().hex(),
            }
            for name, tx in txs.items()
        ],
    }

    tx_bytes = [tx.encode() for tx in txs.values()]
    block = make_block(height=42, prev_hash=hashlib.sha256(b"golden parent").digest(),
                       time_ms=1_795_000_000_123, txs=tx_bytes, proposer="jpk",
                       key=keys["node-jpk"], chain_id=CHAIN)
    out["block"] = {
        "description": "a block holding the transactions of tx.json in that order",
        "chain_id": CHAIN,
        "header": _tag(block.header.to_dict()),
        "header_canonical_hex": block.header.encode().hex(),
        "block_hash_hex": block.hash.hex(),
        "signature_hex": block.signature.hex(),
        "encoded_hex": block.encode().hex(),
    }
    proof = CertificateProof.from_block(block, 0, CHAIN)
    out["proof"] = {
        "description": "the proof of the first issue transaction of block.json",
        "node_keys": {"jpk": keys["node-jpk"].public.hex},
        "proof_json": proof.to_json(),
        "encoded_hex": proof.encode().hex(),
    }
    out["merkle"] = {
        "description": "RFC 6962 roots and audit paths; leaves are hex strings",
        "vectors": [
            {
                "name": name,
                "leaves": leaves,
                "root_hex": merkle_root([bytes.fromhex(x) for x in leaves]).hex(),
                "paths": [
                    [p.hex() for p in inclusion_path([bytes.fromhex(x) for x in leaves], i)]
                    for i in range(len(leaves))
                ],
            }
            for name, leaves in LEAF_SETS.items()
        ],
    }
    return out


FILES = ("canonical", "keys", "record", "tx", "block", "proof", "merkle")


def _load(name: str) -> Any:
    return json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8"))


BUILT = build()


@pytest.mark.parametrize("name", FILES)
def test_code_reproduces_golden_file(name: str) -> None:
    assert BUILT[name] == _load(name), (
        f"golden/{name}.json no longer matches the code: the encoding or signing layout changed"
    )


# --- independent checks: hashlib, nacl and msgpack only --------------------------------


def _signing_input(domain: str, chain: str, payload: bytes) -> bytes:
    return b"spkm-ecert/v1\x00" + domain.encode() + b"\x00" + chain.encode() + b"\x00" + payload


def _verify(public_hex: str, domain: str, chain: str, payload: bytes, sig_hex: str) -> None:
    nacl.signing.VerifyKey(bytes.fromhex(public_hex)).verify(
        _signing_input(domain, chain, payload), bytes.fromhex(sig_hex)
    )


def _sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _mth(leaves: list[bytes]) -> bytes:
    if not leaves:
        return _sha(b"")
    if len(leaves) == 1:
        return _sha(b"\x00" + leaves[0])
    k = 1
    while 2 * k < len(leaves):
        k *= 2
    return _sha(b"\x01" + _mth(leaves[:k]) + _mth(leaves[k:]))


def _msgpack(value: Any) -> bytes:
    def sort(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: sort(v[k]) for k in sorted(v)}
        if isinstance(v, list):
            return [sort(x) for x in v]
        return v

    packed: bytes = msgpack.packb(sort(value), use_bin_type=True)
    return packed


def test_independent_canonical() -> None:
    for v in _load("canonical")["vectors"]:
        assert _msgpack(_untag(v["value"])).hex() == v["hex"], v["name"]


def test_independent_keys() -> None:
    doc = _load("keys")
    for k in doc["keys"]:
        signing = nacl.signing.SigningKey(bytes.fromhex(k["seed_hex"]))
        assert bytes(signing.verify_key).hex() == k["public_key_hex"]
        assert hashlib.sha256(bytes.fromhex(k["public_key_hex"])).hexdigest()[:16] == k["key_id"]
        sigs = k["signatures"]
        assert set(sigs) == {"tx", "block", "handshake", "approval"}
        for domain, sig in sigs.items():
            _verify(k["public_key_hex"], domain, doc["chain_id"], bytes.fromhex(doc["payload_hex"]), sig)
        assert len(set(sigs.values())) == len(sigs)


def test_independent_records() -> None:
    for v in _load("record")["vectors"]:
        data = bytes.fromhex(v["canonical_hex"])
        assert _msgpack(v["record"]) == data
        assert msgpack.unpackb(data) == v["record"]
        assert hashlib.sha256(data).hexdigest() == v["sha256_hex"]


def test_independent_transactions() -> None:
    doc = _load("tx")
    for v in doc["vectors"]:
        signing_bytes = bytes.fromhex(v["signing_bytes_hex"])
        assert _msgpack({"type": v["type"], "body": _untag(v["body"])}) == signing_bytes
        assert hashlib.sha256(signing_bytes).hexdigest() == v["tx_id_hex"]
        assert v["signatures"], v["name"]
        for s in v["signatures"]:
            _verify(s["public_key_hex"], "tx", doc["chain_id"], signing_bytes, s["signature_hex"])
        sigs = [[bytes.fromhex(s["public_key_hex"]), bytes.fromhex(s["signature_hex"])]
                for s in v["signatures"]]
        assert sigs == sorted(sigs)
        encoded = {"type": v["type"], "body": _untag(v["body"]), "sigs": sigs}
        assert _msgpack(encoded).hex() == v["encoded_hex"]
        # ... and the project decodes it to the same transaction.
        assert Transaction.decode(bytes.fromhex(v["encoded_hex"])).id_hex == v["tx_id_hex"]


def test_independent_block() -> None:
    doc = _load("block")
    header = _untag(doc["header"])
    header_bytes = bytes.fromhex(doc["header_canonical_hex"])
    assert _msgpack(header) == header_bytes
    assert hashlib.sha256(header_bytes).hexdigest() == doc["block_hash_hex"]
    node_key = next(k for k in _load("keys")["keys"] if k["name"] == "node-jpk")
    _verify(node_key["public_key_hex"], "block", doc["chain_id"], header_bytes, doc["signature_hex"])
    txs = [bytes.fromhex(v["encoded_hex"]) for v in _load("tx")["vectors"]]
    assert header["tx_count"] == len(txs)
    assert header["merkle_root"] == _mth(txs)
    block = {"header": header, "sig": bytes.fromhex(doc["signature_hex"]), "txs": txs}
    assert _msgpack(block).hex() == doc["encoded_hex"]


def test_independent_proof() -> None:
    doc = _load("proof")
    p = doc["proof_json"]
    tx = bytes.fromhex(p["tx"])
    # Walk the audit path as RFC 9162 section 2.1.3.2 says.
    fn, sn, r = p["index"], p["header"]["tx_count"] - 1, _sha(b"\x00" + tx)
    for sibling_hex in p["path"]:
        sibling = bytes.fromhex(sibling_hex)
        if fn % 2 == 1 or fn == sn:
            r = _sha(b"\x01" + sibling + r)
            while fn % 2 == 0 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = _sha(b"\x01" + r + sibling)
        fn, sn = fn >> 1, sn >> 1
    assert sn == 0
    assert r.hex() == p["header"]["merkle_root"]
    header = {**p["header"], "prev_hash": bytes.fromhex(p["header"]["prev_hash"]),
              "merkle_root": r}
    _verify(doc["node_keys"][p["header"]["proposer"]], "block", p["chain_id"], _msgpack(header),
            p["header_sig"])
    decoded = msgpack.unpackb(tx)
    signing_bytes = _msgpack({"type": decoded["type"], "body": decoded["body"]})
    for key, sig in decoded["sigs"]:
        _verify(key.hex(), "tx", p["chain_id"], signing_bytes, sig.hex())
    assert decoded["type"] == "issue"
    assert decoded["body"]["record"] == _load("record")["vectors"][0]["record"]


def test_independent_merkle() -> None:
    for v in _load("merkle")["vectors"]:
        leaves = [bytes.fromhex(x) for x in v["leaves"]]
        assert _mth(leaves).hex() == v["root_hex"], v["name"]
    assert _load("merkle")["vectors"][0]["root_hex"] == hashlib.sha256(b"").hexdigest()


def _write() -> None:
    GOLDEN.mkdir(exist_ok=True)
    for name in FILES:
        text = json.dumps(BUILT[name], indent=2, ensure_ascii=False) + "\n"
        (GOLDEN / f"{name}.json").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: python -m tests.certificate.test_golden --write  (see golden/README.md)")
    _write()
