"""Run the benchmarks with the project's dependencies, whatever ``python`` was typed.

``python scripts/bench.py all`` on a fresh clone usually starts the system's interpreter, which
has none of the packages a node needs (plyvel, PyNaCl, aiohttp...) and not PySyncObj, the peer.
Then the script hands itself over to ``./dev bench``, which creates ``.venv/``, installs the
package with its ``bench`` extra (PySyncObj, py-spy) and Debian's ``wrk`` when it can, and runs
the script again with ``.venv``'s Python: the same first-run path as ``./dev cluster`` and
``./dev test``. An interpreter that already has everything is used as it is. ``.venv``'s own
Python is never handed over again, so a broken install ends with one line, not a loop; there
only a missing PySyncObj is tolerated (the ``peer`` benchmark says so and skips it, which is
how the test environment runs the smoke benchmarks).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
#: Imported by the node and the benchmarks beyond the standard library.
CORE = ("plyvel", "nacl", "aiohttp", "aiohttp_jinja2", "msgpack", "orjson", "pikepdf", "fontTools", "segno")
#: The ``bench`` extra.
PEER = ("pysyncobj",)


def missing(find: Callable[[str], Any] = importlib.util.find_spec) -> tuple[list[str], list[str]]:
    """(missing core modules, missing bench-extra modules)."""
    return [m for m in CORE if find(m) is None], [m for m in PEER if find(m) is None]


def in_project_venv(prefix: str = sys.prefix) -> bool:
    return Path(prefix).resolve() == VENV.resolve()


def decide(core_missing: list[str], peer_missing: list[str], in_venv: bool) -> str:
    """``run`` (go on here), ``dev`` (hand over to ./dev bench) or ``fail``."""
    if not core_missing and not peer_missing:
        return "run"
    if not in_venv:
        return "dev"
    return "fail" if core_missing else "run"


def ensure(argv: list[str]) -> None:
    """Return if this interpreter can run the benchmarks; otherwise exec ``./dev bench`` or
    exit with one line."""
    core, peer = missing()
    action = decide(core, peer, in_project_venv())
    if action == "dev":
        print(f"bench: {', '.join(core + peer)} not importable by {sys.executable}; "
              f"setting up {VENV} with ./dev bench", file=sys.stderr, flush=True)
        dev = str(ROOT / "dev")
        os.execv(dev, [dev, "bench", *argv])
    if action == "fail":
        sys.exit(f"bench: {', '.join(core)} missing from {VENV}; reinstall with ./dev bench (or "
                 f"{VENV}/bin/pip install -e '.[bench]')")
