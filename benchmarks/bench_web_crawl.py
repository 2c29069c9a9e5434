"""The complete crawl of the web explorer (issue 26: every internal link answers 200, every in-page anchor exists), on
the whole data bundle; the test suite crawls a subset of it (tests/web/test_pages_new.py, `SUBSET_TISSUE`).

In process (the ASGI app called directly, `tests/web/_asgi.py`; no sockets), with the server's own tables: the explorer
is warmed as `chemorad serve` warms it (the answer of the whole bundle from the cache folder, the claims, the
cross-resistance with `--n-boot 20`), then `tests/web/_crawl.crawl` follows every internal link from the landing page.
Prints the unique URLs found and fetched, the failures, and the seconds per route.

Run: CHEMORAD_DATA=../shared/data python benchmarks/bench_web_crawl.py (state the load: cat /proc/loadavg).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "web"))

from _crawl import crawl  # noqa: E402 - the tests' helper, on the path just above

from chemorad.context import Context  # noqa: E402
from chemorad.web.app import create_app  # noqa: E402
from chemorad.web.services import Explorer  # noqa: E402

DATA = Path(os.environ.get("CHEMORAD_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


def main() -> None:
    out: dict[str, object] = {"loadavg_start": Path("/proc/loadavg").read_text().split()[:3]}
    t0 = time.perf_counter()
    ex = Explorer(Context.create(data=DATA), n_boot=20)
    ex.warm().join()
    while not all(s["ready"] for s in ex.status().values()):
        time.sleep(1)
    out["warm_up_s"] = round(time.perf_counter() - t0, 1)
    out["table_errors"] = {k: s["error"] for k, s in ex.status().items() if s["error"]}
    t0 = time.perf_counter()
    found = crawl(create_app(ex))
    out["crawl_s"] = round(time.perf_counter() - t0, 1)
    out["links_found"] = len(found.links)
    out["urls_fetched"] = len(found.pages)
    out["failures"] = [[link, str(why)] for link, why in found.bad]
    by_route = sorted(found.fetched, key=lambda k: -found.seconds[k])
    out["per_route"] = {k: [found.fetched[k], round(found.seconds[k], 2)] for k in by_route}
    out["loadavg_end"] = Path("/proc/loadavg").read_text().split()[:3]
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
