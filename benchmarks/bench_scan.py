"""Full association scan (issue: under a minute on 2 cores).

Every usable GDSC expression gene, CCLE RPPA antibody and mutation (genes mutated in >= 5 lines) against every GDSC1,
GDSC2 and CTRP response (`responses(catalog(), all_compounds=True)`), tissue dummies + MSI as covariates.
Prints the number of tests, wall and CPU time (process_time: all threads) and peak memory; writes nothing.

Run: .venv/bin/python benchmarks/bench_scan.py   (figures recorded in benchmarks/results_scan.md)
"""

from __future__ import annotations

import os
import platform
import resource
import time

import numpy as np
import pandas as pd

from chemorad.bundle import datasets as ds
from chemorad.catalog import catalog
from chemorad.evidence.associations import associations, covariate_design
from chemorad.evidence.responses import responses


def scan_inputs() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    expression = ds.load_expression().astype(float)
    rppa = ds.load_rppa().astype(float).add_prefix("rppa:")
    mutations = ds.load_mutations()
    mutations = mutations.loc[:, mutations.sum() >= 5].astype(float).add_prefix("mut:")
    X = pd.concat([expression, rppa, mutations], axis=1, join="outer")
    Y = responses(catalog(), all_compounds=True)
    lines = ds.cell_lines()
    covariates = covariate_design(lines["tissue"], lines["msi"].astype(float), min_lines=5)
    return X, Y, covariates


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main() -> None:
    print(f"machine: {cpu_model()}, {os.cpu_count()} CPUs, python {platform.python_version()}, numpy {np.__version__}")
    t0 = time.perf_counter()
    X, Y, covariates = scan_inputs()
    print(
        f"inputs: X {X.shape}, Y {Y.shape}, covariates {covariates.shape}, loaded in {time.perf_counter() - t0:.1f} s"
    )
    wall0, cpu0 = time.perf_counter(), time.process_time()
    table, dropped = associations(X, Y, covariates, return_dropped=True)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kB
    print(f"tests: {len(table):,} (dropped {len(dropped):,}); {1e6 * wall / max(len(table), 1):.2f} us per test")
    print(f"scan: wall {wall:.1f} s, CPU {cpu:.1f} s (all threads); peak RSS {peak_mb:,.0f} MB (whole process)")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
