"""Clinical dynamics benchmarks (issue 14): calibration targets reproduced, population dose-response, TCP vs overall
time, and timings of a 1,000-patient population TCP and of `chemorad regimens` for one tumour.

Run from the worktree: PYTHONPATH=src python benchmarks/bench_clinical.py [--data ../shared/data] > results_clinical.md
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from chemorad.catalog import catalog
from chemorad.dynamics import calibration as cal
from chemorad.dynamics.presets import calibration_record


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(Path(__file__).resolve().parents[1].parent / "shared" / "data"))
    ap.add_argument("--line", default="A253")
    args = ap.parse_args()
    cat = catalog()
    rec = calibration_record("hnscc")
    theta = np.array([rec["fit"]["parameters"][p] for p in cal.PARAMS])
    secs = cal.sections(theta)
    machine = platform.processor() or platform.machine()
    print(f"machine: {machine}, {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print()
    print("## Calibration targets reproduced (200 virtual patients, seed 0, as fitted)")
    t0 = time.perf_counter()
    values = cal.model_values(theta, cat, 200, 0)
    print(f"(10 population simulations in {time.perf_counter() - t0:.1f} s)\n")
    print("| target | value | model | residual | source |\n| --- | --- | --- | --- | --- |")
    for r in cal.table(values).to_dict("records"):
        print(f"| {r['target']} | {r['value']:g} | {r['model']:.4g} | {r['residual']:+.2g} | {r['source']} |")
    print()
    print("## Population dose-response, conventional 2 Gy x n, 5 a week (1,000 virtual patients, seed 1)")
    ns = (25, 28, 30, 32, 35, 38, 40)
    t0 = time.perf_counter()
    tcp = [cal.population_tcp(secs, [cal.rt(n)], cat, 1000, 1) for n in ns]
    per = (time.perf_counter() - t0) / len(ns)
    d50, g50 = cal.fit_logistic(2.0 * np.array(ns, float), np.array(tcp))
    print("| dose (Gy) | TCP |\n| --- | --- |")
    for n, p in zip(ns, tcp, strict=True):
        print(f"| {2 * n} | {p:.3f} |")
    print(f"\nTCD50 {d50:.1f} Gy, gamma50 {g50:.2f} (held-out seed and 1,000 patients; fitted on 200, seed 0).")
    print(f"Time of one 1,000-patient population TCP (70 Gy / 35, deterministic): {per:.2f} s.\n")
    print("## TCP vs overall time: 70 Gy / 35 with a gap of g days from day 14 (1,000 patients)")
    print("| gap (days) | overall time (days) | TCP |\n| --- | --- | --- |")
    base = None
    for g in (0, 7, 14, 21, 28):
        item = {**cal.rt(35), "gaps_days": list(range(14, 14 + g))}
        p = cal.population_tcp(secs, [item], cat, 1000, 1)
        base = p if base is None else base
        print(f"| {g} | {46 + g} | {p:.3f} |")
    print()
    print(f"## `chemorad regimens --cell-line {args.line}` (wall time, whole command incl. model fits)")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    cmd = [sys.executable, "-m", "chemorad.cli", "regimens", "--cell-line", args.line, "--data", args.data, "-f", "csv"]
    t0 = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - t0
    print(f"exit {out.returncode}; wall {wall:.1f} s\n")
    print("```\n" + out.stdout.strip() + "\n```")


if __name__ == "__main__":
    main()
