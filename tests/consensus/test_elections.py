"""Election scenarios: who leads, when, and who must not disturb them.

Every scenario runs on the simulator, whose safety checker runs after every step, so each
test also asserts Election Safety, Log Matching, Leader Completeness and State Machine Safety
throughout.
"""

from __future__ import annotations

import pytest

from node.consensus import NotLeader, Role

from .helpers import ELECTION_UNITS, cluster, commit, run_checking, terms


@pytest.mark.parametrize("n", [1, 3, 4, 5])
def test_initial_election_one_leader_stable_term(n: int) -> None:
    c = cluster(n, seed=n)
    lead = c.wait_leader()
    term = c.nodes[lead].raw.term
    run_checking(c, 10 * ELECTION_UNITS, lambda: c.leaders() == [lead])
    assert set(terms(c).values()) == {term}


def test_reelection_after_leader_loss() -> None:
    c = cluster(5, seed=2)
    old = c.wait_leader()
    old_term = c.nodes[old].raw.term
    c.crash(old)
    new = c.wait_leader()
    assert new != old
    assert c.nodes[new].raw.term > old_term
    c.restart(old)
    assert c.wait_leader() == new  # the old leader rejoins as a follower
    commit(c, 3)


def test_no_leader_without_quorum() -> None:
    c = cluster(5, seed=3)
    lead = c.wait_leader()
    others = [i for i in c.ids if i != lead]
    for nid in [lead, *others[:2]]:
        c.crash(nid)
    before = terms(c)
    run_checking(c, 20 * ELECTION_UNITS, lambda: c.leaders() == [])
    # PreVote: two nodes that cannot win never even raise their term.
    assert terms(c) == before
    with pytest.raises(NotLeader):
        c.nodes[others[2]].raw.propose(b"x")


def test_minority_leader_steps_down_by_check_quorum() -> None:
    c = cluster(5, seed=4)
    lead = c.wait_leader()
    for nid in c.ids:
        if nid != lead and len([s for s in c.live() if s.id != lead]) > 1:
            c.crash(nid)
    c.run(3 * ELECTION_UNITS)
    assert c.nodes[lead].raw.role is not Role.LEADER


def test_partitioned_follower_rejoins_without_disruption_thanks_to_prevote() -> None:
    c = cluster(5, seed=5)
    lead = c.wait_leader()
    term = c.nodes[lead].raw.term
    f = next(i for i in c.ids if i != lead)
    c.net.isolate([[f], [i for i in c.ids if i != f]])
    c.run(20 * ELECTION_UNITS)
    assert c.nodes[f].raw.term == term  # PreVote failed every time: term untouched
    assert c.leaders() == [lead]
    c.net.heal()
    run_checking(c, 10 * ELECTION_UNITS, lambda: c.leaders() == [lead])
    assert set(terms(c).values()) == {term}
    commit(c, 3)


def test_without_prevote_a_rejoining_follower_does_disrupt() -> None:
    """The contrast case: documents what PreVote buys us."""
    c = cluster(5, seed=5, pre_vote=False)
    lead = c.wait_leader()
    term = c.nodes[lead].raw.term
    f = next(i for i in c.ids if i != lead)
    c.net.isolate([[f], [i for i in c.ids if i != f]])
    c.run(20 * ELECTION_UNITS)
    assert c.nodes[f].raw.term > term
    c.net.heal()
    c.wait_leader()
    assert max(terms(c).values()) > term


def test_leader_that_can_send_but_not_receive_steps_down() -> None:
    c = cluster(5, seed=6)
    old = c.wait_leader()
    old_term = c.nodes[old].raw.term
    for nid in c.ids:
        if nid != old:
            c.net.cut(nid, old)  # everything towards the leader is lost
    ok = c.run_until(lambda: c.nodes[old].raw.role is not Role.LEADER, 3 * ELECTION_UNITS)
    assert ok, "CheckQuorum did not depose the deaf leader"
    ok = c.run_until(lambda: c.leader() not in (None, old), 10 * ELECTION_UNITS)
    assert ok, c.describe()
    new = c.leader()
    assert new is not None
    new_term = c.nodes[new].raw.term
    assert new_term > old_term
    # The deaf node keeps shouting (PreVote) but can never unseat the new leader.
    run_checking(c, 10 * ELECTION_UNITS, lambda: c.leaders() == [new])
    assert c.nodes[new].raw.term == new_term
    datas = [c.next_data() for _ in range(3)]
    for d in datas:
        c.propose(new, d)
    c.run_until(lambda: all(d in c.applied_data(new) for d in datas))
    assert all(d in c.applied_data(new) for d in datas)


def test_two_two_split_of_four_commits_nothing() -> None:
    c = cluster(4, seed=7)
    commit(c, 3)
    lead = c.leader()
    assert lead is not None
    peer = next(i for i in c.ids if i != lead)
    rest = [i for i in c.ids if i not in (lead, peer)]
    c.net.isolate([[lead, peer], rest])
    before = {sn.id: sn.raw.raft.log.committed for sn in c.live()}
    high = max(before.values())
    for _ in range(20 * ELECTION_UNITS):
        for nid in c.ids:
            c.propose(nid, follow=False)
        c.step()
        assert all(sn.raw.raft.log.committed <= high for sn in c.live()), c.describe()
    assert c.leaders() == []  # the old leader noticed it lost its quorum
    c.net.heal()
    commit(c, 3)


def test_campaign_on_single_node_elects_immediately() -> None:
    c = cluster(1)
    c.nodes["n1"].raw.campaign()
    c.step()
    assert c.leaders() == ["n1"]
    commit(c, 2)
