"""Perturbation check before/after the catalog corrections, and the effect-matrix cache of the chain.

    PYTHONPATH=src python benchmarks/bench_perturbations.py [--before DIR]

--before: a catalog directory (mechanisms, therapies, references YAML) to check against the same perturbation table,
e.g. the catalog of an older commit written out with `git show <commit>:src/chemorad/catalog/data/<file>.yaml`.
Prints the within-2-fold counts per modality (all entries; entries with a model value; entries not used to set any
size, compared on the same subset before and after), and the time of `resistance_factors` with the per-therapy
effect matrices cached (as shipped) and rebuilt on every `survival` call (the previous behaviour), asserting that both
give identical output.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import chemorad.chain.phenotype as ph_mod
import chemorad.chain.survival as surv_mod
from chemorad.catalog import catalog, load_catalog
from chemorad.chain.perturbations import check, summary_lines
from chemorad.chain.specificity import resistance_factors


def _best_of(fn, n: int = 3) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(n):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def timing() -> None:
    cat = catalog()
    cached_t, cached = _best_of(lambda: resistance_factors(cat))
    original = surv_mod.effect_weights
    surv_mod.effect_weights = ph_mod._build_weights  # rebuild on every call, as before the cache
    try:
        rebuilt_t, rebuilt = _best_of(lambda: resistance_factors(cat))
    finally:
        surv_mod.effect_weights = original
    assert cached.equals(rebuilt), "cached and rebuilt effect matrices gave different resistance factors"
    print(f"resistance_factors: rebuilt every call {rebuilt_t:.2f} s, cached {cached_t:.2f} s (identical output)")


def before_after(before: Path | None) -> None:
    cat = catalog()
    after = check(cat)
    print("after:", *summary_lines(after), sep="\n  ")
    if before is None:
        return
    old = check(load_catalog(before), cat.perturbations)
    print("before:", *summary_lines(old), sep="\n  ")
    independent = after[~after["used_for_size"]]["id"]
    for modality in ("radiation", "drug"):
        ids = set(independent[after.loc[independent.index, "modality"] == modality])
        b = old[old["id"].isin(ids)]["within_2_fold"].sum()
        a = after[after["id"].isin(ids)]["within_2_fold"].sum()
        print(f"  {modality}, entries not used for any size (n={len(ids)}): before {b}, after {a}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--before", type=Path)
    args = ap.parse_args()
    before_after(args.before)
    timing()


if __name__ == "__main__":
    main()
