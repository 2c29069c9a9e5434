"""Radiation building blocks against limits, special cases, published numbers and independent numerics."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate

from chemorad.chain import radiation as rad
from chemorad.errors import ChemoradError

LN2 = np.log(2.0)
doses = st.floats(0.0, 100.0)
alphas = st.floats(0.0, 2.0)
betas = st.floats(0.0, 0.5)


# --- linear-quadratic survival ---------------------------------------------------------------------------------------


def test_lq_special_cases() -> None:
    assert rad.lq_survival(0.0, 0.3, 0.03) == 1.0
    # Pure-alpha survival: the mean lethal dose D0 = 1/alpha leaves 1/e (Joiner & van der Kogel, ch. 4).
    assert rad.lq_survival(1.0 / 0.25, 0.25, 0.0) == pytest.approx(np.exp(-1.0))
    # At D = alpha/beta the linear and quadratic terms are equal, so -ln S = 2 alpha D.
    a, b = 0.3, 0.03
    assert -np.log(rad.lq_survival(a / b, a, b)) == pytest.approx(2 * a * (a / b))
    # G = 0 (fully protracted) removes the quadratic term.
    assert rad.lq_survival(4.0, a, b, g=0.0) == pytest.approx(rad.lq_survival(4.0, a, 0.0))


def test_lq_broadcasts() -> None:
    s = rad.lq_survival(np.array([0.0, 2.0, 4.0])[:, None], np.array([0.1, 0.3]), 0.03)
    assert s.shape == (3, 2)
    assert np.all(s[0] == 1.0)


@settings(max_examples=60, deadline=None)
@given(doses, doses, alphas, betas, st.floats(0.0, 1.0), st.floats(0.1, 5.0))
def test_survival_bounded_monotone_and_one_at_zero(d1, d2, a, b, g, dmf) -> None:
    lo, hi = sorted((d1, d2))
    for f in (lambda d: rad.lq_survival(d, a, b, g), lambda d: rad.lq_survival_general(d, a, b, dmf, g)):
        s_lo, s_hi = f(lo), f(hi)
        assert 0.0 <= s_hi <= s_lo <= 1.0
        assert f(0.0) == 1.0


def test_dmf_is_a_dose_scaling() -> None:
    # A DMF of 2 needs twice the dose for the same effect.
    d = np.linspace(0, 10, 11)
    assert np.allclose(rad.lq_survival_general(2 * d, 0.3, 0.03, dmf=2.0), rad.lq_survival(d, 0.3, 0.03))


@settings(max_examples=60, deadline=None)
@given(st.floats(1e-6, 1.0), st.floats(0.01, 2.0), betas, st.floats(0.2, 5.0), st.floats(0.0, 1.0))
def test_dose_for_survival_inverts_survival(sf, a, b, dmf, g) -> None:
    d = rad.dose_for_survival(sf, a, b, dmf, g)
    assert d >= 0
    assert rad.lq_survival_general(d, a, b, dmf, g) == pytest.approx(sf, rel=1e-9)


def test_dose_for_survival_special_cases() -> None:
    assert rad.dose_for_survival(1.0, 0.3, 0.03) == 0.0
    assert rad.dose_for_survival(np.exp(-1.0), 0.5, 0.0) == pytest.approx(2.0)  # D0 = 1/alpha
    assert rad.dose_for_survival(0.1, 0.0, 0.0) == np.inf
    assert rad.dose_for_survival(0.0, 0.3, 0.03) == np.inf
    # Pure beta: S = exp(-beta D^2), so S = e^-1 at D = 1/sqrt(beta).
    assert rad.dose_for_survival(np.exp(-1.0), 0.0, 0.04) == pytest.approx(5.0)
    out = rad.dose_for_survival(np.array([0.5, 0.1, 0.01]), 0.3, 0.03, dmf=np.array([[1.0], [3.0]]))
    assert out.shape == (2, 3) and np.allclose(out[1], 3 * out[0])


# --- Lea-Catcheside dose-protraction factor -------------------------------------------------------------------------


def _g_by_quadrature(time_h: float, half_h: float) -> float:
    """Lea-Catcheside's definition for a constant dose rate, by 2-D quadrature (Sachs et al. 1997)."""
    mu = LN2 / half_h
    val, _ = integrate.dblquad(lambda tp, t: np.exp(-mu * (t - tp)), 0.0, time_h, 0.0, lambda t: t)
    return 2.0 * val / time_h**2


