"""Variance-based (Sobol) sensitivity indices from the Saltelli A/B/AB_i design; pure functions of arrays.

With f_A, f_B (N model outputs on the base matrices A and B) and f_AB_i (on A with column i from B), and
V = Var(f_A u f_B) the output variance estimated on both base samples (Saltelli et al. 2010, Comput Phys Commun
181:259, Table 2 and eqs. (b) and (f)):

    first order  S_i  = (1/N) sum_j f_B(j) (f_AB_i(j) - f_A(j)) / V          (Saltelli 2010)
    total order  ST_i = (1/2N) sum_j (f_A(j) - f_AB_i(j))^2 / V              (Jansen 1999)

S_i is the share of Var(Y) explained by x_i alone, ST_i the share involving x_i at all (alone or in interaction), so
S_i <= ST_i and sum_i S_i <= 1 for exact values; estimates can fall slightly outside [0, 1] at small N. Confidence
intervals: percentile bootstrap over the N base rows (Archer, Saltelli & Sobol 1997, J Stat Comput Simul 58:99).

Check: the Ishigami function f = sin x1 + a sin^2 x2 + b x3^4 sin x1 on [-pi, pi]^3 (Ishigami & Homma 1990) with
a = 7, b = 0.1 has S = (0.3139, 0.4424, 0) and ST = (0.5576, 0.4424, 0.2437) (tests/sweep/test_sensitivity.py).
"""

from __future__ import annotations

import numpy as np


def sobol_indices(f_a: np.ndarray, f_b: np.ndarray, f_ab: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First- and total-order indices (S, ST), each of length k, from f_A (N,), f_B (N,) and f_AB (N, k)."""
    f_a, f_b, f_ab = np.asarray(f_a, float), np.asarray(f_b, float), np.asarray(f_ab, float)
    v = np.var(np.concatenate([f_a, f_b]), ddof=1)
    if not np.isfinite(v) or v <= 0:  # a constant output: no variance to apportion
        nan = np.full(f_ab.shape[1], np.nan)
        return nan, nan.copy()
    s1 = np.mean(f_b[:, None] * (f_ab - f_a[:, None]), axis=0) / v
    st = 0.5 * np.mean((f_a[:, None] - f_ab) ** 2, axis=0) / v
    return s1, st


def bootstrap_ci(
    f_a: np.ndarray, f_b: np.ndarray, f_ab: np.ndarray, rng: np.random.Generator, n_boot: int = 500, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bootstrap intervals over the base rows: arrays (2, k) of [low, high] for S and for ST."""
    n = len(f_a)
    s1s, sts = [], []
    for _ in range(n_boot):
        j = rng.integers(0, n, size=n)
        s1, st = sobol_indices(f_a[j], f_b[j], f_ab[j])
        s1s.append(s1)
        sts.append(st)
    q = [(1 - level) / 2 * 100, (1 + level) / 2 * 100]
    with np.errstate(invalid="ignore"):
        return np.nanpercentile(np.array(s1s), q, axis=0), np.nanpercentile(np.array(sts), q, axis=0)


def ishigami(x: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    """The Ishigami & Homma (1990) test function on rows of x in [-pi, pi]^3."""
    x = np.asarray(x, float)
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])
