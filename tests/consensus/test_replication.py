"""Log replication and commitment scenarios, including the paper's Figure 8."""

from __future__ import annotations

from node.consensus import EntryType, Message, MessageType, Role
from tests.sim.cluster import Cluster
from tests.sim.network import LinkFaults

from .helpers import ELECTION_UNITS, cluster, commit, config, log_of, storage


def test_basic_agreement_in_proposal_order() -> None:
    c = cluster(5, seed=11)
    datas = commit(c, 20)
    for sn in c.live():
        assert c.applied_data(sn.id) == datas
    assert len({tuple((e.index, e.term) for e in sn.sm) for sn in c.live()}) == 1


def test_follower_failure_and_catch_up() -> None:
    c = cluster(5, seed=12)
    lead = c.wait_leader()
    down = [i for i in c.ids if i != lead][:2]
    for nid in down:
        c.crash(nid)
    datas = commit(c, 10)  # three of five is still a quorum
    for nid in down:
        c.restart(nid)
    ok = c.run_until(lambda: all(c.applied_data(n) == datas for n in c.ids))
    assert ok, c.describe()


def test_leader_failure_keeps_committed_entries() -> None:
    c = cluster(5, seed=13)
    old = c.wait_leader()
    first = commit(c, 5)
    c.crash(old)
    new = c.wait_leader()
    assert new != old
    second = commit(c, 5)
    assert c.applied_data(new) == first + second
    c.restart(old)
    ok = c.run_until(lambda: c.applied_data(old) == first + second)
    assert ok, c.describe()


def test_partitioned_old_leader_rejoins_and_loses_its_uncommitted_tail() -> None:
    c = cluster(5, seed=14)
    old = c.wait_leader()
    committed = commit(c, 3)
    majority = [i for i in c.ids if i != old]
    c.net.isolate([[old], majority])
    doomed = [c.next_data() for _ in range(4)]
    for d in doomed:
        assert c.propose(old, d, follow=False) is not None  # appended, never committed
    ok = c.run_until(lambda: c.leader() not in (None, old) and c.leaders() != [old])
    assert ok, c.describe()
    new = c.leader()
    assert new is not None and new != old
    kept = [c.next_data() for _ in range(3)]
    for d in kept:
        c.propose(new, d, follow=False)
    assert c.run_until(lambda: all(d in c.applied_data(new) for d in kept))
    c.net.heal()
    ok = c.run_until(lambda: c.applied_data(old) == committed + kept and log_of(c, old) == log_of(c, new))
    assert ok, c.describe()
    for sn in c.live():
        assert not set(doomed) & set(c.applied_data(sn.id))
    assert c.nodes[old].raw.role is Role.FOLLOWER


