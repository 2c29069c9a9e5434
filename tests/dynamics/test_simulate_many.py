"""`simulate_many` (scenarios stacked along the replicate axis) against one `simulate` per scenario, and the regimens'
TCP against the values the per-regimen loop gave before it was batched."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from chemorad.catalog import catalog
from chemorad.dynamics import simulator
from chemorad.dynamics.scenario import parse_scenario
from chemorad.dynamics.simulator import simulate, simulate_many
from chemorad.profile.regimens import STANDARD_REGIMENS, TumourParameters, regimen_scenario, regimen_tcp

CAT = catalog()
RT = {"kind": "radiotherapy", "dose_gy": 2.0, "fractions": 10}


def _regimen(z: float | None, potency: dict, schedule: list[dict], days: float, patients: int = 12, seed: int = 0):
    raw = regimen_scenario(TumourParameters("s", z, None, potency, {}), schedule, patients, seed)
    raw["simulation"]["days"] = days
    return parse_scenario(raw, "test", cat=CAT)


def _cases():
    """Different horizons, schedules (drugs, a gap), radiosensitivity, drug potency, patients and seeds."""
    conc = STANDARD_REGIMENS["70 Gy/35 + weekly cisplatin 40 mg/m2"]
    return [
        _regimen(-0.5, {"cisplatin": 2.0}, conc, 50.0),
        _regimen(None, {}, [RT], 16.0, patients=7, seed=3),
        _regimen(
            1.0, {"cisplatin": 0.3, "fluorouracil": 0.8}, STANDARD_REGIMENS["induction PF x3 then 70 Gy/35"], 110.0
        ),
        _regimen(0.2, {}, [{**RT, "gaps_days": [3]}], 20.5),
    ]


def _same(a: simulator.Result, b: simulator.Result) -> None:
    # Every operation on a replicate is elementwise or within its row, so the stacked run is exact; rtol 1e-12 leaves
    # room only for a last-bit difference of a vectorised exp/log on a longer array.
    pd.testing.assert_frame_equal(a.summary, b.summary, check_exact=False, rtol=1e-12, atol=0)
    pd.testing.assert_frame_equal(a.final_cells_by_clone, b.final_cells_by_clone, check_exact=False, rtol=1e-12, atol=0)
    assert a.population.keys() == b.population.keys()
    for key, value in a.population.items():
        assert (
            value == pytest.approx(b.population[key], rel=1e-12, abs=0)
            if isinstance(value, float)
            else value == b.population[key]
        )


def test_stacked_scenarios_equal_one_run_each() -> None:
    scs = _cases()
    many = simulate_many(scs, cat=CAT)
    assert len(many) == len(scs)
    for sc, res in zip(scs, many, strict=True):
        one = simulate(sc, dataset=False, cat=CAT, with_time_factor=False)
        assert res.dataset is None and len(res.summary) == sc.simulation.replicates
        _same(res, one)


def test_batches_split_by_memory_and_unstackable_scenarios_keep_their_order(monkeypatch) -> None:
    scs = _cases()
    other = scs[1].model_copy(update={"tumour": scs[1].tumour.model_copy(update={"hypoxic_fraction": 0.3})})
    tau = scs[3].model_copy(update={"simulation": scs[3].simulation.model_copy(update={"mode": "tau"})})
    mixed = [scs[0], other, tau, scs[2]]
    want = [simulate(sc, dataset=False, cat=CAT, with_time_factor=False) for sc in mixed]
    monkeypatch.setattr(simulator, "BATCH_MEMORY_BYTES", 1.0)  # every deterministic scenario alone in its batch
    for got, res in zip(simulate_many(mixed, cat=CAT), want, strict=True):
        _same(got, res)
    monkeypatch.undo()
    for got, res in zip(simulate_many(mixed, cat=CAT), want, strict=True):
        _same(got, res)
    assert simulate_many([], cat=CAT) == []


def test_regimen_tcp_equals_the_per_regimen_loop_it_replaced() -> None:
    """Regression (a stored reference, not a validation): TCP of the standard regimens and a split course for one
    tumour (z -0.35, cisplatin x2.62, 5-FU x0.77; 40 patients, seed 3) as the per-regimen loop computed them before
    the regimens were stacked (one `simulate` per regimen, same code otherwise)."""
    split = {"split course": [{**RT, "fractions": 35, "gaps_days": [14, 15]}]}
    params = TumourParameters("FADU", -0.35, 64.0, {"cisplatin": 2.62, "fluorouracil": 0.77}, {})
    table = regimen_tcp(CAT, params, {**STANDARD_REGIMENS, **split}, patients=40, seed=3)
    before = [
        0.6831063514104982,
        0.7856729415215165,
        0.8761327761832167,
        0.7640919877580968,
        0.7768002216803783,
        0.719739048276292,
        0.6211427371887387,
    ]
    assert list(table["regimen"]) == [*STANDARD_REGIMENS, "split course"]
    np.testing.assert_allclose(table["tcp"], before, rtol=1e-12, atol=0)


def test_several_tumours_in_one_run_equal_one_run_each() -> None:
    from chemorad.profile.regimens import regimens_tcp

    reg = {k: STANDARD_REGIMENS[k] for k in list(STANDARD_REGIMENS)[:2]}
    params = [
        TumourParameters("a", -1.0, 84.0, {"cisplatin": 0.5}, {}),
        TumourParameters("b", 0.0, 50.0, {}, {}),
        TumourParameters("c", 0.8, 20.0, {"cisplatin": 3.0, "fluorouracil": 1.2}, {}),
    ]
    together = regimens_tcp(CAT, params, reg, patients=20, seed=1, gard_per_gy=[0.3, None, 0.2])
    for p, alpha, got in zip(params, [0.3, None, 0.2], together, strict=True):
        alone = regimen_tcp(CAT, p, reg, patients=20, seed=1, gard_per_gy=alpha)
        pd.testing.assert_frame_equal(got, alone, check_exact=False, rtol=1e-12, atol=0)
    assert together[0]["tcp"].iat[0] < together[1]["tcp"].iat[0] < together[2]["tcp"].iat[0]  # z -1 < 0 < 0.8
