"""A fast QR encoder for the one symbol kind the certificate uses: byte mode, level M, mask 0.

segno (pure Python, general) spent ~2.5 ms per symbol, a quarter of a page. This module
builds the same symbol (ISO/IEC 18004: smallest version, terminator, zero padding to a byte
boundary - a whole zero byte when already on one, as segno 1.6 does - 0xEC/0x11 padding,
Reed-Solomon blocks, interleaving, zigzag placement, mask 0) from tables that are computed
once per version. The fixed parts of a version (finder, timing and alignment patterns,
format and version information) are taken from a segno symbol of that version, so the
bits this module owns are only the data and error-correction codewords and where they go.
``tests/pdf/test_qrencode.py`` checks it against segno module for module.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any, Final

import segno
from segno import consts

Matrix = tuple[tuple[bool, ...], ...]

MAX_VERSION: Final = 40
_M: Final = consts.ERROR_LEVEL_M

# GF(256) with the QR polynomial x^8 + x^4 + x^3 + x^2 + 1
_EXP: Final = [0] * 512
_LOG: Final = [0] * 256
_x = 1
for _i in range(255):
    _EXP[_i] = _x
    _LOG[_x] = _i
    _x <<= 1
    if _x & 0x100:
        _x ^= 0x11D
for _i in range(255, 512):
    _EXP[_i] = _EXP[_i - 255]


@lru_cache(maxsize=64)
def _generator(degree: int) -> tuple[int, ...]:
    """Coefficients of prod (x - a^i), i < degree, highest power first (leading 1 dropped)."""
    poly = [1]
    for i in range(degree):
        nxt = [0] * (len(poly) + 1)
        for j, coef in enumerate(poly):
            nxt[j] ^= coef
            if coef:
                nxt[j + 1] ^= _EXP[_LOG[coef] + i]
        poly = nxt
    return tuple(poly[1:])


def _ecc(data: list[int], degree: int) -> list[int]:
    gen = [_LOG[g] for g in _generator(degree)]
    rem = [0] * degree
    for byte in data:
        factor = byte ^ rem.pop(0)
        rem.append(0)
        if factor:
            lf = _LOG[factor]
            for i, lg in enumerate(gen):
                rem[i] ^= _EXP[lf + lg]
    return rem


def _groups(version: int) -> list[tuple[int, int, int]]:
    """(blocks, codewords per block, data codewords per block) of level M (Table 9)."""
    table: Any = consts.ECC
    return [(ec.num_blocks, ec.num_total, ec.num_data) for ec in table[version][_M]]


def _data_codewords(version: int) -> int:
    return sum(blocks * data for blocks, _, data in _groups(version))


def _version_for(length: int) -> int | None:
    for version in range(1, MAX_VERSION + 1):
        count_bits = 8 if version < 10 else 16
        if 4 + count_bits + 8 * length <= 8 * _data_codewords(version):
            return version
    return None


class _Layout:
    """What one version needs: the fixed modules and the order of the data modules."""

    def __init__(self, version: int) -> None:
        n = 4 * version + 17
        reference = segno.make("x", version=version, error="m", mode="byte", mask=0, micro=False,
                               boost_error=False)
        reserved = [[False] * n for _ in range(n)]

        def reserve(r0: int, r1: int, c0: int, c1: int) -> None:
            for r in range(max(r0, 0), min(r1, n)):
                for c in range(max(c0, 0), min(c1, n)):
                    reserved[r][c] = True

        for r0, c0 in ((0, 0), (0, n - 7), (n - 7, 0)):  # finders with separators
            reserve(r0 - 1, r0 + 8, c0 - 1, c0 + 8)
        reserve(6, 7, 0, n)  # timing
        reserve(0, n, 6, 7)
        reserve(8, 9, 0, 9)  # format information, and the dark module
        reserve(0, 9, 8, 9)
        reserve(8, 9, n - 8, n)
        reserve(n - 8, n, 8, 9)
        if version >= 7:  # version information
            reserve(0, 6, n - 11, n - 8)
            reserve(n - 11, n - 8, 0, 6)
        if version >= 2:
            positions: Any = consts.ALIGNMENT_POS
            centres: tuple[int, ...] = positions[version - 2]
            last = centres[-1]
            for r in centres:
                for c in centres:
                    if (r, c) in ((6, 6), (6, last), (last, 6)):
                        continue
                    reserve(r - 2, r + 3, c - 2, c + 3)

        self.base = [[bool(v) and reserved[r][c] for c, v in enumerate(row)]
                     for r, row in enumerate(reference.matrix)]
        order: list[tuple[int, int]] = []
        upward = True
        col = n - 1
        while col > 0:
            if col == 6:
                col -= 1
            rows = range(n - 1, -1, -1) if upward else range(n)
            for r in rows:
                for c in (col, col - 1):
                    if not reserved[r][c]:
                        order.append((r, c))
            upward = not upward
            col -= 2
        self.order = order
        self.size = n
        self.base_flat = [v for row in self.base for v in row]
        self.flat_order = [r * n + c for r, c in order]
        self.masked = [(r + c) % 2 == 0 for r, c in order]  # mask 0 inverts these
        self.blocks = [(data, total - data) for blocks, total, data in _groups(version)
                       for _ in range(blocks)]
        self.capacity = _data_codewords(version)
        self.count_bits = 8 if version < 10 else 16


_layouts: dict[int, _Layout] = {}
_lock = threading.Lock()


def _layout(version: int) -> _Layout:
    layout = _layouts.get(version)
    if layout is None:
        with _lock:
            layout = _layouts.get(version) or _Layout(version)
            _layouts[version] = layout  # at most 40 entries
    return layout


def qr_matrix_m0(data: bytes) -> Matrix | None:
    """The symbol for ``data`` (byte mode, level M, mask 0), rows top to bottom; True is
    dark. None if this encoder does not make it (too long, or the rare length at which
    segno's padding overflows the symbol): the caller then asks segno."""
    version = _version_for(len(data))
    if version is None:
        return None
    lay = _layout(version)
    bits = (0b0100 << lay.count_bits) | len(data)
    nbits = 4 + lay.count_bits
    bits = (bits << 8 * len(data)) | int.from_bytes(data, "big")
    nbits += 8 * len(data)
    room = 8 * lay.capacity
    terminator = min(4, room - nbits)
    bits <<= terminator
    nbits += terminator
    pad = 8 - nbits % 8  # as segno pads: a whole zero byte when already on a boundary
    bits <<= pad
    nbits += pad
    if nbits > room:
        return None  # segno's padding overflowed the symbol; let segno decide what it does
    codewords = list(bits.to_bytes(nbits // 8, "big"))
    filler = 0
    while len(codewords) < lay.capacity:
        codewords.append((0xEC, 0x11)[filler])
        filler ^= 1

    data_blocks: list[list[int]] = []
    ecc_blocks: list[list[int]] = []
    at = 0
    for num_data, num_ecc in lay.blocks:
        block = codewords[at : at + num_data]
        at += num_data
        data_blocks.append(block)
        ecc_blocks.append(_ecc(block, num_ecc))
    stream: list[int] = []
    for blocks in (data_blocks, ecc_blocks):
        for i in range(max(len(b) for b in blocks)):
            stream.extend(b[i] for b in blocks if i < len(b))

    bitstring = format(int.from_bytes(bytes(stream), "big"), f"0{8 * len(stream)}b")
    flat = lay.base_flat[:]
    nb = len(bitstring)
    for at, dark_when_masked, bit in zip(lay.flat_order[:nb], lay.masked[:nb], bitstring, strict=True):
        flat[at] = (bit == "1") != dark_when_masked
    for at, dark_when_masked in zip(lay.flat_order[nb:], lay.masked[nb:], strict=True):
        flat[at] = dark_when_masked  # remainder bits: light, then masked
    n = lay.size
    return tuple(tuple(flat[i : i + n]) for i in range(0, n * n, n))
