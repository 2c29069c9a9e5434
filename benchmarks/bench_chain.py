"""Survival of 10^7 cell-phenotype pairs through the damage chain (issue: well under a second on 2 cores).

Two layouts, both 10^7 pairs:
- distinct: 10^7 cells, each with its own phenotype (random activities for every catalog mechanism);
- clones x compartments: 10^3 phenotypes (clones) x 10^4 oxygen tensions, broadcast (how the dynamics use it).

Run: .venv/bin/python benchmarks/bench_chain.py   (prints the timings recorded in BENCHMARKS.md)
"""

from __future__ import annotations

import platform
import time

import numpy as np

from chemorad.catalog import catalog
from chemorad.chain.phenotype import from_array
from chemorad.chain.survival import Environment, survival


def best_of(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    cat = catalog()
    rng = np.random.default_rng(0)
    m = len(cat.mechanisms)
    machine = platform.processor() or platform.machine()
    print(f"machine: {machine}, python {platform.python_version()}, numpy {np.__version__}")
    distinct = from_array(cat, rng.normal(0, 0.5, size=(10_000_000, m)))
    distinct32 = from_array(cat, distinct.activities.astype(np.float32))
    clones = from_array(cat, rng.normal(0, 0.5, size=(1_000, m)))
    po2 = rng.uniform(0, 60, size=(10_000, 1))
    for therapy, dose in (("radiotherapy", 2.0), ("doxorubicin", 0.1)):
        t1 = best_of(lambda t=therapy, d=dose: survival(cat, t, d, distinct, Environment(po2_mmhg=20.0)))
        t2 = best_of(lambda t=therapy, d=dose: survival(cat, t, d, clones, Environment(po2_mmhg=po2)))
        t3 = best_of(lambda t=therapy, d=dose: survival(cat, t, d, distinct32, Environment(po2_mmhg=20.0)))
        print(
            f"{therapy:13s} 1e7 distinct phenotypes: {t1:.3f} s (float32 activities {t3:.3f} s) | "
            f"1e3 clones x 1e4 pO2: {t2:.3f} s"
        )


if __name__ == "__main__":
    main()
