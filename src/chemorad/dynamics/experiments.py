"""`crossres-evolution`: does pretreatment with one therapy leave resistance to the next, and does the order matter?

Seed 004's account: cross-resistance is mostly acquired, a polygenic phenotype selected under treatment (cisplatin
selecting DDR hyperactivation; docetaxel the miR-451 / c-MYC / survivin / RAD51 route to radioresistance). Here a tumour
whose cells can gain one step of any mechanism with a chain effect (rate per division from the scenario) is treated
with a drug then radiotherapy, and with radiotherapy then the drug. At the switch between the two therapies:

- the acquired resistance factor to the second therapy: RF = D_pop(SF*) / D_parental(SF*), with the population's
  survival SF_pop(D) = sum_c f_c SF_c(D) over its clone fractions f (oxic, SF* 0.1 for radiation, 0.5 for drugs);
- the mechanisms selected: each variant's share of the viable cells divided by its share in an untreated tumour grown
  for the same time (mutation-selection balance without treatment), its enrichment.
Outcomes of the whole course (log kill, cells at the end) compare the two orders.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from chemorad.catalog.load import Catalog
from chemorad.catalog.registry import SCHEDULE_RADIATION
from chemorad.chain.phenotype import from_array
from chemorad.chain.survival import Environment, survival
from chemorad.dynamics.scenario import Scenario, parse_scenario
from chemorad.dynamics.schedule import events
from chemorad.dynamics.simulator import Result, compile_model, simulate

TARGET = {"radiation": 0.1, "drug": 0.5}
WASHOUT_DAYS = 21.0


def base_scenario(
    first: dict, second: dict, replicates: int, seed: int, rate: float, days: float, *, cat: Catalog
) -> dict:
    evolvable = [m.id for m in cat.mechanisms.values() if m.effects and m.direction == "resistance"]
    return {
        "name": f"{first.get('therapy', cat.radiotherapy.id)} then {second.get('therapy', cat.radiotherapy.id)}",
        "tumour": {"initial_cells": 1e9, "carrying_capacity": 1e12, "doubling_time_days": 4.0},
        "evolution": {"mechanisms": evolvable, "rate_per_division": rate},
        "schedule": [first, second],
        "simulation": {"days": days, "dt_days": 0.5, "mode": "tau", "replicates": replicates, "seed": seed},
    }


def _course(therapy: str, start: float, radiation_id: str) -> dict:
    if therapy == radiation_id:
        return {"kind": SCHEDULE_RADIATION, "dose_gy": 2.0, "fractions": 30, "start_day": start}
    return {"kind": "drug", "therapy": therapy, "cycles": 4, "start_day": start}


def population_rf(sc: Scenario, result: Result, day: float, therapy: str, *, cat: Catalog) -> np.ndarray:
    """Acquired resistance factor to `therapy` of each replicate's population at `day` (formula in the module doc)."""
    t = cat.therapy(therapy)
    model = compile_model(sc, cat)
    ph = from_array(cat, model.activities)
    cells = result.dataset["cells"].sel(time=day, method="nearest").sum("compartment").to_numpy()  # (R, clones)
    frac = cells / np.maximum(cells.sum(axis=1, keepdims=True), 1e-300)
    target = TARGET[t.modality]
    lo, hi = np.full(len(frac), -14.0), np.full(len(frac), 14.0)
    env = Environment(po2_mmhg=40.0)

    def sf_pop(logd: np.ndarray) -> np.ndarray:
        sf = survival(cat, t, np.exp(logd)[:, None], ph, env)  # (R, clones)
        return (frac * sf).sum(axis=1)

    for _ in range(60):
        mid = (lo + hi) / 2
        above = sf_pop(mid) > target
        lo, hi = np.where(above, mid, lo), np.where(above, hi, mid)
    ref = np.zeros_like(frac)
    ref[:, 0] = 1.0
    lo0, hi0 = np.full(1, -14.0), np.full(1, 14.0)
    for _ in range(60):
        mid = (lo0 + hi0) / 2
        above = survival(cat, t, np.exp(mid)[:, None], ph, env)[:, 0] > target
        lo0, hi0 = np.where(above, mid, lo0), np.where(above, hi0, mid)
    return np.exp((lo + hi) / 2 - (lo0 + hi0) / 2)


