"""A follower's forwards: what arrives in one loop turn goes to the leader as one message, and
every client still gets exactly its own answers (or the failure)."""

from __future__ import annotations

import asyncio

import pytest

from node.engine_types import TxResult
from node.forwarding import ForwardBatcher


class FakeLeader:
    """Stands in for the p2p round trip to the leader: records each message it was sent."""

    def __init__(self, fail: Exception | None = None) -> None:
        self.messages: list[list[bytes]] = []
        self.fail = fail

    async def send(self, raws: list[bytes]) -> list[TxResult]:
        self.messages.append(list(raws))
        await asyncio.sleep(0.01)
        if self.fail is not None:
            raise self.fail
        return [TxResult(202, raw.decode()) for raw in raws]


def raws(prefix: str, n: int) -> list[bytes]:
    return [f"{prefix}{i}".encode() for i in range(n)]


async def test_forwards_of_one_turn_travel_together_and_answers_are_not_mixed() -> None:
    leader = FakeLeader()
    fb = ForwardBatcher(leader.send, max_items=250, max_bytes=1 << 20)
    asks = {name: raws(name, n) for name, n in (("a", 1), ("b", 3), ("c", 1), ("d", 2))}
    answers = await asyncio.gather(*(fb.forward(r) for r in asks.values()))
    assert len(leader.messages) == 1 and len(leader.messages[0]) == 7
    for r, got in zip(asks.values(), answers, strict=True):
        assert [a.tx_id for a in got] == [x.decode() for x in r]


async def test_a_lone_forward_leaves_in_its_own_turn() -> None:
    leader = FakeLeader()
    fb = ForwardBatcher(leader.send, max_items=250, max_bytes=1 << 20)
    assert [a.tx_id for a in await fb.forward([b"x"])] == ["x"]
    assert [a.tx_id for a in await fb.forward([b"y"])] == ["y"]
    assert leader.messages == [[b"x"], [b"y"]]


async def test_limits_split_a_turn_into_several_messages_without_splitting_a_caller() -> None:
    leader = FakeLeader()
    fb = ForwardBatcher(leader.send, max_items=4, max_bytes=1 << 20)
    asks = [raws("a", 3), raws("b", 3), raws("c", 1), raws("d", 4)]
    answers = await asyncio.gather(*(fb.forward(r) for r in asks))
    assert [len(m) for m in leader.messages] == [3, 4, 4]
    for r, got in zip(asks, answers, strict=True):
        assert [a.tx_id for a in got] == [x.decode() for x in r]
    fb_bytes = ForwardBatcher(leader.send, max_items=250, max_bytes=10)
    leader.messages.clear()
    await asyncio.gather(fb_bytes.forward([b"123456"]), fb_bytes.forward([b"123456"]))
    assert leader.messages == [[b"123456"], [b"123456"]]


async def test_a_failed_message_fails_every_caller_in_it() -> None:
    leader = FakeLeader(fail=RuntimeError("leader gone"))
    fb = ForwardBatcher(leader.send, max_items=250, max_bytes=1 << 20)
    results = await asyncio.gather(fb.forward([b"a"]), fb.forward([b"b"]), return_exceptions=True)
    assert all(isinstance(r, RuntimeError) for r in results)


async def test_a_caller_that_gives_up_does_not_disturb_the_others() -> None:
    leader = FakeLeader()
    fb = ForwardBatcher(leader.send, max_items=250, max_bytes=1 << 20)
    gone = asyncio.ensure_future(fb.forward([b"a"]))
    kept = asyncio.ensure_future(fb.forward([b"b"]))
    await asyncio.sleep(0)
    gone.cancel()
    assert [a.tx_id for a in await kept] == ["b"]
    with pytest.raises(asyncio.CancelledError):
        await gone
