"""The quick paths of decoding agree with the reference checks they replace.

``CertificateRecord.from_dict`` proves a stored record normal field by field instead of
rebuilding it; names, titles and MyKad numbers already in normal form skip the full
normalisation. Each must accept exactly what the reference accepts, with the same result, and
refuse with the same code.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from certificate import canonical
from certificate.certno import parse_cert_no, parse_normal_cert_no
from certificate.errors import ValidationError
from certificate.keys import SigningKey
from certificate.mykad import _birth_date, _digits_of, parse_mykad
from certificate.names import (
    MAX_NAME_LEN,
    NAME_PUNCTUATION,
    TEXT_PUNCTUATION,
    _normalise,
    is_normal_name,
    is_normal_text,
    normalise_name,
    normalise_text,
)
from certificate.record import FIELDS, CertificateRecord
from certificate.tx import ISSUER_ADD, Transaction, approve_txs, governance_tx, issue_tx, revoke_tx
from certificate.tx_bodies import normal_text
from tests.certificate.test_record import CERT_NO, NORMAL, OTHER_CERT_NO, make_record


def _outcome(fn: Any, *args: Any, **kwargs: Any) -> tuple[str, Any]:
    try:
        return "ok", fn(*args, **kwargs)
    except ValidationError as exc:
        return "refused", exc.code


# Values close to the normal ones: the normal value itself, loose spellings of it, and noise.
_VARIANTS: dict[str, list[Any]] = {
    "cert_no": [CERT_NO, CERT_NO.lower(), CERT_NO.replace("-", ""), " " + CERT_NO, OTHER_CERT_NO,
                CERT_NO[:-1] + "0", "DKM4-26-7H3K9P2M-X", ""],
    "kind": ["SKM", "skm", " SKM", "DKM", "PC", ""],
    "level": [3, 1, 4, 0, 6],
    "holder_name": ["Siti Nur Aisyah binti Ahmad", "Siti  Nur", " Siti", "Siti ", "Siti1", "O'NEIL A/L X",
                    "Ｓｉｔｉ", "Zoë", "Zoe\u0308", "---", "", "S\tX", "A" * MAX_NAME_LEN, "A" * (MAX_NAME_LEN + 1)],
    "holder_ic": ["900101145678", "900101-14-5678", " 900101145678", "９００１０１１４５６７８", "900101005678",
                  "991301145678", "270101145678", "90010114567", "٩٠٠١٠١١٤٥٦٧٨"],
    "noss_code": ["MC-024-3:2012", "mc-024-3:2012", "MC-024-2:2012", "MC-024-3", "CSH3", "MC  024", " MC-024-3"],
    "programme_ms": ["Pemasangan Elektrik", "Pemasangan  Elektrik", "PEMBAIKAN – KENDERAAN", "123", "&&", "",
                     "A" * 200, "A" * 201],
    "method": ["SLaPB", "SLAPB", "PPT", " PPT", "X"],
    "centre_code": ["AB123", "ab123", " AB123", "A-1", "-A", ""],
    "jpps_ref": ["JPPS/2026/11", "JPPS/2026/11 ", "JPPS  2026", " JPPS", "J" * 65, ""],
    "jpps_date": ["2026-11-12", "2026-11-21", "2026-11-20", " 2026-11-12", "2026-02-30", "2026-W01-1"],
    "issued_at": ["2026-11-20T01:02:03Z", "2026-11-19T16:00:00Z", "2026-11-11T15:59:59Z", "2026-11-20T01:02:60Z",
                  "0999-01-01T00:00:00Z", "2026-11-20 01:02:03Z", ""],
    "supersedes": [None, "", OTHER_CERT_NO, OTHER_CERT_NO.lower(), CERT_NO],
}


_ONE_CHANGE = st.sampled_from(sorted(_VARIANTS)).flatmap(lambda f: st.sampled_from(_VARIANTS[f]).map(lambda v: {f: v}))


@settings(max_examples=1000)
@given(st.one_of(
    st.lists(_ONE_CHANGE, max_size=3).map(lambda cs: {k: v for c in cs for k, v in c.items()}),
    st.fixed_dictionaries({f: st.sampled_from(_VARIANTS[f]) for f in FIELDS if f in _VARIANTS}),
))
@example({})
def test_from_dict_agrees_with_create_and_compare(changes: dict[str, Any]) -> None:
    data = {**NORMAL, **changes}
    data["programme_en"] = data["programme_ms"]
    data["centre_name"] = data["programme_ms"]
    quick = _outcome(CertificateRecord.from_dict, dict(data))
    reference = _outcome(CertificateRecord._from_dict_by_create, dict(data))
    assert quick == reference
    if quick[0] == "ok":
        assert quick[1] == CertificateRecord.create(**data)
        assert quick[1].to_dict() == data


_ASCII = st.text(st.characters(min_codepoint=0, max_codepoint=127), max_size=40)
_NEAR_ASCII = st.text(st.sampled_from(sorted(NAME_PUNCTUATION | TEXT_PUNCTUATION) + list("aZ09 \t\u00a0\u2019é")),
                      max_size=20)


@given(st.one_of(_ASCII, _NEAR_ASCII))
@example("A" * MAX_NAME_LEN)
@example("A" * (MAX_NAME_LEN + 1))
def test_name_quick_path_agrees(text: str) -> None:
    full = _outcome(_normalise, text, prefix="name", field="name", max_len=MAX_NAME_LEN,
                    punctuation=NAME_PUNCTUATION, digits=False, typographic=True)
    if full[0] == "ok" and not any(c.isalpha() for c in full[1]):
        full = ("refused", "name.no_letter")
    assert _outcome(normalise_name, text) == full


@given(st.one_of(_ASCII, _NEAR_ASCII), st.sampled_from([5, 40, 200]))
def test_text_quick_path_agrees(text: str, max_len: int) -> None:
    full = _outcome(_normalise, text, prefix="text", field="t", max_len=max_len,
                    punctuation=TEXT_PUNCTUATION, digits=True, typographic=False)
    if full[0] == "ok" and not any(c.isalnum() for c in full[1]):
        full = ("refused", "text.no_alnum")
    assert _outcome(normalise_text, text, field="t", max_len=max_len) == full


@given(st.text(st.sampled_from(list("0123456789-  ９٩x")), max_size=16), st.booleans())
@example("900101145678", False)
def test_mykad_quick_path_agrees(text: str, strip_separators: bool) -> None:
    quick = _outcome(parse_mykad, text, strip_separators=strip_separators)
    digits = _outcome(_digits_of, text, strip_separators=strip_separators, field="ic")
    if digits[0] == "refused":
        assert quick == digits
    elif len(digits[1]) == 12 and quick[0] == "ok":
        assert quick[1].number == digits[1]


# --- transactions: signing bytes cut out of the decoded encoding -------------------------------


def test_decoded_signing_bytes_match_golden_vectors() -> None:
    doc = json.loads((Path(__file__).parent / "golden" / "tx.json").read_text())
    for v in doc["vectors"]:
        tx = Transaction.decode(bytes.fromhex(v["encoded_hex"]))
        assert "signing_bytes" in tx.__dict__, v["name"]  # cut out at decode, not re-encoded
        assert tx.signing_bytes.hex() == v["signing_bytes_hex"], v["name"]
        assert tx.id.hex() == v["tx_id_hex"], v["name"]


@given(st.sampled_from(["issue", "issue+activation", "revoke", "approve", "governance", "unsigned"]),
       st.integers(min_value=0, max_value=3),
       st.text(st.characters(blacklist_categories=("C",)), min_size=1, max_size=300).map(normal_text))
def test_decoded_signing_bytes_equal_checked_encoding(kind: str, signers: int, text: str) -> None:
    keys = [SigningKey(bytes([20 + i]) * 32) for i in range(max(signers, 1))]
    chain = "spkm-test"
    if kind.startswith("issue"):
        tx = issue_tx(make_record(), keys[0], chain, activation=b"\x07" * 32 if "+" in kind else None)
    elif kind == "revoke":
        tx = revoke_tx(CERT_NO, text if text.strip() else "x", "2026-11-20T01:02:03Z", keys[0], chain)
    elif kind == "approve":
        tx = approve_txs("JPPS/2026/11", "2026-11-12", [{"ic": "900101145678", "name": "Ahmad bin Abu",
                         "kind": "SKM", "level": 3, "noss_code": "MC-024-3:2012", "programme_ms": "Elektrik",
                         "centre_code": "AB123"}], keys[0], chain)[0]
    else:
        tx = governance_tx(ISSUER_ADD, keys[0].public, "Pegawai", "2026-11-20T01:02:03Z")
        if kind == "governance":
            for k in keys:
                tx = tx.signed_by(k, chain)
    back = Transaction.decode(tx.encode())
    assert back.signing_bytes == canonical.encode({"type": tx.type, "body": tx.body}) == tx.signing_bytes
    assert back.id == tx.id


# --- canonical: the decoder's walk --------------------------------------------------------------


def _reference_verify(value: Any, depth: int = 0) -> None:
    """The walk ``canonical._verify`` replaced: one call per value."""
    if depth > canonical.MAX_DEPTH:
        raise ValidationError("canonical.depth", "structure nested too deeply")
    kind = type(value)
    if kind is str or kind is bytes or kind is bool or value is None or kind is int:
        return
    if kind is list:
        for item in value:
            _reference_verify(item, depth + 1)
        return
    if kind is dict:
        previous: str | None = None
        for key, item in value.items():
            if type(key) is not str:
                raise ValidationError("canonical.malformed", "map keys must be strings")
            if previous is not None and not previous < key:
                raise ValidationError("canonical.noncanonical", "map keys are not in sorted order")
            previous = key
            _reference_verify(item, depth + 1)
        return
    raise ValidationError("canonical.malformed", "contains a value outside the canonical types")


_LEAVES = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text(max_size=2), st.binary(max_size=2),
                    st.floats(allow_nan=False), st.just([]), st.just({}))
_KEYS = st.one_of(st.sampled_from(["a", "b", "c"]), st.integers(0, 2), st.binary(max_size=1))


def _nest(leaf: Any, depth: int) -> st.SearchStrategy[Any]:
    wrap = st.sampled_from(["list", "dict"])
    return st.lists(wrap, min_size=depth, max_size=depth).map(lambda kinds: _wrapped(leaf, kinds))


def _wrapped(leaf: Any, kinds: list[str]) -> Any:
    for k in kinds:
        leaf = [leaf] if k == "list" else {"k": leaf}
    return leaf


@settings(max_examples=500)
@given(st.one_of(
    st.recursive(_LEAVES, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                 st.lists(st.tuples(_KEYS, inner), max_size=3).map(dict)),
                 max_leaves=12),
    st.tuples(_LEAVES, st.integers(canonical.MAX_DEPTH - 1, canonical.MAX_DEPTH + 2)).flatmap(
        lambda t: _nest(t[0], t[1])),
))
def test_decoder_walk_agrees_with_reference(value: Any) -> None:
    assert _outcome(canonical._verify, value) == _outcome(_reference_verify, value)


# --- certificate numbers and text as stored --------------------------------------------------------


def _normal_by_parse(text: str) -> Any:
    try:
        cert_no = parse_cert_no(text)
    except ValidationError:
        return None
    return cert_no if cert_no.text == text else None


@given(st.one_of(
    st.sampled_from([CERT_NO, OTHER_CERT_NO]).flatmap(lambda c: st.sampled_from([
        c, c.lower(), c.replace("-", ""), f" {c}", f"{c} ", c[:-1] + "0", c[:-1] + "I", "X" + c, "DLKM5" + c[4:]])),
    st.text(st.sampled_from(list("SKMDLPC0123456789ABXYZIOQ- ")), max_size=22),
    st.text(max_size=70),
))
def test_normal_cert_no_agrees_with_parse(text: str) -> None:
    assert parse_normal_cert_no(text) == _normal_by_parse(text)


@given(st.one_of(_ASCII, _NEAR_ASCII, st.text(max_size=30)), st.sampled_from([5, 40, 200]))
def test_is_normal_agrees_with_normalise(text: str, max_len: int) -> None:
    assert is_normal_name(text) == (_outcome(normalise_name, text) == ("ok", text))
    assert is_normal_text(text, field="t", max_len=max_len) == (
        _outcome(normalise_text, text, field="t", max_len=max_len) == ("ok", text))


def _reference_birth_date(yymmdd: str, today: date) -> tuple[str, Any]:
    readings = []
    for century in (2000, 1900):
        try:
            readings.append(date(century + int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:6])))
        except ValueError:
            continue
    if not readings:
        return "refused", "mykad.date"
    past = [d for d in readings if d <= today]
    return ("ok", max(past)) if past else ("refused", "mykad.future_date")


@given(st.integers(0, 999_999).map(lambda n: f"{n:06d}"), st.dates(date(1990, 1, 1), date(2099, 12, 31)))
@example("000229", date(2026, 1, 1))
@example("000229", date(1999, 1, 1))
@example("250101", date(2025, 1, 1))
def test_birth_date_agrees_with_reference(yymmdd: str, today: date) -> None:
    assert _outcome(_birth_date, yymmdd, today, "ic") == _reference_birth_date(yymmdd, today)
