"""py-spy profiles of running nodes, taken during a benchmark's load, and their top entries.

``Profiler`` records a process with ``py-spy record -f raw`` (collapsed stacks) for the length
of a ``with`` block; ``summarize`` folds those stacks by function and returns the top entries by
self time (the frame on top of the stack) and by inclusive time (anywhere on the stack), in % of
samples. The raw files stay in ``bench/results/`` for flamegraphs.
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

from scripts.bench_common import PRINTED, PY, Dirs, log

_FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^():]+)(?::\d+)?\)$")
#: Frames on every stack (interpreter start, the event loop running callbacks): not findings.
_PLUMBING = ("<frozen runpy>", "asyncio/runners.py", "asyncio/base_events.py", "asyncio/events.py:Handle._run",
             "node/__main__.py:", "node/daemon.py:serve", "threading.py:")


def py_spy() -> str | None:
    found = shutil.which("py-spy")
    if found:
        return found
    beside = Path(PY).parent / "py-spy"
    return str(beside) if beside.exists() else None


class Profiler:
    """``with Profiler(pid, "commit-leader"):`` records ``pid`` until the block ends."""

    def __init__(self, pid: int, name: str, rate: int = 100, *, idle: bool = False) -> None:
        """``idle`` keeps samples of waiting threads too: where the wall-clock time goes."""
        self.pid, self.name, self.rate, self.idle = pid, name, rate, idle
        self.out = Dirs.results / f"profile-{name}.txt"
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Profiler:
        exe = py_spy()
        if exe is None:
            log("py-spy is not installed (.venv/bin/pip install py-spy): no profile")
            return self
        Dirs.results.mkdir(parents=True, exist_ok=True)
        self.out.unlink(missing_ok=True)
        self.proc = subprocess.Popen([exe, "record", "--pid", str(self.pid), "-r", str(self.rate), "-f", "raw",
                                      "--nonblocking", *(["--idle"] if self.idle else []), "-o", str(self.out)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGINT)  # py-spy writes its output on Ctrl-C
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def summary(self, top: int = 12) -> dict[str, Any]:
        return summarize(self.out, top) if self.out.exists() else {}


def _name(frame: str) -> str:
    m = _FRAME.match(frame.strip())
    if not m:
        return frame.strip()
    path = m.group("file")
    for marker in ("/site-packages/", "/lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    else:
        for root in ("node/", "portal/", "certificate/", "scripts/"):
            i = path.find("/" + root)
            if i >= 0:
                path = path[i + 1 :]
                break
    return f"{path}:{m.group('func')}"


def summarize(raw: Path, top: int = 12) -> dict[str, Any]:
    """Top functions by self and inclusive % of samples in a ``py-spy -f raw`` file."""
    own: Counter[str] = Counter()
    incl: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [_name(f) for f in stack.split(";") if f]
        if not frames:
            continue
        total += n
        own[frames[-1]] += n
        for f in set(frames):
            incl[f] += n
    if not total:
        return {"samples": 0, "self": [], "inclusive": []}
    return {"samples": total,
            "self": [(f, round(100 * c / total, 1)) for f, c in own.most_common(top)],
            "inclusive": [(f, round(100 * c / total, 1)) for f, c in incl.most_common()
                          if not f.startswith(_PLUMBING)][:top]}


def print_summary(name: str, s: dict[str, Any]) -> list[str]:
    if not s or not s.get("samples"):
        return []
    lines = [f"== profile {name}: {s['samples']} samples", "  self %   function"]
    lines += [f"  {p:6.1f}   {f}" for f, p in s["self"]]
    lines += ["  incl %   function"] + [f"  {p:6.1f}   {f}" for f, p in s["inclusive"]]
    print("\n" + "\n".join(lines), flush=True)
    PRINTED.append(lines)
    return lines
