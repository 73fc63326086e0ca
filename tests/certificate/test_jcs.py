"""RFC 8785 canonicalisation: the RFC's own examples plus properties over arbitrary JSON."""

from __future__ import annotations

import json
import math
import random
import struct
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from certificate import jcs
from certificate.errors import ValidationError

# RFC 8785 Appendix B: IEEE 754 bit patterns and their required text.
RFC_NUMBERS = [
    ("0000000000000000", "0"),
    ("8000000000000000", "0"),
    ("0000000000000001", "5e-324"),
    ("8000000000000001", "-5e-324"),
    ("7fefffffffffffff", "1.7976931348623157e+308"),
    ("ffefffffffffffff", "-1.7976931348623157e+308"),
    ("4340000000000000", "9007199254740992"),
    ("c340000000000000", "-9007199254740992"),
    ("4430000000000000", "295147905179352830000"),
    ("44b52d02c7e14af5", "9.999999999999997e+22"),
    ("44b52d02c7e14af6", "1e+23"),
    ("44b52d02c7e14af7", "1.0000000000000001e+23"),
    ("444b1ae4d6e2ef4e", "999999999999999700000"),
    ("444b1ae4d6e2ef4f", "999999999999999900000"),
    ("444b1ae4d6e2ef50", "1e+21"),
    ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
    ("3eb0c6f7a0b5ed8d", "0.000001"),
    ("41b3de4355555553", "333333333.3333332"),
    ("41b3de4355555554", "333333333.33333325"),
    ("41b3de4355555555", "333333333.3333333"),
    ("41b3de4355555556", "333333333.3333334"),
    ("41b3de4355555557", "333333333.33333343"),
    ("becbf647612f3696", "-0.0000033333333333333333"),
    ("43143ff3c1cb0959", "1424953923781206.2"),
]


@pytest.mark.parametrize(("bits", "expected"), RFC_NUMBERS)
def test_rfc8785_number_table(bits: str, expected: str) -> None:
    value = struct.unpack(">d", bytes.fromhex(bits))[0]
    assert jcs.serialize_number(value) == expected


@pytest.mark.parametrize("bits", ["7fffffffffffffff", "7ff0000000000000", "fff0000000000000"])
def test_nan_and_infinity_are_refused(bits: str) -> None:
    value = struct.unpack(">d", bytes.fromhex(bits))[0]
    with pytest.raises(ValidationError):
        jcs.canonicalize([value])


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1e30, "1e+30"),
        (4.50, "4.5"),
        (2e-3, "0.002"),
        (1e-7, "1e-7"),
        (1e-27, "1e-27"),
        (333333333.33333329, "333333333.3333333"),
        (-0.0, "0"),
        (4.0, "4"),
        (1e20, "100000000000000000000"),
        (1e21, "1e+21"),
        (123.456e5, "12345600"),
        (1.5e-6, "0.0000015"),
        (0, "0"),
        (-17, "-17"),
        (2**53, "9007199254740992"),
        (10**20, "100000000000000000000"),
        (1152921504606847000, "1152921504606847000"),
        (10**21, "1e+21"),
    ],
)
def test_number_forms(value: float, expected: str) -> None:
    assert jcs.serialize_number(value) == expected


@pytest.mark.parametrize("value", [2**53 + 1, 2**60, 10**23 + 1, 10**400, -(2**64)])
def test_integers_without_an_exact_double_form_are_refused(value: int) -> None:
    with pytest.raises(ValidationError):
        jcs.canonicalize({"n": value})


