"""N RawNodes on a virtual clock and a virtual network, driven one step (clock unit) at a time.

The simulator plays the node daemon: it handles each Ready exactly as the contract says
(send the early messages, persist, then send the rest, then apply, then advance). Like the
daemon, whose fsync runs in a worker thread, a node may take several steps to persist a Ready
(``slow_disk``): meanwhile it keeps stepping messages and ticks but takes no new Ready, and a
crash loses the write while its early messages are already on the wire. "Durable" is what has
been stored from a Ready; a crash throws away the RawNode and everything in memory (including
an unfinished write), and a restart builds a new RawNode from the stored log and hard state.
The applied state machine is durable or not at random, so both restart modes
(``Config.applied`` set, or re-applying from scratch) are exercised.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from node.consensus import (
    Config,
    Entry,
    EntryType,
    MemoryStorage,
    Message,
    MessageType,
    NotLeader,
    RawNode,
    ReadState,
    Ready,
    Role,
)

from .invariants import Checker, chain_hash
from .network import LinkFaults, Network


@dataclass
class SimNode:
    id: str
    storage: MemoryStorage
    node: RawNode | None = None
    sm: list[Entry] = field(default_factory=list)  # applied entries, index i at sm[i-1]
    ph: list[int] = field(default_factory=lambda: [0])  # prefix hashes of the durable log
    tick_every: int = 5  # clock units per tick: nodes' clocks drift apart
    next_tick: int = 0
    restarts: int = 0
    log_version: int = 0  # bumped whenever the durable log changes
    checked: tuple[int, int, int] = (-1, -1, -1)  # what the checker last verified
    writing: Ready | None = None  # a Ready whose write has not finished yet
    write_done_at: int = 0

    @property
    def up(self) -> bool:
        return self.node is not None

    @property
    def raw(self) -> RawNode:
        assert self.node is not None, f"{self.id} is down"
        return self.node


class Cluster:
    def __init__(
        self,
        n: int,
        seed: int = 0,
        *,
        config: Config | None = None,
        faults: LinkFaults | None = None,
        drift: bool = True,
        storages: dict[str, MemoryStorage] | None = None,
        check: bool = True,
    ) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.ids = tuple(f"n{i}" for i in range(1, n + 1))
        base = config or Config(node_id=self.ids[0], peers=self.ids)
        self.base_config = replace(base, node_id=self.ids[0], peers=self.ids)
        self.net = Network(random.Random(self.rng.random()), faults)
        self.checker = Checker()
        self.checker.quorum = len(self.ids) // 2 + 1
        self.check = check
        self.time = 0
        self.crash_mid_ready = 0.0  # probability of crashing between persist and send
        # Probability that a Ready's write takes ``1..slow_disk_steps`` steps to finish.
        self.slow_disk = 0.0
        self.slow_disk_steps = 1
        self.durable_sm_rate = 0.5
        self.stats = {"crashes": 0, "proposals": 0, "reads": 0}
        self.read_log: list[tuple[str, ReadState]] = []  # (node, answer) in delivery order
        self.nodes: dict[str, SimNode] = {}
        for nid in self.ids:
            storage = (storages or {}).get(nid) or MemoryStorage()
            sn = SimNode(nid, storage)
            for i in range(1, storage.last_index() + 1):
                e = storage.entries(i, i + 1)[0]
                sn.ph.append(chain_hash(sn.ph[-1], e))
            if drift:
                sn.tick_every = self.rng.randint(4, 6)
            sn.next_tick = self.rng.randint(1, sn.tick_every)
            self.nodes[nid] = sn
            self.checker.on_hard_state(sn, storage.initial_state())
            self._start(sn, durable_sm=True)
        self._proposal_no = 0
        self._all = list(self.nodes.values())
        self.current_leader: str | None = None  # leader() as of the end of the last step

    # ---- node lifecycle ------------------------------------------------------------------

    def _start(self, sn: SimNode, durable_sm: bool) -> None:
        if not durable_sm:
            sn.sm = []
        cfg = replace(self.base_config, node_id=sn.id, applied=len(sn.sm))
        node_rng = random.Random(f"{self.seed}/{sn.id}/{sn.restarts}")
        sn.node = RawNode(cfg, sn.storage, rng=node_rng)
        sn.next_tick = self.time + self.rng.randint(1, sn.tick_every)

    def crash(self, nid: str) -> None:
        sn = self.nodes[nid]
        if sn.node is not None:
            sn.node = None
            sn.writing = None  # an unfinished write never reached the disk
            self.stats["crashes"] += 1

    def restart(self, nid: str, durable_sm: bool | None = None) -> None:
        sn = self.nodes[nid]
        if sn.node is not None:
            return
        sn.restarts += 1
        if durable_sm is None:
            durable_sm = self.rng.random() < self.durable_sm_rate
        self._start(sn, durable_sm)

    def live(self) -> list[SimNode]:
        return [sn for sn in self.nodes.values() if sn.node is not None]

    # ---- observation ---------------------------------------------------------------------

    def leaders(self) -> list[str]:
        return [sn.id for sn in self.live() if sn.raw.role is Role.LEADER]

    def leader(self) -> str | None:
        """The leader of the highest term among live leaders, if any."""
        best: tuple[int, str] | None = None
        for sn in self.live():
            if sn.raw.role is Role.LEADER and (best is None or sn.raw.term > best[0]):
                best = (sn.raw.term, sn.id)
        return best[1] if best else None

    def applied_data(self, nid: str) -> list[bytes]:
        return [e.data for e in self.nodes[nid].sm if e.type is EntryType.NORMAL]

    # ---- client actions ------------------------------------------------------------------

    def next_data(self) -> bytes:
        self._proposal_no += 1
        return f"s{self.seed}-p{self._proposal_no}".encode()

    def propose(self, nid: str, data: bytes | None = None, follow: bool = True) -> int | None:
        """Propose at ``nid`` (following one NotLeader redirect); the index, or None."""
        sn = self.nodes[nid]
        if sn.node is None:
            return None
        data = data if data is not None else self.next_data()
        try:
            index = sn.node.propose(data)
        except NotLeader as e:
            if follow and e.leader_id is not None and e.leader_id != nid:
                return self.propose(e.leader_id, data, follow=False)
            return None
        self.stats["proposals"] += 1
        return index

    def read(self, nid: str, ctx: bytes) -> bool:
        sn = self.nodes[nid]
        if sn.node is None:
            return False
        try:
            sn.node.read_index(ctx)
        except NotLeader:
            return False
        self.checker.on_read_request(sn, ctx)
        self.stats["reads"] += 1
        return True

    # ---- the step ------------------------------------------------------------------------

    def step(self) -> None:
        """Advance the clock one unit: due ticks, due deliveries, then every node's Ready."""
        self.time += 1
        now = self.checker.time = self.time
        on_role = self.checker.on_role
        for sn in self.nodes.values():
            node = sn.node
            if node is not None and sn.next_tick <= now:
                sn.next_tick = now + sn.tick_every
                node.tick()
                on_role(sn, node.raft.role, node.raft.term)
        nodes = self.nodes
        roundtrip = self.rng.random
        for m in self.net.due(now):
            sn = nodes[m.to]
            node = sn.node
            if node is None:
                continue
            if roundtrip() < 0.05:  # exercise the wire form on a sample of real traffic
                m2 = Message.from_dict(m.to_dict())
                assert m2 == m, (m, m2)
                m = m2
            node.step(m)
            on_role(sn, node.raft.role, node.raft.term)
        best = (-1, "")
        for sn in self.nodes.values():
            node = sn.node
            if node is not None:
                self.handle_ready(sn)
                if node.raft.role is Role.LEADER and node.raft.term > best[0]:
                    best = (node.raft.term, sn.id)
        self.current_leader = best[1] or None
        if self.check:
            self.checker.end_of_step(self.live())
            self.checker.check_unbeatable(self._all)

    def handle_ready(self, sn: SimNode) -> None:
        node = sn.raw
        if sn.writing is not None:
            if self.time < sn.write_done_at:
                return  # the disk is still busy: no new Ready until this one is advanced
            rd, sn.writing = sn.writing, None
            if not self._finish_ready(sn, rd):
                return
        while node.has_ready():
            rd = node.ready()
            for m in rd.early_messages:
                self.net.send(m, self.time)
            if rd.early_messages and self.crash_mid_ready and self.rng.random() < self.crash_mid_ready:
                self.crash(sn.id)  # sent the leader's entries, wrote nothing
                return
            if self.slow_disk and (rd.entries or rd.hard_state) and self.rng.random() < self.slow_disk:
                sn.writing = rd
                sn.write_done_at = self.time + self.rng.randint(1, self.slow_disk_steps)
                return
            if not self._finish_ready(sn, rd):
                return

    def _finish_ready(self, sn: SimNode, rd: Ready) -> bool:
        """Persist, send, apply and advance ``rd``; False if the node crashed on the way."""
        node = sn.raw
        checker = self.checker
        if rd.entries:
            sn.storage.append(rd.entries)
            checker.on_persist(sn, rd.entries)
        if self.crash_mid_ready and self.rng.random() < self.crash_mid_ready / 2:
            # Torn write: the contract allows entries to reach the disk before the hard
            # state, so a crash may keep the entries and lose the hard state.
            self.crash(sn.id)
            return False
        if rd.hard_state is not None:
            sn.storage.set_hard_state(rd.hard_state)
            checker.on_hard_state(sn, rd.hard_state)
        if self.crash_mid_ready and self.rng.random() < self.crash_mid_ready:
            self.crash(sn.id)  # persisted, but nothing sent or applied
            return False
        for m in rd.messages:
            if m.type is MessageType.VOTE_RESP and not m.reject:
                checker.on_vote_granted(sn, m.term, m.to)
            self.net.send(m, self.time)
        for e in rd.committed_entries:
            checker.on_apply(sn, e)
        for rs in rd.read_states:
            checker.on_read_state(sn, rs)
            self.read_log.append((sn.id, rs))
        node.advance(rd)
        return True

    def run(self, steps: int) -> None:
        for _ in range(steps):
            self.step()

    def run_until(self, cond: Callable[[], bool], max_steps: int = 2000) -> bool:
        for _ in range(max_steps):
            if cond():
                return True
            self.step()
        return cond()

    def wait_leader(self, max_steps: int = 2000) -> str:
        ok = self.run_until(lambda: self.stable_leader() is not None, max_steps)
        assert ok, f"no stable leader within {max_steps} steps: {self.describe()}"
        lead = self.stable_leader()
        assert lead is not None
        return lead

    def stable_leader(self) -> str | None:
        """A leader that every live node follows, in one term."""
        lead = self.leader()
        if lead is None:
            return None
        term = self.nodes[lead].raw.term
        for sn in self.live():
            if sn.raw.leader_id != lead or sn.raw.term != term:
                return None
        return lead

    def describe(self) -> str:
        parts = []
        for sn in self.nodes.values():
            if sn.node is None:
                parts.append(f"{sn.id}:down")
            else:
                st = sn.node.status()
                parts.append(
                    f"{sn.id}:{st['role']}/t{st['term']}/lead={st['leader_id']}"
                    f"/commit={st['commit']}/last={st['last_index']}"
                )
        return f"t={self.time} " + " ".join(parts)
