"""Sweeps on Dask (issue 7): throughput with 1 and 2 local workers, Dask overhead vs a plain loop, memory, 10^5 members.

Scenario (cheap but real): a virtual head-and-neck cohort (`upper_aerodigestive_tract` lines resampled from the bundle,
activity 0.5 per within-tissue sd), 1e9 cells, 5 x 6 Gy radiotherapy on days 0-4, 30 days simulated in deterministic
mode with 1-day steps, no redistribution and no evolution (one clone, two compartments); one arm, one replicate.

- scaling: the same N points (default 400, batches of 20) run (a) in a plain Python loop over `evaluate_point` in this
  process, (b) on a LocalCluster of 1 worker, (c) of 2 workers. Sweep wall time excludes the cluster start-up, which is
  reported apart; workers are warmed (imports, catalog) first, as the loop is. Worker CPU time (process_time summed
  over workers) is reported too, since on a shared machine wall-clock scaling reflects the other jobs.
  Throughput = simulations / s; scaling efficiency = T1 / (2 T2); Dask overhead = T_dask,1 / T_loop - 1.
- big: `--members` (default 10^5) on 2 workers, batches of 500; RSS of this process (client and scheduler: a
  LocalCluster's scheduler runs in the client process) and of the workers, sampled as batches finish.

Run: .venv/bin/python benchmarks/bench_sweep.py [--part scaling|big|all] [--members N]
(figures recorded in benchmarks/results_sweep.md and BENCHMARKS.md)
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import tempfile
import time
from pathlib import Path

import psutil

from chemorad.sweep.design import design_points
from chemorad.sweep.evaluate import evaluate_point
from chemorad.sweep.run import dask_client, run_sweep
from chemorad.sweep.spec import parse_sweep

SCENARIO = {
    "name": "cheap head and neck",
    "tumour": {"initial_cells": 1e9, "doubling_time_days": 4.0, "hypoxic_fraction": 0.15, "redistribution": False},
    "schedule": [{"kind": "radiotherapy", "dose_gy": 6.0, "fractions": 5}],
    "simulation": {"days": 30, "dt_days": 1.0, "mode": "deterministic"},
}


def sweep(members: int):
    raw = {
        "name": f"bench-{members}",
        "base": SCENARIO,
        "design": {"kind": "cohort", "members": members, "tissue": "upper_aerodigestive_tract", "activity_scale": 0.5},
        "seed": 1,
    }
    return parse_sweep(raw, "bench", hashes={"sweep": f"bench-{members}"})


def rss_mb(pid: int | None = None) -> float:
    return psutil.Process(pid).memory_info().rss / 2**20


def scaling(n: int, batch: int) -> None:
    """The same n points as a plain loop and on 1 and 2 workers (module docstring)."""
    sw = sweep(n)
    design = design_points(sw)
    rows = design.to_dict("records")
    evaluate_point(sw.arms, rows[0], sw.integer, 1, 1)  # warm the catalog caches, as a worker does on its first task
    t0, c0 = time.perf_counter(), time.process_time()
    for row in rows:
        evaluate_point(sw.arms, row, sw.integer, 1, 1)
    loop, loop_cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f"plain loop: {n} simulations in {loop:.2f} s = {n / loop:.1f} /s; CPU {loop_cpu:.2f} s")
    times = {}
    for workers in (1, 2):
        t0 = time.perf_counter()
        with dask_client(workers) as client:
            start = time.perf_counter() - t0
            # warm the workers as the loop was warmed: imports and the catalog's caches, before timing
            client.run(evaluate_point, sw.arms, rows[0], sw.integer, 1, 1)
            out = Path(tempfile.mkdtemp(prefix="bench-sweep-"))
            cpu0 = sum(client.run(time.process_time).values())
            try:
                info = run_sweep(sw, out / "r", client=client, batch_size=batch, data=None)
            finally:
                shutil.rmtree(out)
            cpu = sum(client.run(time.process_time).values()) - cpu0
        times[workers] = info.seconds
        print(
            f"dask {workers} worker(s): cluster start {start:.1f} s; {n} simulations in {info.seconds:.2f} s = "
            f"{n / info.seconds:.1f} /s ({info.n_batches} batches of {batch}); worker CPU {cpu:.2f} s = "
            f"{n / cpu:.1f} simulations per worker-CPU-second"
        )
    print(f"scaling efficiency 2 workers: {times[1] / (2 * times[2]):.2f}")
    print(f"dask overhead, 1 worker vs loop: {100 * (times[1] / loop - 1):+.1f}%")


def big(members: int, batch: int) -> None:
    sw = sweep(members)
    out = Path(tempfile.mkdtemp(prefix="bench-sweep-big-"))
    samples: list[tuple[int, float, float]] = []
    try:
        t0 = time.perf_counter()
        with dask_client(2) as client:
            start = time.perf_counter() - t0
            every = max(1, members // batch // 10)

            def progress(done: int, total: int) -> None:
                if done % every == 0 or done == total:
                    workers = client.run(lambda: psutil.Process().memory_info().rss / 2**20)
                    samples.append((done, rss_mb(), max(workers.values()) if workers else float("nan")))

            info = run_sweep(sw, out / "r", client=client, batch_size=batch, progress=progress)
        total = time.perf_counter() - t0
        size = sum(f.stat().st_size for f in (out / "r" / "results").iterdir()) / 2**20
    finally:
        shutil.rmtree(out)
    print(
        f"{members} members: {info.seconds:.0f} s sweep ({members / info.seconds:.1f} /s), {total:.0f} s with "
        f"design ({info.n_points} points) and cluster start {start:.1f} s; {info.n_batches} batches; "
        f"{info.rows} rows, {size:.1f} MiB Parquet"
    )
    print("batches done | client+scheduler RSS MiB | largest worker RSS MiB")
    for done, client_mb, worker_mb in samples:
        print(f"{done} | {client_mb:.0f} | {worker_mb:.0f}")
    print(f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--part", default="all", choices=["all", "scaling", "big"])
    ap.add_argument("--points", type=int, default=400)
    ap.add_argument("--members", type=int, default=100_000)
    ap.add_argument("--scaling-batch", type=int, default=20, help="points per batch in the scaling runs")
    ap.add_argument("--batch", type=int, default=500, help="points per batch in the big run")
    args = ap.parse_args()
    print(f"{platform.python_version()} on {os.cpu_count()} CPUs, load {os.getloadavg()}")
    if args.part in ("all", "scaling"):
        scaling(args.points, args.scaling_batch)
    if args.part in ("all", "big"):
        big(args.members, args.batch)
    print(f"load at end {os.getloadavg()}")


if __name__ == "__main__":
    main()
