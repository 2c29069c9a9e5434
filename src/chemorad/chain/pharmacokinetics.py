"""Plasma pharmacokinetics: the delivery stage of a drug, before the tissue.

Linear one- and two-compartment models with elimination from the central compartment, solved analytically as sums of
exponentials (no ODE solver), for a zero-order intravenous infusion of duration T into the central compartment
(T = 0 is an exact bolus) and for repeated administrations by superposition (the models are linear).

Two-compartment macro-constants (Gibaldi & Perrier ch. 2; Rowland & Tozer ch. 19): with k10 = CL/V1, k12 = Q/V1,
k21 = Q/V2, the disposition rates alpha > beta are the roots of s^2 - (k10 + k12 + k21) s + k10 k21 = 0 and the
unit-bolus response is C(t)/D = A exp(-alpha t) + B exp(-beta t) with
    A = (alpha - k21) / (V1 (alpha - beta)),  B = (k21 - beta) / (V1 (alpha - beta)),
both >= 0 because beta <= k21 <= alpha. One compartment: C(t)/D = exp(-k t)/V with k = CL/V.

A zero-order infusion of D mg over T h (rate D/T) gives, for each exponential term c_i exp(-lambda_i t),
    D c_i (t/T) phi(lambda_i t)                     0 <= t < T
    D c_i exp(-lambda_i (t - T)) phi(lambda_i T)    t >= T,        phi(x) = (1 - exp(-x)) / x, phi(0) = 1,
which is the bolus response exactly when T = 0 and is numerically stable as T -> 0. Its integral over [0, t] is
    D c_i (t^2/T) psi(lambda_i t)                                          0 <= t < T
    D c_i [(1 - exp(-lambda_i (t - T))) / lambda_i + exp(-lambda_i (t - T)) T psi(lambda_i T)]   t >= T,
with psi(x) = (x - 1 + exp(-x)) / x^2, and the total AUC(inf) = D sum_i c_i / lambda_i = D / CL.

Units: time in h, dose in mg, clearance and inter-compartmental clearance in L/h, volumes in L, concentration in
mg/L, AUC in mg h/L. Sources: Gibaldi M & Perrier D, Pharmacokinetics, 2nd ed. (Marcel Dekker 1982), ch. 1-2;
Rowland M & Tozer TN, Clinical Pharmacokinetics and Pharmacodynamics, 4th ed. (2011).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.special import exprel

from chemorad.chain.validate import nonnegative, positive
from chemorad.errors import ChemoradError

__all__ = ["macro_constants", "concentration", "auc", "mg_per_l_to_um"]

_PSI_SERIES_BELOW = 0.05
_PSI_COEF = [(-1) ** k / np.prod(np.arange(1, k + 3, dtype=float)) for k in range(7)]


def _phi(x: np.ndarray) -> np.ndarray:
    """(1 - exp(-x)) / x, phi(0) = 1, phi(inf) = 0."""
    return exprel(-np.asarray(x, dtype=float))


def _psi(x: np.ndarray) -> np.ndarray:
    """(x - 1 + exp(-x)) / x^2 for x >= 0, psi(0) = 1/2, psi(inf) = 0; series below 0.05 (no cancellation)."""
    x = np.asarray(x, dtype=float)
    small = x < _PSI_SERIES_BELOW
    series = np.polynomial.polynomial.polyval(np.where(small, x, 0.0), _PSI_COEF)
    xl = np.where(small | ~np.isfinite(x), 1.0, x)
    direct = (xl + np.expm1(-xl)) / (xl * xl)
    return np.where(small, series, np.where(np.isfinite(x), direct, 0.0))


def macro_constants(clearance_l_h, v_central_l, q_l_h=None, v_peripheral_l=None):
    """Per-unit-dose coefficients (1/L) and rates (1/h) of the bolus response: ((c_1, lambda_1), ...).

    One compartment (q_l_h and v_peripheral_l both None): ((1/V, CL/V),). Two compartments: ((A, alpha), (B, beta)) as
    in the module docstring; multiply A and B by the dose for the textbook macro-constants. Arrays broadcast.
    """
    cl = positive("clearance_l_h", clearance_l_h)
    v1 = positive("v_central_l", v_central_l)
    if q_l_h is None and v_peripheral_l is None:
        return ((1.0 / v1, cl / v1),)
    if q_l_h is None or v_peripheral_l is None:
        raise ChemoradError(
            "q_l_h and v_peripheral_l must be given together for a two-compartment model "
            f"(got q_l_h={q_l_h!r}, v_peripheral_l={v_peripheral_l!r})"
        )
    q = positive("q_l_h", q_l_h)
    v2 = positive("v_peripheral_l", v_peripheral_l)
    k10, k12, k21 = cl / v1, q / v1, q / v2
    s = k10 + k12 + k21
    alpha = 0.5 * (s + np.sqrt(s * s - 4.0 * k10 * k21))
    beta = k10 * k21 / alpha  # product of the roots; avoids cancellation in (s - sqrt(...)) / 2
    a = (alpha - k21) / (v1 * (alpha - beta))
    b = (k21 - beta) / (v1 * (alpha - beta))
    return ((a, alpha), (b, beta))


def _dose_inputs(time_h, dose_mg, infusion_h, dose_times_h, allow_inf_time: bool):
    t = nonnegative("time_h", time_h, allow_inf=allow_inf_time)
    dose = nonnegative("dose_mg", dose_mg)
    tinf = nonnegative("infusion_h", infusion_h)
    times = nonnegative("dose_times_h", dose_times_h)
    if times.ndim > 1:
        raise ChemoradError(f"dose_times_h must be a number or a 1-D sequence of times (got shape {times.shape})")
    return t, dose, tinf, np.atleast_1d(times)


def concentration(
    time_h,
    dose_mg,
    clearance_l_h,
    v_central_l,
    infusion_h=0.0,
    q_l_h=None,
    v_peripheral_l=None,
    dose_times_h: float | Sequence[float] = (0.0,),
):
    """Plasma (central) concentration in mg/L at `time_h` after administrations of `dose_mg` each.

    Each administration starts at one of `dose_times_h` (h) and is a zero-order infusion lasting `infusion_h`
    (0: bolus); the concentrations of the administrations add (superposition). For a one-compartment model omit
    `q_l_h` and `v_peripheral_l`; give both for two compartments. `time_h`, `dose_mg`, `infusion_h` and the PK
    parameters broadcast against each other (e.g. a grid of times, or one clearance per patient); `dose_times_h` is
    a 1-D sequence. Give different doses per cycle by adding calls. Formulas and sources: module docstring
    (Gibaldi & Perrier 1982).
    """
    t, dose, tinf, times = _dose_inputs(time_h, dose_mg, infusion_h, dose_times_h, allow_inf_time=True)
    modes = macro_constants(clearance_l_h, v_central_l, q_l_h, v_peripheral_l)
    tsafe = np.where(tinf > 0, tinf, 1.0)
    total = np.zeros(())
    for t0 in times:
        s = t - t0
        during = (s >= 0) & (s < tinf)
        after = s >= tinf
        for c, lam in modes:
            with np.errstate(invalid="ignore", over="ignore"):
                up = (np.where(during, s, 0.0) / tsafe) * _phi(lam * np.where(during, s, 0.0))
                down = np.exp(-lam * np.where(after, s - tinf, 0.0)) * _phi(lam * tinf)
            total = total + c * np.where(during, up, np.where(after, down, 0.0))
    out = dose * total
    return out[()] if np.ndim(out) == 0 else out


def auc(
    time_h,
    dose_mg,
    clearance_l_h,
    v_central_l,
    infusion_h=0.0,
    q_l_h=None,
    v_peripheral_l=None,
    dose_times_h: float | Sequence[float] = (0.0,),
):
    """Area under the plasma concentration curve over [0, time_h], in mg h/L (time_h = inf allowed).

    Analytic integral of `concentration` (same arguments, formulas in the module docstring). For t -> inf it tends to
    (number of doses) x dose / CL, for one and two compartments alike (Gibaldi & Perrier 1982, ch. 2).
    """
    t, dose, tinf, times = _dose_inputs(time_h, dose_mg, infusion_h, dose_times_h, allow_inf_time=True)
    modes = macro_constants(clearance_l_h, v_central_l, q_l_h, v_peripheral_l)
    tsafe = np.where(tinf > 0, tinf, 1.0)
    total = np.zeros(())
    for t0 in times:
        s = t - t0
        during = (s >= 0) & (s < tinf)
        after = s >= tinf
        for c, lam in modes:
            sd = np.where(during, s, 0.0)
            u = lam * np.where(after, s - tinf, 0.0)
            up = sd * sd / tsafe * _psi(lam * sd)
            down = -np.expm1(-u) / lam + np.exp(-u) * tinf * _psi(lam * tinf)
            total = total + c * np.where(during, up, np.where(after, down, 0.0))
    out = dose * total
    return out[()] if np.ndim(out) == 0 else out


def mg_per_l_to_um(conc_mg_l, molar_mass_g_mol):
    """Convert a concentration from mg/L to umol/L: C_uM = 1000 C_mg/L / M (M in g/mol).

    (1 mg/L = 1e-3 g/L = 1e-3/M mol/L = 1e3/M umol/L.) Example: doxorubicin (M = 543.5 g/mol) at 0.5435 mg/L is 1 uM.
    """
    c = nonnegative("conc_mg_l", conc_mg_l)
    m = positive("molar_mass_g_mol", molar_mass_g_mol)
    return 1000.0 * c / m
