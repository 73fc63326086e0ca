"""Writing the PDF file ourselves, byte for byte as qpdf writes it.

Released certificates were written by qpdf (through pikepdf) with a deterministic /ID, no
object streams and no compression, and a PDF is authentic exactly when it equals its
re-render; so this writer reproduces that output exactly, without going through pikepdf's
object model (which cost more than drawing the page). What it reproduces:

* object numbers in qpdf's order: the catalog, then the trailer's other entries, then
  breadth-first in the order references are met while writing (dictionary keys sorted);
* ``<< /Key value >>`` and ``[ a b ]`` with single spaces, dictionary keys sorted, a stream's
  ``/Length`` written last, ``stream\\n...\\nendstream``, ``N 0 obj\\n...\\nendobj\\n``;
* the cross-reference table and trailer, and qpdf's deterministic /ID: the MD5 of
  (MD5 hex of every byte up to ``/ID [``) + " QPDF " + " " + each string of /Info in key
  order, cut at the first NUL byte (qpdf passes it as a C string);
* strings are serialised by qpdf itself (``pikepdf.String.unparse``): plain ASCII ones by
  the same rule directly, the rest through a small cache.

``tests/pdf/test_pdfwriter.py`` compares this writer with qpdf on many documents.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Final, TypeAlias

import pikepdf

HEADER: Final = b"%PDF-1.7\n%\xbf\xf7\xa2\xfe\n"
_PLAIN_NAME: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+-._")


class Name(str):
    """A PDF name, given without its slash: ``Name("Type")`` is written ``/Type``."""

    __slots__ = ()


class Num(str):
    """A number written exactly as this text (e.g. ``fmt`` output, or "595.28")."""

    __slots__ = ()


class Str:
    """A PDF string: text (PDFDocEncoding or UTF-16BE, as pikepdf.String chooses) or bytes."""

    __slots__ = ("raw", "token")

    def __init__(self, value: str | bytes) -> None:
        self.token, self.raw = _string(value)


class Obj:
    """An indirect object: a dictionary, and the data if it is a stream."""

    __slots__ = ("data", "num", "value")

    def __init__(self, value: Mapping[str, Value], data: bytes | None = None) -> None:
        self.value = value
        self.data = data
        self.num = 0


Value: TypeAlias = Name | Num | Str | Obj | int | bool | Sequence["Value"] | Mapping[str, "Value"]


@lru_cache(maxsize=512)
def _qpdf_string(value: str | bytes) -> tuple[str, bytes]:
    obj = pikepdf.String(value)
    return bytes(obj.unparse()).decode("latin-1"), bytes(obj)


def _string(value: str | bytes) -> tuple[str, bytes]:
    if (isinstance(value, str) and value and value.isascii() and value.isprintable()
            and "(" not in value and ")" not in value and "\\" not in value):
        return "(" + value + ")", value.encode("ascii")
    return _qpdf_string(value)


_names: dict[str, str] = {}
MAX_NAMES: Final = 256


def _name(name: str) -> str:
    """``/name`` as qpdf writes it (its own escaping where a name needs any)."""
    text = _names.get(name)
    if text is None:
        if all(c in _PLAIN_NAME for c in name):
            text = "/" + name
        else:
            text = bytes(pikepdf.Name("/" + name).unparse()).decode("latin-1")
        if len(_names) >= MAX_NAMES:
            _names.clear()
        _names[name] = text
    return text


class _Writer:
    def __init__(self) -> None:
        self.objects: list[Obj] = []
        self.queue: deque[Obj] = deque()

    def enqueue(self, obj: Obj) -> int:
        if not obj.num:
            self.objects.append(obj)
            obj.num = len(self.objects)
            self.queue.append(obj)
        return obj.num

    def unparse(self, value: Value, out: list[str]) -> None:
        # exact type checks first: this runs for every value of every object
        if type(value) is Name:
            out.append(_names.get(value) or _name(value))
        elif type(value) is Num:
            out.append(value)
        elif type(value) is int:
            out.append(str(value))
        elif type(value) is Obj:
            out.append(f"{self.enqueue(value)} 0 R")
        elif type(value) is Str:
            out.append(value.token)
        elif isinstance(value, Name):
            out.append(_name(value))
        elif isinstance(value, str):  # Num, or a subclass of it
            out.append(value)
        elif isinstance(value, Str):
            out.append(value.token)
        elif isinstance(value, Obj):
            out.append(f"{self.enqueue(value)} 0 R")
        elif isinstance(value, bool):
            out.append("true" if value else "false")
        elif isinstance(value, int):
            out.append(str(value))
        elif isinstance(value, Mapping):
            self.dictionary(value, out)
        else:
            out.append("[ ")
            for item in value:
                self.unparse(item, out)
                out.append(" ")
            out.append("]")

    def dictionary(self, value: Mapping[str, Value], out: list[str], length: int | None = None) -> None:
        out.append("<< ")
        for key in sorted(value):
            out.append(_names.get(key) or _name(key))
            out.append(" ")
            self.unparse(value[key], out)
            out.append(" ")
        if length is not None:
            out.append(f"/Length {length} ")
        out.append(">>")


def write_pdf(root: Obj, info: Obj) -> bytes:
    """The file for the catalog ``root`` and the document information ``info``."""
    writer = _Writer()
    writer.enqueue(root)
    writer.enqueue(info)
    chunks: list[bytes] = [HEADER]
    offsets: list[int] = []
    at = len(HEADER)
    while writer.queue:
        obj = writer.queue.popleft()
        offsets.append(at)
        out = [f"{obj.num} 0 obj\n"]
        if obj.data is None:
            writer.dictionary(obj.value, out)
            out.append("\nendobj\n")
            chunk = "".join(out).encode("latin-1")
        else:
            writer.dictionary(obj.value, out, len(obj.data))
            out.append("\nstream\n")
            chunk = "".join(out).encode("latin-1") + obj.data + b"\nendstream\nendobj\n"
        chunks.append(chunk)
        at += len(chunk)
    size = len(writer.objects) + 1
    xref = [f"xref\n0 {size}\n0000000000 65535 f \n"]
    xref += [f"{offset:010d} 00000 n \n" for offset in offsets]
    xref.append(f"trailer << /Info {info.num} 0 R /Root {root.num} 0 R /Size {size} /ID [")
    chunks.append("".join(xref).encode("ascii"))
    body = b"".join(chunks)
    seed = hashlib.md5(body).hexdigest().encode("ascii") + b" QPDF "
    for key in sorted(info.value):
        item = info.value[key]
        if isinstance(item, Str):
            seed += b" " + item.raw
    file_id = hashlib.md5(seed.split(b"\0", 1)[0]).hexdigest()
    return body + f"<{file_id}><{file_id}>] >>\nstartxref\n{at}\n%%EOF\n".encode("ascii")
