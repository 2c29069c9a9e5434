"""Krogh cylinder, penetration, cell distributions: the ODE, its boundary conditions, BVP solver, published numbers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate

from chemorad.catalog import catalog
from chemorad.chain import microenvironment as me
from chemorad.errors import ChemoradError

R_C, P_C, D = 5.0, 40.0, 2000.0


def _laplacian(r: np.ndarray, h: float, **kw) -> np.ndarray:
    """(1/r) d/dr (r dp/dr) by central differences (second order)."""
    p = lambda x: me.krogh_po2(x, **kw)  # noqa: E731
    flux_out = (r + h / 2) * (p(r + h) - p(r)) / h
    flux_in = (r - h / 2) * (p(r) - p(r - h)) / h
    return (flux_out - flux_in) / (h * r)


def test_profile_satisfies_the_ode_and_boundary_conditions() -> None:
    kw = {"tissue_radius_um": 120.0, "consumption_mmhg_s": 2.0}
    r = np.linspace(10.0, 115.0, 12)
    # (1/r) d/dr (r D dp/dr) = a (steady diffusion with zero-order consumption).
    assert np.allclose(D * _laplacian(r, 1e-2, **kw), 2.0, rtol=1e-4)
    assert me.krogh_po2(R_C, **kw) == P_C  # p(r_c) = p_c
    h = 1e-4
    slope_at_r = (me.krogh_po2(120.0, **kw) - me.krogh_po2(120.0 - h, **kw)) / h
    assert abs(slope_at_r) < 1e-4  # dp/dr(R) = 0 (one-sided difference, error O(h))
    assert np.all(np.diff(me.krogh_po2(np.linspace(R_C, 120.0, 50), **kw)) < 0)


def test_profile_matches_a_numerical_bvp_solution() -> None:
    # Independent oracle: solve p'' + p'/r = a/D with p(r_c) = p_c, p'(R) = 0 by collocation (scipy solve_bvp).
    a, big_r = 3.0, 90.0

    def rhs(r, y):
        return np.vstack([y[1], a / D - y[1] / r])

    def bc(ya, yb):
        return np.array([ya[0] - P_C, yb[1]])

    r = np.linspace(R_C, big_r, 200)
    sol = integrate.solve_bvp(rhs, bc, r, np.vstack([np.full_like(r, P_C), np.zeros_like(r)]), tol=1e-8)
    assert sol.success
    got = me.krogh_po2(r, tissue_radius_um=big_r, consumption_mmhg_s=a)
    assert np.allclose(got, sol.sol(r)[0], atol=1e-5)


def test_anoxic_rim() -> None:
    # Thomlinson & Gray 1955: with the default consumption, oxygen reaches 150 um from the vessel wall.
    r_a = me.anoxic_radius_um()
    assert r_a == pytest.approx(R_C + 150.0, rel=1e-12)
    kw = {"tissue_radius_um": 250.0}
    assert np.all(me.krogh_po2(np.array([r_a, 200.0, 250.0]), **kw) == 0.0)
    # pO2 and its gradient are continuous at the anoxic radius (no consumption beyond it).
    h = 1e-3
    inner = me.krogh_po2(np.array([r_a - 2 * h, r_a - h]), **kw)
    assert inner[1] < 1e-5 and (inner[0] - inner[1]) / h < 1e-3
    # Inside the oxic region the ODE still holds.
    assert np.allclose(D * _laplacian(np.linspace(20.0, 140.0, 7), 1e-2, **kw), me.CONSUMPTION_MMHG_S, rtol=1e-4)


@settings(max_examples=40, deadline=None)
@given(st.floats(20.0, 300.0), st.floats(1.0, 10.0), st.floats(5.0, 100.0))
def test_diffusion_distance_round_trip(distance, r_c, p_c) -> None:
    a = me.consumption_for_diffusion_distance(distance, r_c, p_c)
    assert me.anoxic_radius_um(r_c, p_c, a) == pytest.approx(r_c + distance, rel=1e-9)


def test_no_consumption_is_uniform() -> None:
    assert np.all(me.krogh_po2(np.linspace(R_C, 100, 9), consumption_mmhg_s=0.0) == P_C)
    assert me.anoxic_radius_um(consumption_mmhg_s=0.0) == np.inf


def test_drug_penetration() -> None:
    half_at_45 = 45.0 / np.log(2.0)  # exp(-x / lambda) halves at x = lambda ln 2
    assert me.drug_penetration(45.0, half_at_45) == pytest.approx(0.5)
    assert me.drug_penetration(0.0, half_at_45) == 1.0
    assert me.drug_penetration(100.0, np.inf) == 1.0
    assert np.all(np.diff(me.drug_penetration(np.linspace(0, 200, 21), half_at_45)) < 0)
    # doxorubicin's catalog length halves exposure 40-50 um from the nearest vessel (Primeau et al. 2005)
    lam = catalog().therapies["doxorubicin"].parameters["penetration_length_um"].value
    assert me.drug_penetration(40.0, lam) > 0.5 > me.drug_penetration(50.0, lam)


def test_cell_distribution_weights_and_means() -> None:
    big_r = 140.0
    cd = me.cell_distribution(400, tissue_radius_um=big_r, penetration_length_um=60.0)
    assert cd.weight.sum() == pytest.approx(1.0, abs=1e-12)
    assert np.all(cd.weight > 0) and np.all(np.diff(cd.weight) > 0)  # outer rings hold more cells
    # Area-weighted mean pO2 against direct quadrature of 2 pi r p(r) over the tissue annulus.
    num, _ = integrate.quad(lambda r: 2 * r * me.krogh_po2(r, tissue_radius_um=big_r), R_C, big_r)
    mean = num / (big_r**2 - R_C**2)
    assert np.sum(cd.weight * cd.po2_mmhg) == pytest.approx(mean, rel=1e-4)
    # Half the cells of an annulus lie beyond the radius that splits its area: sqrt((r_c^2 + R^2)/2).
    r_half = np.sqrt((R_C**2 + big_r**2) / 2)
    assert np.sum(cd.weight[cd.distance_um + R_C < r_half]) == pytest.approx(0.5, abs=2e-3)
    assert np.allclose(cd.exposure, np.exp(-cd.distance_um / 60.0))


def test_cell_distribution_broadcasts_over_geometry() -> None:
    cd = me.cell_distribution(50, tissue_radius_um=np.array([100.0, 150.0, 200.0]))
    assert cd.po2_mmhg.shape == cd.weight.shape == (3, 50)
    assert np.allclose(cd.weight.sum(axis=-1), 1.0)
    hf = me.hypoxic_fraction(cd.po2_mmhg, cd.weight)
    assert hf.shape == (3,) and np.all(np.diff(hf) > 0)


def test_hypoxic_fraction_monotone_in_consumption_and_supply() -> None:
    a = np.linspace(0.5, 6.0, 12)
    cd = me.cell_distribution(200, tissue_radius_um=120.0, consumption_mmhg_s=a)
    hf = me.hypoxic_fraction(cd.po2_mmhg, cd.weight)
    assert hf[0] == 0.0 and hf[-1] > 0.5
    assert np.all(np.diff(hf) >= 0) and hf[-1] > hf[0]
    cd = me.cell_distribution(200, tissue_radius_um=150.0, capillary_po2_mmhg=np.array([20.0, 40.0, 60.0, 90.0]))
    hf = me.hypoxic_fraction(cd.po2_mmhg, cd.weight)
    assert np.all(np.diff(hf) <= 0) and hf[0] > 0.9 and hf[-1] == 0.0


def test_two_compartment_environment() -> None:
    env = me.two_compartment_environment(np.array([0.0, 0.15, 1.0]))
    assert env.po2_mmhg.shape == env.weight.shape == (3, 2)
    assert np.allclose(env.weight.sum(axis=-1), 1.0)
    assert np.allclose(me.hypoxic_fraction(env.po2_mmhg, env.weight), [0.0, 0.15, 1.0])
    po2, weight = me.two_compartment_environment(0.2, 60.0, 1.0)
    assert list(po2) == [60.0, 1.0] and list(weight) == pytest.approx([0.8, 0.2])


def test_hypoxic_fraction_threshold_is_inclusive() -> None:
    assert me.hypoxic_fraction([5.0, 10.0, 20.0]) == pytest.approx(2 / 3)  # HF10 counts values <= 10 mmHg
    assert me.hypoxic_fraction([5.0, 10.0, 20.0], [1.0, 0.0, 1.0], threshold_mmhg=5.0) == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: me.hypoxic_fraction([1.0, np.nan], [0.5, 0.5]), "po2_mmhg must be finite"),
        (lambda: me.hypoxic_fraction([1.0, 2.0], [-0.5, 0.5]), "weight"),
        (lambda: me.hypoxic_fraction([1.0, 2.0], [0.0, 0.0]), "positive sum"),
        (lambda: me.krogh_po2(2.0), "radius_um must lie between"),
        (lambda: me.krogh_po2(50.0, consumption_mmhg_s=-1.0), "consumption_mmhg_s"),
        (lambda: me.krogh_po2(50.0, capillary_po2_mmhg=np.nan), "capillary_po2_mmhg"),
        (lambda: me.drug_penetration(-1.0, 65.0), "distance_um"),
        (lambda: me.cell_distribution(0), "n_rings"),
        (lambda: me.cell_distribution(10, tissue_radius_um=3.0), "tissue_radius_um"),
        (lambda: me.two_compartment_environment(1.5), "hypoxic_fraction"),
    ],
)
def test_bad_input_raises(call, match) -> None:
    with pytest.raises(ChemoradError, match=match):
        call()
