"""How fast the command line starts (issue 17), and how much a second run saves by the parse cache (issue 11).

- startup: wall time of `chemorad --help`, `chemorad gene ABCB1` and `chemorad mechanism efflux_abcb1`,
  each the best of `--repeat` fresh processes, against the floor `python -c "import typer, rich"` (what any typer +
  rich command line pays). With `--baseline REV`, the same commands on a git revision checked out in a temporary
  worktree (e.g. the commit before the lazy imports), side by side.
- data: `chemorad predict --cell-line FADU` timed twice with an empty parse cache (`$CHEMORAD_CACHE` in a temporary
  folder): the first run parses the bundle and fills the cache, the second reads it; and the bundle loads alone
  (`cell_lines`, expression, mutations, copy number, CTRP, GDSC1/2), cold and warm, in fresh processes.

Run: python benchmarks/bench_startup.py [--part startup|data|all] [--repeat 5] [--baseline REV]
(figures recorded in BENCHMARKS.md; the machine is described there)
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = {
    "python -c 'import typer, rich' (floor)": ["-c", "import typer, rich"],
    "chemorad --help": ["-m", "chemorad.cli", "--help"],
    "chemorad gene ABCB1": ["-m", "chemorad.cli", "gene", "ABCB1"],
    "chemorad mechanism efflux_abcb1": ["-m", "chemorad.cli", "mechanism", "efflux_abcb1"],
}
LOAD = (
    "import time, sys\n"
    "t = time.perf_counter()\n"
    "from chemorad.bundle import datasets as ds\n"
    "ds.cell_lines(); ds.load_expression(); ds.load_mutations(); ds.load_copy_number(); ds.load_ctrp()\n"
    "ds.load_gdsc_response(1); ds.load_gdsc_response(2)\n"
    "print(time.perf_counter() - t)\n"
)


def timed(args: list[str], src: Path, env: dict | None = None) -> tuple[float, float]:
    """(wall seconds, peak RSS MiB of the child) of one fresh `python args` with `src` on PYTHONPATH."""
    env = {**os.environ, "PYTHONPATH": str(src), **(env or {})}
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    subprocess.run([sys.executable, *args], env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, max(peak, before) / 1024


def startup(repeat: int, baseline: str | None) -> None:
    trees = {"this tree": ROOT / "src"}
    tmp = None
    if baseline:
        tmp = tempfile.mkdtemp(prefix="chemorad-baseline-")
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", tmp, baseline], check=True)
        trees[f"baseline {baseline}"] = Path(tmp) / "src"
    try:
        print(f"| command | {' | '.join(trees)} |")
        print("| --- |" + " --: |" * len(trees))
        for label, args in COMMANDS.items():
            cells = []
            for src in trees.values():
                runs = [timed(args, src) for _ in range(repeat)]
                best = min(r[0] for r in runs)
                cells.append(f"{best:.2f} s (median {sorted(r[0] for r in runs)[repeat // 2]:.2f})")
            print(f"| {label} | {' | '.join(cells)} |")
    finally:
        if tmp:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", tmp], check=False)


def data(repeat: int) -> None:
    with tempfile.TemporaryDirectory() as cache:
        env = {"CHEMORAD_CACHE": cache}
        off = {"CHEMORAD_CACHE": "off"}
        cold = [timed(["-c", LOAD], ROOT / "src", off)[0] for _ in range(repeat)]
        timed(["-c", LOAD], ROOT / "src", env)  # fill the cache
        warm = [timed(["-c", LOAD], ROOT / "src", env)[0] for _ in range(repeat)]
        print(f"bundle load, process wall: no cache best {min(cold):.2f} s; cache warm best {min(warm):.2f} s")
    with tempfile.TemporaryDirectory() as cache:
        env = {"CHEMORAD_CACHE": cache}
        first = timed(["-m", "chemorad.cli", "predict", "--cell-line", "FADU"], ROOT / "src", env)[0]
        second = timed(["-m", "chemorad.cli", "predict", "--cell-line", "FADU"], ROOT / "src", env)[0]
        print(f"predict --cell-line FADU: first run {first:.1f} s, second run {second:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["startup", "data", "all"], default="all")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--baseline", default=None, help="git revision to compare with (startup part)")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; Python {sys.version.split()[0]}")
    if args.part in ("startup", "all"):
        startup(args.repeat, args.baseline)
    if args.part in ("data", "all"):
        data(args.repeat)


if __name__ == "__main__":
    main()
