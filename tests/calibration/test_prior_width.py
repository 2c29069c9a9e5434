"""Verdicts follow the data, not the prior: a synthetic recovery of the verdict rule.

The recovery tests are a synthetic round-trip of the verdict rule (not of the sampler): one placeholder-sized mechanism
(DHFR amplification, a target-EC50 fold acting on methotrexate alone) is given posterior draws of its magnitude theta
from the exact normal-normal posterior, prior N(ln 4, PLACEHOLDER_SD) and n direct observations y_j ~ N(theta_true,
SIGMA) of theta:
    sd_n = (1 / sd0^2 + n / SIGMA^2)^(-1/2),   mean_n = sd_n^2 (mu0 / sd0^2 + sum_j y_j / SIGMA^2).
Every other parameter (potencies, LQ) sits at the catalog's value, so RF moves with theta alone.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from chemorad.calibration.spec import PLACEHOLDER_SD, chain_spec
from chemorad.calibration.verdicts import MAX_SPAN, _state, mechanism_verdicts
from chemorad.catalog import catalog
from chemorad.chain.specificity import THRESHOLD

CAT = catalog()
MID = "target_dhfr_amplification"
SIGMA = 0.3
N_DRAWS = 400


def _idata(spec, theta: np.ndarray):
    """A posterior with `theta` (n_draws, n_effects) and every other parameter at the catalog's value."""
    import arviz as az

    s = theta.shape[0]
    return az.from_dict(
        posterior={
            "theta": theta[None],
            "ln_ic50": np.broadcast_to(spec.ln_ic50, (1, s, len(spec.therapies))).copy(),
            "ln_alpha": np.full((1, s), np.log(spec.alpha)),
            "ln_beta": np.full((1, s), np.log(spec.beta)),
        },
        coords={"effect": list(spec.effect_name), "therapy": list(spec.therapies)},
        dims={"theta": ["effect"], "ln_ic50": ["therapy"]},
    )


@pytest.fixture(scope="module")
def one():
    cat = dataclasses.replace(CAT, mechanisms={MID: CAT.mechanisms[MID]}, cache={})
    spec = chain_spec(cat)
    assert spec.n_effects == 1 and spec.effect_prior_sd[0] == PLACEHOLDER_SD
    return cat, spec


def _verdict(one, theta_true: float | None, n: int, seed: int = 0):
    cat, spec = one
    rng = np.random.default_rng(seed)
    mu0, sd0 = float(spec.effect_prior_mean[0]), float(spec.effect_prior_sd[0])
    if theta_true is None or n == 0:
        mean, sd = mu0, sd0
    else:
        y = rng.normal(theta_true, SIGMA, size=n)
        sd = (1 / sd0**2 + n / SIGMA**2) ** -0.5
        mean = sd**2 * (mu0 / sd0**2 + y.sum() / SIGMA**2)
    theta = rng.normal(mean, sd, size=(N_DRAWS, 1))
    return mechanism_verdicts(cat, spec, _idata(spec, theta)).set_index("direction")


def test_a_placeholder_with_no_data_is_undetermined(one) -> None:
    """The prior alone (placeholder, 4-fold): its RF interval excludes no effect, yet no verdict and no probability."""
    t = _verdict(one, None, 0)
    for d in ("gain", "loss"):
        r = t.loc[d]
        assert r["verdict"] == "undetermined" and r["probability"] is None, d
        assert "placeholder" in r["reason"] and "methotrexate" in r["deciding_measurement"]
    # the wide prior alone reaches below no effect: a 4-fold placeholder cannot exclude it from its prior
    assert t.loc["gain", "rf_low_drug"] < THRESHOLD < t.loc["gain", "rf_high_drug"]


def test_data_decide_an_effect_and_its_probability_responds(one) -> None:
    """More data at a true 2-fold effect: decided, the share of draws with the verdict does not fall and reaches 1,
    and the interval closes around the truth (a target-EC50 fold moves the IC50 by the same fold: RF = e^theta)."""
    rows = [_verdict(one, np.log(2.0), n).loc["gain"] for n in (3, 300)]
    assert all(r["verdict"] == "chemotherapy_only" for r in rows)
    assert 0.95 <= rows[0]["probability"] <= rows[1]["probability"] == 1.0
    assert rows[1]["rf_low_drug"] < 2.0 < rows[1]["rf_high_drug"] < 2.2


def test_data_decide_no_effect(one) -> None:
    """The same mechanism with data saying theta = 0: the interval sits inside [1/T, T] -> `none`, both ways."""
    t = _verdict(one, 0.0, 400)
    assert (t["verdict"] == "none").all() and t.loc["gain", "probability"] == 1.0
    assert 1 / THRESHOLD < t.loc["gain", "rf_low_drug"] <= t.loc["gain", "rf_high_drug"] < THRESHOLD


def test_a_true_effect_at_the_threshold_stays_undetermined(one) -> None:
    """Data put the effect at RF = T itself: the interval holds no effect and an effect, however many data."""
    t = _verdict(one, np.log(THRESHOLD), 300)
    assert t.loc["gain", "verdict"] == "undetermined" and "spans" in t.loc["gain", "reason"]
    assert t.loc["gain", "probability"] is None


@pytest.mark.parametrize(
    ("lo", "hi", "state"),
    [
        (27.9, 5.64e6, "wide"),  # the lapatinib interval
        (1.5, 1.5 * MAX_SPAN, "wide"),
        (1.5, 1.5 * MAX_SPAN * 0.999, "touched"),
        (1e-6, 0.5, "wide"),
        (0.02, 0.5, "touched"),
    ],
)
def test_intervals_spanning_orders_of_magnitude_get_no_verdict(lo, hi, state) -> None:
    assert _state(lo, hi, ["read"], THRESHOLD) == state
    assert MAX_SPAN == pytest.approx(np.exp(2 * 1.6448536 * PLACEHOLDER_SD))
