"""RFC 8785 JSON Canonicalization Scheme (JCS), the byte form the W3C VC proof signs.

The chain itself signs msgpack (``certificate.canonical``); JCS exists only because the
``eddsa-jcs-2022`` cryptosuite prescribes it, so a wallet or verifier written in any language
re-derives the same bytes from the JSON it received.  Every rule below is therefore about
agreeing with an ECMAScript ``JSON.stringify`` of the same data, byte for byte:

* object members sorted by the UTF-16 code units of their names (not by code points: the two
  orders differ for names with characters above U+FFFF versus U+E000..U+FFFF);
* numbers are IEEE 754 doubles written as ECMAScript ``Number.prototype.toString`` writes them
  (shortest round-trip digits, ``1e+21`` and ``1e-7`` exponent forms, ``-0`` as ``0``);
  NaN and Infinity have no JSON form and are refused;
* strings escape only ``"``, ``\\`` and the C0 controls (``\\b \\t \\n \\f \\r`` short forms,
  otherwise lowercase ``\\u00xx``); everything else is written as UTF-8, and a lone surrogate,
  which has no UTF-8 form, is refused.

Python integers are wider than doubles.  Rounding one silently would sign a number other than
the one the document shows, so an integer is accepted only when its JCS text denotes exactly
the same value (every integer up to 2**53, and larger ones such as ``10**20`` that a double
holds and prints exactly).

Anything that cannot be canonicalised raises ``ValidationError``, never another exception, so
callers that verify untrusted documents can treat every failure alike.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any, Final

from certificate.errors import ValidationError

MAX_DEPTH: Final = 100
"""Nesting limit: far beyond any credential, well inside Python's recursion limit."""

_SAFE_INTEGER: Final = 2**53

_ESCAPES: Final[dict[int, str]] = {i: f"\\u{i:04x}" for i in range(0x20)}
_ESCAPES.update(
    {
        ord("\b"): "\\b",
        ord("\t"): "\\t",
        ord("\n"): "\\n",
        ord("\f"): "\\f",
        ord("\r"): "\\r",
        ord('"'): '\\"',
        ord("\\"): "\\\\",
    }
)


def canonicalize(value: Any) -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of a JSON value (dict, list, str, number, bool, None)."""
    parts: list[str] = []
    _write(value, parts, 0)
    try:
        return "".join(parts).encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError("jcs.surrogate", "string contains a lone surrogate") from None


def serialize_number(value: int | float) -> str:
    """ECMAScript ``Number.prototype.toString`` of ``value`` (RFC 8785 section 3.2.2.3)."""
    if isinstance(value, bool):
        raise ValidationError("jcs.type", "a boolean is not a number")
    if isinstance(value, int):
        return _serialize_int(int(value))
    if isinstance(value, float):
        return _serialize_float(float(value))
    raise ValidationError("jcs.type", f"type {type(value).__name__} is not a number")


def loads(data: str | bytes) -> Any:
    """Parse JSON text as I-JSON (RFC 7493): what JCS needs, and nothing ambiguous.

    Python's ``json`` module alone would accept duplicate member names (the last silently
    wins, so two parsers may see two documents), ``NaN``/``Infinity`` and ``1e999`` (a float
    infinity); all of these are refused here.
    """
    if isinstance(data, bytes | bytearray | memoryview):
        try:
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationError("jcs.parse", "JSON text is not UTF-8") from None
    elif isinstance(data, str):
        text = data
    else:
        raise ValidationError("jcs.parse", f"cannot parse JSON from {type(data).__name__}")
    try:
        value = json.loads(
            text,
            object_pairs_hook=_unique_members,
            parse_constant=_refuse_constant,
            parse_float=_finite_float,
        )
    except ValidationError:
        raise
    except (ValueError, RecursionError) as exc:
        raise ValidationError("jcs.parse", f"not valid JSON: {exc}") from None
    canonicalize(value)  # refuses lone surrogates, deep nesting and inexact integers
    return value


def _write(value: Any, out: list[str], depth: int) -> None:
    if depth > MAX_DEPTH:
        raise ValidationError("jcs.depth", f"JSON nested deeper than {MAX_DEPTH} levels")
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(_serialize_string(value))
    elif isinstance(value, int | float) and not isinstance(value, bool):
        out.append(serialize_number(value))
    elif isinstance(value, list | tuple):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _write(item, out, depth + 1)
        out.append("]")
    elif isinstance(value, dict):
        out.append("{")
        for i, name in enumerate(sorted(value, key=_utf16_key)):
            if i:
                out.append(",")
            out.append(_serialize_string(name))
            out.append(":")
            _write(value[name], out, depth + 1)
        out.append("}")
    else:
        raise ValidationError("jcs.type", f"type {type(value).__name__} has no JSON form")


def _utf16_key(name: object) -> bytes:
    if not isinstance(name, str):
        raise ValidationError("jcs.key", "JSON member names must be strings")
    try:
        # Big-endian code units compare bytewise in the same order as the units themselves.
        return name.encode("utf-16-be")
    except UnicodeEncodeError:
        raise ValidationError("jcs.surrogate", "member name contains a lone surrogate") from None


def _serialize_string(text: str) -> str:
    return '"' + text.translate(_ESCAPES) + '"'


def _serialize_int(value: int) -> str:
    if -_SAFE_INTEGER <= value <= _SAFE_INTEGER:
        return str(value)
    try:
        text = _serialize_float(float(value))
    except OverflowError:
        raise ValidationError("jcs.int", "integer too large for a JSON number") from None
    if Decimal(text) != value:
        raise ValidationError(
            "jcs.int", f"integer {value} has no exact JSON (IEEE 754 double) form"
        )
    return text


def _serialize_float(value: float) -> str:
    if not math.isfinite(value):
        raise ValidationError("jcs.number", "NaN and Infinity have no JSON form")
    if value == 0:
        return "0"  # also -0.0, as ECMAScript does
    sign = "-" if value < 0 else ""
    # repr() gives the shortest digit string that reads back as the same double, the same
    # digits ECMAScript's algorithm selects; only the layout around them differs.
    mantissa, _, exponent = repr(abs(value)).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = whole + fraction
    point = len(whole) + int(exponent or "0")  # decimal point sits after `point` digits
    significant = digits.lstrip("0")
    point -= len(digits) - len(significant)
    digits = significant.rstrip("0")
    k, n = len(digits), point
    if k <= n <= 21:
        body = digits + "0" * (n - k)
    elif 0 < n <= 21:
        body = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        body = "0." + "0" * -n + digits
    else:
        e = n - 1
        body = digits[0] + ("." + digits[1:] if k > 1 else "") + ("e+" if e >= 0 else "e-")
        body += str(abs(e))
    return sign + body


def _unique_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, value in pairs:
        if name in result:
            raise ValidationError("jcs.duplicate", f"duplicate member name {name!r}")
        result[name] = value
    return result


def _refuse_constant(name: str) -> Any:
    raise ValidationError("jcs.number", f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValidationError("jcs.number", f"number {text} is out of the IEEE 754 double range")
    return value