@pytest.mark.parametrize("time_h", [0.1, 1.0, 5.0, 30.0])
def test_g_constant_rate_matches_double_integral(time_h: float) -> None:
    assert rad.g_constant_rate(time_h, 1.5) == pytest.approx(_g_by_quadrature(time_h, 1.5), rel=1e-7)


def test_g_constant_rate_limits() -> None:
    assert rad.g_constant_rate(0.0, 1.0) == 1.0
    t = np.array([1e-12, 1e-6, 1e-3, 0.049, 0.051, 0.2])
    g = rad.g_constant_rate(t, LN2)  # mu = 1, x = t
    assert np.all(np.diff(g) < 0) and np.all(g < 1) and g[0] == pytest.approx(1.0)
    # Small x: G = 1 - x/3 + O(x^2) (Taylor expansion of the exponential).
    assert (1 - g[2]) == pytest.approx(1e-3 / 3, rel=1e-3)
    # Continuity across the series/direct switch at x = 0.05.
    assert rad.g_constant_rate(0.05 - 1e-12, LN2) == pytest.approx(rad.g_constant_rate(0.05 + 1e-12, LN2), rel=1e-12)
    # Long protraction: G -> 2/(mu T) (Sachs et al. 1997).
    assert rad.g_constant_rate(1e4, 1.0) == pytest.approx(2.0 / (LN2 * 1e4), rel=1e-3)
    assert rad.g_constant_rate(np.inf, 1.0) == 0.0
    assert rad.g_constant_rate(np.inf, np.inf) == 1.0  # no repair


def test_g_fractions_special_cases() -> None:
    assert rad.g_fractions([2.0, 2.0], 0.0, 1.0) == pytest.approx(1.0)  # zero gap = one acute dose
    assert rad.g_fractions([2.0, 2.0], 1e6, 1.0) == pytest.approx(0.5)  # complete repair
    assert rad.g_fractions([2.0] * 30, 24.0, 1.0) == pytest.approx(1 / 30)  # n fractions, complete repair: 1/n
    assert rad.g_fractions([2.0, 2.0], 1.0, 1.0) == pytest.approx(0.75)  # gap = half-time: (1 + 1 + 2 x 1/2)/4
    assert rad.g_fractions([2.0, 2.0], 24.0, np.inf) == 1.0  # no repair
    assert rad.g_fractions(3.0, 24.0, 1.0) == 1.0  # one fraction
    assert rad.g_fractions([0.0, 0.0], 6.0, 1.0) == 1.0  # no dose: G = 1 by convention
    # A split course is independent of fraction order when gaps are long.
    assert rad.g_fractions([1.0, 3.0], 1e6, 1.0) == pytest.approx((1 + 9) / 16)


def test_many_small_fractions_approach_constant_rate() -> None:
    # A dose given as n equal acute pieces spread evenly over T tends to constant-rate delivery over T.
    n, t_total = 4000, 3.0
    g_frac = rad.g_fractions(np.full(n, 1.0 / n), t_total / n, 1.0)
    assert g_frac == pytest.approx(rad.g_constant_rate(t_total, 1.0), rel=2e-3)


def test_g_fractions_broadcasts() -> None:
    g = rad.g_fractions([2.0, 2.0], np.array([[0.0], [1.0], [1e6]]), 1.0)
    assert g.shape == (3,) and np.allclose(g, [1.0, 0.75, 0.5])
    g = rad.g_fractions([2.0, 2.0], 1.0, np.array([0.5, 1.0, np.inf]))
    assert g.shape == (3,) and g[1] == pytest.approx(0.75) and g[2] == 1.0
    with pytest.raises(ChemoradError, match="interval_h"):
        rad.g_fractions([2.0, 2.0, 2.0], [1.0, 2.0, 3.0], 1.0)


# --- oxygen ---------------------------------------------------------------------------------------------------------


