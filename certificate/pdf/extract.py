"""Reading an uploaded, untrusted PDF: just enough to find our attachments, within limits.

An uploaded file may be built to hurt the verifier: a deflate bomb, a name tree that loops, a
million objects, or bytes that crash the PDF library. So this module reads only what
verification needs (page count, two named attachments, the page's content stream), checks a
limit before every step, never decodes a stream it did not bound, and can run in a child
process (``extract_isolated``) with a wall-clock timeout and CPU/memory rlimits, so that a
hang or a crash inside qpdf costs one verdict, not the node.

It imports nothing from the project, so the child process starts quickly:
``python -I certificate/pdf/extract.py`` reads a PDF on stdin and writes JSON on stdout.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zlib
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Final

MAX_PDF_BYTES: Final = 5 * 1024 * 1024
MAX_OBJECTS: Final = 20_000
MAX_PAGES: Final = 16
MAX_ATTACHMENT_BYTES: Final = 1024 * 1024
MAX_CONTENT_BYTES: Final = 4 * 1024 * 1024
MAX_NAME_TREE_NODES: Final = 256
MAX_NAME_TREE_DEPTH: Final = 8
CHILD_MEMORY_BYTES: Final = 1024 * 1024 * 1024


class ExtractFailure(Exception):
    """The file cannot be read as a PDF; ``kind`` is "not_pdf" or "unreadable"."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


@dataclass(frozen=True)
class Extracted:
    pages: int
    attachments: dict[str, bytes]
    content: bytes | None  # the first page's content, decoded, if it could be bounded


def _inflate(raw: bytes, limit: int) -> bytes:
    """Deflate-decode at most ``limit`` bytes; a bomb raises instead of filling memory."""
    inflater = zlib.decompressobj()
    out = inflater.decompress(raw, limit)
    if inflater.unconsumed_tail:
        raise ExtractFailure("unreadable", "a compressed stream expands beyond the size limit")
    return out


def _stream_bytes(stream: Any, limit: int) -> bytes | None:
    """A stream's data if it is unfiltered or plain Flate and within ``limit``; else None."""
    import pikepdf

    if not isinstance(stream, pikepdf.Stream):
        return None
    raw = stream.read_raw_bytes()
    if len(raw) > limit:
        return None
    filters = stream.get("/Filter")
    if filters is None:
        return bytes(raw)
    names = [filters] if isinstance(filters, pikepdf.Name) else list(filters)
    if names == [pikepdf.Name.FlateDecode] and stream.get("/DecodeParms") is None:
        try:
            return _inflate(bytes(raw), limit)
        except zlib.error:
            return None
    return None


def _name_tree(node: Any, wanted: Collection[str], found: dict[str, Any], budget: list[int], depth: int) -> None:
    import pikepdf

    if depth > MAX_NAME_TREE_DEPTH or not isinstance(node, pikepdf.Dictionary):
        return
    budget[0] -= 1
    if budget[0] < 0:
        raise ExtractFailure("unreadable", "the attachment list is too large")
    names = node.get("/Names")
    if isinstance(names, pikepdf.Array):
        for i in range(0, min(len(names), 2 * MAX_NAME_TREE_NODES) - 1, 2):
            key = names[i]
            if isinstance(key, pikepdf.String):
                text = str(key)
                if text in wanted and text not in found:
                    found[text] = names[i + 1]
    kids = node.get("/Kids")
    if isinstance(kids, pikepdf.Array):
        for kid in list(kids)[:MAX_NAME_TREE_NODES]:
            _name_tree(kid, wanted, found, budget, depth + 1)


def _attachments(pdf: Any, wanted: Collection[str]) -> dict[str, bytes]:
    import pikepdf

    names = pdf.Root.get("/Names")
    tree = names.get("/EmbeddedFiles") if isinstance(names, pikepdf.Dictionary) else None
    specs: dict[str, Any] = {}
    _name_tree(tree, wanted, specs, [MAX_NAME_TREE_NODES], 0)
    out = {}
    for name, spec in sorted(specs.items()):
        if not isinstance(spec, pikepdf.Dictionary):
            continue
        ef = spec.get("/EF")
        if not isinstance(ef, pikepdf.Dictionary):
            continue
        data = _stream_bytes(ef.get("/F", ef.get("/UF")), MAX_ATTACHMENT_BYTES)
        if data is not None:
            out[name] = data
    return out


