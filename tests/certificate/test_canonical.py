"""The canonical encoding: one byte string per value, and decode accepts nothing else."""

from __future__ import annotations

import random
import struct
from typing import Any

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from certificate import canonical
from certificate.errors import ValidationError

# Text that has a UTF-8 form (no lone surrogates): the only text the encoding admits.
texts = st.text(st.characters(codec="utf-8"), max_size=40)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | texts
    | st.binary(max_size=40)
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=6) | st.dictionaries(texts, inner, max_size=6),
    max_leaves=40,
)


@settings(deadline=None)
@given(values)
def test_round_trip(value: Any) -> None:
    data = canonical.encode(value)
    assert canonical.decode(data) == value
    assert canonical.encode(canonical.decode(data)) == data


def _reordered(value: Any, rnd: random.Random) -> Any:
    if isinstance(value, dict):
        items = [(k, _reordered(v, rnd)) for k, v in value.items()]
        rnd.shuffle(items)
        return dict(items)
    if isinstance(value, list):
        return [_reordered(v, rnd) for v in value]
    return value


@settings(max_examples=100, deadline=None)
@given(values, st.randoms(use_true_random=False))
def test_insertion_order_does_not_change_bytes(value: Any, rnd: random.Random) -> None:
    assert canonical.encode(_reordered(value, rnd)) == canonical.encode(value)


def test_maps_sorted_by_code_point() -> None:
    data = canonical.encode({"b": 1, "a": 2, "B": 3, "é": 4, "ab": 5})
    assert data == msgpack.packb(
        {"B": 3, "a": 2, "ab": 5, "b": 1, "é": 4}, use_bin_type=True
    )


def test_known_bytes() -> None:
    # Independent of msgpack-python: the bytes spelled out from the msgpack specification.
    assert canonical.encode({"a": [1, -1, True, None, b"\x00"], "b": "x"}) == bytes.fromhex(
        "82" "a161" "95" "01" "ff" "c3" "c0" "c40100" "a162" "a178"
    )
    assert canonical.encode(2**64 - 1) == b"\xcf" + b"\xff" * 8
    assert canonical.encode(-(2**63)) == b"\xd3\x80" + b"\x00" * 7
    assert canonical.encode(("a", "tuple")) == canonical.encode(["a", "tuple"])


@pytest.mark.parametrize(
    "value",
    [
        1.5,
        float("nan"),
        2**64,
        -(2**63) - 1,
        {1: "int key"},
        {b"k": "bin key"},
        {"nested": {("t",): 1}},
        set(),
        bytearray(b"x"),
        msgpack.ExtType(1, b"x"),
        "\ud800",
        {"s": "a\udfffb"},
    ],
)
def test_encode_refuses_non_canonical_types(value: Any) -> None:
    with pytest.raises(ValidationError):
        canonical.encode(value)


def test_encode_refuses_deep_nesting() -> None:
    value: Any = 0
    for _ in range(canonical.MAX_DEPTH + 1):
        value = [value]
    with pytest.raises(ValidationError):
        canonical.encode(value)
    assert canonical.decode(canonical.encode(value[0])) == value[0]


NON_CANONICAL = {
    "unsorted keys": b"\x82\xa1b\x01\xa1a\x02",
    "duplicate keys": b"\x82\xa1a\x01\xa1a\x02",
    "int as uint8": b"\xcc\x05",
    "int as int8": b"\xd0\x05",
    "negative as int16": b"\xd1\xff\xff",
    "uint as uint64": b"\xcf" + struct.pack(">Q", 300),
    "str as str8": b"\xd9\x01a",
    "bin as bin16": b"\xc5\x00\x01a",
    "array as array16": b"\xdc\x00\x01\x01",
    "map as map16": b"\xde\x00\x01\xa1a\x01",
    "float32": b"\xca" + struct.pack(">f", 1.0),
    "float64": b"\xcb" + struct.pack(">d", 1.0),
    "fixext": b"\xd4\x01\x00",
    "ext8": b"\xc7\x01\x05\x00",
    "timestamp ext": b"\xd6\xff\x00\x00\x00\x00",
    "bad timestamp ext": b"\xc7\x03\xff\x00\x00\x00",
    "trailing bytes": b"\x01\x02",
    "trailing byte after map": b"\x81\xa1a\x01\x00",
    "bin key": b"\x81\xc4\x01a\x01",
    "int key": b"\x81\x01\x01",
    "invalid utf-8": b"\xa1\xff",
    "never-used byte": b"\xc1",
    "empty": b"",
    "truncated array": b"\x92\x01",
    "truncated str": b"\xa5abc",
    "truncated uint32": b"\xce\x00\x00",
    "absurd length": b"\xdd\xff\xff\xff\xff",
    "too deep": b"\x91" * 2000 + b"\xc0",
}


@pytest.mark.parametrize("data", NON_CANONICAL.values(), ids=NON_CANONICAL.keys())
def test_decode_refuses_non_canonical_bytes(data: bytes) -> None:
    with pytest.raises(ValidationError):
        canonical.decode(data)


def test_decode_refuses_truncation_of_every_valid_encoding() -> None:
    data = canonical.encode({"a": [1, 2**40, "text" * 20, b"\x00" * 300], "b": {"c": None}})
    for cut in range(len(data)):
        with pytest.raises(ValidationError):
            canonical.decode(data[:cut])


def test_decode_size_limit_and_input_type() -> None:
    data = canonical.encode(b"x" * 100)
    assert canonical.decode(data, max_len=len(data)) == b"x" * 100
    with pytest.raises(ValidationError):
        canonical.decode(data, max_len=len(data) - 1)
    with pytest.raises(ValidationError):
        canonical.decode("\x01")  # type: ignore[arg-type]
    assert canonical.decode(bytearray(b"\x01")) == 1  # type: ignore[arg-type]


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=64))
def test_decode_of_arbitrary_bytes_is_strict(data: bytes) -> None:
    try:
        value = canonical.decode(data)
    except ValidationError:
        return
    assert canonical.encode(value) == data


@settings(max_examples=200, deadline=None)
@given(values, st.data())
def test_decode_of_mutated_encodings_is_strict(value: Any, data: st.DataObject) -> None:
    encoded = bytearray(canonical.encode(value))
    pos = data.draw(st.integers(0, len(encoded) - 1))
    encoded[pos] = data.draw(st.integers(0, 255))
    try:
        decoded = canonical.decode(bytes(encoded))
    except ValidationError:
        return
    assert canonical.encode(decoded) == bytes(encoded)