def crossres_evolution(
    drugs: tuple[str, ...],
    replicates: int = 20,
    seed: int = 0,
    rate: float = 1e-6,
    progress: Callable[[str], None] | None = None,
    *,
    cat: Catalog,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Result]]:
    """Per drug and order: acquired RF to the second therapy (per replicate), enrichment of mechanisms, outcomes."""
    say = progress or (lambda _m: None)
    rows, enrich, results = [], [], {}
    for drug in drugs:
        rad = cat.radiotherapy.id
        for order in ((drug, rad), (rad, drug)):
            first = _course(order[0], 0.0, rad)
            probe = parse_scenario(
                base_scenario(first, _course(order[1], 500.0, rad), replicates, seed, rate, 1.0, cat=cat), cat=cat
            )
            switch = events(probe.schedule, cat=cat)[-2].time_days  # last event of the first course
            start2 = float(np.ceil(switch + WASHOUT_DAYS))
            second = _course(order[1], start2, rad)
            tail_sc = parse_scenario(base_scenario(first, second, 1, seed, rate, 1.0, cat=cat), cat=cat)
            days = float(np.ceil(events(tail_sc.schedule, cat=cat)[-1].time_days + 30))
            sc = parse_scenario(base_scenario(first, second, replicates, seed, rate, days, cat=cat), cat=cat)
            label = f"{order[0]} -> {order[1]}"
            say(f"simulating {label}")
            res = simulate(sc, cat=cat)
            results[label] = res
            untreated = {**base_scenario(first, second, replicates, seed, rate, start2, cat=cat), "schedule": []}
            ctrl = simulate(parse_scenario(untreated, cat=cat), cat=cat)
            rf = population_rf(sc, res, start2, order[1], cat=cat)
            viable = res.dataset["viable"]
            for r in range(replicates):
                rows.append(
                    {
                        "drug": drug,
                        "order": label,
                        "first": order[0],
                        "second": order[1],
                        "replicate": r,
                        "rf_second": float(rf[r]),
                        "cells_at_switch": float(viable.isel(replicate=r).sel(time=start2, method="nearest")),
                        "log_kill": float(res.summary.loc[r, "log_kill"]),
                        "final_cells": float(res.summary.loc[r, "final_cells"]),
                    }
                )
            share = _shares(res, start2)
            base = _shares(ctrl, start2)
            for clone in share.index[1:]:
                enrich.append(
                    {
                        "drug": drug,
                        "order": label,
                        "clone": clone,
                        "share": share[clone],
                        "untreated_share": base[clone],
                        "enrichment": share[clone] / base[clone] if base[clone] > 0 else np.nan,
                    }
                )
    enr = pd.DataFrame(enrich).sort_values(["order", "enrichment"], ascending=[True, False])
    return pd.DataFrame(rows), enr, results


def _shares(res: Result, day: float) -> pd.Series:
    cells = res.dataset["cells"].sel(time=day, method="nearest").sum(("compartment", "replicate"))
    total = float(cells.sum())
    return (cells / total).to_series() if total > 0 else cells.to_series() * 0.0


def summarise(rows: pd.DataFrame, enrich: pd.DataFrame, top: int = 3) -> pd.DataFrame:
    """Per order: median and 10-90% of the acquired RF, mean log kill, and the most enriched mechanisms."""
    out = []
    for (drug, order), g in rows.groupby(["drug", "order"], sort=False):
        e = enrich[(enrich["order"] == order)].dropna(subset=["enrichment"]).head(top)
        out.append(
            {
                "drug": drug,
                "order": order,
                "rf_second_median": g["rf_second"].median(),
                "rf_second_p10": g["rf_second"].quantile(0.1),
                "rf_second_p90": g["rf_second"].quantile(0.9),
                "log_kill_mean": g["log_kill"].mean(),
                "final_cells_median": g["final_cells"].median(),
                "selected": "; ".join(
                    f"{c.split('+', 1)[-1]} x{x:.3g}" for c, x in zip(e["clone"], e["enrichment"], strict=True)
                ),
            }
        )
    return pd.DataFrame(out)
