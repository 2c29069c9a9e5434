"""The damage chain's share of a prediction (issue 24, warm `predict` < 1 s): the chain's resistance factor of every
therapy and the hypoxic DMF of bundle lines, in-process, against the straightforward computation of the same numbers.

Straightforward (what `profile.predict` did before the stacked bisection): per therapy, the phenotype built from the
score table column by column and a 60-step bisection calling `chain.survival.survival` at every step (validation,
modifiers and parameters redone 61 times). Now (`predict._chain_rf`): one phenotype read in one block, each therapy's
survival function built once (`chain.survival.dose_response`) and one bisection for all therapies with the drugs
stacked (`doses_for_survival`). The script checks that both give the same numbers bit for bit and reports the best of
`--repeat` timings per line, and the same for a batch of `--batch` synthetic score rows (normal scores, 10% missing).

Run: python benchmarks/bench_chain_share.py [--lines FADU 42MGBA AU565 K562 CALU6] [--repeat 5] [--batch 1000]
(needs the data bundle; figures in BENCHMARKS.md, "Prediction speed", with the machine's load)
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from chemorad.catalog.load import catalog  # noqa: E402
from chemorad.chain.phenotype import phenotype  # noqa: E402
from chemorad.chain.survival import survival  # noqa: E402
from chemorad.errors import ChemoradError  # noqa: E402
from chemorad.evidence.scores import SD_PER_ACTIVITY  # noqa: E402
from chemorad.profile import predict as pp  # noqa: E402
from chemorad.profile.activities import reference, sample_scores  # noqa: E402
from chemorad.profile.readers.bundle import from_cell_line  # noqa: E402


def straightforward_rf(cat, therapies: list[str], scores: pd.DataFrame) -> np.ndarray:
    """Per therapy: column-by-column phenotype, `survival` at each of the 61 bisection steps (samples x therapies)."""
    both = pd.concat([scores / SD_PER_ACTIVITY, pd.DataFrame(np.nan, index=[0], columns=scores.columns)])
    known = [c for c in both.columns if c in cat.mechanisms]
    out = []
    for t in therapies:
        ph = phenotype(cat, {m: np.nan_to_num(both[m].to_numpy(dtype=float), nan=0.0) for m in known}, n=len(both))
        try:
            a, b = np.full(ph.n, np.log(1e-6)), np.full(ph.n, np.log(1e6))
            reachable = survival(cat, t, 1e6, ph) <= 0.5
            for _ in range(60):
                mid = 0.5 * (a + b)
                above = survival(cat, t, np.exp(mid), ph) > 0.5
                a, b = np.where(above, mid, a), np.where(above, b, mid)
            ln_d50 = np.log(np.where(reachable, np.exp(0.5 * (a + b)), np.inf))
        except ChemoradError:
            out.append(np.full(len(scores), np.nan))
            continue
        out.append(np.exp(ln_d50[:-1] - ln_d50[-1]))
    return np.column_stack(out)


def best_of(repeat: int, fn) -> tuple[float, object]:
    best, result = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", nargs="+", default=["FADU", "42MGBA", "AU565", "K562", "CALU6"])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--batch", type=int, default=1000)
    args = ap.parse_args()
    cat = catalog()
    ref = reference(cat)
    therapies = list(cat.therapies)
    print(f"load average {os.getloadavg()[0]:.2f}; {len(therapies)} therapies")
    print("| sample(s) | straightforward: chain RF | now: chain RF | hypoxic DMF records | bit-equal |")
    print("| --- | --: | --: | --: | --- |")
    tables = [(name, sample_scores(cat, from_cell_line(name), ref)) for name in args.lines]
    rng = np.random.default_rng(0)
    cols = list(tables[0][1].scores.columns)
    x = rng.normal(0.0, 1.0, (args.batch, len(cols)))
    x[rng.random(x.shape) < 0.1] = np.nan
    batch = pd.DataFrame(x, index=[f"s{i}" for i in range(args.batch)], columns=tables[0][1].scores.columns)
    rows = [(n, ss.scores, ss.tissue.reindex(ss.markers.index)) for n, ss in tables]
    rows.append((f"{args.batch} synthetic", batch, pd.Series("lung", index=batch.index)))
    for name, scores, tissue in rows:
        repeat = args.repeat if len(scores) == 1 else 1
        t_old, old = best_of(repeat, lambda s=scores: straightforward_rf(cat, therapies, s))
        t_new, new = best_of(repeat, lambda s=scores: pp._chain_rf(cat, therapies, s))
        t_dmf, _ = best_of(repeat, lambda s=scores, t=tissue: pp._dmf_records(cat, s, t))
        same = np.array_equal(old, new, equal_nan=True)
        print(f"| {name} | {t_old * 1e3:.1f} ms | {t_new * 1e3:.1f} ms | {t_dmf * 1e3:.1f} ms | {same} |")
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
