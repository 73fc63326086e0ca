"""The W3C eddsa-jcs-2022 test vectors (``../shared/vectors/w3c-vc-di-eddsa``) and the JSON
path helpers the Data Integrity, multibase and credential tests tamper with documents by."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from certificate import multibase
from certificate.keys import SigningKey
from tests.shared_files import shared

VECTORS = shared("vectors/w3c-vc-di-eddsa")
JCS_VECTORS = VECTORS / "eddsa-jcs-2022"
CREATED = "2023-02-24T23:36:38Z"

Path_ = tuple[str | int, ...]


def vector_text(name: str) -> str:
    """A vector file's content; the files end without (or with one) newline."""
    return (JCS_VECTORS / name).read_text(encoding="utf-8").removesuffix("\n")


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


KEY_PAIR = load_json(VECTORS / "keyPair.json")
UNSIGNED = load_json(VECTORS / "unsigned.json")
SIGNED = load_json(JCS_VECTORS / "signedJCS.json")
W3C_KEY = SigningKey(multibase.seed_from_multibase(KEY_PAIR["privateKeyMultibase"]))
W3C_METHOD = SIGNED["proof"]["verificationMethod"]


def leaves(value: Any, path: Path_ = ()) -> Iterator[tuple[Path_, Any]]:
    if isinstance(value, dict):
        for name, item in value.items():
            yield from leaves(item, (*path, name))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from leaves(item, (*path, index))
    else:
        yield path, value


def containers(value: Any, path: Path_ = ()) -> Iterator[tuple[Path_, Any]]:
    if isinstance(value, dict | list):
        yield path, value
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for name, item in items:
            yield from containers(item, (*path, name))


def with_value(document: Any, path: Path_, new: Any) -> Any:
    edited = copy.deepcopy(document)
    target = edited
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = new
    return edited


def edits(value: Any) -> list[Any]:
    """Different values a tamperer might put in place of ``value``."""
    alternatives: list[Any]
    if isinstance(value, str):
        flipped = value.upper() if value != value.upper() else value.lower()
        changed = [value + "x", value[:-1], flipped]
        if len(value) > 1:
            changed.append(value[0] + chr(ord(value[1]) ^ 1) + value[2:])
        alternatives = [*changed, "", None, 0, True, [value], {"value": value}]
    elif isinstance(value, bool):
        alternatives = [not value, None, str(value).lower()]
    elif isinstance(value, int | float):
        alternatives = [value + 1, -value - 1, str(value), None, float(value) + 0.5]
    else:
        alternatives = ["x", 0, False]
    return [a for a in alternatives if a != value or type(a) is not type(value)]


def path_id(path: Path_) -> str:
    return "/".join(str(step) for step in path)
