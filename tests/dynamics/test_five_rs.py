"""Each of the 5 Rs as its own step of the simulator, against closed forms; a user-supplied catalog simulates."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from chemorad.catalog import catalog
from chemorad.catalog.load import load_catalog
from chemorad.dynamics.scenario import parse_scenario
from chemorad.dynamics.simulator import (
    ASYNC,
    growth_rates,
    kill,
    redistribute_after_kill,
    relax_phases,
    reoxygenate,
    repair_factor,
    repopulation_acceleration,
    simulate,
)

CAT = catalog()
RNG = np.random.default_rng(0)


def test_repair_factor_is_lea_catcheside_for_fractions_apart_and_together() -> None:
    mu = np.log(2) / (1.0 / 24)  # 1 h half-time, per day
    assert repair_factor([], 0.0, 2.0, mu) == 1.0
    assert repair_factor([(0.0, 2.0)], 0.0, 2.0, mu) == pytest.approx(3.0)  # (2d)^2 = d^2 + 3 d^2
    assert repair_factor([(0.0, 2.0)], 0.25, 2.0, mu) == pytest.approx(1 + 2 * 2.0**-6)  # 6 h = 6 half-times
    assert repair_factor([(0.0, 2.0)], 2.5, 2.0, mu) == 1.0  # more than 2 days apart: independent


def test_kill_removes_the_phase_weighted_fraction() -> None:
    counts = np.array([[1000.0, 500.0]])
    w = np.tile(ASYNC, (2, 1))
    sf = np.array([[0.5, 0.5, 0.1, 0.5], [1.0, 1.0, 1.0, 1.0]])
    survivors, killed = kill(counts, w, sf, RNG, det=True)
    expected = 1000 * (0.4 * 0.5 + 0.2 * 0.5 + 0.2 * 0.1 + 0.2 * 0.5)
    np.testing.assert_allclose(survivors, [[expected, 500.0]])
    assert killed[0] == pytest.approx(1000 - expected)
    draws, _ = kill(np.array([[10_000, 0]]), w, sf, np.random.default_rng(1), det=False)
    assert abs(draws[0, 0] - expected * 10) < 4 * np.sqrt(expected * 10)


def test_redistribution_selects_survivors_then_relaxes_exponentially() -> None:
    w = np.tile(ASYNC, (1, 1))
    sf = np.array([[0.1, 0.1, 1.0, 0.1]])  # late S resists
    after = redistribute_after_kill(w, sf)
    np.testing.assert_allclose(after, [[0.04, 0.02, 0.2, 0.02]] / np.float64(0.28))
    k, dt = 2.0, 0.3
    relaxed = relax_phases(after, k, dt)
    np.testing.assert_allclose(relaxed - ASYNC, (after - ASYNC) * np.exp(-k * dt))
    np.testing.assert_allclose(relax_phases(after, k, 100.0), [ASYNC])
    np.testing.assert_allclose(relaxed.sum(), 1.0)


def test_reoxygenation_relaxes_the_hypoxic_share_at_its_rate_and_conserves_cells() -> None:
    counts = np.array([[700.0, 300.0]])  # (oxic, hypoxic): h = 0.3
    hyp = np.array([False, True])
    k, dt, target = 0.5, 0.25, 0.1
    out = reoxygenate(counts, hyp, np.array([target]), k, dt, RNG, det=True)
    h = out[0, 1] / out.sum()
    assert h == pytest.approx(target + (0.3 - target) * np.exp(-k * dt))
    assert out.sum() == pytest.approx(1000.0)
    up = reoxygenate(counts, hyp, np.array([0.5]), k, dt, RNG, det=True)  # a re-growing tumour re-hypoxiates
    assert up[0, 1] / up.sum() == pytest.approx(0.5 + (0.3 - 0.5) * np.exp(-k * dt))


def test_repopulation_rate_is_capped_at_ln2_over_tpot_and_accelerates_after_kickoff() -> None:
    sc = parse_scenario({"name": "x", "tumour": {"doubling_time_days": 4.0, "cell_loss_per_day": 0.1}}, cat=CAT)
    t = sc.tumour
    a0 = np.log(2) / (4.0 * np.log(t.carrying_capacity / t.initial_cells))
    small = np.array([[1e3]])
    birth, death = growth_rates(small, t, 1.0, np.ones(2), a0)
    np.testing.assert_allclose(birth - death, np.log(2) / 4.0)
    big = np.array([[1e11]])
    birth, death = growth_rates(big, t, 1.0, np.ones(2), a0)
    np.testing.assert_allclose(birth - death, a0 * np.log(t.carrying_capacity / 1e11))
    assert repopulation_acceleration(27.9, 0.0, t) == 1.0
    assert repopulation_acceleration(28.0, 0.0, t) == t.repopulation_acceleration


def test_a_user_supplied_catalog_is_the_one_simulated(tmp_path: Path) -> None:
    """alpha 0.3 -> 0.4 per Gy in a copied catalog: log kill of 10 x 2 Gy follows alpha' exactly (full repair)."""
    src = Path(__import__("chemorad.catalog", fromlist=["x"]).__file__).parent / "data"
    shutil.copytree(src, tmp_path / "cat")
    f = tmp_path / "cat" / "therapies.yaml"
    text = f.read_text()
    marker = "    alpha_per_gy:\n      value: 0.3\n"
    assert marker in text
    f.write_text(text.replace(marker, "    alpha_per_gy:\n      value: 0.4\n", 1))
    mine = load_catalog(tmp_path / "cat")
    raw = {
        "name": "t",
        "tumour": {"initial_cells": 1e9, "doubling_time_days": 1e9, "hypoxic_fraction": 0.0, "redistribution": False},
        "schedule": [{"kind": "radiotherapy", "dose_gy": 2.0, "fractions": 10, "per_week": 7}],
        "simulation": {"days": 12, "dt_days": 0.5, "mode": "deterministic", "replicates": 1},
    }
    v = simulate(parse_scenario(raw, cat=mine), cat=mine).dataset["viable"].to_numpy()[0]
    beta = mine.therapies["radiotherapy"].parameters["beta_per_gy2"].value
    oer = mine.therapies["radiotherapy"].parameters["oer_max"].value
    k_mmhg = mine.therapies["radiotherapy"].parameters["k_mmhg"].value
    m = 1 / ((oer * 40 + k_mmhg) / (40 + k_mmhg) / oer)  # 40 mmHg oxic: dose-modifying factor m(pO2) of the chain
    d = 2.0 / m
    assert np.log(v[0] / v[-1]) == pytest.approx(10 * (0.4 * d + beta * d * d), rel=1e-6)


