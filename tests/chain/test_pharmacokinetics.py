"""Plasma PK against textbook special cases, the AUC = dose/CL identity and an independent ODE solution."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate

from chemorad.chain import pharmacokinetics as pk
from chemorad.errors import ChemoradError

# A doxorubicin-like two-compartment drug (orders of magnitude only): CL 40 L/h, V1 20 L, Q 60 L/h, V2 800 L.
TWO = {"clearance_l_h": 40.0, "v_central_l": 20.0, "q_l_h": 60.0, "v_peripheral_l": 800.0}


def _ode(t_eval, dose, cl, v1, q=0.0, v2=1.0, infusion_h=0.0, dose_times=(0.0,)):
    """Amounts in the central and peripheral compartments by numerical integration (second, independent oracle)."""

    def rate_in(t):
        if infusion_h == 0.0:
            return 0.0
        return sum(dose / infusion_h for t0 in dose_times if t0 <= t < t0 + infusion_h)

    def rhs(t, y):
        a1, a2 = y
        return [rate_in(t) - (cl + q) / v1 * a1 + q / v2 * a2, q / v1 * a1 - q / v2 * a2]

    out = np.zeros(len(t_eval))
    # Integrate piecewise between dose events so that boluses and infusion edges are handled exactly.
    events = sorted({0.0, *dose_times, *(t0 + infusion_h for t0 in dose_times), float(max(t_eval))})
    y = np.zeros(2)
    for lo, hi in zip(events[:-1], events[1:], strict=True):
        if infusion_h == 0.0 and lo in dose_times:
            y = y + [dose, 0.0]
        mask = (t_eval >= lo) & (t_eval <= hi)
        sol = integrate.solve_ivp(rhs, (lo, hi), y, t_eval=t_eval[mask], rtol=1e-10, atol=1e-12, method="LSODA")
        out[mask] = sol.y[0] / v1
        y = integrate.solve_ivp(rhs, (lo, hi), y, rtol=1e-10, atol=1e-12, method="LSODA").y[:, -1]
    return out


def test_one_compartment_bolus_closed_form() -> None:
    # C(t) = D/V exp(-CL t / V) (Gibaldi & Perrier ch. 1); half-life ln2 V/CL.
    t = np.linspace(0, 24, 25)
    c = pk.concentration(t, 100.0, 10.0, 50.0)
    assert np.allclose(c, 100.0 / 50.0 * np.exp(-10.0 / 50.0 * t), rtol=1e-13)
    assert pk.concentration(np.log(2) * 50.0 / 10.0, 100.0, 10.0, 50.0) == pytest.approx(1.0)


def test_infusion_approaches_steady_state() -> None:
    # A constant infusion R0 = D/T approaches Css = R0/CL (Rowland & Tozer ch. 10); after 10 half-lives within 0.1%.
    dose, t_inf, cl, v = 1000.0, 100.0, 10.0, 50.0  # half-life 3.47 h
    c = pk.concentration(np.array([50.0, 99.99]), dose, cl, v, infusion_h=t_inf)
    assert np.allclose(c, dose / t_inf / cl, rtol=1e-3)
    # After the infusion stops the concentration decays with the elimination half-life.
    half = np.log(2) * v / cl
    c_end, c_later = pk.concentration(np.array([t_inf, t_inf + half]), dose, cl, v, infusion_h=t_inf)
    assert c_later == pytest.approx(c_end / 2)


def test_short_infusion_tends_to_bolus_and_zero_is_exact() -> None:
    t = np.array([0.0, 0.5, 2.0, 10.0])
    bolus = pk.concentration(t, 100.0, **TWO)
    assert bolus[0] == pytest.approx(100.0 / 20.0)  # C(0) = D/V1
    nearly = pk.concentration(t[1:], 100.0, infusion_h=1e-9, **TWO)
    assert np.allclose(nearly, bolus[1:], rtol=1e-7)
    assert pk.concentration(0.0, 100.0, infusion_h=1.0, **TWO) == 0.0


@pytest.mark.parametrize("infusion_h", [0.0, 0.25, 3.0])
@pytest.mark.parametrize("model", ["one", "two"])
def test_auc_infinity_is_dose_over_clearance(model: str, infusion_h: float) -> None:
    # AUC(0, inf) = D / CL for any linear model with central elimination (Gibaldi & Perrier ch. 2).
    params = TWO if model == "two" else {"clearance_l_h": 40.0, "v_central_l": 20.0}
    assert pk.auc(np.inf, 100.0, infusion_h=infusion_h, **params) == pytest.approx(100.0 / 40.0, rel=1e-12)
    # Two cycles: twice that.
    assert pk.auc(np.inf, 100.0, infusion_h=infusion_h, dose_times_h=[0, 21 * 24], **params) == pytest.approx(5.0)


@pytest.mark.parametrize("infusion_h", [0.0, 2.0])
def test_auc_matches_quadrature(infusion_h: float) -> None:
    for t_end in [0.7, 2.0, 12.0, 48.0]:
        brk = [p for p in (infusion_h,) if 0 < p < t_end]
        num, _ = integrate.quad(
            lambda s: pk.concentration(s, 100.0, infusion_h=infusion_h, **TWO),
            0,
            t_end,
            points=brk or None,
            limit=200,
        )
        assert pk.auc(t_end, 100.0, infusion_h=infusion_h, **TWO) == pytest.approx(num, rel=1e-8)


def test_superposition_of_two_doses() -> None:
    t = np.linspace(0, 72, 145)
    both = pk.concentration(t, 60.0, infusion_h=1.0, dose_times_h=[0.0, 24.0], **TWO)
    first = pk.concentration(t, 60.0, infusion_h=1.0, **TWO)
    second = np.where(t >= 24, pk.concentration(np.maximum(t - 24.0, 0.0), 60.0, infusion_h=1.0, **TWO), 0.0)
    assert np.allclose(both, first + second, rtol=1e-12, atol=0)


@pytest.mark.parametrize(("infusion_h", "dose_times"), [(0.0, (0.0,)), (1.5, (0.0,)), (2.0, (0.0, 12.0))])
def test_two_compartment_matches_ode(infusion_h: float, dose_times: tuple) -> None:
    t = np.linspace(0.0, 36.0, 73)
    expected = _ode(t, 100.0, 40.0, 20.0, 60.0, 800.0, infusion_h, dose_times)
    got = pk.concentration(t, 100.0, infusion_h=infusion_h, dose_times_h=dose_times, **TWO)
    assert np.allclose(got, expected, rtol=1e-6, atol=1e-9)


def test_macro_constants_textbook_identities() -> None:
    (a, alpha), (b, beta) = pk.macro_constants(**TWO)
    k10, k12, k21 = 40 / 20, 60 / 20, 60 / 800
    # alpha + beta = k10 + k12 + k21 and alpha beta = k10 k21 (Gibaldi & Perrier ch. 2); A + B = 1/V1.
    assert alpha + beta == pytest.approx(k10 + k12 + k21)
    assert alpha * beta == pytest.approx(k10 * k21)
    assert a + b == pytest.approx(1 / 20)
    assert alpha > beta > 0 and a > 0 and b > 0


def test_broadcasting_over_patients() -> None:
    cl = np.array([5.0, 10.0, 20.0])
    c = pk.concentration(np.array([1.0, 2.0])[:, None], 100.0, cl, 50.0)
    assert c.shape == (2, 3)
    assert np.all(np.diff(c, axis=1) < 0)  # faster clearance, lower concentration
    assert np.allclose(pk.auc(np.inf, 100.0, cl, 50.0), 100.0 / cl)


@settings(max_examples=60, deadline=None)
@given(
    st.floats(0.0, 500.0),
    st.floats(0.0, 1e3),
    st.floats(0.1, 100.0),
    st.floats(1.0, 100.0),
    st.floats(0.01, 100.0),
    st.floats(1.0, 1e3),
    st.floats(0.0, 24.0),
)
def test_concentration_and_auc_never_negative(t, dose, cl, v1, q, v2, tinf) -> None:
    c = pk.concentration(t, dose, cl, v1, tinf, q, v2, dose_times_h=[0.0, 7.0])
    a = pk.auc(t, dose, cl, v1, tinf, q, v2, dose_times_h=[0.0, 7.0])
    assert c >= 0 and np.isfinite(c)
    assert 0 <= a <= 2 * dose / cl * (1 + 1e-9)


def test_mg_per_l_to_um() -> None:
    # Doxorubicin, M = 543.52 g/mol (PubChem CID 31703): 0.54352 mg/L = 1 uM. Cisplatin, M = 300.05 g/mol.
    assert pk.mg_per_l_to_um(0.54352, 543.52) == pytest.approx(1.0)
    assert pk.mg_per_l_to_um(3.0005, 300.05) == pytest.approx(10.0)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: pk.concentration(1.0, -5.0, 10.0, 50.0), "dose_mg must be finite and >= 0"),
        (lambda: pk.concentration(-1.0, 5.0, 10.0, 50.0), "time_h"),
        (lambda: pk.concentration(1.0, 5.0, np.nan, 50.0), "clearance_l_h"),
        (lambda: pk.concentration(1.0, 5.0, 10.0, 0.0), "v_central_l"),
        (lambda: pk.concentration(1.0, 5.0, 10.0, 50.0, q_l_h=3.0), "v_peripheral_l must be given together"),
        (lambda: pk.concentration(1.0, 5.0, 10.0, 50.0, infusion_h=-1.0), "infusion_h"),
        (lambda: pk.auc(1.0, 5.0, 10.0, 50.0, dose_times_h=[[0.0]]), "dose_times_h"),
        (lambda: pk.mg_per_l_to_um(-1.0, 300.0), "conc_mg_l"),
        (lambda: pk.mg_per_l_to_um(1.0, 0.0), "molar_mass_g_mol"),
    ],
)
def test_bad_input_raises(call, match) -> None:
    with pytest.raises(ChemoradError, match=match):
        call()
