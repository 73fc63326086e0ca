"""A small Prometheus registry: counters, gauges and latency histograms in text format.

Hand-written because the node needs a dozen series and nothing of a client library's
process-global registry (several nodes run in one test process).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

HELP = {
    "raft_term": ("gauge", "Current Raft term"),
    "raft_is_leader": ("gauge", "1 if this node is the Raft leader"),
    "chain_height": ("gauge", "Height of the last applied block"),
    "p2p_peers_connected": ("gauge", "Peers with an authenticated connection"),
    "blocks_applied_total": ("counter", "Blocks applied to the state"),
    "blocks_proposed_total": ("counter", "Blocks proposed by this node as leader"),
    "blocks_skipped_total": ("counter", "Committed entries skipped because they did not extend the chain"),
    "txs_applied_total": ("counter", "Transactions applied to the state"),
    "txs_submitted_total": ("counter", "Transactions received from clients"),
    "txs_rejected_total": ("counter", "Transactions refused at admission"),
    "p2p_bad_messages_total": ("counter", "Malformed or misattributed peer messages dropped"),
    "raft_lost_log_handovers_total": ("counter", "Times this node found its raft log shorter than the leader "
                                                 "knew (wiped data) and asked for a new leader"),
    "http_requests_total": ("counter", "HTTP requests served"),
    "http_rate_limited_total": ("counter", "HTTP requests refused by a rate limit"),
    "block_commit_seconds": ("histogram", "Time from block proposal to its application on the leader"),
    "tx_commit_seconds": ("histogram", "Time from a client's submission to commit, as seen by the client's node"),
    "storage_compaction_seconds_total": ("counter", "Seconds LevelDB spent compacting since the node started"),
    "storage_level0_files": ("gauge", "LevelDB level-0 files (reads slow down as they pile up; writes stall at 12)"),
    "storage_compaction_pending": ("gauge", "1 if a LevelDB level is over its size: a background compaction "
                                            "is running or due"),
    "storage_sync_seconds": ("histogram", "Time to persist one Raft Ready batch with fsync"),
}


@dataclass
class _Histogram:
    counts: list[int] = field(default_factory=lambda: [0] * (len(BUCKETS) + 1))
    total: float = 0.0
    n: int = 0

    def observe(self, v: float) -> None:
        self.counts[bisect.bisect_left(BUCKETS, v)] += 1
        self.total += v
        self.n += 1


class Metrics:
    def __init__(self, prefix: str = "spkm_") -> None:
        self.prefix = prefix
        self.values: dict[str, float] = {}
        self.hists: dict[str, _Histogram] = {}

    def inc(self, name: str, by: float = 1) -> None:
        self.values[name] = self.values.get(name, 0) + by

    def set(self, name: str, value: float) -> None:
        self.values[name] = value

    def observe(self, name: str, value: float) -> None:
        self.hists.setdefault(name, _Histogram()).observe(value)

    def render(self) -> str:
        lines = []
        for name in sorted(set(self.values) | set(HELP)):
            kind, text = HELP.get(name, ("gauge", name))
            if kind == "histogram":
                continue
            full = self.prefix + name
            lines += [f"# HELP {full} {text}", f"# TYPE {full} {kind}", f"{full} {self.values.get(name, 0):g}"]
        for name in sorted(n for n, (k, _) in HELP.items() if k == "histogram"):
            h = self.hists.get(name, _Histogram())
            full = self.prefix + name
            lines += [f"# HELP {full} {HELP[name][1]}", f"# TYPE {full} histogram"]
            acc = 0
            for b, c in zip(BUCKETS, h.counts, strict=False):
                acc += c
                lines.append(f'{full}_bucket{{le="{b:g}"}} {acc}')
            lines.append(f'{full}_bucket{{le="+Inf"}} {h.n}')
            lines += [f"{full}_sum {h.total:.6f}", f"{full}_count {h.n}"]
        return "\n".join(lines) + "\n"


def parse_text(text: str) -> dict[str, float]:
    """``render``'s output read back, one value per series name (labels included): what a
    scraper sees, for the benchmarks and tests that read a node's /metrics."""
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            out[name] = float(value)
    return out
