"""A bounded loopback load test of the warm server (the browser tests' `chemorad serve`, so no start-up of its own):
200 GET requests, 10 at a time, over the landing page, the claims matrix, a mechanism, a gene, cross-resistance, a drug,
a cell line, a scatter, the glossary and the answer's JSON. Every request answers 200, the median page takes less
than 200 ms and the server's resident memory stays within 10% of its value before the requests (issue 26's targets).
The per-page figures and the tumour page are measured by `benchmarks/bench_web_pages.py` (BENCHMARKS.md)."""

from __future__ import annotations

import statistics
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from _web_helpers import record

PAGES = [
    "/",
    "/?verdict=chemotherapy_only",
    "/matrix",
    "/mechanisms/efflux_abcb1",
    "/genes/ABCB1",
    "/crossres",
    "/drugs/cisplatin",
    "/cell-lines/42MGBA",
    "/scatter?gene=ABCB1&response=docetaxel",
    "/glossary",
    "/api/answer",
]
REQUESTS, CONCURRENT = 200, 10
MEDIAN_S, RSS_GROWTH = 0.2, 0.10


def _get(url: str) -> tuple[int, float]:
    t0 = time.perf_counter()
    with urllib.request.urlopen(url, timeout=120) as resp:
        resp.read()
        return resp.status, time.perf_counter() - t0


def _rss_mb(pid: int) -> float:
    from _web_helpers import rss_mb

    return rss_mb(pid)


def test_two_hundred_requests_ten_at_a_time_are_fast_and_memory_stays_flat(server, server_pid) -> None:
    for page in PAGES:  # each page once, warm, before the baseline
        assert _get(server + page)[0] == 200
    rss0 = _rss_mb(server_pid)
    urls = [server + PAGES[k % len(PAGES)] for k in range(REQUESTS)]
    with ThreadPoolExecutor(CONCURRENT) as pool:
        results = list(pool.map(_get, urls))
    rss1 = _rss_mb(server_pid)
    median = statistics.median(t for _, t in results)
    record("load_200x10_median_s", median)
    record("load_200x10_p90_s", sorted(t for _, t in results)[int(0.9 * REQUESTS)])
    record("load_rss_growth_fraction", rss1 / rss0 - 1)
    assert [s for s, _ in results] == [200] * REQUESTS
    assert median < MEDIAN_S, f"median page {median:.3f} s"
    assert rss1 <= rss0 * (1 + RSS_GROWTH), f"RSS {rss0:.0f} -> {rss1:.0f} MB"