def test_oer_published_shape() -> None:
    assert rad.oer(0.0) == pytest.approx(3.0)  # oer_max for low-LET radiation (Hall & Giaccia ch. 6)
    assert abs(rad.oer(160.0) - 1.0) < 0.05  # air-equilibrated cells are fully oxic
    assert rad.oer(np.inf) == pytest.approx(1.0)
    # K is the pO2 of half-maximal sensitivity (Alper & Howard-Flanders 1956): m(K) = (1 + 1/oer_max)/2.
    for om, k in [(3.0, 3.0), (2.5, 1.0), (3.0, 10.0)]:
        assert rad.oxygen_sensitivity(k, om, k) == pytest.approx((1 + 1 / om) / 2)
    # Catalog note: relative to anoxic cells, sensitivity at 40 mmHg is (3*40+3)/43 = 2.86.
    assert 3.0 * rad.oxygen_sensitivity(40.0) == pytest.approx(2.86, abs=0.005)


@settings(max_examples=80, deadline=None)
@given(st.floats(0.0, 1e4), st.floats(0.0, 1e4), st.floats(1.0, 4.0), st.floats(0.1, 20.0))
def test_oer_bounded_and_decreasing(p1, p2, om, k) -> None:
    lo, hi = sorted((p1, p2))
    o_lo, o_hi = rad.oer(lo, om, k), rad.oer(hi, om, k)
    assert 1.0 - 1e-12 <= o_hi <= o_lo <= om + 1e-12


# --- BED / EQD2 ----------------------------------------------------------------------------------------------------


def test_bed_and_eqd2_published_values() -> None:
    # 70 Gy in 35 x 2 Gy at alpha/beta = 10 Gy: BED = 84 Gy10, EQD2 = 70 Gy (Joiner & van der Kogel, ch. 8).
    assert rad.bed(35, 2.0, 10.0) == pytest.approx(84.0)
    assert rad.eqd2(35, 2.0, 10.0) == pytest.approx(70.0)
    # CHHiP: 60 Gy in 20 fractions is 77.1 Gy in 2-Gy fractions at alpha/beta = 1.5 Gy (Dearnaley et al. 2016,
    # Lancet Oncol 17:1047).
    assert rad.eqd2(20, 3.0, 1.5) == pytest.approx(77.1, abs=0.05)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 50), st.floats(0.5, 30.0))
def test_eqd2_of_2gy_fractions_is_total_dose(n, ab) -> None:
    assert rad.eqd2(n, 2.0, ab) == pytest.approx(2.0 * n)


# --- scavenging ----------------------------------------------------------------------------------------------------


def test_scavenging_dose_factor() -> None:
    assert rad.scavenging_dose_factor(0.65, 0.0) == 1.0
    assert rad.scavenging_dose_factor(0.0, 1.0) == 1.0
    # About two thirds of X-ray killing is indirect (Hall & Giaccia ch. 1): removing all radicals leaves one third.
    assert rad.scavenging_dose_factor(2 / 3, 1.0) == pytest.approx(1 / 3)
    f = rad.scavenging_dose_factor(0.65, np.linspace(0, 1, 11))
    assert np.all(np.diff(f) < 0)


# --- bad input -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: rad.lq_survival(-1.0, 0.3, 0.03), r"dose_gy must be finite and >= 0 \(got -1.0\)"),
        (lambda: rad.lq_survival([1.0, np.nan], 0.3, 0.03), "dose_gy .* position 1"),
        (lambda: rad.lq_survival(2.0, np.nan, 0.03), "alpha_per_gy"),
        (lambda: rad.lq_survival(2.0, 0.3, 0.03, g=1.5), r"g must be in \[0, 1\]"),
        (lambda: rad.lq_survival("two", 0.3, 0.03), "dose_gy must be a number"),
        (lambda: rad.lq_survival_general(2.0, 0.3, 0.03, dmf=0.0), "dmf"),
        (lambda: rad.dose_for_survival(1.5, 0.3, 0.03), "sf"),
        (lambda: rad.oer(np.nan), "po2_mmhg"),
        (lambda: rad.oer(-1.0), "po2_mmhg"),
        (lambda: rad.oer(1.0, oer_max=0.5), "oer_max"),
        (lambda: rad.g_constant_rate(1.0, 0.0), "repair_half_time_h"),
        (lambda: rad.g_fractions([2.0, -2.0], 1.0, 1.0), "dose_per_fraction_gy"),
        (lambda: rad.bed(10, 2.0, 0.0), "alpha_beta_gy"),
        (lambda: rad.scavenging_dose_factor(1.2, 0.5), "indirect_fraction"),
    ],
)
def test_bad_input_raises(call, match) -> None:
    with pytest.raises(ChemoradError, match=match):
        call()
