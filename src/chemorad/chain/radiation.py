"""Radiation physics and radiobiology: the damage, fixation and repair stages for low-LET photons.

All functions are pure and vectorised: array arguments broadcast against each other (NumPy rules) and the result has
the broadcast shape; a scalar input gives a NumPy scalar. Invalid input raises `ChemoradError` naming the argument.

Sources
-------
- Linear-quadratic model and BED: Fowler JF 1989, Br J Radiol 62:679;
  Joiner MC & van der Kogel AJ (eds), Basic Clinical Radiobiology, 5th ed. (CRC Press 2018), ch. 4 and 8.
- Dose-protraction factor: Lea DE & Catcheside DG 1942, J Genet 44:216;
  Sachs RK, Hahnfeldt P & Brenner DJ 1997, Int J Radiat Biol 72:351 (doi:10.1080/095530097143149).
- Oxygen effect: Alper T & Howard-Flanders P 1956, Nature 178:978;
  Wouters BG & Brown JM 1997, Radiat Res 147:541.
- Direct and indirect action: Hall EJ & Giaccia AJ, Radiobiology for the Radiologist, 8th ed. (2019), ch. 1.
"""

from __future__ import annotations

import numpy as np

from chemorad.chain import kernel
from chemorad.chain.validate import finite, in_range, nonnegative, positive
from chemorad.errors import ChemoradError

__all__ = [
    "LN2",
    "lq_survival",
    "lq_survival_general",
    "dose_for_survival",
    "g_constant_rate",
    "g_fractions",
    "oer",
    "oxygen_sensitivity",
    "bed",
    "eqd2",
    "scavenging_dose_factor",
]

LN2 = float(np.log(2.0))

# psi(x) = (x - 1 + exp(-x)) / x**2 = sum_k (-x)^k / (k+2)!; below this x the Taylor series (terms to x^6, truncation
# error < 1e-15 relative) is used, above it the direct form (cancellation error ~ 2 eps / x < 1e-14).
_PSI_SERIES_BELOW = 0.05
_PSI_COEF = [1.0 / np.prod(np.arange(1, k + 3, dtype=float)) * (-1) ** k for k in range(7)]


def _psi(x: np.ndarray) -> np.ndarray:
    """(x - 1 + exp(-x)) / x^2 for x >= 0 (x = inf allowed: 0), accurate at every x; psi(0) = 1/2."""
    x = np.asarray(x, dtype=float)
    small = x < _PSI_SERIES_BELOW
    xs = np.where(small, x, 0.0)
    series = np.polynomial.polynomial.polyval(xs, _PSI_COEF)
    xl = np.where(small | ~np.isfinite(x), 1.0, x)
    direct = (xl + np.expm1(-xl)) / (xl * xl)
    return np.where(small, series, np.where(np.isfinite(x), direct, 0.0))


def lq_survival(dose_gy, alpha_per_gy, beta_per_gy2, g=1.0):
    """Surviving fraction under the linear-quadratic model.

    S = exp(-alpha D - G beta D^2), D in Gy, alpha in 1/Gy, beta in 1/Gy^2, G the Lea-Catcheside dose-protraction
    factor in [0, 1] (1 for an acute dose; see `g_constant_rate`, `g_fractions`). Source: Fowler 1989; Joiner & van
    der Kogel, Basic Clinical Radiobiology, ch. 4.
    """
    d = nonnegative("dose_gy", dose_gy)
    a = nonnegative("alpha_per_gy", alpha_per_gy)
    b = nonnegative("beta_per_gy2", beta_per_gy2)
    gg = in_range("g", g, 0.0, 1.0)
    return np.exp(-a * d - gg * b * d * d)


def lq_survival_general(dose_gy, alpha, beta, dmf=1.0, g=1.0):
    """Linear-quadratic survival with a dose-modifying factor (DMF).

    A DMF divides the dose: D -> D/DMF, i.e. alpha -> alpha/DMF and beta -> beta/DMF^2, so
    S = exp(-alpha (D/DMF) - G beta (D/DMF)^2). DMF > 1 protects (e.g. the oxygen enhancement ratio of a hypoxic
    cell, `oer`); DMF < 1 sensitises. alpha in 1/Gy, beta in 1/Gy^2, D in Gy. All arguments broadcast.
    Source: Joiner & van der Kogel, Basic Clinical Radiobiology, ch. 4 and 15 (dose-modifying factors).
    """
    d = nonnegative("dose_gy", dose_gy)
    a = nonnegative("alpha", alpha)
    b = nonnegative("beta", beta)
    m = positive("dmf", dmf)
    gg = in_range("g", g, 0.0, 1.0)
    x = d / m
    return np.exp(-a * x - gg * b * x * x)


