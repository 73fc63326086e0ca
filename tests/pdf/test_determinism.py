"""Same inputs, same bytes: across processes, environments and, pinned, across releases."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
from pathlib import Path

import pikepdf
import pytest

from certificate.pdf import CURRENT_TEMPLATE, TEMPLATES, render_certificate
from tests.pdf.conftest import issued, rendered
from tests.pdf.factory import BASE_URL, issue_one

ROOT = Path(__file__).resolve().parents[2]

# SHA-256 of the SKM Tahap 3 Malay certificate of tests.pdf.factory, template 2026.1.
# If this fails, a change altered the bytes of released template 2026.1: every PDF printed
# with it would stop verifying. Put the change in a new template instead. (It also fails if
# the record, transaction or block encoding changed; that breaks every stored proof too.)
GOLDEN_2026_1 = "712876ecb20a73d070cc25f9d63936bc35fbb4c7e208aa8a7760460f1fe4a9ac"

_SCRIPT = """
import hashlib, sys
from tests.pdf.factory import issue_one, BASE_URL
from certificate.pdf import render_certificate
c = issue_one("SKM", 3)
for lang in ("ms", "en"):
    print(hashlib.sha256(render_certificate(c.record, c.proof, lang=lang, base_url=BASE_URL)).hexdigest())
"""


def _render_in_subprocess(extra_env: dict[str, str]) -> list[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), **extra_env}
    out = subprocess.run([sys.executable, "-c", _SCRIPT], cwd=ROOT, env=env, capture_output=True,
                         text=True, check=True).stdout
    return out.split()


def test_two_processes_render_identical_bytes() -> None:
    first = _render_in_subprocess({"PYTHONHASHSEED": "1", "TZ": "UTC", "LC_ALL": "C"})
    second = _render_in_subprocess({"PYTHONHASHSEED": "4242", "TZ": "Asia/Kuala_Lumpur",
                                    "LC_ALL": "C.UTF-8", "SOURCE_DATE_EPOCH": "0"})
    here = [hashlib.sha256(rendered("SKM", 3, lang)).hexdigest() for lang in ("ms", "en")]
    assert first == second == here
    assert first[0] != first[1]


def test_golden_pdf_of_template_2026_1() -> None:
    c = issued("SKM", 3)
    data = render_certificate(c.record, c.proof, lang="ms", base_url=BASE_URL, template="2026.1")
    assert hashlib.sha256(data).hexdigest() == GOLDEN_2026_1


def test_no_clock_no_compression_no_object_streams() -> None:
    data = rendered("SKM", 3, "ms")
    for marker in (b"/CreationDate", b"/ModDate", b"D:20", b"xmp:CreateDate", b"MetadataDate",
                   b"/FlateDecode", b"/ObjStm", b"/Producer"):
        assert marker not in data


def test_file_id_comes_from_the_content() -> None:
    ids = []
    for data in (rendered("SKM", 3, "ms"), rendered("SKM", 3, "en"), rendered("DKM", 4, "ms")):
        with pikepdf.open(io.BytesIO(data)) as pdf:
            ids.append(bytes(pdf.trailer.ID[0]))
    assert len(set(ids)) == 3
    c = issued("SKM", 3)
    again = render_certificate(c.record, c.proof, lang="ms", base_url=BASE_URL)
    assert again == rendered("SKM", 3, "ms")


@pytest.mark.parametrize("version", sorted(TEMPLATES))
def test_every_released_template_still_renders(version: str) -> None:
    c = issue_one("DLKM", 5)
    data = render_certificate(c.record, c.proof, lang="en", base_url=BASE_URL, template=version)
    assert f'"template":"{version}"'.encode() in data


def test_current_template_is_registered() -> None:
    assert CURRENT_TEMPLATE in TEMPLATES
    assert TEMPLATES[CURRENT_TEMPLATE].version == CURRENT_TEMPLATE
