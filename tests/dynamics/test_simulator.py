"""The tumour simulator against closed forms, its invariants, and scenario errors."""

from __future__ import annotations

import numpy as np
import pytest

from chemorad.catalog import catalog
from chemorad.dynamics.scenario import parse_scenario
from chemorad.dynamics.schedule import radiotherapy_times
from chemorad.dynamics.simulator import simulate
from chemorad.errors import ChemoradError

CAT = catalog()
RAD = CAT.therapies["radiotherapy"].parameters


def _parse(raw, where: str = "scenario"):
    return parse_scenario(raw, where, cat=CAT)


def _sim(sc, **kw):
    return simulate(sc, cat=CAT, **kw)


ALPHA, BETA = RAD["alpha_per_gy"].value, RAD["beta_per_gy2"].value


def scenario(**over) -> dict:
    base = {
        "name": "test",
        "tumour": {"initial_cells": 1e6, "hypoxic_fraction": 0.0},
        "schedule": [],
        "simulation": {"days": 10, "dt_days": 0.25, "mode": "deterministic", "replicates": 1},
    }
    for key, value in over.items():
        base[key] = {**base.get(key, {}), **value} if isinstance(value, dict) else value
    return base


def test_untreated_growth_follows_the_gompertz_closed_form() -> None:
    """N(t) = K exp(ln(N0/K) exp(-a t)), a = ln2 / (Tpot ln(K/N0)) (Norton 1988, Cancer Res 48:7067)."""
    sc = _parse(
        scenario(
            tumour={"initial_cells": 1e6, "carrying_capacity": 1e10, "doubling_time_days": 3.0},
            simulation={"days": 60, "dt_days": 0.02},
        )
    )
    res = _sim(sc)
    t = res.dataset["time"].to_numpy()
    n = res.dataset["viable"].to_numpy()[0]
    a = np.log(2) / (3.0 * np.log(1e10 / 1e6))
    closed = 1e10 * np.exp(np.log(1e6 / 1e10) * np.exp(-a * t))
    assert np.max(np.abs(n / closed - 1)) < 0.01  # piecewise-constant rates over dt = 0.02 d


def _log_kill(fractions: int, dose: float) -> float:
    sc = _parse(
        scenario(
            tumour={"initial_cells": 1e9, "doubling_time_days": 1e9, "oxic_po2_mmhg": 1e9, "redistribution": False},
            schedule=[{"kind": "radiotherapy", "dose_gy": dose, "fractions": fractions, "per_week": 7}],
            simulation={"days": fractions + 2, "dt_days": 0.5},
        )
    )
    v = _sim(sc).dataset["viable"].to_numpy()[0]
    return float(np.log(v[0] / v[-1]))


def test_equal_bed_gives_equal_log_kill_without_repopulation_and_with_full_repair() -> None:
    """-ln SF = alpha BED when fractions are fully repaired apart and nothing regrows (Fowler 1989, Br J Radiol 62:679).

    30 x 2 Gy and 20 x d Gy with d(1 + d/(a/b)) * 20 = 72 Gy (a/b = 10): same BED, same log kill."""
    ab = ALPHA / BETA
    d = (-ab + np.sqrt(ab * ab + 4 * ab * 72 / 20)) / 2
    k30 = _log_kill(30, 2.0)
    assert k30 == pytest.approx(ALPHA * 30 * 2 * (1 + 2 / ab), rel=1e-6)
    assert _log_kill(20, d) == pytest.approx(k30, rel=1e-6)


def test_stochastic_modes_agree_with_the_deterministic_mean() -> None:
    base = scenario(
        tumour={"initial_cells": 2e4, "hypoxic_fraction": 0.2},
        schedule=[{"kind": "radiotherapy", "dose_gy": 2.0, "fractions": 5}],
        simulation={"days": 8, "dt_days": 0.25},
    )
    det = _sim(_parse(base)).dataset["viable"].to_numpy()[0, -1]
    tau = _sim(_parse({**base, "simulation": {**base["simulation"], "mode": "tau", "replicates": 200}}))
    v = tau.dataset["viable"].to_numpy()[:, -1]
    assert abs(v.mean() - det) < 4 * v.std(ddof=1) / np.sqrt(len(v))


