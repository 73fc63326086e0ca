"""Fuzzing budgets: small in CI, as large as you like on demand.

    pytest tests/fuzz                                  # CI budget (FUZZ_EXAMPLES=150 per target)
    FUZZ_EXAMPLES=50000 pytest tests/fuzz -p no:randomly   # a long run
    FUZZ_API_EXAMPLES=500 pytest tests/fuzz/test_api.py    # the HTTP API (per operation)

Hypothesis keeps every failing example in ``.hypothesis/`` and replays it first next time.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "150"))
API_EXAMPLES = int(os.environ.get("FUZZ_API_EXAMPLES", "25"))

FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=False,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture])
