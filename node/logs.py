"""One structured line per event: ``ts level node term height logger msg``.

Operators grep and ship these lines; every line carries the node id and where the node was
(term, height) when it happened, so lines from four nodes can be merged and read in order.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable
from typing import Any


class _Formatter(logging.Formatter):
    def __init__(self, node_id: str, where: Callable[[], tuple[int, int]]) -> None:
        super().__init__()
        self.node_id = node_id
        self.where = where

    def format(self, record: logging.LogRecord) -> str:
        term, height = self.where()
        fields: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "node": self.node_id,
            "term": term,
            "height": height,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if record.exc_info:
            fields["exc"] = self.formatException(record.exc_info).splitlines()[-1]
        return json.dumps(fields, ensure_ascii=False)


def setup_logging(node_id: str, level: str, where: Callable[[], tuple[int, int]]) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Formatter(node_id, where))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
