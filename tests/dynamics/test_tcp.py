"""Tumour control probability against closed forms: Poisson TCP, the lognormal-spread slope, the time factor."""

from __future__ import annotations

import numpy as np
import pytest

from chemorad.catalog import catalog
from chemorad.dynamics.scenario import parse_scenario
from chemorad.dynamics.simulator import population_tcp, simulate, tcp_per_replicate

CAT = catalog()
P = CAT.therapies["radiotherapy"].parameters
ALPHA, BETA, OER, K = (P[k].value for k in ("alpha_per_gy", "beta_per_gy2", "oer_max", "k_mmhg"))
M40 = OER * (40 + K) / (OER * 40 + K)  # the chain's effective-dose divisor at 40 mmHg (1/m(pO2))


def fraction_log_kill(d: float) -> float:
    de = d / M40
    return ALPHA * de + BETA * de * de


def scenario(n0: float, fractions: int, patients: int = 1, sd: float = 0.0, **tumour) -> dict:
    return {
        "name": "tcp",
        "tumour": {
            "initial_cells": n0,
            "doubling_time_days": 1e9,
            "hypoxic_fraction": 0.0,
            "redistribution": False,
            **tumour,
        },
        "patients": {"radiosensitivity_sd": sd},
        "schedule": [{"kind": "radiotherapy", "dose_gy": 2.0, "fractions": fractions, "per_week": 7}],
        "simulation": {"days": fractions + 1, "dt_days": 1.0, "mode": "deterministic", "replicates": patients},
    }


def run(raw: dict, seed: int = 0):
    return simulate(parse_scenario(raw, cat=CAT), seed=seed, dataset=False, cat=CAT)


def test_homogeneous_tcp_is_poisson_of_the_survivors() -> None:
    """TCP = exp(-N0 SF^n) with SF = exp(-(alpha d + beta d^2)) (Munro & Gilbert 1961)."""
    for n in (26, 30, 34):
        res = run(scenario(1e9, n))
        closed = np.exp(-1e9 * np.exp(-n * fraction_log_kill(2.0)))
        assert res.summary["tcp"].iat[0] == pytest.approx(closed, rel=1e-6, abs=1e-12)
        assert res.population["tcp"] == pytest.approx(closed, rel=1e-6, abs=1e-12)


def test_homogeneous_gamma50_is_half_ln2_times_ln_n0_over_ln2() -> None:
    """For TCP = exp(-N0 e^{-k D}) the normalised slope at 50% is (ln 2 / 2) ln(N0 / ln 2) (Brahme 1984), whatever
    k: here k = E(2 Gy) / 2 Gy with the dose varied by the number of fractions."""
    n0 = 1e9
    e = fraction_log_kill(2.0)
    n50 = np.log(n0 / np.log(2)) / e  # fractions at TCP = 0.5 (continuous)
    lo, hi = int(np.floor(n50)), int(np.ceil(n50))
    tcp_lo, tcp_hi = (run(scenario(n0, n)).population["tcp"] for n in (lo, hi))
    # the simulated TCPs lie on the Poisson curve, so its slope at D50 is the closed form
    assert tcp_lo < 0.5 < tcp_hi
    assert np.log(-np.log(tcp_lo)) - np.log(-np.log(tcp_hi)) == pytest.approx(e, rel=1e-6)
    gamma50 = 0.5 * np.log(2) * n50 * e  # D50 * dTCP/dD at TCP = 1/2
    assert gamma50 == pytest.approx(0.5 * np.log(2) * np.log(n0 / np.log(2)), rel=1e-9)
    assert gamma50 == pytest.approx(7.31, abs=0.01)