def test_quiescent_fraction_slows_division_by_one_minus_q() -> None:
    """cancer_stem_like_cells adds quiescent_fraction 0.1 per unit activity: that clone divides at 0.9 x the rate."""
    from chemorad.dynamics.simulator import compile_model

    raw = {
        "name": "q",
        "clones": [
            {"name": "a", "fraction": 0.5},
            {"name": "stem", "fraction": 0.5, "activities": {"cancer_stem_like_cells": 1.0}},
        ],
    }
    model = compile_model(parse_scenario(raw, cat=CAT), CAT)
    from chemorad.catalog.schema import Quantity
    from chemorad.chain.phenotype import effect_weights, from_array, modifiers

    mods = modifiers(effect_weights(CAT, CAT.radiotherapy), from_array(CAT, model.activities))
    q = mods[Quantity.quiescent_fraction]
    assert q[1] == pytest.approx(0.1) and q[0] == 0.0
    assert model.repop_fold[2] / mods[Quantity.repopulation][1] == pytest.approx(0.9)


def test_engine_fast_path_without_mutation_equals_the_matrix_exponential() -> None:
    """No mutation: expected counts n0 exp((b - d) t) per state, as scipy's expm of the generator gives."""
    from scipy.linalg import expm

    from chemorad.dynamics.engine import Rates, expected_counts

    b = np.array([[0.3, 0.1], [0.5, 0.2]])
    d = np.array([[0.1, 0.05], [0.0, 0.3]])
    rates = Rates(b, d, np.eye(2))
    n0 = np.array([[10.0, 5.0], [1.0, 2.0]])
    got = expected_counts(n0, rates, 3.0)
    ref = np.stack([n0[r] @ expm((np.diag(b[r]) - np.diag(d[r])) * 3.0) for r in range(2)])
    np.testing.assert_allclose(got, ref, rtol=1e-12)
