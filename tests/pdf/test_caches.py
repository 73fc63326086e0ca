"""The renderer's caches change nothing but speed: cold, warm or shared by threads, same bytes."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from certificate.pdf import caches, render_certificate
from certificate.pdf.numformat import _format, fmt
from tests.pdf.conftest import issued, rendered
from tests.pdf.factory import BASE_URL, issue_one

CASES = [("SKM", 3, "ms"), ("SKM", 3, "en"), ("DKM", 4, "ms"), ("DLKM", 5, "en"), ("PC", 3, "ms")]


def _render(kind: str, level: int, lang: str) -> bytes:
    c = issued(kind, level)
    return render_certificate(c.record, c.proof, lang="ms" if lang == "ms" else "en", base_url=BASE_URL)


def test_cold_and_warm_renders_are_identical() -> None:
    for case in CASES:
        caches.clear()
        cold = _render(*case)
        warm = _render(*case)
        assert cold == warm == rendered(*case)
    caches.clear()
    assert [_render(*case) for case in reversed(CASES)] == [rendered(*case) for case in reversed(CASES)]


def test_renders_in_threads_equal_renders_in_sequence() -> None:
    caches.clear()
    jobs = CASES * 4
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda case: _render(*case), jobs))
    assert results == [rendered(*case) for case in jobs]


def test_every_cache_is_bounded() -> None:
    assert set(caches.BOUNDS) == set(caches.sizes())
    assert all(0 < bound <= 1 << 16 for bound in caches.BOUNDS.values())
    names = ["LIM", "TAN", "WONG", "ALI", "ΑΛΈΞΑΝΔΡΟΣ", "陈伟明"]
    for i in range(40):
        cert = issue_one("SKM", 1 + i % 3, seed=f"bound{i}", holder_name=f"{names[i % 6]} {names[(i // 6) % 6]}")
        render_certificate(cert.record, cert.proof, lang="en", base_url=f"https://n{i}.example.my")
    for i in range(70_000):
        fmt(i / 7)
    sizes = caches.sizes()
    for name, bound in caches.BOUNDS.items():
        assert sizes[name] <= bound, name


def test_cached_number_text_equals_the_formula() -> None:
    caches.clear()
    values = [0, -0.0, 2, 2.0, True, 0.0005, -0.0004, 1e20, 10**20, 2**53 + 1, 595.28, 1 / 3, -1 / 3]
    for value in values * 2:
        assert fmt(value) == _format(value), value
