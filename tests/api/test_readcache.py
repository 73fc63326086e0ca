"""The holders answer's caches (portal/readcache.py): answers bounded by bytes, per-block parts
computed once per height and evicted least recently used."""

from __future__ import annotations

from portal.readcache import AnswerCache, HeightCache


def test_height_cache_computes_each_height_once_and_evicts_the_least_recently_used() -> None:
    made: list[int] = []

    def make(height: int) -> str:
        made.append(height)
        return f"block {height}"

    cache = HeightCache(make, size=2)
    assert cache(1) == "block 1" and cache(2) == "block 2" and cache(1) == "block 1"
    assert made == [1, 2]
    cache(3)  # evicts 2: 1 was used more recently
    assert len(cache) == 2
    assert cache(1) == "block 1" and made == [1, 2, 3]
    cache(2)
    assert made == [1, 2, 3, 2]


def test_answer_cache_is_bounded_by_bytes_and_skips_huge_answers() -> None:
    cache = AnswerCache(max_bytes=10, max_item=6)
    cache.put("a", b"12345")
    cache.put("b", b"12345")
    assert cache.get("a") == b"12345"  # now the most recently used
    cache.put("c", b"1")
    assert cache.get("b") is None and cache.get("a") == b"12345" and cache.get("c") == b"1"
    cache.put("d", b"1234567")  # larger than one item may be
    assert cache.get("d") is None