def test_figure_8_previous_term_entry_is_not_committed_by_counting() -> None:
    """Raft paper Figure 8, (c) -> (d).

    S1 led term 2 and got entry 2 onto S2 only; S5 led term 3 and wrote a different entry 2
    (term 3) only locally. S1 now wins term 4 and copies its term-2 entry onto S3, so a
    majority (S1, S2, S3) stores it, while its own term-4 entry reaches nobody. Committing the
    term-2 entry now would be wrong: S5 can still win (its last term 3 beats 2) and overwrite
    it. The simulator's State Machine Safety check would fire if that happened.
    """
    s = {
        "n1": storage([(1, 1), (1, 2)], term=3, commit=1),
        "n2": storage([(1, 1), (1, 2)], term=3, commit=1),
        "n3": storage([(1, 1)], term=3, commit=1, vote="n5"),
        "n4": storage([(1, 1)], term=3, commit=1, vote="n5"),
        "n5": storage([(1, 1), (1, 3)], term=3, commit=1, vote="n5"),
    }
    c = Cluster(5, seed=15, config=config(5, max_entries_per_msg=1), storages=s)
    c.crash("n5")

    def term4_reaches_nobody(m: Message) -> bool:
        # S1's term-4 entry must not be stored anywhere else: deliver a message carrying it
        # only if the receiver will reject it anyway (it lacks the preceding entry).
        if m.type is MessageType.APP and any(e.term == 4 for e in m.entries):
            to = c.nodes[m.to]
            return to.up and to.raw.raft.log.last_index() < m.index
        return True

    c.net.filters.append(term4_reaches_nobody)
    c.nodes["n1"].raw.campaign()
    assert c.run_until(lambda: c.leader() == "n1", 200)
    assert c.nodes["n1"].raw.term == 4
    ok = c.run_until(lambda: all(c.nodes[n].storage.last_index() >= 2 for n in ("n3", "n4")), 500)
    assert ok, c.describe()
    c.run(3 * ELECTION_UNITS)
    assert log_of(c, "n3")[:2] == [(1, 1), (2, 2)]  # the term-2 entry is on a majority ...
    assert c.nodes["n1"].raw.raft.log.committed == 1  # ... and still not committed
    assert all(len(sn.sm) <= 1 for sn in c.live())

    # (d): S1 crashes, S5 returns and wins with its term-3 entry, overwriting entry 2.
    c.crash("n1")  # (the filter stays: S1's last messages are still in flight)
    for a in ("n2", "n3", "n4"):  # so that only S5 can gather a quorum
        for b in ("n2", "n3", "n4"):
            if a != b:
                c.net.cut(a, b)
    c.restart("n5")
    assert c.run_until(lambda: c.leader() == "n5", 20 * ELECTION_UNITS), c.describe()
    c.net.heal()
    commit(c, 2)
    c.restart("n1")
    assert c.run_until(lambda: log_of(c, "n1") == log_of(c, "n5"))
    assert all(sn.sm[1].term == 3 for sn in c.live())  # entry 2 everywhere is S5's


def test_whole_cluster_restart_keeps_everything_committed() -> None:
    c = cluster(5, seed=16)
    datas = commit(c, 15)
    for nid in c.ids:
        c.crash(nid)
    c.run(50)
    for i, nid in enumerate(c.ids):
        c.restart(nid, durable_sm=i % 2 == 0)  # half re-apply everything from the log
    c.wait_leader()
    more = commit(c, 3)
    for nid in c.ids:
        assert c.applied_data(nid) == datas + more


def test_fast_backoff_fixes_a_long_divergent_log_in_few_round_trips() -> None:
    # n1 will lead with terms 1,2,4,6; n4 holds 1100 conflicting entries of terms 3 and 5.
    good = [(100, 1), (300, 2), (300, 4), (100, 6)]
    bad = [(100, 1), (400, 3), (700, 5)]
    s = {
        "n1": storage(good, term=6, commit=100),
        "n2": storage(good, term=6, commit=100),
        "n3": storage(good, term=6, commit=100),
        "n4": storage(bad, term=5, commit=100),
        "n5": storage([(100, 1)], term=1, commit=100),
    }
    # Fixed latency: no reordering, so every rejection is part of the search for the match.
    c = Cluster(5, seed=17, config=config(5), storages=s, faults=LinkFaults(max_latency=1))
    rejects: list[Message] = []
    matched = False

    def count(m: Message) -> bool:
        nonlocal matched
        if m.type is MessageType.APP_RESP and m.frm == "n4" and not matched:
            if m.reject:
                rejects.append(m)
            else:
                matched = True
        return True

    c.net.filters.append(count)
    c.nodes["n1"].raw.campaign()
    assert c.run_until(lambda: c.leader() == "n1", 200)
    assert c.run_until(lambda: log_of(c, "n4") == log_of(c, "n1"), 2000), c.describe()
    # Divergent terms 5 and 3 against 6, 4 and 2: one round trip per term boundary (probes at
    # 800, 700, 400, then a match at 100), not one per entry (that would be ~700). A probe
    # may be re-sent (and re-rejected) when a heartbeat answer arrives first; count distinct.
    probes = sorted({m.index for m in rejects}, reverse=True)
    assert probes == [800, 700, 400], [(m.index, m.reject_hint, m.log_term) for m in rejects]
    assert log_of(c, "n4")[-1] == (801, 7)  # the new leader's no-op
    assert all(e.type is EntryType.NOOP or e.term != 5 for e in c.nodes["n4"].sm)
