"""Seeded fault schedules: which faults a run injects, how often and for how long.

Rates are drawn per seed, so across many seeds the simulator visits both gentle and brutal
networks. Safety must hold under all of them; liveness is only demanded after ``heal_all``.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from .cluster import Cluster
from .network import LinkFaults

FAULT_KINDS = ("drop", "dup", "delay", "partition", "oneway", "crash")


def parse_faults(spec: str) -> tuple[str, ...]:
    if spec == "all":
        return FAULT_KINDS
    if spec in ("", "none"):
        return ()
    kinds = tuple(k.strip() for k in spec.split(","))
    unknown = [k for k in kinds if k not in FAULT_KINDS]
    if unknown:
        raise ValueError(f"unknown fault kinds {unknown}; choose from {', '.join(FAULT_KINDS)}")
    return kinds


class FaultInjector:
    def __init__(
        self,
        cluster: Cluster,
        kinds: tuple[str, ...],
        rng: random.Random,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.c = cluster
        self.rng = rng
        self.kinds = kinds
        self.log = log
        # Some seeds get a slow network whose latency rivals the election timeout: that is
        # where candidates overlap, votes arrive late and term handling gets stressed.
        f = LinkFaults(max_latency=rng.choice((1, 2, 4, 4, 10, 25, 50)))
        if "drop" in kinds:
            f.drop = rng.uniform(0.005, 0.2)
        if "dup" in kinds:
            f.dup = rng.uniform(0.005, 0.1)
        if "delay" in kinds:
            f.delay = rng.uniform(0.005, 0.1)
            f.max_extra_delay = rng.randint(10, 250)
        cluster.net.faults = f
        self.p_partition = rng.uniform(0.002, 0.012) if "partition" in kinds else 0.0
        self.p_oneway = rng.uniform(0.002, 0.012) if "oneway" in kinds else 0.0
        self.p_crash = rng.uniform(0.001, 0.008) if "crash" in kinds else 0.0
        if "crash" in kinds:
            cluster.crash_mid_ready = rng.uniform(0.0, 0.003)
        # Not a fault but how the daemon works: its fsync runs in a thread while the node
        # keeps taking messages, and its leader sends entries before its own write ends.
        cluster.slow_disk = rng.choice((0.0, 0.2, 0.5, 0.9))
        cluster.slow_disk_steps = rng.choice((1, 3, 10))
        self.max_fault_time = rng.choice((100, 300, 600))
        self.partition: set[tuple[str, str]] = set()
        self.partition_until = 0
        self.oneway: set[tuple[str, str]] = set()
        self.oneway_until = 0
        self.restart_at: dict[str, int] = {}
        # Hunting fresh leaders (crash them a few steps after they win) leaves half-replicated
        # tails from many terms behind: the raw material of the Figure 8 class of bugs.
        self.p_hunt = rng.uniform(0.3, 0.9) if "crash" in kinds else 0.0
        self.seen_leader: tuple[str, int] | None = None
        self.hunt: tuple[str, int] | None = None

    def _note(self, what: str) -> None:
        if self.log is not None:
            self.log(f"t={self.c.time} {what}")

    def step(self) -> None:
        c, rng, now = self.c, self.rng, self.c.time
        ids = list(c.ids)
        changed = False
        if self.partition_until and now >= self.partition_until:
            self.partition, self.partition_until, changed = set(), 0, True
            self._note("partition healed")
        if self.oneway_until and now >= self.oneway_until:
            self.oneway, self.oneway_until, changed = set(), 0, True
            self._note("one-way links healed")
        if not self.partition_until and self.p_partition and rng.random() < self.p_partition:
            rng.shuffle(ids)
            cut = rng.randint(1, len(ids) - 1)
            lead = c.current_leader
            if lead is not None and rng.random() < 0.6:
                # Strand the leader (with its freshest, half-replicated entries) in the minority.
                ids.remove(lead)
                ids.insert(0, lead)
                cut = rng.randint(1, (len(ids) - 1) // 2)
            groups = [ids[:cut], ids[cut:]]
            if len(ids) >= 5 and rng.random() < 0.3:  # sometimes three islands
                groups = [ids[:1], ids[1:cut] or ids[cut : cut + 1], ids[cut:]]
            self.partition = {
                (a, b) for g in groups for h in groups if g is not h for a in g for b in h
            }
            self.partition_until = now + rng.randint(20, self.max_fault_time)
            changed = True
            self._note(f"partition {groups}")
        if not self.oneway_until and self.p_oneway and rng.random() < self.p_oneway:
            lead = c.current_leader
            x = lead if lead is not None and rng.random() < 0.5 else rng.choice(ids)
            mode = rng.choice(("inbound", "outbound", "random"))
            if mode == "inbound":
                links = {(o, x) for o in ids if o != x}
            elif mode == "outbound":
                links = {(x, o) for o in ids if o != x}
            else:
                links = {(a, b) for a in ids for b in ids if a != b and rng.random() < 0.3}
            self.oneway = links
            self.oneway_until = now + rng.randint(20, self.max_fault_time)
            changed = True
            self._note(f"one-way cut {mode} {x}: {sorted(links)}")
        if changed:
            c.net.blocked = self.partition | self.oneway
        for sn in c.nodes.values():
            if not sn.up and sn.id not in self.restart_at:  # crashed inside a Ready
                self.restart_at[sn.id] = now + rng.randint(5, 400)
        for nid, at in list(self.restart_at.items()):
            if now >= at:
                del self.restart_at[nid]
                c.restart(nid)
                self._note(f"restart {nid}")
        lead = c.current_leader
        if lead is not None and self.p_hunt and c.nodes[lead].up:
            current = (lead, c.nodes[lead].raw.term)
            if current != self.seen_leader:
                self.seen_leader = current
                if rng.random() < self.p_hunt:
                    self.hunt = (lead, now + rng.randint(1, 25))
        if self.hunt is not None and now >= self.hunt[1]:
            nid = self.hunt[0]
            self.hunt = None
            if c.nodes[nid].up:
                c.crash(nid)
                self.restart_at[nid] = now + rng.randint(5, self.max_fault_time)
                self._note(f"crash fresh leader {nid}")
        if self.p_crash and rng.random() < self.p_crash:
            up = [sn.id for sn in c.live()]
            lead = c.current_leader
            if up:
                nid = lead if lead is not None and rng.random() < 0.5 else rng.choice(up)
                c.crash(nid)
                self.restart_at[nid] = now + rng.randint(5, self.max_fault_time)
                self._note(f"crash {nid}")

    def heal_all(self) -> None:
        """End every fault: links up, no loss, every node restarted."""
        c = self.c
        c.net.faults = LinkFaults(max_latency=min(c.net.faults.max_latency, 4))
        c.net.blocked = set()
        self.partition, self.oneway = set(), set()
        self.partition_until = self.oneway_until = 0
        self.p_partition = self.p_oneway = self.p_crash = 0.0
        c.crash_mid_ready = 0.0
        for nid in c.ids:
            if not c.nodes[nid].up:
                c.restart(nid)
        self.restart_at.clear()
        self._note("healed everything")
