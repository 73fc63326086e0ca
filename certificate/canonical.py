"""The one byte encoding that every signature and hash in the chain is computed over.

Third parties re-derive these bytes offline, so the rules are part of the contract:

* msgpack, with maps whose keys are strings written in sorted (code-point) order;
* only str (NFC-normalised by the caller's model), int, bool, None, bytes, list and map;
  no floats (their text form differs between languages) and no msgpack extension types;
* the smallest msgpack representation of every value (what msgpack-python produces), with
  str written as msgpack str and bytes as msgpack bin.

``decode`` is strict: it accepts only bytes that ``encode`` would have produced, so there is
exactly one valid encoding of every object and no malleability.
"""

from __future__ import annotations

from typing import Any

import msgpack

from certificate.errors import ValidationError

MAX_DEPTH = 16


def _check(value: Any, depth: int = 0) -> Any:
    if depth > MAX_DEPTH:
        raise ValidationError("canonical.depth", "structure nested too deeply")
    if isinstance(value, msgpack.ExtType):
        # ExtType is a namedtuple: without this it would pass as a 2-element list.
        raise ValidationError("canonical.type", "msgpack extension types cannot be encoded")
    if value is None or isinstance(value, bool | int | str | bytes):
        if isinstance(value, int) and not isinstance(value, bool) and not (
            -(2**63) <= value < 2**64
        ):
            raise ValidationError("canonical.int", "integer out of the 64-bit range")
        return value
    if isinstance(value, list | tuple):
        return [_check(v, depth + 1) for v in value]
    if isinstance(value, dict):
        for k in value:
            if not isinstance(k, str):
                raise ValidationError("canonical.key", "map keys must be strings")
        return {k: _check(value[k], depth + 1) for k in sorted(value)}
    raise ValidationError("canonical.type", f"type {type(value).__name__} cannot be encoded")


def encode(value: Any) -> bytes:
    """Deterministic bytes for ``value`` (see module docstring for the rules)."""
    try:
        packed: bytes = msgpack.packb(_check(value), use_bin_type=True)
    except UnicodeEncodeError:
        # A lone surrogate has no UTF-8 form, so no other implementation could agree on it.
        raise ValidationError("canonical.text", "text is not valid Unicode") from None
    return packed


def encode_decoded(value: Any) -> bytes:
    """``encode`` of a value that ``decode`` returned (or a part of one), without the walk.

    ``decode`` has already proved every type and every map order in it canonical, so plain
    packing gives the bytes ``encode`` would. Never for values from anywhere else.
    """
    packed: bytes = msgpack.packb(value, use_bin_type=True)
    return packed


def decode(data: bytes, *, max_len: int = 1 << 20) -> Any:
    """Parse canonical bytes, refusing anything ``encode`` would not have produced."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise ValidationError("canonical.malformed", "encoded object must be bytes")
    data = bytes(data)
    if len(data) > max_len:
        raise ValidationError("canonical.size", f"encoded object larger than {max_len} bytes")
    try:
        # unpackb bounds every str/bin/array/map length by len(data) on its own, so a short
        # hostile input cannot make it allocate much.
        value = msgpack.unpackb(data, raw=False, strict_map_key=True, use_list=True)
    except (ValueError, TypeError, OverflowError, msgpack.UnpackException) as exc:
        detail = str(exc) or type(exc).__name__
        raise ValidationError("canonical.malformed", f"not a valid encoding: {detail}") from None
    _verify(value)
    try:
        again: bytes = msgpack.packb(value, use_bin_type=True)
    except (UnicodeEncodeError, ValueError, TypeError):
        raise ValidationError("canonical.malformed", "contains a value outside the canonical types") from None
    if again != data:
        raise ValidationError("canonical.noncanonical", "bytes are not in canonical form")
    return value


_SCALARS = frozenset({str, bytes, bool, int, type(None)})


def _verify(value: Any, depth: int = 0) -> None:
    """Check a decoded value holds only canonical types with sorted map keys, in place.

    ``decode`` then re-packs the value as decoded (msgpack keeps map order) and compares bytes:
    that catches non-minimal lengths and integers, and this walk catches what re-packing would
    reproduce faithfully (unsorted keys, floats, extension types). It is the hot path of every
    node (every transaction of every block), so it builds nothing, and it looks at scalar
    members in the loop instead of calling itself for each (a transaction is mostly scalars).
    A member one level too deep still goes through the call, which refuses it.
    """
    if depth > MAX_DEPTH:
        raise ValidationError("canonical.depth", "structure nested too deeply")
    kind = type(value)
    if kind in _SCALARS:
        return  # msgpack cannot carry an integer outside the 64-bit ranges
    deep = depth >= MAX_DEPTH
    if kind is list:
        for item in value:
            if deep or type(item) not in _SCALARS:
                _verify(item, depth + 1)
        return
    if kind is dict:
        previous: str | None = None
        for key, item in value.items():
            if type(key) is not str:
                raise ValidationError("canonical.malformed", "map keys must be strings")
            if previous is not None and not previous < key:
                raise ValidationError("canonical.noncanonical", "map keys are not in sorted order")
            previous = key
            if deep or type(item) not in _SCALARS:
                _verify(item, depth + 1)
        return
    raise ValidationError("canonical.malformed", "contains a value outside the canonical types")
