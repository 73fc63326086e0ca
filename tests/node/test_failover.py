"""Leader failure with real processes: SIGKILL the leader, keep issuing, bring it back."""

from __future__ import annotations

import time

import pytest

from tests.node.helpers import NAMES, ClusterHandle

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(180)]


def test_killed_leader_is_replaced_and_catches_up_after_restart(cluster: ClusterHandle) -> None:
    c = cluster
    before = c.issue(5, via=c.follower())
    old = c.leader()
    c.kill(old)
    assert not c.alive(old)
    rest = [n for n in NAMES if n != old]
    t0 = time.monotonic()
    new = c.leader(among=rest, timeout=20)
    elected_in = time.monotonic() - t0
    assert new != old
    assert elected_in < 15, f"a new leader took {elected_in:.1f} s"
    # Issuing continues, through the new leader and through a follower of it.
    during = c.issue(5, via=new) + c.issue(5, via=next(n for n in rest if n != new))
    height, head = c.same_head(rest, min_height=max(x.height for x in during))

    c.restart(old)
    height2, head2 = c.same_head(min_height=height, timeout=40)
    assert (height2, head2) == (height, head), "the restarted node must reach exactly the others' head"
    st = c.status(old)
    assert st is not None and st["leader_id"] == new and st["role"] == "follower"
    for cert in before + during:
        got = c.cert(old, cert.cert_no)
        assert got.status == 200, got.body
        assert got.body["block"] == {"height": cert.height, "hash": cert.block_hash}
    # and the whole cluster, old leader included, keeps accepting work
    after = c.issue(3, via=old)
    c.same_head(min_height=after[-1].height)
