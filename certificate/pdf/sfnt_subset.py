"""A small TrueType subsetter whose output bytes are ours to keep stable forever.

Why not fontTools' subsetter: a certificate is authentic exactly when it equals its re-render,
so the embedded font bytes must not change when a node upgrades a library. fontTools'
output (table layout, glyph re-encoding, recalculated fields) is free to change between its
releases; this module's output depends only on the vendored font file and the glyphs used.
It is also ~30x faster, which matters because every render embeds four or five fonts.

It handles exactly what the vendored fonts need: ``glyf`` outlines (simple and composite),
hinting stripped (PDF viewers do not need it), no layout tables (text is laid out by us),
``post`` format 3 (no glyph names), and a format-4 ``cmap`` for the characters used so the
embedded font remains a valid TrueType font on its own.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

_ARG_WORDS = 0x0001
_HAVE_SCALE = 0x0008
_MORE = 0x0020
_HAVE_XY_SCALE = 0x0040
_HAVE_2X2 = 0x0080
_HAVE_INSTRUCTIONS = 0x0100


@dataclass(frozen=True)
class Subset:
    data: bytes
    new_gid: dict[int, int]


# Glyph offsets of each font's ``loca`` (the CJK font has 49k glyphs), keyed by the table
# objects themselves (held, so their ids stay theirs); bounded, shared between threads.
_MAX_FONTS: Final = 16
_offsets: dict[tuple[int, int], tuple[bytes, bytes, list[int]]] = {}


def _glyph_offsets(tables: Mapping[str, bytes]) -> list[int]:
    """Where each glyph starts in ``glyf`` (read-only: shared between calls)."""
    head, loca = tables["head"], tables["loca"]
    cached = _offsets.get((id(head), id(loca)))
    if cached is not None and cached[0] is head and cached[1] is loca:
        return cached[2]
    long_format = struct.unpack(">h", head[50:52])[0] == 1
    if long_format:
        offsets = list(struct.unpack(f">{len(loca) // 4}I", loca))
    else:
        offsets = [2 * v for v in struct.unpack(f">{len(loca) // 2}H", loca)]
    if len(_offsets) >= _MAX_FONTS:
        _offsets.clear()
    _offsets[(id(head), id(loca))] = (head, loca, offsets)
    return offsets


def _components(glyph: bytes) -> list[tuple[int, int]]:
    """(offset of the glyph-index field, glyph index) of each component of a composite."""
    found = []
    pos = 10
    while True:
        flags, gid = struct.unpack(">HH", glyph[pos : pos + 4])
        found.append((pos + 2, gid))
        pos += 4 + (4 if flags & _ARG_WORDS else 2)
        if flags & _HAVE_SCALE:
            pos += 2
        elif flags & _HAVE_XY_SCALE:
            pos += 4
        elif flags & _HAVE_2X2:
            pos += 8
        if not flags & _MORE:
            return found


def _is_composite(glyph: bytes) -> bool:
    return len(glyph) >= 10 and struct.unpack(">h", glyph[:2])[0] < 0


def _strip_hinting(glyph: bytes) -> bytes:
    """The glyph without its TrueType instructions."""
    if not glyph:
        return glyph
    contours = struct.unpack(">h", glyph[:2])[0]
    if contours >= 0:
        at = 10 + 2 * contours
        length = struct.unpack(">H", glyph[at : at + 2])[0]
        return glyph[:at] + b"\x00\x00" + glyph[at + 2 + length :]
    out = bytearray(glyph)
    pos = 10
    while True:
        flags = struct.unpack(">H", out[pos : pos + 2])[0]
        struct.pack_into(">H", out, pos, flags & ~_HAVE_INSTRUCTIONS)
        pos += 4 + (4 if flags & _ARG_WORDS else 2)
        if flags & _HAVE_SCALE:
            pos += 2
        elif flags & _HAVE_XY_SCALE:
            pos += 4
        elif flags & _HAVE_2X2:
            pos += 8
        if not flags & _MORE:
            return bytes(out[:pos])


def _closure(used: set[int], glyf: bytes, offsets: list[int]) -> list[int]:
    keep = {0} | used
    todo = list(keep)
    while todo:
        gid = todo.pop()
        glyph = glyf[offsets[gid] : offsets[gid + 1]]
        if _is_composite(glyph):
            for _, comp in _components(glyph):
                if comp not in keep:
                    keep.add(comp)
                    todo.append(comp)
    return sorted(keep)


def _cmap_format4(char_to_gid: Mapping[int, int]) -> bytes:
    pairs = sorted((c, g) for c, g in char_to_gid.items() if c < 0xFFFF)
    segments = [(c, c, (g - c) % 0x10000) for c, g in pairs] + [(0xFFFF, 0xFFFF, 1)]
    n = len(segments)
    search = 2 ** (n.bit_length() - 1) * 2
    header = struct.pack(
        ">HHHHHHH", 4, 16 + 8 * n, 0, 2 * n, search, (search // 2).bit_length() - 1, 2 * n - search
    )
    body = b"".join(struct.pack(">H", s[1]) for s in segments) + b"\x00\x00"
    body += b"".join(struct.pack(">H", s[0]) for s in segments)
    body += b"".join(struct.pack(">H", s[2]) for s in segments)
    body += b"\x00\x00" * n
    table = header + body
    return struct.pack(">HHHHI", 0, 1, 3, 1, 12) + table


def _checksum(data: bytes) -> int:
    padded = data + b"\x00" * (-len(data) % 4)
    words: tuple[int, ...] = struct.unpack(f">{len(padded) // 4}I", padded)
    return sum(words) & 0xFFFFFFFF


def _assemble(tables: dict[str, bytes]) -> bytes:
    tags = sorted(tables)
    n = len(tags)
    entry = 2 ** (n.bit_length() - 1)
    directory = struct.pack(">IHHHH", 0x00010000, n, entry * 16, entry.bit_length() - 1, n * 16 - entry * 16)
    offset = 12 + 16 * n
    records: list[bytes] = []
    blobs: list[bytes] = []
    head_at = 0
    total = 0  # checksum of the tables; the file's is this plus the directory's
    for tag in tags:
        data = tables[tag]
        if tag == "head":
            head_at = offset
        checksum = _checksum(data)
        total += checksum
        records.append(struct.pack(">4sIII", tag.encode("latin-1"), checksum, offset, len(data)))
        blobs.append(data + b"\x00" * (-len(data) % 4))
        offset += len(blobs[-1])
    header = directory + b"".join(records)
    # Every part starts on a 4-byte boundary, so the whole file's checksum (with the head's
    # adjustment still 0) is the sum of the parts' checksums.
    whole = (_checksum(header) + total) & 0xFFFFFFFF
    font = bytearray(header + b"".join(blobs))
    struct.pack_into(">I", font, head_at + 8, (0xB1B0AFBA - whole) & 0xFFFFFFFF)
    return bytes(font)


def subset_font(tables: Mapping[str, bytes], chars: Mapping[int, int]) -> Subset:
    """A TrueType font with only the glyphs that ``chars`` (code point -> glyph id) use.

    Glyphs keep their relative order, so .notdef stays glyph 0; composite glyphs pull in
    their components. ``new_gid`` maps old glyph ids to the ids in the subset.
    """
    offsets = _glyph_offsets(tables)
    glyf = tables["glyf"]
    keep = _closure(set(chars.values()), glyf, offsets)
    new_gid = {old: new for new, old in enumerate(keep)}

    glyphs = bytearray()
    loca = [0]
    for old in keep:
        glyph = _strip_hinting(glyf[offsets[old] : offsets[old + 1]])
        if _is_composite(glyph):
            mutable = bytearray(glyph)
            for at, comp in _components(glyph):
                struct.pack_into(">H", mutable, at, new_gid[comp])
            glyph = bytes(mutable)
        glyphs += glyph + b"\x00" * (-len(glyph) % 4)
        loca.append(len(glyphs))

    num_metrics = struct.unpack(">H", tables["hhea"][34:36])[0]
    hmtx = tables["hmtx"]
    metrics = bytearray()
    for old in keep:
        if old < num_metrics:
            metrics += hmtx[4 * old : 4 * old + 4]
        else:
            lsb_at = 4 * num_metrics + 2 * (old - num_metrics)
            metrics += hmtx[4 * (num_metrics - 1) : 4 * num_metrics - 2] + hmtx[lsb_at : lsb_at + 2]

    head = bytearray(tables["head"])
    struct.pack_into(">I", head, 8, 0)
    struct.pack_into(">h", head, 50, 1)
    hhea = bytearray(tables["hhea"])
    struct.pack_into(">H", hhea, 34, len(keep))
    maxp = bytearray(tables["maxp"])
    struct.pack_into(">H", maxp, 4, len(keep))
    post = bytearray(tables["post"][:32])
    struct.pack_into(">I", post, 0, 0x00030000)

    out = {
        "OS/2": tables["OS/2"],
        "cmap": _cmap_format4({c: new_gid[g] for c, g in chars.items()}),
        "glyf": bytes(glyphs),
        "head": bytes(head),
        "hhea": bytes(hhea),
        "hmtx": bytes(metrics),
        "loca": struct.pack(f">{len(loca)}I", *loca),
        "maxp": bytes(maxp),
        "post": bytes(post),
    }
    return Subset(_assemble(out), new_gid)
