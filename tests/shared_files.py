"""Where the department's shared files are: ``../shared`` beside the clone (the layout the
README describes), else ``/work/shared`` (this project's build machines), so a clone made
anywhere on such a machine still finds them. Tests of optional data skip without them; the W3C
vectors are required, and their tests fail naming the path."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CANDIDATES = (ROOT.parent / "shared", Path("/work/shared"))


def shared(relative: str) -> Path:
    for base in CANDIDATES:
        if (base / relative).exists():
            return base / relative
    return CANDIDATES[0] / relative
