"""Port bases for the clusters of tests/chaos, tests/fuzz and tests/security.

Every cluster of ours uses HTTP ``B+1..4``, p2p ``B+1001..1004`` and (chaos) proxy ``B+501..504``.
Bases are ``55000 + 10*j``: any two differ by less than 500, so no port of one cluster can be a
port of another, and all stay in 55000-56504 (below 59999, as agreed for this suite). xdist
worker ``w`` starts at ``j = 12*w`` and a base whose ports are taken is skipped.
"""

from __future__ import annotations

import itertools
import os

from tests.node.helpers import port_free

_next = itertools.count()
OFFSETS = (*range(1, 5), *range(501, 505), *range(1001, 1005))


def _worker() -> int:
    digits = "".join(c for c in os.environ.get("PYTEST_XDIST_WORKER", "gw0") if c.isdigit())
    return int(digits) if digits else 0


def free_base() -> int:
    for _ in range(50):
        j = (12 * _worker() + next(_next)) % 50
        base = 55000 + 10 * j
        if all(port_free(base + o) for o in OFFSETS):
            return base
    raise RuntimeError("no free port base in 55000-55490")
