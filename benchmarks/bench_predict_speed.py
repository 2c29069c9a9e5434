"""How fast one tumour is predicted from the stored fitted predictor (issue 24, "Speed, on 2 cores").

Each figure is a fresh `python -m chemorad.cli ...` process (wall seconds and CPU seconds, user + system, of the child),
the best of `--repeat` runs, with `$CHEMORAD_CACHE` in a temporary folder:

- `chemorad --help` and `chemorad predict --help` (start-up);
- cold: the first `chemorad predict --cell-line FADU` with the bundle's parse cache filled but no stored predictor
  (fits the full and the 5 fold model sets of every response column, then stores them); skipped with `--no-cold`,
  which instead copies a stored predictor from `--state` (a cache folder holding `predictor-marker-*.npz`);
- warm: `chemorad predict --cell-line FADU` with the stored predictor (table output);
- 1,000 unseen profiles: a bundle-layout folder (`--profiles`) of 1,000 synthetic samples, `chemorad predict
  --profiles DIR -f json`. Sample i copies the expression, mutations, copy number and tissue of a bundle line drawn at
  random (seeded) among the lines with every data set, under a new name (so it is not a bundle line and is predicted
  by the full models), with Gaussian noise of SD `--noise` (default 0.3, in the bundle's RMA log2 units) added to each
  expression value.

Run: python benchmarks/bench_predict_speed.py [--repeat 3] [--n 1000] [--no-cold --state DIR]
(figures recorded in BENCHMARKS.md, "Prediction speed", with the machine's load)
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
#: reads what a prediction reads from the bundle (markers, responses, the files' hashes of the state key), so the
#: parse cache is filled before anything is timed
FILL = (
    "from chemorad.catalog.load import catalog\nfrom chemorad.evidence.responses import responses\n"
    "from chemorad.profile.activities import reference\nfrom chemorad.profile.fitted import bundle_hash\n"
    "cat = catalog()\nreference(cat)\nresponses(cat)\nbundle_hash(None)\n"
)


def timed(args: list[str], env: dict) -> tuple[float, float]:
    """(wall s, CPU s of the child: user + system) of one fresh `python args`; a failure stops the benchmark."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    res = subprocess.run([sys.executable, *args], env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if res.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed: {res.stderr.decode()[-400:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def best(args: list[str], env: dict, repeat: int) -> tuple[float, float]:
    runs = [timed(args, env) for _ in range(repeat)]
    return min(r[0] for r in runs), min(r[1] for r in runs)


def synthetic_profiles(folder: Path, n: int, noise: float, seed: int = 0) -> None:
    """`n` unseen samples in the bundle's layout (module doc)."""
    import numpy as np
    import pandas as pd

    from chemorad.bundle import datasets as ds
    from chemorad.bundle.names import canonical_name

    data = ds.data_dir(None)
    cl = ds.cell_lines(data)
    full = [str(x) for x in cl.index[(cl["n_datasets"] == cl["n_datasets"].max()) & cl["tissue"].notna()]]
    rng = np.random.default_rng(seed)
    drawn = rng.choice(full, n)
    names = [f"SYN-{i:04d}" for i in range(n)]
    folder.mkdir(parents=True, exist_ok=True)

    def copies(frame: pd.DataFrame) -> pd.DataFrame:
        by_line = frame.assign(_c=frame["cell_line"].map(canonical_name)).drop_duplicates("_c").set_index("_c")
        out = by_line.reindex(drawn).reset_index(drop=True)
        out["cell_line"] = names
        return out[~out.drop(columns="cell_line").isna().all(axis=1)]

    expr = copies(pd.read_parquet(data / "gdsc_expression.parquet"))
    genes = expr.columns.drop("cell_line")
    expr[genes] = (expr[genes].to_numpy() + rng.normal(0.0, noise, (len(expr), len(genes)))).astype("float32")
    expr.to_parquet(folder / "gdsc_expression.parquet", index=False)
    for name in ("gdsc_mutations.parquet", "gdsc_copy_number.parquet"):
        copies(pd.read_parquet(data / name)).to_parquet(folder / name, index=False)
    copies(pd.read_csv(data / "gdsc_cell_lines.csv")).to_csv(folder / "gdsc_cell_lines.csv", index=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--n", type=int, default=1000, help="unseen profiles (0: skip)")
    parser.add_argument("--noise", type=float, default=0.3)
    parser.add_argument("--no-cold", action="store_true", help="copy a stored predictor from --state, do not fit")
    parser.add_argument("--state", type=Path, help="a cache folder holding predictor-marker-*.npz (with --no-cold)")
    args = parser.parse_args()
    cache = Path(tempfile.mkdtemp(prefix="chemorad-speed-"))
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "CHEMORAD_CACHE": str(cache)}
    cli = ["-m", "chemorad.cli"]
    rows = []
    try:
        with open("/proc/loadavg") as fh:
            print(f"load before: {fh.read().split()[:3]}")
        rows.append(("chemorad --help", *best([*cli, "--help"], env, args.repeat)))
        rows.append(("chemorad predict --help", *best([*cli, "predict", "--help"], env, args.repeat)))
        # the parse cache first (what every command shares), so that the cold figure is the fit alone
        timed(["-c", FILL], env)
        for p in cache.glob("predictor-*.npz"):
            p.unlink()
        predict = [*cli, "predict", "--cell-line", "FADU"]
        if args.no_cold:
            for p in (args.state or Path(".")).glob("predictor-marker-*.npz"):
                shutil.copy(p, cache / p.name)
        else:
            rows.append(("predict FADU, cold (fit and store)", *timed(predict, env)))
        rows.append(("predict FADU, warm (stored predictor)", *best(predict, env, args.repeat)))
        if args.n:
            folder = cache / "profiles"
            synthetic_profiles(folder, args.n, args.noise)
            many = [*predict[:3], "--profiles", str(folder), "-f", "json"]
            rows.append((f"predict {args.n} unseen profiles, warm", *timed(many, env)))
        with open("/proc/loadavg") as fh:
            print(f"load after: {fh.read().split()[:3]}")
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    print("| work | wall s | CPU s |\n| --- | --- | --- |")
    for name, wall, cpu in rows:
        print(f"| {name} | {wall:.2f} | {cpu:.2f} |")


if __name__ == "__main__":
    main()
