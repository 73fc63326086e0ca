"""Our QR encoder draws exactly segno's symbol (byte mode, level M, mask 0) for any URL."""

from __future__ import annotations

import random
import string

import pytest

from certificate.pdf.qrcode import _matrix, segno_matrix
from certificate.pdf.qrencode import qr_matrix_m0

_URL_CHARS = string.ascii_letters + string.digits + "/:.-_?=&%~"


def _texts() -> list[str]:
    rng = random.Random(18004)
    lengths = list(range(0, 260)) + [rng.randint(260, 2300) for _ in range(30)]
    return ["".join(rng.choice(_URL_CHARS) for _ in range(n)) for n in lengths]


def test_every_length_up_to_version_12_and_a_sample_beyond() -> None:
    for text in _texts():
        ours = qr_matrix_m0(text.encode("ascii"))
        if ours is None:  # segno's padding overflows the symbol at these lengths: segno decides
            continue
        assert ours == segno_matrix(text), len(text)


@pytest.mark.parametrize("url", [
    "https://sijil.jpk.gov.my/sijil/SKM3-26-EGKEJ2SR-7",
    "http://localhost:8080/sijil/DLKM5-26-ABCDEFGH-9",
    "https://x.my/sijil/" + "A" * 43,  # 62 bytes: the full version 4, where segno decides
])
def test_the_symbols_certificates_print(url: str) -> None:
    assert _matrix(url) == segno_matrix(url)


def test_non_ascii_goes_to_segno() -> None:
    assert _matrix("https://contoh.my/ü") == segno_matrix("https://contoh.my/ü")
