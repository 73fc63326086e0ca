"""Per-process wall-clock jumps for chaos runs, without root and without touching other processes.

``scripts/chaos.py`` starts node processes with this directory on ``PYTHONPATH`` and
``SPKM_CHAOS_CLOCK=1``. Python imports ``sitecustomize`` at start-up, so in those processes only,
``time.time``/``time.time_ns`` return the real time plus the offset (seconds, a float) written
in ``<node dir>/clock_offset`` next to the node's ``node.toml`` (re-read at most every 0.2 s).
Monotonic clocks are left alone: an NTP step moves the wall clock, never ``CLOCK_MONOTONIC``,
so asyncio timers, Raft ticks and timeouts behave as on a real machine whose clock jumped.
Any other process (``cluster.py``, ``verify-chain``) is untouched.
"""

from __future__ import annotations

import os
import time as _time


def _install() -> None:
    if os.environ.get("SPKM_CHAOS_CLOCK") != "1":
        return
    try:
        args = open("/proc/self/cmdline", "rb").read().split(b"\0")  # noqa: SIM115
    except OSError:
        return
    if b"node" not in args or b"--config" not in args:
        return
    cfg = args[args.index(b"--config") + 1].decode(errors="replace") if args.index(b"--config") + 1 < len(args) else ""
    offset_file = os.path.join(os.path.dirname(os.path.abspath(cfg)), "clock_offset")
    real_time, real_time_ns, mono = _time.time, _time.time_ns, _time.monotonic
    state = {"offset": 0.0, "checked": -1.0}

    def offset() -> float:
        now = mono()
        if now - state["checked"] >= 0.2:
            state["checked"] = now
            try:
                with open(offset_file) as f:
                    state["offset"] = float(f.read().strip() or 0.0)
            except (OSError, ValueError):
                state["offset"] = 0.0
        return state["offset"]

    def fake_time() -> float:
        return real_time() + offset()

    def fake_time_ns() -> int:
        return real_time_ns() + int(offset() * 1e9)

    _time.time = fake_time
    _time.time_ns = fake_time_ns


_install()
