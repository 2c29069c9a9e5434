"""`chemorad answer` on the full bundle: time of the first run (nothing cached but the parsed bundle), of a cached
run, and the headline counts that BENCHMARKS.md reports.

    CHEMORAD_CACHE=bench-answer-cache python benchmarks/bench_answer.py [--data DIR]

The answer cache entry is removed first, so the first run computes everything after the parse cache; state the load
(`cat /proc/loadavg`) next to the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from pathlib import Path

from chemorad.context import Context
from chemorad.report.answer_doc import answer_key, cached_answer
from chemorad.report.answer_render import answer_markdown


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=None)
    args = parser.parse_args()
    ctx = Context.create(data=args.data)
    data = ctx.data_dir()
    entry = ctx.cache_dir / f"answer-{answer_key(ctx.catalog, data, None, None)[:32]}.json"
    entry.unlink(missing_ok=True)
    load = os.getloadavg()
    t0, c0 = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
    doc, hit = cached_answer(ctx.catalog, data, ctx.cache_dir)
    first, c1 = time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_SELF)
    t1 = time.perf_counter()
    doc2, hit2 = cached_answer(ctx.catalog, data, ctx.cache_dir)
    answer_markdown(doc2)
    second = time.perf_counter() - t1
    print(
        json.dumps(
            {
                "first_run_s": round(first, 1),
                "first_run_cpu_s": round(c1.ru_utime + c1.ru_stime - c0.ru_utime - c0.ru_stime, 1),
                "cached_run_s": round(second, 2),
                "cache_hit_second": hit2 and not hit,
                "load_before": [round(x, 1) for x in load],
                "load_after": [round(x, 1) for x in os.getloadavg()],
                "counts": doc["counts"],
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
