"""The chain's hypoxic dose-modifying factor (`predict.hypoxic_dmf`) is k(oxic) / k(hypoxic), the ratio of the
effective-dose factors: equal to D10(hypoxic) / D10(oxic) by bisection where both doses exist, and defined (no 0/0 or
inf/inf) for a cell no dose brings to 10% survival."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from chemorad.catalog.load import catalog
from chemorad.chain.phenotype import phenotype
from chemorad.chain.specificity import conditions
from chemorad.chain.survival import Environment, dose_for_survival
from chemorad.profile import predict as pp


def _d10_ratio(cat, activities: dict[str, float]) -> float:
    """D10(hypoxic) / D10(oxic) of one phenotype by bisection on dose (`chain.survival.dose_for_survival`)."""
    ph = phenotype(cat, {m: np.array([v]) for m, v in activities.items()}, n=1)
    cond = conditions(cat)
    d10 = [
        dose_for_survival(cat, cat.radiotherapy.id, 0.1, ph, Environment(po2_mmhg=cond[k]))[0]
        for k in ("hypoxic", "oxic")
    ]
    with np.errstate(invalid="ignore"):
        return float(d10[0] / d10[1])


@pytest.mark.parametrize("seed", range(4))
def test_dmf_is_the_ratio_of_the_doses_where_both_exist(seed):
    cat = catalog()
    rng = np.random.default_rng(seed)
    acts = {m: float(v) for m, v in zip(cat.mechanisms, rng.normal(0.0, 1.0, len(cat.mechanisms)), strict=True)}
    ratio = _d10_ratio(cat, acts)
    assert np.isfinite(ratio)
    assert pp.hypoxic_dmf(cat, acts)[0] == pytest.approx(ratio, rel=1e-12)


def test_a_cell_no_dose_kills_to_ten_percent_has_a_defined_dmf():
    """Every mechanism at +5 (15 SD): no dose within the bisection's bracket reaches 10% survival at either pO2, so
    the ratio of doses is inf / inf. The DMF is still defined and is what the oxygen-touching mechanisms alone give
    (the others scale k equally at both pO2s): the ratio of doses of the phenotype with only those mechanisms set."""
    cat = catalog()
    acts = dict.fromkeys(cat.mechanisms, 5.0)
    assert np.isnan(_d10_ratio(cat, acts))  # the old computation: 0/0-style NaN with a RuntimeWarning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dmf, drivers = pp.hypoxic_dmf(cat, acts)
    assert np.isfinite(dmf) and drivers
    oxygen_only = {m: (5.0 if m in drivers else 0.0) for m in cat.mechanisms}
    ratio = _d10_ratio(cat, oxygen_only)
    assert np.isfinite(ratio) and dmf == pytest.approx(ratio, rel=1e-12)


def test_a_cell_below_ten_percent_at_the_smallest_dose_is_not_given_a_dmf_of_one():
    """Every mechanism at -5: both bisected D10 sit at the bracket's floor (a ratio of exactly 1, an artefact); the DMF
    is the ratio of k, which the phenotype with only the oxygen-touching mechanisms at -5 gives by bisection."""
    cat = catalog()
    acts = dict.fromkeys(cat.mechanisms, -5.0)
    assert _d10_ratio(cat, acts) == 1.0
    dmf, _ = pp.hypoxic_dmf(cat, acts)
    touching = pp.hypoxic_dmf(cat, dict.fromkeys(cat.mechanisms, 5.0))[1]  # the mechanisms that move the DMF
    oxygen_only = {m: (-5.0 if m in touching else 0.0) for m in acts}
    assert dmf == pytest.approx(_d10_ratio(cat, oxygen_only), rel=1e-12) and dmf > 2.0
