"""The vendored font files and the few numbers the layout needs from each.

A PDF is authentic exactly when it equals its re-render, so the renderer must never pick up a
font from the machine it runs on: it reads the files vendored in ``certificate/pdf/fonts`` and
refuses to run when one does not match the SHA-256 the template pinned. A template names a
file by ``FontFile`` (name + hash); a font that ever changes is a new file for a new template.
"""

from __future__ import annotations

import hashlib
import io
import struct
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from fontTools.ttLib import TTFont

FONT_DIR: Final = Path(__file__).resolve().parent / "fonts"


class FontIntegrityError(RuntimeError):
    """A vendored font is missing or differs from its pin: the installation is broken."""


@dataclass(frozen=True)
class FontFile:
    """A vendored font file as a template pins it."""

    filename: str
    sha256: str
    postscript_name: str
    serif: bool = False
    italic: bool = False
    bold: bool = False


@dataclass(frozen=True)
class FontMetrics:
    """Font-wide numbers for the PDF font descriptor, in 1/1000 em."""

    ascent: float
    descent: float
    cap_height: float
    bbox: tuple[float, float, float, float]
    italic_angle: float


class LoadedFont:
    """One pinned font file: its raw tables, character map and advance widths.

    Parsed once per process (the CJK fallback has 49k glyphs); everything here is read-only,
    so one instance is shared by every render.
    """

    def __init__(self, spec: FontFile, data: bytes) -> None:
        self.spec = spec
        self.data = data
        font = TTFont(io.BytesIO(data), recalcTimestamp=False, recalcBBoxes=False, lazy=True)
        self.tables: dict[str, bytes] = {
            tag: font.reader[tag] for tag in list(font.reader.tables) if tag != "GlyphOrder"
        }
        self.units_per_em: int = font["head"].unitsPerEm
        self.cmap: dict[int, int] = {
            cp: font.getGlyphID(name) for cp, name in font.getBestCmap().items()
        }
        self.advances: tuple[int, ...] = _advances(self.tables)
        head, hhea, os2 = font["head"], font["hhea"], font["OS/2"]
        scale = 1000 / self.units_per_em
        cap = getattr(os2, "sCapHeight", 0) or hhea.ascent * 0.7
        self.metrics = FontMetrics(
            ascent=hhea.ascent * scale,
            descent=hhea.descent * scale,
            cap_height=cap * scale,
            bbox=(head.xMin * scale, head.yMin * scale, head.xMax * scale, head.yMax * scale),
            italic_angle=float(font["post"].italicAngle),
        )
        font.close()

    def glyph(self, char: str) -> int | None:
        return self.cmap.get(ord(char))

    def advance(self, gid: int) -> float:
        """Advance width of a glyph in 1/1000 em: the unit of PDF glyph widths."""
        return self.advances[gid] * 1000 / self.units_per_em


def _advances(tables: dict[str, bytes]) -> tuple[int, ...]:
    num_glyphs = struct.unpack(">H", tables["maxp"][4:6])[0]
    num_metrics = struct.unpack(">H", tables["hhea"][34:36])[0]
    hmtx = tables["hmtx"]
    widths = [struct.unpack(">H", hmtx[4 * i : 4 * i + 2])[0] for i in range(num_metrics)]
    return tuple(widths + [widths[-1]] * (num_glyphs - num_metrics))


_cache: dict[FontFile, LoadedFont] = {}
_lock = threading.Lock()


def load_font(spec: FontFile) -> LoadedFont:
    """The parsed font for ``spec``, after checking the vendored file against its pin."""
    with _lock:
        cached = _cache.get(spec)
        if cached is not None:
            return cached
        path = FONT_DIR / spec.filename
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise FontIntegrityError(f"vendored font {path} is unreadable: {exc}") from None
        digest = hashlib.sha256(data).hexdigest()
        if digest != spec.sha256:
            raise FontIntegrityError(
                f"vendored font {spec.filename} has SHA-256 {digest}, template pins {spec.sha256}"
            )
        loaded = LoadedFont(spec, data)
        _cache[spec] = loaded
        return loaded
