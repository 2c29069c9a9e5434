"""The data side of one prediction (issue 24): loading a tumour's profile, the bundle's scoring reference and the
sample's mechanism scores, each timed in a fresh interpreter with the imports already done and the parse cache warm.

    CHEMORAD_CACHE=DIR python benchmarks/bench_profile_data.py [--cell-line FADU ...] [--profiles DIR] [--repeat 5]

One child process per repetition (`--child`): it imports chemorad's profile modules first (start-up is measured by
`bench_startup.py`), then times, in this order, `ProfileInputs(...).load()` (the profile: `--cell-line` names or a
`--profiles` folder), `activities.reference` (read from the parse cache after the first run) and
`activities.sample_scores`. The first repetition fills the cache and is reported apart; the others give the median.
State the load (`cat /proc/loadavg`) next to the figures.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path


def _child(args: argparse.Namespace) -> None:
    import chemorad.profile.inputs  # noqa: F401  (imports outside the timings)
    from chemorad.app.inputs import ProfileInputs
    from chemorad.catalog import catalog
    from chemorad.profile import activities

    cat = catalog()
    t0 = time.perf_counter()
    if args.profiles is not None:
        prof = ProfileInputs(profiles=args.profiles, data=args.data).load()
    else:
        prof = ProfileInputs(cell_lines=args.cell_line or ["FADU"], data=args.data).load()
    t1 = time.perf_counter()
    ref = activities.reference(cat, args.data)
    t2 = time.perf_counter()
    activities.sample_scores(cat, prof, ref)
    t3 = time.perf_counter()
    print(json.dumps({"load": t1 - t0, "reference": t2 - t1, "sample_scores": t3 - t2, "total": t3 - t0}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cell-line", action="append", default=None)
    parser.add_argument("--profiles", type=Path, default=None)
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--child", action="store_true")
    args = parser.parse_args()
    if args.child:
        _child(args)
        return
    argv = [sys.executable, __file__, "--child", *sys.argv[1:]]
    runs = []
    for _ in range(args.repeat):
        child = subprocess.run(argv, check=True, capture_output=True, text=True)
        runs.append(json.loads(child.stdout.strip().splitlines()[-1]))
    print("first run (fills the cache):", {k: round(v, 3) for k, v in runs[0].items()})
    rest = runs[1:] or runs
    print(f"median of {len(rest)} warm runs:", {k: round(statistics.median(r[k] for r in rest), 3) for k in runs[0]})


if __name__ == "__main__":
    main()
