"""Activation codes: shape, determinism, typo detection, digest binding."""

from __future__ import annotations

import math
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from certificate.activation import (
    CODE_SYMBOLS,
    DATA_SYMBOLS,
    activation_digest,
    check_activation_code,
    format_activation_code,
    make_activation_code,
    normalise_activation_code,
)
from certificate.certno import ALPHABET, _check_char, derive_cert_no
from certificate.errors import ValidationError
from certificate.keys import SigningKey

KEY = SigningKey(bytes(range(32)))
OTHER = SigningKey(bytes(range(1, 33)))
CHAIN = "spkm-test"

cert_nos = st.builds(lambda seed: derive_cert_no("SKM", 3, 2026, seed), st.binary(min_size=1, max_size=16))
bodies = st.text(alphabet=ALPHABET, min_size=DATA_SYMBOLS, max_size=DATA_SYMBOLS)


def code_of(body: str) -> str:
    return format_activation_code(body + _check_char(body))


def test_entropy_and_shape() -> None:
    assert DATA_SYMBOLS * math.log2(len(ALPHABET)) >= 60
    code = make_activation_code(KEY, derive_cert_no("SKM", 3, 2026, b"x"))
    assert len(code) == CODE_SYMBOLS + 3
    groups = code.split("-")
    assert [len(g) for g in groups] == [4, 4, 4, 4]
    assert set(code.replace("-", "")) <= set(ALPHABET)


@given(cert_nos)
def test_deterministic_and_keyed(cert_no: str) -> None:
    code = make_activation_code(KEY, cert_no)
    assert make_activation_code(KEY, cert_no) == code
    assert make_activation_code(KEY, cert_no.lower().replace("-", "")) == code
    assert make_activation_code(OTHER, cert_no) != code
    assert normalise_activation_code(code) == code


def test_different_certificates_get_different_codes() -> None:
    codes = {make_activation_code(KEY, derive_cert_no("DKM", 4, 2026, str(i).encode())) for i in range(2000)}
    assert len(codes) == 2000


@given(bodies, st.data())
def test_normalise_round_trip(body: str, data: st.DataObject) -> None:
    """Lowercase, missing or extra dashes and spaces all read back as the same code."""
    code = code_of(body)
    plain = code.replace("-", "")
    assert normalise_activation_code(code) == code
    assert normalise_activation_code(plain) == code
    assert normalise_activation_code(plain.lower()) == code
    assert normalise_activation_code(f"  {code.lower().replace('-', ' ')} ") == code
    cuts = sorted(data.draw(st.lists(st.integers(0, len(plain)), max_size=5)))
    spaced, prev = [], 0
    for c in cuts:
        spaced.append(plain[prev:c])
        prev = c
    spaced.append(plain[prev:])
    assert normalise_activation_code(data.draw(st.sampled_from(["-", " ", " - "])).join(spaced)) == code


@settings(max_examples=25, deadline=None)
@given(bodies)
def test_every_single_symbol_typo_is_detected(body: str) -> None:
    """Any one character changed, to anything a keyboard gives, never yields another valid code.

    (Typing O, Q or I for 0 or 1 gives back the same code: those are read as what was meant.)
    """
    plain = body + _check_char(body)
    code = format_activation_code(plain)
    for i in range(len(plain)):
        for ch in string.ascii_letters + string.digits:
            typo = plain[:i] + ch + plain[i + 1 :]
            try:
                got = normalise_activation_code(typo)
            except ValidationError:
                continue
            assert got == code, (typo, got)


@settings(max_examples=25, deadline=None)
@given(bodies)
def test_adjacent_swaps_are_detected(body: str) -> None:
    plain = body + _check_char(body)
    for i in range(len(plain) - 1):
        if plain[i] == plain[i + 1]:
            continue
        swapped = plain[:i] + plain[i + 1] + plain[i] + plain[i + 2 :]
        with pytest.raises(ValidationError) as exc:
            normalise_activation_code(swapped)
        assert exc.value.code == "activation.check"


def test_lookalike_letters_read_as_digits() -> None:
    body = "0" * DATA_SYMBOLS
    code = code_of(body)
    assert normalise_activation_code(code.replace("0", "O")) == code
    assert normalise_activation_code(code.replace("0", "q")) == code


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (None, "activation.empty"),
        (12, "activation.not_text"),
        ("", "activation.empty"),
        (" - ", "activation.empty"),
        ("ABCD-EFGH-JKLM", "activation.length"),
        ("ABCD-EFGH-JKLM-NPRST", "activation.length"),
        ("ABCD-EFGH-JKLM-NPRU", "activation.symbol"),
        ("ABCD-EFGH-JKLM-NPR#", "activation.character"),
        ("ABCD-EFGH-JKLM-NPR\u0661", "activation.character"),
        ("A" * 65, "activation.too_long"),
    ],
)
def test_refusals(text: object, error: str) -> None:
    with pytest.raises(ValidationError) as exc:
        normalise_activation_code(text)  # type: ignore[arg-type]
    assert exc.value.code == error
    assert exc.value.field == "activation_code"


@given(cert_nos)
def test_digest_checks_the_code_and_nothing_else(cert_no: str) -> None:
    code = make_activation_code(KEY, cert_no)
    digest = activation_digest(CHAIN, cert_no, code)
    assert len(digest) == 32
    assert check_activation_code(CHAIN, cert_no, code, digest)
    assert check_activation_code(CHAIN, cert_no, code.lower().replace("-", " "), digest)
    assert not check_activation_code(CHAIN, cert_no, make_activation_code(OTHER, cert_no), digest)
    assert not check_activation_code("spkm-other", cert_no, code, digest)
    other_cert = derive_cert_no("SKM", 3, 2026, cert_no.encode())
    assert not check_activation_code(CHAIN, other_cert, code, digest)
    assert not check_activation_code(CHAIN, cert_no, "not a code", digest)
    assert not check_activation_code(CHAIN, cert_no, code, digest[:-1] + bytes([digest[-1] ^ 1]))


def test_digest_refuses_bad_chain_ids() -> None:
    cert_no = derive_cert_no("PC", 2, 2026, b"x")
    code = make_activation_code(KEY, cert_no)
    for chain in ("", "a\x00b"):
        with pytest.raises(ValidationError):
            activation_digest(chain, cert_no, code)