def test_lognormal_radiosensitivity_spread_flattens_the_slope_to_one_over_sigma_root_2pi() -> None:
    """With ln(radiosensitivity) ~ N(0, s^2) wide against the single-patient curve, TCP(D) ~ Phi(ln(D/D50) / s), so
    gamma50 -> 1 / (s sqrt(2 pi)) (Webb & Nahum 1993; the probit slope). s = 0.3: 1.33; the single-patient Poisson
    curve (sd of ln D about 0.06) widens it to about 1.30; measured on 4,000 virtual patients by finite difference."""
    s, n0, e = 0.3, 1e9, fraction_log_kill(2.0)
    n50 = np.log(n0 / np.log(2)) / e
    ns = (int(np.floor(n50)) - 1, int(np.ceil(n50)) + 1)
    tcp = [run(scenario(n0, n, patients=4000, sd=s)).population["tcp"] for n in ns]
    gamma50 = n50 * 2.0 * (tcp[1] - tcp[0]) / (2.0 * (ns[1] - ns[0]))
    assert tcp[0] < 0.5 < tcp[1]
    assert gamma50 == pytest.approx(1 / (s * np.sqrt(2 * np.pi)), rel=0.1)
    # and the population TCP is the lognormal average of the Poisson TCP (Gauss-Hermite, 80 nodes)
    z, w = np.polynomial.hermite_e.hermegauss(80)
    closed = float(np.sum(w * np.exp(-n0 * np.exp(-ns[0] * e * np.exp(s * z)))) / np.sqrt(2 * np.pi))
    assert tcp[0] == pytest.approx(closed, abs=4 * np.sqrt(closed * (1 - closed) / 4000))


def test_time_factor_is_the_dose_that_undoes_one_day_of_repopulation() -> None:
    """A 7-day gap after the kick-off multiplies survivors by 2^(7/T_acc); the time factor is by definition the
    extra dose per day that restores them: TF = ln(N_gap / N) / 7 / (log kill per Gy of 2-Gy fractions)."""
    tum = {"accelerated_doubling_days": 3.0, "repopulation_kickoff_days": 7.0}
    base = scenario(1e9, 30, **tum)
    base["schedule"][0]["per_week"] = 5
    gap = {**base, "schedule": [{**base["schedule"][0], "gaps_days": [15, 16, 17, 18, 19, 20, 21]}]}
    gap["simulation"] = {**base["simulation"], "days": 50}
    base["simulation"]["days"] = 50
    n_base = run(base).summary["clonogens_after_treatment"].iat[0]
    n_gap = run(gap).summary["clonogens_after_treatment"].iat[0]
    per_gy = fraction_log_kill(2.0) / 2.0
    assert np.log(n_gap / n_base) == pytest.approx(7 * np.log(2) / 3.0, rel=0.02)
    tf = run(base).population["time_factor_gy_per_day"]
    assert tf == pytest.approx(np.log(n_gap / n_base) / 7 / per_gy, rel=0.03)


def test_no_net_regrowth_before_the_kickoff() -> None:
    """Between fractions before the kick-off the clonogens do not regrow: survivors = N0 SF^n exactly."""
    res = run(scenario(1e9, 10, accelerated_doubling_days=3.0, doubling_time_days=2.0, repopulation_kickoff_days=28))
    assert res.summary["clonogens_after_treatment"].iat[0] == pytest.approx(
        1e9 * np.exp(-10 * fraction_log_kill(2.0)), rel=1e-6
    )


def test_stochastic_tcp_is_extinction_and_the_interval_covers_it() -> None:
    assert tcp_per_replicate(np.array([0.0, 3.0]), np.array([0, 5]), deterministic=False).tolist() == [1.0, 0.0]
    pop = population_tcp(np.array([1.0] * 30 + [0.0] * 70), deterministic=False)
    assert pop["tcp"] == pytest.approx(0.3) and pop["tcp_low"] < 0.3 < pop["tcp_high"]
    # Jeffreys interval for 30/100 (Brown, Cai & DasGupta 2001, Table 5 style): about 0.217-0.394
    assert pop["tcp_low"] == pytest.approx(0.2174, abs=0.002) and pop["tcp_high"] == pytest.approx(0.3938, abs=0.002)
    raw = scenario(300.0, 3, patients=200)
    raw["simulation"]["mode"] = "auto"
    res = run(raw, seed=3)
    expected = np.exp(-300 * np.exp(-3 * fraction_log_kill(2.0)))  # Poisson survivors: P(none) = closed form
    k = res.summary["tcp"].sum()
    assert abs(k / 200 - expected) < 4 * np.sqrt(expected * (1 - expected) / 200) + 1e-3