def dose_for_survival(sf, alpha, beta, dmf=1.0, g=1.0):
    """Dose (Gy) that gives surviving fraction `sf` under `lq_survival_general`: the closed-form inverse.

    With L = -ln(sf) >= 0, the dose solves G beta x^2 + alpha x - L = 0 for x = D/DMF; the positive root, written
    without cancellation, is x = 2 L / (alpha + sqrt(alpha^2 + 4 G beta L)), which reduces to x = L/alpha in the pure
    alpha case (beta = 0 or G = 0). D = DMF x. sf = 1 gives 0; sf = 0, or alpha = G beta = 0 with sf < 1, gives inf.
    """
    s = in_range("sf", sf, 0.0, 1.0)
    a = nonnegative("alpha", alpha)
    b = nonnegative("beta", beta)
    m = positive("dmf", dmf)
    gg = in_range("g", g, 0.0, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        loss = -np.log(s)
        denom = a + np.sqrt(a * a + 4.0 * gg * b * loss)
        x = 2.0 * loss / denom
    x = np.where(loss == 0.0, 0.0, np.where((denom == 0.0) | np.isinf(loss), np.inf, x))
    out = m * x
    return out[()] if out.ndim == 0 else out


def g_constant_rate(time_h, repair_half_time_h):
    """Lea-Catcheside factor G for a dose delivered at constant rate over `time_h` hours.

    With mono-exponential repair of sublethal damage at rate mu = ln 2 / T_half and x = mu T,
        G = 2 (x - 1 + exp(-x)) / x^2,
    which falls from 1 (acute, T = 0, the limit) to 0 (T >> T_half). Evaluated by its Taylor series for small x so it is
    accurate down to T = 0; T = inf gives 0 and T_half = inf (no repair) gives 1. Units: hours for both arguments.
    Source: Lea & Catcheside 1942, J Genet 44:216; Sachs, Hahnfeldt & Brenner 1997, Int J Radiat Biol 72:351.
    """
    t = nonnegative("time_h", time_h, allow_inf=True)
    th = positive("repair_half_time_h", repair_half_time_h, allow_inf=True)
    with np.errstate(invalid="ignore"):
        x = LN2 * t / th
    x = np.where(np.isinf(th), 0.0, x)  # no repair: G = 1 even for an infinite time
    return 2.0 * _psi(x)


def g_fractions(dose_per_fraction_gy, interval_h, repair_half_time_h):
    """Lea-Catcheside factor G for acute fractions separated by gaps with incomplete mono-exponential repair.

    For fractions d_1..d_n at times t_1 < ... < t_n, total D = sum d_i and mu = ln 2 / T_half,
        G = [sum_i d_i^2 + 2 sum_{i<j} d_i d_j exp(-mu (t_j - t_i))] / D^2,
    so two equal fractions give G = 1/2 after a long gap (complete repair) and G = 1 with no gap. Computed in O(n) by
    the recursion S_j = (S_{j-1} + d_{j-1}) exp(-mu gap_{j-1}), G = [sum d_i^2 + 2 sum_j d_j S_j] / D^2.

    Shapes: `dose_per_fraction_gy` has the fractions on its last axis, shape (..., n) (a scalar is one fraction);
    `interval_h` (hours) is a scalar (equal gaps) or has shape (..., n - 1); `repair_half_time_h` (hours, inf allowed:
    no repair) broadcasts against the leading shape (...). The result has the broadcast leading shape. A course with
    zero total dose has G = 1 by convention (it kills nothing either way).
    Source: Lea & Catcheside 1942; Sachs, Hahnfeldt & Brenner 1997, Int J Radiat Biol 72:351.
    """
    d = nonnegative("dose_per_fraction_gy", dose_per_fraction_gy)
    if d.ndim == 0:
        d = d[None]
    n = d.shape[-1]
    gaps = nonnegative("interval_h", interval_h, allow_inf=True)
    th = positive("repair_half_time_h", repair_half_time_h, allow_inf=True)
    if gaps.ndim == 0:
        gaps = np.broadcast_to(gaps, (n - 1,))
    elif gaps.shape[-1] != n - 1:
        raise ChemoradError(
            f"interval_h must be a scalar or have n - 1 = {n - 1} gaps on its last axis (got shape {gaps.shape})"
        )
    with np.errstate(invalid="ignore"):
        decay = np.exp(-LN2 * gaps / th[..., None])
    decay = np.where(np.isinf(th)[..., None], 1.0, decay)  # no repair, even over an infinite gap
    total = d.sum(axis=-1)
    square = (d * d).sum(axis=-1)
    s = np.zeros(())
    cross = np.zeros(())
    for j in range(1, n):
        s = (s + d[..., j - 1]) * decay[..., j - 1]
        cross = cross + d[..., j] * s
    with np.errstate(divide="ignore", invalid="ignore"):
        g = (square + 2.0 * cross) / (total * total)
    g = np.clip(np.where(total > 0, g, 1.0), 0.0, 1.0)
    g = np.broadcast_to(g, np.broadcast_shapes(g.shape, th.shape)).copy()
    return g[()] if g.ndim == 0 else g


def oxygen_sensitivity(po2_mmhg, oer_max=3.0, k_mmhg=3.0):
    """Radiosensitivity relative to fully oxic cells, m(p), in the Alper-Howard-Flanders form.

        m(p) = (oer_max p + K) / (oer_max (p + K)) = (1/oer_max) [1 + (oer_max - 1) p / (p + K)]

    m(0) = 1/oer_max (anoxic), m -> 1 as p -> inf. K (mmHg) is the pO2 at which the sensitivity is half-way between
    anoxic and fully oxic: m(K) = (1 + 1/oer_max) / 2, exactly (substitute p = K: (oer_max + 1) K / (2 oer_max K)).
    This is Alper & Howard-Flanders' (oer_max p + K)/(p + K), which is relative to anoxic cells, divided by oer_max.
    Defaults oer_max = 3, K = 3 mmHg (about 0.4% O2): Wouters & Brown 1997, Radiat Res 147:541; Hall & Giaccia ch. 6.
    """
    p = nonnegative("po2_mmhg", po2_mmhg, allow_inf=True)
    om = in_range("oer_max", finite("oer_max", oer_max), 1.0, np.inf)
    k = positive("k_mmhg", k_mmhg)
    return kernel.oxygen_sensitivity(np, p, om, k)


def oer(po2_mmhg, oer_max=3.0, k_mmhg=3.0):
    """Oxygen enhancement ratio at pO2 p: the hypoxic dose-modifying factor relative to fully oxic cells.

        OER(p) = 1 / m(p) = oer_max (p + K) / (oer_max p + K)

    (m: `oxygen_sensitivity`). OER(0) = oer_max, OER -> 1 as p -> inf, and it decreases monotonically in p. With the
    defaults (oer_max = 3, K = 3 mmHg): 3 at 0 mmHg, 1.5 at K = 3 mmHg (sensitivity half-way), 2 = (1 + oer_max)/2 at
    p = K/oer_max = 1 mmHg (dose factor half-way), 1.05 at 40 mmHg (capillary blood), 1.012 at 160 mmHg (air).
    A hypoxic cell at pO2 p needs OER(p) times the oxic dose for the same effect: `lq_survival_general(D, a, b,
    dmf=oer(p))`. Sources: Alper & Howard-Flanders 1956, Nature 178:978; Wouters & Brown 1997, Radiat Res 147:541.
    """
    return 1.0 / oxygen_sensitivity(po2_mmhg, oer_max=oer_max, k_mmhg=k_mmhg)


def bed(n, dose_per_fraction_gy, alpha_beta_gy):
    """Biologically effective dose (Gy) of n acute fractions of d Gy, complete repair between fractions.

    BED = n d (1 + d / (alpha/beta)). No repopulation or incomplete-repair terms. n need not be an integer (a
    continuous count is convenient for optimisation). Source: Fowler 1989, Br J Radiol 62:679; Joiner & van der
    Kogel, Basic Clinical Radiobiology, ch. 8.
    """
    nn = nonnegative("n", n)
    d = nonnegative("dose_per_fraction_gy", dose_per_fraction_gy)
    ab = positive("alpha_beta_gy", alpha_beta_gy)
    return nn * d * (1.0 + d / ab)


def eqd2(n, dose_per_fraction_gy, alpha_beta_gy):
    """Equivalent dose in 2-Gy fractions (Gy): EQD2 = BED / (1 + 2 / (alpha/beta)).

    Equals the total dose n d when d = 2 Gy, for any alpha/beta. Source: Joiner & van der Kogel, ch. 8; Fowler 1989.
    """
    ab = positive("alpha_beta_gy", alpha_beta_gy)
    return bed(n, dose_per_fraction_gy, ab) / (1.0 + 2.0 / ab)


def scavenging_dose_factor(indirect_fraction, scavenged_fraction):
    """Effective-dose multiplier from radical scavenging: 1 - f_ind s.

    Indirect-action model (Hall & Giaccia, ch. 1): low-LET radiation damages DNA directly (ionising the DNA itself)
    and indirectly, by ionising water within a few nm of the DNA to make hydroxyl radicals (OH*) that then attack it.
    About two thirds of the cell killing by X-rays is indirect (estimated from the protection by OH scavengers such
    as DMSO: Chapman et al. 1973, Radiat Res 56:291; Roots & Okada 1975, Radiat Res 64:306). Scavengers (glutathione,
    other thiols, antioxidant enzymes under NRF2) intercept a fraction s of those radicals before they react. If
    f_ind is the indirect share of the lethal damage and s in [0, 1] the scavenged share of it, the damage per Gy,
    and hence the effective dose, is multiplied by 1 - f_ind s (1: no scavenging; 1 - f_ind: all radicals removed, the
    direct action alone remains). Use it as a dose-modifying factor: dmf = 1 / (1 - f_ind s).
    """
    f = in_range("indirect_fraction", indirect_fraction, 0.0, 1.0)
    s = in_range("scavenged_fraction", scavenged_fraction, 0.0, 1.0)
    return 1.0 - f * s
