"""Clinical radiobiology in closed form: LQ with incomplete repair, hypoxia, repopulation, Poisson TCP.

Pure array functions used by the site model (`dynamics.tcp_model`); each is tested against its closed form
(tests/dynamics/test_radiobiology.py).

- Linear-quadratic (LQ) log kill of a fraction d: alpha d + G beta d^2, G the incomplete-repair factor
  (Lea-Catcheside). For fractions i at times t_i, G_i = 1 + 2 sum_{j<i} (d_j / d_i) exp(-mu (t_i - t_j)),
  mu = ln 2 / T_repair: the exact pairwise form whose sum over m equal fractions a day, Delta t apart, is Thames'
  h_m factor (Thames 1985, Int J Radiat Biol 47:319; `thames_h`).
- High dose per fraction: plain LQ up to the validity limit of 20 Gy. LQ-L and the universal survival curve bend
  the curve above a transition dose; LQ is kept because it "is reasonably well validated, experimentally and
  theoretically, up to about 10 Gy / fraction, and would be reasonable for use up to about 18 Gy per fraction"
  (Brenner 2008, Semin Radiat Oncol 18:234, author manuscript PMC2750078; read). Between 18 and 20 Gy, and for any
  fraction above the 7.25 Gy of the validation trials, the model is an extrapolation (docs/clinical.md).
- Hypoxia: a hypoxic cell receives the dose d / OER (dose-modifying, alpha and beta alike).
- Repopulation: no net regrowth until the kick-off T_k after the first fraction, then clonogens grow at
  lambda = ln 2 / T_eff per day. Its time factor, the dose in 2-Gy fractions per day of overall time that keeps
  the log kill of an oxic median tumour unchanged, is TF = lambda / (alpha (1 + 2 / (alpha/beta))) (`time_factor`).
- Tumour control: Poisson, TCP = exp(-N) with N the expected clonogens left (Munro & Gilbert 1961).
"""

from __future__ import annotations

import numpy as np

from chemorad.errors import ChemoradError

# Validity range of the site model (issue 21): dose per fraction and fractions a day.
DOSE_RANGE_GY = (1.0, 20.0)
PER_DAY_RANGE = (1, 3)


def check_validity(dose_gy: float, per_day: int, where: str = "schedule") -> None:
    """Refuse a fraction size or a number of fractions a day outside the model's validity range, naming the value."""
    lo, hi = DOSE_RANGE_GY
    if not lo <= dose_gy <= hi:
        raise ChemoradError(
            f"{where}.dose_gy: {dose_gy:g} Gy per fraction is outside the clinical model's validity range "
            f"{lo:g}-{hi:g} Gy"
        )
    if not PER_DAY_RANGE[0] <= per_day <= PER_DAY_RANGE[1]:
        raise ChemoradError(
            f"{where}.per_day: {per_day} fractions a day is outside the clinical model's validity range "
            f"{PER_DAY_RANGE[0]}-{PER_DAY_RANGE[1]}"
        )


def repair_factors(times_days: np.ndarray, doses_gy: np.ndarray, mu_per_day: float) -> np.ndarray:
    """Incomplete-repair factor G_i of each fraction: 1 + 2 sum_{j<i} (d_j / d_i) exp(-mu (t_i - t_j)).

    The beta term of fraction i is G_i beta d_i^2; summed over a schedule it is beta (sum d_i^2 + 2 sum_{j<i} d_i d_j
    exp(-mu (t_i - t_j))), the Lea-Catcheside dose-protraction form for instantaneous fractions. Times in days,
    mu = ln 2 / T_repair per day.
    """
    t = np.asarray(times_days, dtype=float)
    d = np.asarray(doses_gy, dtype=float)
    lag = t[:, None] - t[None, :]
    w = np.where(lag > 0, np.exp(-mu_per_day * np.maximum(lag, 0.0)), 0.0)
    return 1.0 + 2.0 * (w @ d) / d


def thames_h(m: int, phi: float) -> float:
    """Thames' incomplete-repair factor h_m for m equal fractions a day, phi = exp(-mu Delta t).

    h_m = (2 / m) (phi / (1 - phi)) (m - (1 - phi^m) / (1 - phi)); the daily beta term is m beta d^2 (1 + h_m)
    (Thames 1985, Int J Radiat Biol 47:319; recalled).
    """
    if m <= 1:
        return 0.0
    return (2.0 / m) * (phi / (1.0 - phi)) * (m - (1.0 - phi**m) / (1.0 - phi))


def lq_log_kill(alpha, beta, dose_gy, g=1.0):
    """-ln SF of one fraction: alpha d + G beta d^2 (arrays broadcast)."""
    return alpha * dose_gy + g * beta * dose_gy * dose_gy


def bed(n: float, d: float, alpha_beta: float) -> float:
    """Biologically effective dose n d (1 + d / (alpha/beta)) (Gy)."""
    return n * d * (1.0 + d / alpha_beta)


def eqd2(n: float, d: float, alpha_beta: float) -> float:
    """Dose in 2-Gy fractions with the same LQ effect: n d (d + alpha/beta) / (2 + alpha/beta) (Gy)."""
    return n * d * (d + alpha_beta) / (2.0 + alpha_beta)


def repopulation_log_growth(t0: float, t1: float, first_day: float, kickoff_days: float, rate_per_day) -> np.ndarray:
    """ln of the clonogen growth between t0 and t1: rate x the time after the kick-off first_day + T_k."""
    start = first_day + kickoff_days
    return rate_per_day * max(0.0, t1 - max(t0, start))


def time_factor(rate_per_day: float, alpha: float, alpha_beta: float, d_ref: float = 2.0) -> float:
    """Dose in d_ref fractions per day that offsets repopulation at `rate_per_day` (Gy/day).

    One day costs rate log kill; a Gy in d_ref fractions gives alpha (1 + d_ref / (alpha/beta)), so
    TF = rate / (alpha (1 + d_ref / (alpha/beta))). The definition of Withers, Taylor & Maciejewski (1988) for an
    oxic tumour of the median patient.
    """
    return float(rate_per_day / (alpha * (1.0 + d_ref / alpha_beta)))


def poisson_tcp(survivors) -> np.ndarray:
    """P(no clonogen survives) when the number is Poisson with mean `survivors`: exp(-N)."""
    return np.exp(-np.asarray(survivors, dtype=float))
