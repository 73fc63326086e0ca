"""Small drivers shared by the scenario tests (the simulator's Cluster does the real work)."""

from __future__ import annotations

from collections.abc import Callable

from node.consensus import Config, Entry, EntryType, HardState, MemoryStorage, Role
from tests.sim.cluster import Cluster

# Nodes tick every 4-6 clock units; with election_tick=10 a follower times out after 40-120.
ELECTION_UNITS = 120


def config(n: int, **kw: object) -> Config:
    ids = tuple(f"n{i}" for i in range(1, n + 1))
    return Config(node_id=ids[0], peers=ids, **kw)  # type: ignore[arg-type]


def cluster(n: int, seed: int = 1, **kw: object) -> Cluster:
    return Cluster(n, seed, config=config(n, **kw))


def commit(c: Cluster, count: int = 5, max_steps: int = 2000) -> list[bytes]:
    """Propose ``count`` entries at the leader and wait until every live node applied them."""
    lead = c.wait_leader()
    datas = [c.next_data() for _ in range(count)]
    for d in datas:
        assert c.propose(lead, d, follow=False) is not None
    ok = c.run_until(
        lambda: all(set(datas) <= set(c.applied_data(sn.id)) for sn in c.live()), max_steps
    )
    assert ok, f"proposals not applied everywhere: {c.describe()}"
    return datas


def terms(c: Cluster) -> dict[str, int]:
    return {sn.id: sn.raw.term for sn in c.live()}


def log_of(c: Cluster, nid: str) -> list[tuple[int, int]]:
    st = c.nodes[nid].storage
    return [(e.index, e.term) for e in st.entries(1, st.last_index() + 1)] if st.last_index() else []


def run_checking(c: Cluster, steps: int, check: Callable[[], bool]) -> None:
    """Run ``steps`` steps asserting ``check()`` after each one."""
    for _ in range(steps):
        c.step()
        assert check(), c.describe()


def entries(spec: list[tuple[int, int]], first: int = 1) -> list[Entry]:
    """``[(count, term), ...]`` -> consecutive entries starting at ``first``."""
    out: list[Entry] = []
    index = first
    for count, term in spec:
        for _ in range(count):
            out.append(Entry(term, index, EntryType.NORMAL, f"{term}/{index}".encode()))
            index += 1
    return out


def storage(
    spec: list[tuple[int, int]], term: int, commit: int, vote: str | None = None
) -> MemoryStorage:
    return MemoryStorage(entries(spec), HardState(term=term, vote=vote, commit=commit))


def is_leader(c: Cluster, nid: str) -> bool:
    sn = c.nodes[nid]
    return sn.up and sn.raw.role is Role.LEADER
