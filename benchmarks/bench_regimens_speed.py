"""How fast `chemorad regimens` runs for one tumour, warm (issue 24: < 3 s on 2 cores), and where the time goes.

- total: wall and CPU (user + sys of the child) of `chemorad regimens --cell-line LINE -f json` in fresh processes,
  after one untimed run that fills the parse cache and the fitted predictor state (`$CHEMORAD_CACHE`, default: a
  folder kept between runs of this script), with /proc/loadavg before each run.
- split: one more fresh process runs the same command in-process with timers around the prediction
  (`chemorad.app.regimens.predict`) and the regimen simulations (`chemorad.profile.regimens.regimens_tcp`, or
  `regimen_tcp` in trees before it, and `site_regimen_tcp`); the rest is start-up, imports, reading inputs, the
  tumour's parameters and printing.
  From it, the total expected once the prediction takes `--predict-target` seconds (the other share unchanged).
- `--baseline REV`: the same on the source tree of a git revision (`git archive REV src`, in a temporary folder).

Run: python benchmarks/bench_regimens_speed.py [--cell-line FADU] [--repeat 3] [--baseline REV]
(figures recorded in BENCHMARKS.md, "Regimens speed"; the machine is described there)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Runs the command in-process with timers around the prediction and the simulations; prints one JSON line on stderr.
SPLIT = """
import json, sys, time
t_start, c_start = time.perf_counter(), time.process_time()
spent = {"predict": [0.0, 0.0], "simulate": [0.0, 0.0]}
def timed(fn, key):
    def wrapper(*args, **kwargs):
        t, c = time.perf_counter(), time.process_time()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[key][0] += time.perf_counter() - t
            spent[key][1] += time.process_time() - c
    return wrapper
import chemorad.app.regimens as ar
import chemorad.profile.regimens as pr
ar.predict = timed(ar.predict, "predict")
if hasattr(pr, "regimens_tcp"):  # several tumours at once; regimen_tcp calls it, so it alone is wrapped
    pr.regimens_tcp = timed(pr.regimens_tcp, "simulate")
else:
    pr.regimen_tcp = timed(pr.regimen_tcp, "simulate")
pr.site_regimen_tcp = timed(pr.site_regimen_tcp, "simulate")
from chemorad.cli.app import main
sys.argv = ["chemorad", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
spent["total"] = [time.perf_counter() - t_start, time.process_time() - c_start]
print(json.dumps(spent), file=sys.stderr)
"""


def loadavg() -> str:
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


def run(src: Path, args: list[str], env: dict) -> tuple[float, float, str]:
    """(wall s, CPU s = user + sys of the child, load average before) of one fresh `chemorad args`."""
    load = loadavg()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "chemorad.cli", *args],
        env={**env, "PYTHONPATH": str(src)},
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=True,
    )
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, load


def split(src: Path, args: list[str], env: dict) -> dict:
    """Seconds (wall, CPU) of the prediction, the simulations and the whole process, measured in-process."""
    out = subprocess.run(
        [sys.executable, "-c", SPLIT, *args],
        env={**env, "PYTHONPATH": str(src)},
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=True,
    )
    return json.loads(out.stderr.strip().splitlines()[-1])


def bench(label: str, src: Path, args: list[str], repeat: int, env: dict, predict_target: float) -> None:
    run(src, args, env)  # untimed: fills the caches if needed (cold), so the timed runs are warm
    runs = [run(src, args, env) for _ in range(repeat)]
    for wall, cpu, load in runs:
        print(f"| {label} | {wall:.2f} s | {cpu:.2f} s | {load} |")
    s = split(src, args, env)
    total, pred, sim = s["total"], s["predict"], s["simulate"]
    rest = [total[0] - pred[0] - sim[0], total[1] - pred[1] - sim[1]]
    print(
        f"\n{label}, one in-process run (wall / CPU), load {loadavg()}: total {total[0]:.2f} / {total[1]:.2f} s; "
        f"prediction {pred[0]:.2f} / {pred[1]:.2f} s ({pred[0] / total[0]:.0%} of wall); regimen simulations "
        f"{sim[0]:.2f} / {sim[1]:.2f} s ({sim[0] / total[0]:.0%}); start-up, imports, inputs and printing "
        f"{rest[0]:.2f} / {rest[1]:.2f} s ({rest[0] / total[0]:.0%})."
    )
    best = min(r[0] for r in runs)
    print(
        f"With the prediction at {predict_target:g} s: about {best - pred[0] + predict_target:.2f} s wall "
        f"(best timed run {best:.2f} s - prediction {pred[0]:.2f} s + {predict_target:g} s), "
        f"{total[1] - pred[1] + predict_target:.2f} s CPU.\n"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cell-line", default="FADU")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--baseline", help="a git revision to time too (its src tree, from git archive)")
    ap.add_argument("--predict-target", type=float, default=0.5, help="prediction seconds for the estimate")
    ap.add_argument("--extra", nargs=argparse.REMAINDER, default=[], help="more regimens options (e.g. --site hnscc)")
    a = ap.parse_args()
    cache = os.environ.get("CHEMORAD_CACHE") or str(Path(tempfile.gettempdir()) / "chemorad-bench-regimens-cache")
    env = {**os.environ, "CHEMORAD_CACHE": cache}
    args = ["regimens", "--cell-line", a.cell_line, "-f", "json", *a.extra]
    print(f"`chemorad {' '.join(args)}`, cache {cache}, {os.cpu_count()} CPUs\n")
    print("| tree | wall | CPU (user + sys) | load before |\n| --- | --: | --: | --: |")
    trees = {"this tree": ROOT / "src"}
    tmp = None
    if a.baseline:
        tmp = tempfile.TemporaryDirectory(prefix="chemorad-baseline-")
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", a.baseline, "src"], capture_output=True, check=True
        )
        subprocess.run(["tar", "-x", "-C", tmp.name], input=archive.stdout, check=True)
        trees = {f"baseline {a.baseline}": Path(tmp.name) / "src", **trees}
    try:
        for label, src in trees.items():
            bench(label, src, args, a.repeat, env, a.predict_target)
    finally:
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    main()
