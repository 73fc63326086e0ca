"""Turning text into positioned glyphs: font fallback, measuring, wrapping, shrinking to fit.

There is no shaping engine here, on purpose: every character is drawn as the one glyph its
font's cmap names, and widths are the fonts' own advance widths. That is exactly right for
the scripts whose characters never join, reorder or stack (Latin, Greek, Cyrillic, CJK,
kana), and wrong for the others (Tamil, Arabic, Devanagari...). So ``SIMPLE_SCRIPTS`` lists
what may be drawn, and any other character is refused before issuance rather than printed
wrongly on a national award.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Final, NamedTuple

from certificate.pdf.fontfiles import FontFile, LoadedFont, load_font

# Code point ranges drawn one glyph per character without shaping.
SIMPLE_SCRIPTS: Final[tuple[tuple[int, int], ...]] = (
    (0x0020, 0x007E),  # Basic Latin
    (0x00A0, 0x024F),  # Latin-1 Supplement, Latin Extended-A and -B
    (0x02B0, 0x02FF),  # spacing modifier letters (ʼ in Turkic and Austronesian names)
    (0x0370, 0x03FF),  # Greek
    (0x0400, 0x04FF),  # Cyrillic
    (0x1E00, 0x1EFF),  # Latin Extended Additional (Vietnamese)
    (0x2010, 0x2027),  # dashes, quotes, bullets, ellipsis
    (0x3005, 0x3007),  # 々 〆 〇
    (0x3040, 0x30FF),  # Hiragana, Katakana
    (0x3400, 0x4DBF),  # CJK Unified Ideographs Extension A
    (0x4E00, 0x9FFF),  # CJK Unified Ideographs
    (0xF900, 0xFAFF),  # CJK Compatibility Ideographs
)
_CJK: Final = ((0x3005, 0x3007), (0x3040, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))
_BREAK_AFTER: Final = frozenset("-/")


def _in(ranges: Sequence[tuple[int, int]], char: str) -> bool:
    cp = ord(char)
    return any(lo <= cp <= hi for lo, hi in ranges)


def is_simple_script(char: str) -> bool:
    """May ``char`` be drawn as one unshaped glyph? Marks and controls never may."""
    return _in(SIMPLE_SCRIPTS, char) and unicodedata.category(char)[0] not in "MC"


@dataclass(frozen=True)
class Glyph:
    font: str
    gid: int
    text: str
    advance: float  # in 1/1000 em
    # Glyphs are made once per character (see ``_Chooser``) and hashed on every fit (the
    # cache key), so the hash is computed once.
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_hash", hash((self.font, self.gid, self.text, self.advance)))

    def __hash__(self) -> int:
        return self._hash


class FontSet:
    """A template's fonts by role key, with the fallback fonts tried for missing characters.

    Fonts load on first use: the CJK fallback is large and most certificates never need it.
    Which glyph draws a character is decided once per process for each (fonts, character,
    primary font) and shared by every FontSet of the same fonts (see ``_Chooser``).
    """

    def __init__(self, specs: Mapping[str, FontFile], fallbacks: Sequence[str]) -> None:
        self.specs = dict(specs)
        self.fallbacks = tuple(fallbacks)
        self._chooser = _chooser(tuple(self.specs.items()), self.fallbacks)

    def font(self, key: str) -> LoadedFont:
        return load_font(self.specs[key])

    def _pick(self, char: str, primary: str) -> Glyph | None:
        return self._chooser.pick(char, primary)

    def missing(self, text: str, primary: str) -> list[str]:
        """Characters of ``text`` that no font of this set can draw, in order, once each."""
        if _run(self._chooser, text, primary) is not None:
            return []
        seen: list[str] = []
        for char in text:
            if char not in seen and self._pick(char, primary) is None:
                seen.append(char)
        return seen

    def glyphs(self, text: str, primary: str) -> list[Glyph]:
        run = _run(self._chooser, text, primary)
        if run is None:
            for char in text:
                if self._pick(char, primary) is None:
                    raise ValueError(f"no font draws {char!r}; check_renderable must run first")
        assert run is not None
        return list(run)


class _Chooser:
    """The glyph (or None) for each (character, primary font) of one set of fonts.

    Pure: the answer depends only on the pinned font files, so it is computed once and kept.
    Bounded by ``MAX_PICKS`` (emptied when full). Safe to share between threads: a dict get
    or set is atomic, and two threads racing on a miss store equal values.
    """

    MAX_PICKS: Final = 1 << 15

    def __init__(self, specs: tuple[tuple[str, FontFile], ...], fallbacks: tuple[str, ...]) -> None:
        self.specs = dict(specs)
        self.fallbacks = fallbacks
        self.picks: dict[tuple[str, str], Glyph | None] = {}

    def pick(self, char: str, primary: str) -> Glyph | None:
        key = (char, primary)
        try:
            return self.picks[key]
        except KeyError:
            pass
        glyph = self._choose(char, primary)
        if len(self.picks) >= self.MAX_PICKS:
            self.picks.clear()
        self.picks[key] = glyph
        return glyph

    def _choose(self, char: str, primary: str) -> Glyph | None:
        if not is_simple_script(char):
            return None
        for key in (primary, *self.fallbacks):
            font = load_font(self.specs[key])
            gid = font.glyph(char)
            if gid is not None:
                return Glyph(key, gid, char, font.advance(gid))
        return None


MAX_FONT_SETS: Final = 16
_choosers: dict[tuple[tuple[tuple[str, FontFile], ...], tuple[str, ...]], _Chooser] = {}


def _chooser(specs: tuple[tuple[str, FontFile], ...], fallbacks: tuple[str, ...]) -> _Chooser:
    """The one chooser of these fonts (one per template in practice; emptied when full)."""
    key = (specs, fallbacks)
    chooser = _choosers.get(key)
    if chooser is None:
        if len(_choosers) >= MAX_FONT_SETS:
            _choosers.clear()
        chooser = _choosers.setdefault(key, _Chooser(specs, fallbacks))
    return chooser


@lru_cache(maxsize=2048)
def _run(chooser: _Chooser, text: str, primary: str) -> tuple[Glyph, ...] | None:
    """The glyphs of ``text``, or None if a character has none. Wording repeats on every page."""
    out = []
    pick = chooser.pick
    for char in text:
        glyph = pick(char, primary)
        if glyph is None:
            return None
        out.append(glyph)
    return tuple(out)


def width(glyphs: Sequence[Glyph], size: float, tracking: float = 0.0) -> float:
    """Drawn width in points; tracking is added between glyphs, not after the last."""
    if not glyphs:
        return 0.0
    return sum(g.advance for g in glyphs) * size / 1000 + tracking * (len(glyphs) - 1)


class _Unit(NamedTuple):
    """A run of glyphs no line break may split (a word, one CJK character, or a space)."""

    glyphs: tuple[Glyph, ...]
    advance: float  # sum of the glyphs' advances, 1/1000 em
    space: bool


_LETTER, _SPACE, _CJK_CHAR, _BREAK = range(4)
CLASS_CACHE_SIZE: Final = 1 << 15
_classes: dict[str, int] = {}


def _char_class(text: str) -> int:
    cls = _classes.get(text)
    if cls is None:
        if text == " ":
            cls = _SPACE
        elif _in(_CJK, text):
            cls = _CJK_CHAR
        else:
            cls = _BREAK if text in _BREAK_AFTER else _LETTER
        if len(_classes) >= CLASS_CACHE_SIZE:
            _classes.clear()
        _classes[text] = cls
    return cls


def _units(glyphs: Sequence[Glyph]) -> list[_Unit]:
    units: list[_Unit] = []
    current: list[Glyph] = []
    for g in glyphs:
        cls = _char_class(g.text)
        if cls == _LETTER:
            current.append(g)
            continue
        if cls == _BREAK:
            current.append(g)
        if current:
            units.append(_Unit(tuple(current), sum(c.advance for c in current), False))
            current = []
        if cls == _SPACE:
            units.append(_Unit((g,), g.advance, True))
        elif cls == _CJK_CHAR:
            units.append(_Unit((g,), g.advance, False))
    if current:
        units.append(_Unit(tuple(current), sum(c.advance for c in current), False))
    return units


def _wrap_units(
    units: Sequence[_Unit], size: float, max_width: float, tracking: float, limit: int | None = None
) -> list[list[Glyph]]:
    """Greedy breaking in one pass; spaces at either end of a line are dropped.

    With ``limit``, stops as soon as there are more than ``limit`` lines (for callers that
    only compare the count). A line fits when ``advance * size / 1000 + tracking * (glyphs
    - 1) <= max_width``, evaluated in exactly this order: the chosen breaks, and so the
    bytes of released templates, depend on the rounding of these sums.
    """
    scale = size / 1000
    lines: list[list[Glyph]] = []
    line: list[Glyph] = []
    advance = 0.0  # of ``line``, which never ends with a space
    spaces: list[Glyph] = []  # spaces seen after the line's last word
    pending: float = 0  # their advance, summed as sum() would
    most = (1 << 62) if limit is None else limit

    for glyphs, unit_advance, space in units:
        if space:
            if line:
                spaces.append(glyphs[0])
                pending += glyphs[0].advance
            continue
        if line:
            total = advance + pending + unit_advance
            if total * scale + tracking * (len(line) + len(spaces) + len(glyphs) - 1) <= max_width:
                line += spaces
                line += glyphs
                advance = total
                spaces, pending = [], 0
                continue
            lines.append(line)
            if len(lines) > most:
                return lines
            line, advance = [], 0.0
        spaces, pending = [], 0
        if unit_advance * scale + tracking * (len(glyphs) - 1) <= max_width:
            line = list(glyphs)
            advance = unit_advance
            continue
        # a unit too wide for a line of its own: break it between characters
        for g in glyphs:
            if line and not (advance + g.advance) * scale + tracking * len(line) <= max_width:
                lines.append(line)
                if len(lines) > most:
                    return lines
                line, advance = [], 0.0
            line.append(g)
            advance += g.advance
    if line:
        lines.append(line)
    return lines


def wrap(glyphs: Sequence[Glyph], size: float, max_width: float, tracking: float = 0.0) -> list[list[Glyph]]:
    """Greedy line breaking at spaces, after hyphens and slashes, and between CJK characters.

    A unit wider than the line on its own is broken between characters, so nothing is ever
    wider than ``max_width``.
    """
    return _wrap_units(_units(glyphs), size, max_width, tracking)


@dataclass(frozen=True)
class Block:
    """A paragraph fitted into a box: its size and lines, ready to draw."""

    size: float
    lines: tuple[tuple[Glyph, ...], ...]
    tracking: float = 0.0

    def line_width(self, index: int) -> float:
        return self._widths[index]

    @cached_property
    def _widths(self) -> tuple[float, ...]:
        # blocks are shared through the fit cache, so each line is measured once
        return tuple(width(line, self.size, self.tracking) for line in self.lines)


def _balanced(units: Sequence[_Unit], size: float, max_width: float, tracking: float) -> list[list[Glyph]]:
    """Wrap into as few lines as greedy wrapping needs, but with lines of even length.

    Greedy wrapping fills the first lines and leaves a short last one ("MALAYSIAN ADVANCED
    SKILLS / DIPLOMA"); searching for the narrowest width that needs no more lines gives the
    balanced break a typesetter would choose ("MALAYSIAN ADVANCED / SKILLS DIPLOMA").
    """
    lines = _wrap_units(units, size, max_width, tracking)
    if len(lines) < 2:
        return lines
    lo, hi = max_width / len(lines) / 2, max_width
    for _ in range(14):
        mid = (lo + hi) / 2
        if len(_wrap_units(units, size, mid, tracking, len(lines))) <= len(lines):
            hi = mid
        else:
            lo = mid
    return _wrap_units(units, size, hi, tracking)


def _block(units: Sequence[_Unit], size: float, max_width: float, tracking: float) -> Block:
    lines = _balanced(units, size, max_width, tracking)
    return Block(size, tuple(tuple(x) for x in lines), tracking)


def fit(
    glyphs: Sequence[Glyph],
    *,
    max_width: float,
    max_size: float,
    min_size: float,
    max_lines: int,
    single_line_min: float | None = None,
    tracking: float = 0.0,
) -> Block:
    """The largest size at which the text fits, preferring fewer lines, lines balanced.

    One line is tried from ``max_size`` down to ``single_line_min``; then 2..``max_lines``
    lines from ``max_size`` down to ``min_size``. If even that fails the text keeps
    shrinking (in quarter points, to 4 pt): it may get small, it never leaves its box.
    Tracking scales with the size.

    A pure function of its arguments, so results are kept in a bounded LRU cache: the
    template's fixed wording is fitted once per process, not once per page.
    """
    return _fit(tuple(glyphs), max_width, max_size, min_size, max_lines, single_line_min, tracking)


@lru_cache(maxsize=1024)
def _fit(
    glyphs: tuple[Glyph, ...],
    max_width: float,
    max_size: float,
    min_size: float,
    max_lines: int,
    single_line_min: float | None,
    tracking: float,
) -> Block:
    units = _units(glyphs)
    steps = round((max_size - min_size) * 2)
    sizes = [max_size - i / 2 for i in range(steps + 1)]
    floor = max_size if single_line_min is None else single_line_min
    counts: dict[int, int] = {}  # lines needed at sizes[i] (more than max_lines: max_lines + 1)
    for allowed in range(1, max_lines + 1):
        for i, size in enumerate(sizes):
            if allowed == 1 and size < floor:
                break
            scaled = tracking * size / max_size
            count = counts.get(i)
            if count is None:
                count = counts[i] = len(_wrap_units(units, size, max_width, scaled, max_lines))
            if count <= allowed:
                return _block(units, size, max_width, scaled)
    size = min_size
    while size > 4:
        size -= 0.25
        scaled = tracking * size / max_size
        if len(_wrap_units(units, size, max_width, scaled, max_lines)) <= max_lines:
            return _block(units, size, max_width, scaled)
    lines = _wrap_units(units, size, max_width, 0.0)[:max_lines]
    return Block(size, tuple(tuple(x) for x in lines), 0.0)