def test_rfc8785_main_example() -> None:
    text = (
        '{\n  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],\n'
        '  "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",\n'
        '  "literals": [null, true, false]\n}'
    )
    expected = (
        '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    )
    assert jcs.canonicalize(jcs.loads(text)) == expected.encode()


def test_rfc8785_sorting_example() -> None:
    text = r"""{
      "\u20ac": "Euro Sign",
      "\r": "Carriage Return",
      "\ufb33": "Hebrew Letter Dalet With Dagesh",
      "1": "One",
      "\ud83d\ude00": "Emoji: Grinning Face",
      "\u0080": "Control",
      "\u00f6": "Latin Small Letter O With Diaeresis"
    }"""
    out = jcs.canonicalize(jcs.loads(text)).decode()
    order = [v for k, v in json.loads(out, object_pairs_hook=list)]
    assert order == [
        "Carriage Return",
        "One",
        "Control",
        "Latin Small Letter O With Diaeresis",
        "Euro Sign",
        "Emoji: Grinning Face",
        "Hebrew Letter Dalet With Dagesh",
    ]
    # Code-point order would put the emoji (U+1F600) last: the difference JCS is about.
    assert sorted(json.loads(out))[-1] == "\U0001f600"


def test_string_escapes() -> None:
    text = "\x00\x01\x1f\x7f\b\t\n\f\r\"\\/é\u2028\U0001f600"
    assert jcs.canonicalize(text).decode() == (
        '"\\u0000\\u0001\\u001f\x7f\\b\\t\\n\\f\\r\\"\\\\/é\u2028\U0001f600"'
    )


@pytest.mark.parametrize("value", ["\ud800", {"\udfff": 1}, ["a\ud83d"]])
def test_lone_surrogates_are_refused(value: Any) -> None:
    with pytest.raises(ValidationError):
        jcs.canonicalize(value)


@pytest.mark.parametrize(
    "value", [{1: "x"}, {"a": b"bytes"}, {"s": {1, 2}}, object(), {"d": 1 + 2j}]
)
def test_non_json_values_are_refused(value: Any) -> None:
    with pytest.raises(ValidationError):
        jcs.canonicalize(value)


def test_deep_nesting_is_refused_not_a_recursion_error() -> None:
    value: Any = []
    for _ in range(jcs.MAX_DEPTH + 5):
        value = [value]
    with pytest.raises(ValidationError):
        jcs.canonicalize(value)
    with pytest.raises(ValidationError):
        jcs.loads("[" * 100_000 + "]" * 100_000)


@pytest.mark.parametrize(
    "text",
    [
        '{"a": 1, "a": 2}',
        "[NaN]",
        "[Infinity]",
        "[-Infinity]",
        "[1e999]",
        '["\\ud800"]',
        "[9007199254740993]",
        "{",
        "",
        b"\xff",
        '\ufeff{"a": 1}',
    ],
)
def test_loads_refuses_ambiguous_json(text: str | bytes) -> None:
    with pytest.raises(ValidationError):
        jcs.loads(text)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53), max_value=2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children, max_size=5)
    | st.dictionaries(st.text(max_size=8), children, max_size=5),
    max_leaves=30,
)


def _shuffled(value: Any, rng: random.Random) -> Any:
    if isinstance(value, dict):
        items = list(value.items())
        rng.shuffle(items)
        return {k: _shuffled(v, rng) for k, v in items}
    if isinstance(value, list):
        return [_shuffled(v, rng) for v in value]
    return value


@given(json_values)
def test_canonical_form_is_idempotent(value: Any) -> None:
    once = jcs.canonicalize(value)
    twice = jcs.canonicalize(jcs.loads(once))
    assert twice == once
    assert jcs.canonicalize(json.loads(once)) == once


@given(json_values, st.randoms(use_true_random=False))
def test_member_order_does_not_matter(value: Any, rng: random.Random) -> None:
    assert jcs.canonicalize(_shuffled(value, rng)) == jcs.canonicalize(value)


def _as_doubles(value: Any) -> Any:
    """JSON numbers are doubles: 4, 4.0 and 4e0 are one value; so are -0.0 and 0."""
    if isinstance(value, dict):
        return {k: _as_doubles(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_doubles(v) for v in value]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return value


@given(json_values)
def test_canonical_form_is_json_with_the_same_meaning(value: Any) -> None:
    again = json.loads(jcs.canonicalize(value))
    assert _as_doubles(again) == _as_doubles(value)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_numbers_read_back_as_the_same_double(value: float) -> None:
    text = jcs.serialize_number(value)
    assert float(text) == value
    assert "+" not in text or "e+" in text
    # The shortest form: no digits beyond what repr() needs.
    if value != 0:
        significant = text.lstrip("-").split("e")[0].replace(".", "").strip("0")
        assert len(significant) <= len(repr(abs(value)).split("e")[0].replace(".", "").strip("0"))


@given(st.text())
def test_string_escaping_matches_ecmascript(text: str) -> None:
    # Python's json.dumps(ensure_ascii=False) escapes exactly the characters JSON.stringify does.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        with pytest.raises(ValidationError):
            jcs.canonicalize(text)
        return
    assert jcs.canonicalize(text) == json.dumps(text, ensure_ascii=False).encode()


@given(st.integers())
def test_integers_are_exact_or_refused(value: int) -> None:
    try:
        text = jcs.serialize_number(value)
    except ValidationError:
        assert abs(value) > 2**53
        return
    assert float(text) == float(value)
    assert math.isfinite(float(text))
