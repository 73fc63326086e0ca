"""Port bases for the clusters of tests/chaos, tests/fuzz and tests/security.

Every cluster of ours uses HTTP ``B+1..4``, p2p ``B+1001..1004`` and (chaos) proxy ``B+501..504``.
Bases are ``16000 + 10*j`` (j < 50): any two differ by less than 500, so no port of one cluster
can be a port of another, and all stay in 16001-17494. That is below Linux's ephemeral range
(32768-60999): an outgoing connection of any program on the machine can sit on an ephemeral port
for a moment, and a node that finds its port so taken fails to start (seen in CI with 55000+).
The suite's port map is in docs/reliability.md, section 6.

Checking that ports are free is not enough when several test runs share a machine: a cluster
whose node is down for a moment (the kill tests) has free ports, and another run would take
them. So a base is also *reserved* with an exclusive ``flock`` on a file in the temp directory,
held for the life of the test process (the kernel drops it when the process dies, so a crashed
run leaves nothing stale).
"""

from __future__ import annotations

import fcntl
import os
import random
import tempfile
from pathlib import Path
from typing import IO

from tests.node.helpers import port_free

OFFSETS = (*range(1, 5), *range(501, 505), *range(1001, 1005))
_LOCKS = Path(tempfile.gettempdir()) / "spkm-test-port-bases"
_held: dict[int, IO[bytes]] = {}


def _reserve(base: int) -> bool:
    _LOCKS.mkdir(exist_ok=True)
    f = open(_LOCKS / f"{base}.lock", "wb")  # noqa: SIM115 - kept open: the lock lives as long as it
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        f.close()
        return False
    _held[base] = f
    return True


def free_base() -> int:
    """A base no other test run holds, whose 12 ports are free now; reserved until we exit."""
    order = list(range(50))
    random.Random(os.getpid()).shuffle(order)
    for j in order:
        base = 16000 + 10 * j
        if base in _held:
            continue
        if all(port_free(base + o) for o in OFFSETS) and _reserve(base):
            if all(port_free(base + o) for o in OFFSETS):
                return base
            release(base)
    raise RuntimeError("no free port base in 16000-16490")


def release(base: int) -> None:
    f = _held.pop(base, None)
    if f is not None:
        f.close()