def _page_content(page: Any) -> bytes | None:
    import pikepdf

    contents = page.obj.get("/Contents")
    parts = list(contents)[:64] if isinstance(contents, pikepdf.Array) else [contents]
    out = b""
    for part in parts:
        data = _stream_bytes(part, MAX_CONTENT_BYTES - len(out))
        if data is None:
            return None
        out += data
    return out


def extract(data: bytes, wanted: Collection[str]) -> Extracted:
    """Read page count, the ``wanted`` attachments and the page content, within limits."""
    if len(data) > MAX_PDF_BYTES:
        raise ExtractFailure("unreadable", f"the file is larger than {MAX_PDF_BYTES // (1024 * 1024)} MB")
    if b"%PDF-" not in data[:1024]:
        raise ExtractFailure("not_pdf", "the file does not start like a PDF")
    import pikepdf

    try:
        with pikepdf.open(io.BytesIO(data), attempt_recovery=False, suppress_warnings=True) as pdf:
            if pdf.is_encrypted:
                raise ExtractFailure("unreadable", "the PDF is encrypted")
            size = pdf.trailer.get("/Size")
            if not isinstance(size, int) or not 0 < size <= MAX_OBJECTS:
                raise ExtractFailure("unreadable", "the PDF has too many objects")
            pages = len(pdf.pages)
            if pages > MAX_PAGES:
                raise ExtractFailure("unreadable", f"the PDF has more than {MAX_PAGES} pages")
            content = _page_content(pdf.pages[0]) if pages else None
            return Extracted(pages, _attachments(pdf, wanted), content)
    except ExtractFailure:
        raise
    except pikepdf.PasswordError:
        raise ExtractFailure("unreadable", "the PDF is encrypted with a password") from None
    except RecursionError:
        raise ExtractFailure("unreadable", "the PDF is nested too deeply") from None
    except MemoryError:
        raise ExtractFailure("unreadable", "the PDF needs too much memory") from None
    except Exception as exc:  # qpdf reports damage with many exception types
        raise ExtractFailure("unreadable", f"the PDF is damaged ({type(exc).__name__})") from None


def _limit_child(cpu_seconds: int) -> None:
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
        resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY_BYTES, CHILD_MEMORY_BYTES))
    except (ImportError, ValueError, OSError):  # not every platform has every limit
        pass


def extract_isolated(data: bytes, wanted: Collection[str], *, timeout: float = 10.0) -> Extracted:
    """``extract`` in a fresh, rlimited child process, killed after ``timeout`` seconds."""
    if len(data) > MAX_PDF_BYTES:
        raise ExtractFailure("unreadable", f"the file is larger than {MAX_PDF_BYTES // (1024 * 1024)} MB")
    if b"%PDF-" not in data[:1024]:
        raise ExtractFailure("not_pdf", "the file does not start like a PDF")
    request = json.dumps({"wanted": sorted(wanted), "cpu": int(timeout) + 1}).encode() + b"\n"
    try:
        done = subprocess.run(
            [sys.executable, "-I", os.path.abspath(__file__)],
            input=request + data,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ExtractFailure("unreadable", f"reading the PDF took longer than {timeout:g} s") from None
    try:
        reply = json.loads(done.stdout)
        if "error" in reply:
            raise ExtractFailure(str(reply["error"][0]), str(reply["error"][1]))
        return Extracted(
            pages=int(reply["pages"]),
            attachments={str(k): bytes.fromhex(v) for k, v in reply["attachments"].items()},
            content=None if reply["content"] is None else bytes.fromhex(reply["content"]),
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        raise ExtractFailure("unreadable", "the PDF crashed the reader") from None


def _child() -> None:
    stdin = sys.stdin.buffer
    request = json.loads(stdin.readline())
    _limit_child(int(request["cpu"]))
    data = stdin.read(MAX_PDF_BYTES + 1)
    try:
        got = extract(data, request["wanted"])
        reply: dict[str, Any] = {
            "pages": got.pages,
            "attachments": {k: v.hex() for k, v in got.attachments.items()},
            "content": None if got.content is None else got.content.hex(),
        }
    except ExtractFailure as exc:
        reply = {"error": [exc.kind, exc.message]}
    sys.stdout.write(json.dumps(reply))


if __name__ == "__main__":
    _child()
