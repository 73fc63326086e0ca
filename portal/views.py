"""Certificates as pages show them: titles in the visitor's language, masked MyKad, proof facts.

Built on ``portal.api.cert_json`` so the pages and the JSON API can never disagree about a
certificate's status, block or revocation.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from certificate.keys import PublicKey
from certificate.mykad import parse_mykad
from certificate.pdf import ChainStatus
from certificate.record import KIND_TITLES, METHOD_TITLES
from certificate.tx import Transaction
from node.service import CertView, NodeService
from portal.api import cert_json
from portal.i18n import Lang


def _pick(pair: tuple[str, str], lang: Lang) -> str:
    return pair[0] if lang == "ms" else pair[1]


def masked_ic(ic: str) -> str:
    return parse_mykad(ic).masked


def cert_row(svc: NodeService, cv: CertView, lang: Lang) -> dict[str, Any]:
    """One certificate as a results list, a profile and the /sijil page show it."""
    doc = cert_json(svc, cv, with_proof=False)
    rec = doc["record"]
    kind = rec["kind"]
    programme = rec["programme_ms"] if lang == "ms" else (rec["programme_en"] or rec["programme_ms"])
    return {
        "cert_no": rec["cert_no"],
        "kind": kind,
        "kind_title": f"{_pick(KIND_TITLES[kind], lang)} ({kind})" if kind in KIND_TITLES else kind,
        "level": rec["level"],
        "programme": programme,
        "programme_other": rec["programme_en"] if lang == "ms" else rec["programme_ms"],
        "noss_code": rec["noss_code"],
        "method": _pick(METHOD_TITLES[rec["method"]], lang) if rec["method"] in METHOD_TITLES else rec["method"],
        "method_code": rec["method"],
        "centre_code": rec["centre_code"],
        "centre_name": rec["centre_name"],
        "jpps_ref": rec["jpps_ref"],
        "jpps_date": rec["jpps_date"],
        "issued_at": rec["issued_at"],
        "holder_name": rec["holder_name"],
        "holder_ic_masked": masked_ic(rec["holder_ic"]),
        "status": doc["status"],
        "height": doc["block"]["height"],
        "block_hash": doc["block"]["hash"],
        "supersedes": doc["supersedes"],
        "superseded_by": doc["superseded_by"],
        "revocation": doc["revocation"],
    }


def holder_name(rows: list[dict[str, Any]]) -> str | None:
    """The name on the holder's newest valid certificate (a correction may have fixed a typo)."""
    if not rows:
        return None
    valid = [r for r in rows if r["status"] == "valid"] or rows
    return str(max(valid, key=lambda r: r["issued_at"])["holder_name"])


def sort_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Newest JPPS meeting first; within a meeting the higher level first, as a CV lists them."""
    return sorted(rows, key=lambda r: (r["jpps_date"], r["issued_at"], r["level"], r["cert_no"]), reverse=True)


def proof_details(svc: NodeService, cv: CertView) -> dict[str, Any]:
    """The facts an expert needs to check the proof offline, from the very proof the API serves."""
    state = svc.engine.state
    proof = state.proof(cv.entry)
    header = proof.header
    issuer = PublicKey(cv.entry["issuer"])
    names = {bytes(k): str(v.get("name", "")) for k, v in state.issuers()}
    proposer = svc.genesis.member(header.proposer)
    return {
        "chain_id": proof.chain_id,
        "height": header.height,
        "block_hash": cv.block_hash.hex(),
        "block_time": datetime.fromtimestamp(header.time_ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S"),
        "merkle_root": header.merkle_root.hex(),
        "tx_id": Transaction.decode(cv.entry["tx"]).id_hex,
        "index": proof.index,
        "path_len": len(proof.path),
        "issuer_id": issuer.id,
        "issuer_name": names.get(issuer.raw, ""),
        "proposer": header.proposer,
        "proposer_name": proposer.name if proposer else "",
    }


def chain_status(svc: NodeService, cert_no: str) -> ChainStatus | None:
    """What ``certificate.pdf.verify_pdf`` asks the live chain about a certificate number."""
    cv = svc.certificate(cert_no)
    if cv is None:
        return None
    rev = cv.entry.get("revocation")
    status: Any = cv.status
    return ChainStatus(cert_no=cert_no, status=status, block_height=cv.height, block_hash=cv.block_hash.hex(),
                       superseded_by=cv.entry.get("superseded_by"),
                       revocation_reason=rev["reason"] if rev else None)
