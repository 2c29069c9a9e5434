"""One sweep point: its scenario in every arm, simulated with the point's own seed, reduced to outcomes per replicate.

Seeds: point p of a sweep with seed s simulates with the integer drawn from `numpy.random.SeedSequence([s, p])`, the
same for every arm (common random numbers: arms differ by treatment, not by chance) and independent of which worker or
batch runs the point, so results do not depend on the number of workers.

Outcomes per replicate (from `chemorad.dynamics.simulator.simulate`; cells are viable clonogenic cells):
- `log_kill`: log10(N0 / nadir), the cell kill achieved;
- `log10_final_cells`: log10(max(N_end, 1)), the burden at the end of the simulated time;
- `time_to_progression_days`: first day after treatment with N > progression_factor x N0 (NaN: no progression);
- `progressed`, `eradicated` (N_end < 1 cell);
- `resistant_fraction`: share of the final viable cells in clones that gained a mechanism step during the run
  (acquired resistance; NaN when no cell is left).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from chemorad.catalog import Catalog, catalog
from chemorad.dynamics.scenario import parse_scenario
from chemorad.dynamics.simulator import simulate
from chemorad.sweep.design import ACTIVITY
from chemorad.sweep.paths import with_values

OUTCOMES = (
    "log_kill",
    "log10_final_cells",
    "time_to_progression_days",
    "progressed",
    "eradicated",
    "resistant_fraction",
)


def point_seed(seed: int, point: int) -> int:
    """The simulation seed of one point: SeedSequence([seed, point]), never a per-worker stream (63 bits, so that it
    fits a signed 64-bit Parquet column)."""
    return int(np.random.SeedSequence([seed, point]).generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


def point_scenarios(arms: dict[str, dict], row: dict[str, Any], integer: dict[str, bool]) -> dict[str, dict]:
    """The scenario dict of every arm at one design row: parameters set, cohort activities added to every clone."""
    values = {p: (int(row[p]) if is_int else float(row[p])) for p, is_int in integer.items()}
    activities = {k.removeprefix(ACTIVITY): float(v) for k, v in row.items() if k.startswith(ACTIVITY)}
    out = {}
    for name, tree in arms.items():
        t = with_values(tree, values)
        for clone in t["clones"]:
            acts = dict(clone["activities"])
            for mid, v in activities.items():
                acts[mid] = acts.get(mid, 0.0) + v
            clone["activities"] = acts
        out[name] = t
    return out


def evaluate_point(
    arms: dict[str, dict],
    row: dict[str, Any],
    integer: dict[str, bool],
    replicates: int,
    seed: int,
    cat: Catalog | None = None,
) -> list[dict[str, Any]]:
    """Simulate one design row in every arm with catalog `cat` (the sweep's; default the shipped one); one record per
    (arm, replicate) with the outcomes above."""
    cat = catalog() if cat is None else cat
    point = int(row["point"])
    s = point_seed(seed, point)
    records = []
    for arm, tree in point_scenarios(arms, row, integer).items():
        sc = parse_scenario(tree, f"sweep point {point}, arm {arm}", cat=cat)
        res = simulate(sc, replicates=replicates, seed=s, dataset=False, cat=cat)
        summary = res.summary
        variant = np.array(["+" in str(c) for c in res.final_cells_by_clone.columns])  # compile_model: parent+mech
        final = res.final_cells_by_clone.to_numpy()
        total = final.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            resistant = np.where(total >= 1, final[:, variant].sum(axis=1) / total, np.nan)
        for r in range(len(summary)):
            ttp = float(summary["time_to_progression_days"].iat[r])
            records.append(
                {
                    "point": point,
                    "arm": arm,
                    "replicate": r,
                    "seed": s,
                    "log_kill": float(summary["log_kill"].iat[r]),
                    "log10_final_cells": float(np.log10(max(summary["final_cells"].iat[r], 1.0))),
                    "time_to_progression_days": ttp,
                    "progressed": bool(np.isfinite(ttp)),
                    "eradicated": bool(summary["eradicated"].iat[r]),
                    "resistant_fraction": float(resistant[r]),
                }
            )
    return records
