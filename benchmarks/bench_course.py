"""1,000 replicates of a 7-week chemoradiotherapy course (issue target: under 30 s on 2 cores).

70 Gy / 35 fractions (Mon-Fri) with weekly cisplatin 40 mg/m2, a 1e9-cell tumour with 15% hypoxic cells, a pre-existing
1% TP53-loss subclone and two evolvable mechanisms, tau-leaping, 49 days in steps of 0.25 day.
Run: .venv/bin/python benchmarks/bench_course.py
"""

from __future__ import annotations

import os
import time

from chemorad.catalog import catalog
from chemorad.cli.demo import DEMO_SCENARIO
from chemorad.dynamics.scenario import parse_scenario
from chemorad.dynamics.simulator import simulate


def main() -> None:
    raw = {**DEMO_SCENARIO, "simulation": {"days": 49, "dt_days": 0.25, "mode": "tau", "replicates": 1000, "seed": 1}}
    cat = catalog()
    sc = parse_scenario(raw, "benchmark", cat=cat)
    simulate(parse_scenario({**raw, "simulation": {**raw["simulation"], "replicates": 2}}, cat=cat), cat=cat)  # warm
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        res = simulate(sc, cat=cat)
        times.append(time.perf_counter() - t0)
    states = res.dataset.sizes["clone"] * res.dataset.sizes["compartment"]
    print(
        f"1000 replicates x 49 days, {states} states: best {min(times):.2f} s, all {[round(t, 2) for t in times]}; "
        f"mean log kill {res.summary['log_kill'].mean():.2f}; load {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
