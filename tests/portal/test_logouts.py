"""The list of ended logins: refused until expiry, kept across restarts, bounded."""

from __future__ import annotations

from pathlib import Path

from portal.logouts import LogoutList


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_a_listed_sid_is_refused_until_its_login_would_have_expired(tmp_path: Path) -> None:
    clock = Clock()
    logouts = LogoutList(tmp_path / "l", clock=clock)
    logouts.add("abc", clock.now + 60)
    assert "abc" in logouts and "other" not in logouts and 5 not in logouts
    clock.now += 61
    assert "abc" not in logouts


def test_a_restarted_node_still_refuses_ended_logins(tmp_path: Path) -> None:
    clock = Clock()
    path = tmp_path / "l"
    first = LogoutList(path, clock=clock)
    first.add("abc", clock.now + 60)
    first.add("old", clock.now + 1)
    with open(path, "a") as f:
        f.write('["torn", 12')  # a crash in the middle of an append
    clock.now += 2
    second = LogoutList(path, clock=clock)
    assert "abc" in second and "old" not in second and len(second) == 1
    assert "torn" not in path.read_text()  # compacted on load


def test_the_list_is_bounded_and_forgets_the_soonest_expiring_first(tmp_path: Path) -> None:
    clock = Clock()
    logouts = LogoutList(tmp_path / "l", max_entries=3, clock=clock)
    for i in range(5):
        logouts.add(f"s{i}", clock.now + 100 + i)
    assert len(logouts) == 3
    assert "s0" not in logouts and "s1" not in logouts and "s4" in logouts
    assert len(LogoutList(tmp_path / "l", max_entries=3, clock=clock)) == 3


def test_the_file_is_compacted_instead_of_growing_forever(tmp_path: Path) -> None:
    clock = Clock()
    path = tmp_path / "l"
    logouts = LogoutList(path, clock=clock)
    for i in range(3000):
        logouts.add(f"s{i}", clock.now + 10)
        clock.now += 0.01 if i % 1000 else 20
    assert len(path.read_text().splitlines()) < 2 * 1000 + 1002