def test_counts_never_negative_and_the_seed_reproduces() -> None:
    raw = scenario(
        tumour={"initial_cells": 3e3, "hypoxic_fraction": 0.3},
        clones=[
            {"name": "a", "fraction": 0.9},
            {"name": "b", "fraction": 0.1, "activities": {"tp53_pathway_loss": 1.0}},
        ],
        evolution={"mechanisms": ["hr_repair"], "rate_per_division": 1e-3, "switching_per_day": 0.01},
        schedule=[
            {"kind": "radiotherapy", "dose_gy": 3.0, "fractions": 5},
            {"kind": "drug", "therapy": "cisplatin", "start_day": 1},
        ],
        simulation={"days": 12, "mode": "auto", "replicates": 5, "seed": 11},
    )
    one = _sim(_parse(raw))
    two = _sim(_parse(raw))
    cells = one.dataset["cells"].to_numpy()
    assert (cells >= 0).all()
    assert np.array_equal(cells, two.dataset["cells"].to_numpy())
    assert set(one.dataset["clone"].to_numpy()) == {"a", "b", "a+hr_repair", "b+hr_repair"}
    # the summary-only run (sweeps) draws the same numbers and reports the same final cells per clone
    lean = _sim(_parse(raw), dataset=False)
    assert lean.dataset is None
    assert lean.summary.equals(one.summary)
    final = one.dataset["cells"].isel(time=-1).sum("compartment").to_pandas()
    np.testing.assert_array_equal(lean.final_cells_by_clone[list(final.columns)].to_numpy(), final.to_numpy())


def test_resistant_subclone_is_selected_by_radiotherapy() -> None:
    """A clone with NHEJ up (lesion lethality 0.62, Vandersickel 2010) survives fractions better: its share rises."""
    raw = scenario(
        tumour={"initial_cells": 1e8},
        clones=[
            {"name": "parental", "fraction": 0.99},
            {"name": "nhej", "fraction": 0.01, "activities": {"nhej_repair": 1.0}},
        ],
        schedule=[{"kind": "radiotherapy", "dose_gy": 2.0, "fractions": 10}],
        simulation={"days": 14},
    )
    ds = _sim(_parse(raw)).dataset
    share = ds["cells"].sum("compartment").isel(replicate=0)
    start = float(share.isel(time=0).sel(clone="nhej") / share.isel(time=0).sum())
    end = float(share.isel(time=-1).sel(clone="nhej") / share.isel(time=-1).sum())
    assert end > 10 * start


def test_schedule_expansion() -> None:
    sc = _parse(scenario(schedule=[{"kind": "radiotherapy", "dose_gy": 2, "fractions": 10, "gaps_days": [2]}]))
    times = radiotherapy_times(sc.schedule[0])
    assert times == [0, 1, 3, 4, 7, 8, 9, 10, 11, 14]  # Mon-Fri, day 2 skipped, weekends off
    two_a_day = _parse(
        scenario(schedule=[{"kind": "radiotherapy", "dose_gy": 1.2, "fractions": 4, "per_day": 2, "interval_h": 6}])
    )
    assert radiotherapy_times(two_a_day.schedule[0]) == pytest.approx([0, 0.25, 1, 1.25])


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        ({"name": "x", "tumour": {"initial_cellz": 1}}, "tumour.initial_cellz: Extra inputs"),
        ({"tumour": {}}, "name: Field required"),
        (
            {
                "name": "x",
                "schedule": [
                    {"kind": "radiotherapy", "dose_gy": 2, "fractions": 3},
                    {"kind": "radiotherapy", "dose_gy": -2, "fractions": 3},
                ],
            },
            "schedule[1].dose_gy",
        ),
        ({"name": "x", "schedule": [{"kind": "drug", "therapy": "cisplatinn"}]}, "closest: cisplatin"),
        (
            {"name": "x", "clones": [{"name": "a", "fraction": 1, "activities": {"efflux_abcb9": 1}}]},
            "clones[0].activities: unknown mechanism",
        ),
        ({"name": "x", "tumour": {"cell_loss_per_day": -0.1}}, "tumour.cell_loss_per_day"),
    ],
)
def test_scenario_errors_name_the_field_path(raw, needle) -> None:
    with pytest.raises(ChemoradError) as err:
        _parse(raw, "s.yaml")
    assert needle in str(err.value) and str(err.value).startswith("s.yaml: ")


def test_overlapping_schedule_is_an_error() -> None:
    raw = {
        "name": "x",
        "schedule": [
            {"kind": "radiotherapy", "dose_gy": 2, "fractions": 10},
            {"kind": "radiotherapy", "dose_gy": 2, "fractions": 5, "start_day": 7},
        ],
    }
    with pytest.raises(ChemoradError, match=r"s.yaml: schedule\[1\]: overlaps schedule\[0\]"):
        _parse(raw, "s.yaml")
