"""The population engine against closed forms and published numbers (exact, tau, auto and deterministic modes)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_ivp
from scipy.stats import ks_2samp

from chemorad.dynamics import engine
from chemorad.dynamics.engine import Rates, advance, expected_counts, grow_to_size, two_state_rates
from chemorad.errors import ChemoradError

STOCHASTIC = ("exact", "tau", "auto")


def ma_sandri_sarkar(m: float, n_max: int) -> np.ndarray:
    """Luria-Delbruck mutant-count distribution by the Ma-Sandri-Sarkar recursion (the oracle).

    Ma, Sandri & Sarkar 1992, J Appl Probab 29:255, doi:10.2307/3214564:
    p_0 = exp(-m), p_n = (m / n) sum_{i=0}^{n-1} p_i / (n - i + 1).
    """
    p = np.zeros(n_max + 1)
    p[0] = math.exp(-m)
    for n in range(1, n_max + 1):
        p[n] = m / n * sum(p[i] / (n - i + 1) for i in range(n))
    return p


def test_ma_sandri_sarkar_oracle_reproduces_published_values():
    # Published LD probabilities for m = 1 (Ma, Sandri & Sarkar 1992, J Appl Probab 29:255; also Zheng 1999,
    # Math Biosci 162:1, table 1): p0 0.3679, p1 0.1839, p2 0.1073, p3 0.0690.
    np.testing.assert_allclose(ma_sandri_sarkar(1.0, 3), [0.3679, 0.1839, 0.1073, 0.0690], atol=5e-5)


def test_luria_delbruck_fixed_final_size():
    """Growth from 1 cell to exactly N = 1000 cells by pure division (death 0), mutation mu = 1e-3 per division.

    Fixed-size version: each replicate stops at the event that brings its total to N (`grow_to_size`, exact mode), so
    m = mu N = 1 is the expected number of mutations, as in Luria & Delbruck 1943 (Genetics 28:491). P(no mutant) =
    (1 - mu)^(N - 1) ~ exp(-m); the mutant-count distribution is the LD distribution, p_n by the Ma-Sandri-Sarkar
    recursion (Ma, Sandri & Sarkar 1992, J Appl Probab 29:255). The finite-N correction is O(1/N), far below the Monte
    Carlo error; tolerance 4 binomial standard errors with 3,000 replicates (SE ~ 0.009 at p0).
    """
    reps, size, mu = 3000, 1000, 1e-3
    counts0 = np.tile([1, 0], (reps, 1))
    out, t = grow_to_size(counts0, two_state_rates(1.0, 0.0, mu), size, np.random.default_rng(1943))
    assert (out.sum(axis=1) == size).all()
    # the Yule clock: E[time to reach N from 1 cell at b = 1] = H_{N-1} = sum_{k<N} 1/k days
    harmonic = sum(1 / k for k in range(1, size))
    assert abs(t.mean() - harmonic) < 4 * math.sqrt(math.pi**2 / 6 / reps)
    mutants = out[:, 1]
    p_ref = ma_sandri_sarkar(mu * size, 3)
    for k in range(4):
        observed = np.mean(mutants == k)
        se = math.sqrt(p_ref[k] * (1 - p_ref[k]) / reps)
        assert abs(observed - p_ref[k]) < 4 * se, (k, observed, p_ref[k])
    assert abs(np.mean(mutants == 0) - math.exp(-mu * size)) < 4 * math.sqrt(math.exp(-1) * (1 - math.exp(-1)) / reps)


def test_goldie_coldman_no_resistant_cell_at_size_n():
    """P(no resistant cell at size N) = exp(-mu (N - 1)) (Goldie & Coldman 1979, Cancer Treat Rep 63:1727).

    N = 400, mu = 5e-3 per division: P = exp(-1.995) = 0.136; 4,000 replicates (SE 0.0054), 4 SE.
    """
    reps, size, mu = 4000, 400, 5e-3
    out, _ = grow_to_size(np.tile([1, 0], (reps, 1)), two_state_rates(1.0, 0.0, mu), size, np.random.default_rng(1979))
    p_gc = math.exp(-mu * (size - 1))
    observed = np.mean(out[:, 1] == 0)
    assert abs(observed - p_gc) < 4 * math.sqrt(p_gc * (1 - p_gc) / reps), (observed, p_gc)


S0, B, D, MU, T = 200, 1.0, 0.3, 0.01, 2.0


def closed_form_means(s0: float, b: float, d: float, mu: float, t: float) -> tuple[float, float]:
    """Sensitive and resistant means of the birth-death-mutation model, resistant cells neutral.

    ODE: S' = (b (1 - mu) - d) S, R' = b mu S + (b - d) R (a mutating division leaves the mother sensitive and adds one
    resistant daughter). Solution: S = S0 exp((b (1 - mu) - d) t), R = S0 exp((b - d) t) (1 - exp(-b mu t)); the total
    grows at b - d. To first order in b mu t, R = S0 b mu t exp((b - d) t) (the brief's formula; Goldie & Coldman 1979,
    Cancer Treat Rep 63:1727, and Iwasa, Nowak & Michor 2006, Genetics 172:2557, write it so).
    """
    s = s0 * math.exp((b * (1 - mu) - d) * t)
    r = s0 * math.exp((b - d) * t) * (1 - math.exp(-b * mu * t))
    return s, r


def test_closed_form_matches_ode_and_first_order_formula():
    # The closed form above, checked against a numerical solution of the ODE and against S0 b mu t exp((b - d) t).
    s, r = closed_form_means(S0, B, D, MU, T)
    sol = solve_ivp(
        lambda _, y: [(B * (1 - MU) - D) * y[0], B * MU * y[0] + (B - D) * y[1]],
        (0, T),
        [S0, 0.0],
        rtol=1e-12,
        atol=1e-12,
    )
    np.testing.assert_allclose(sol.y[:, -1], [s, r], rtol=1e-9)
    first_order = S0 * B * MU * T * math.exp((B - D) * T)
    assert abs(r / first_order - 1) < B * MU * T  # relative error ~ b mu t / 2


def test_deterministic_mode_equals_closed_form():
    rates = two_state_rates(B, D, MU)
    out = advance(np.array([[S0, 0]]), rates, T, np.random.default_rng(0), mode="deterministic")
    assert out.dtype == np.float64
    np.testing.assert_allclose(out[0], closed_form_means(S0, B, D, MU, T), rtol=1e-9)
    # benchmark problem: E[R(10)] = 1000 e^7 (1 - e^-0.01) = 10,911.7 (first order: 1000 * 1e-3 * 10 e^7 = 10,966.3)
    big = expected_counts(np.array([1000.0, 0.0]), two_state_rates(1.0, 0.3, 1e-3), 10.0)
    assert big[1] == pytest.approx(1000 * math.exp(7) * (1 - math.exp(-0.01)), rel=1e-9)
    assert big[1] == pytest.approx(10_911.68, abs=0.01)


def test_expected_counts_three_states_ode_and_semigroup():
    # A three-state chain with per-state rates: n(t) = n0 expm(A t) solves dn/dt = n A (checked numerically) and
    # composes: E(t1 + t2) = E(E(t1), t2).
    rates = Rates(
        np.array([1.0, 0.6, 0.2]),
        np.array([0.2, 0.5, 0.1]),
        np.array([[0.9, 0.08, 0.02], [0.05, 0.9, 0.05], [0.0, 0.3, 0.7]]),
    )
    n0 = np.array([100.0, 20.0, 5.0])
    a = np.diag(rates.birth_per_day) @ rates.mutation - np.diag(rates.death_per_day)
    sol = solve_ivp(lambda _, y: y @ a, (0, 3.0), n0, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(expected_counts(n0, rates, 3.0), sol.y[:, -1], rtol=1e-8)
    np.testing.assert_allclose(
        expected_counts(expected_counts(n0, rates, 1.0), rates, 2.0), expected_counts(n0, rates, 3.0), rtol=1e-12
    )


def kendall_variance(n0: float, b: float, d: float, t: float) -> float:
    """Var N(t) of a linear birth-death process from n0 cells (Kendall 1948, Ann Math Stat 19:1; Bailey 1964, ch. 8):
    n0 (b + d) / (b - d) exp((b - d) t) (exp((b - d) t) - 1)."""
    r = b - d
    return n0 * (b + d) / r * math.exp(r * t) * (math.exp(r * t) - 1)


@pytest.fixture(scope="module")
def bdm_runs() -> dict[str, np.ndarray]:
    rates = two_state_rates(B, D, MU)
    counts0 = np.tile([S0, 0], (2000, 1))
    return {mode: advance(counts0, rates, T, np.random.default_rng(7), mode=mode) for mode in STOCHASTIC}


@pytest.mark.parametrize("mode", STOCHASTIC)
def test_birth_death_mutation_means(bdm_runs, mode):
    """Exact, tau and auto means of S, R and the total agree with the closed form within 4 standard errors.

    E[R(t)] = S0 exp((b - d) t) (1 - exp(-b mu t)) ~ S0 b mu t exp((b - d) t) (Goldie & Coldman 1979); E[N(t)] =
    S0 exp((b - d) t) (Kendall 1948).
    """
    out = bdm_runs[mode]
    assert out.dtype == np.int64
    s_ref, r_ref = closed_form_means(S0, B, D, MU, T)
    se = out.std(axis=0, ddof=1) / math.sqrt(out.shape[0])
    assert abs(out[:, 0].mean() - s_ref) < 4 * se[0]
    assert abs(out[:, 1].mean() - r_ref) < 4 * se[1]
    total = out.sum(axis=1)
    assert abs(total.mean() - S0 * math.exp((B - D) * T)) < 4 * total.std(ddof=1) / math.sqrt(total.size)


@pytest.mark.parametrize("mode", STOCHASTIC)
def test_birth_death_variance(bdm_runs, mode):
    # Var N(t) against Kendall's closed form (Kendall 1948, Ann Math Stat 19:1); SE of a sample variance of a nearly
    # normal variable ~ var sqrt(2 / (n - 1)); 4 SE. (tau's O(h) under-dispersion, ~3% here, is inside this.)
    total = bdm_runs[mode].sum(axis=1)
    ref = kendall_variance(S0, B, D, T)
    assert abs(total.var(ddof=1) - ref) < 4 * ref * math.sqrt(2 / (total.size - 1))


def test_modes_agree_in_distribution(bdm_runs):
    # Two-sample Kolmogorov-Smirnov tests: tau and auto against exact on the total and the resistant count.
    for mode in ("tau", "auto"):
        for col in (slice(None), 1):
            x = bdm_runs["exact"][:, col].reshape(2000, -1).sum(axis=1)
            y = bdm_runs[mode][:, col].reshape(2000, -1).sum(axis=1)
            assert ks_2samp(x, y).pvalue > 1e-3, (mode, col)


def test_auto_switches_and_stays_unbiased():
    # 600 cells grow past AUTO_EXACT_BELOW = 1000 within the run: auto is exact first, tau after; the mean stays
    # S0 exp((b - d) t) (Kendall 1948) and the variance Kendall's.
    assert engine.AUTO_EXACT_BELOW == 1000
    n0, t = 600, 2.0
    out = advance(np.tile([n0, 0], (1000, 1)), two_state_rates(B, D, MU), t, np.random.default_rng(11), mode="auto")
    total = out.sum(axis=1)
    assert total.mean() > engine.AUTO_EXACT_BELOW
    assert abs(total.mean() - n0 * math.exp((B - D) * t)) < 4 * total.std(ddof=1) / math.sqrt(total.size)
    ref = kendall_variance(n0, B, D, t)
    assert abs(total.var(ddof=1) - ref) < 4 * ref * math.sqrt(2 / (total.size - 1))


def test_tau_mean_unbiased_at_large_size_and_size_independent_steps():
    # 10^9 cells: the tau mean is exactly mean-matched (E[n(t+h)|n(t)] = n(t) expm(A h)), so the relative error is the
    # Monte Carlo one, ~ sqrt(Var N) / E N ~ 1e-4.5; the resistant mean (a Luria-Delbruck-like, jackpot-prone count)
    # matches the closed form within 4 sample standard errors.
    n0 = 10**9
    rates = two_state_rates(1.0, 0.3, 1e-6)
    out = advance(np.tile([n0, 0], (20, 1)), rates, 5.0, np.random.default_rng(3), mode="tau")
    s_ref, r_ref = closed_form_means(n0, 1.0, 0.3, 1e-6, 5.0)
    assert out[:, 0].mean() == pytest.approx(s_ref, rel=1e-4)
    assert abs(out[:, 1].mean() - r_ref) < 4 * out[:, 1].std(ddof=1) / math.sqrt(out.shape[0])


def test_per_replicate_rates():
    # Rates of shape (R, S): each replicate grows at its own rate; deterministic mode = the per-row closed form.
    birth = np.array([[1.0, 1.0], [0.5, 0.5]])
    rates = Rates(birth, np.full((2, 2), 0.1), np.array([[0.99, 0.01], [0.0, 1.0]]))
    out = advance(np.array([[100, 0], [100, 0]]), rates, 1.5, np.random.default_rng(0), mode="deterministic")
    for row, b in enumerate((1.0, 0.5)):
        np.testing.assert_allclose(out[row], closed_form_means(100, b, 0.1, 0.01, 1.5), rtol=1e-9)
    for mode in STOCHASTIC:
        res = advance(np.tile([[2000, 0], [2000, 0]], (100, 1)), Rates(np.tile(birth, (100, 1)), np.full((200, 2), 0.1),
                      rates.mutation), 1.5, np.random.default_rng(1), mode=mode)  # fmt: skip
        fast, slow = res[0::2].sum(axis=1).mean(), res[1::2].sum(axis=1).mean()
        assert fast == pytest.approx(2000 * math.exp(0.9 * 1.5), rel=0.02), mode
        assert slow == pytest.approx(2000 * math.exp(0.4 * 1.5), rel=0.02), mode


# --- invariants ----------------------------------------------------------------------------------------------------


@st.composite
def problems(draw):
    s = draw(st.integers(1, 3))
    rate = st.floats(0.0, 2.0, allow_nan=False)
    birth = np.array(draw(st.lists(rate, min_size=s, max_size=s)))
    death = np.array(draw(st.lists(rate, min_size=s, max_size=s)))
    raw = np.array(draw(st.lists(st.floats(0.0, 1.0), min_size=s * s, max_size=s * s))).reshape(s, s)
    raw[np.arange(s), np.arange(s)] += 1.0
    mutation = raw / raw.sum(axis=1, keepdims=True)
    counts = np.array(draw(st.lists(st.integers(0, 60), min_size=2 * s, max_size=2 * s))).reshape(2, s)
    return Rates(birth, death, mutation), counts, draw(st.floats(0.0, 2.0)), draw(st.sampled_from(STOCHASTIC))


@settings(max_examples=60, deadline=None)
@given(problems(), st.integers(0, 2**32 - 1))
def test_counts_never_negative_and_seed_reproducible(problem, seed):
    rates, counts, duration, mode = problem
    before = counts.copy()
    a = advance(counts, rates, duration, np.random.default_rng(seed), mode=mode, tau_days=0.3)
    b = advance(counts, rates, duration, np.random.default_rng(seed), mode=mode, tau_days=0.3)
    assert a.dtype == np.int64 and a.shape == counts.shape
    assert (a >= 0).all()
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(counts, before)  # the input is not modified


@settings(max_examples=40, deadline=None)
@given(problems(), st.integers(0, 2**32 - 1))
def test_no_birth_no_death_changes_nothing_and_monotone_without_death_or_birth(problem, seed):
    rates, counts, duration, mode = problem
    zero = np.zeros(rates.n_states)
    frozen = Rates(zero, zero, rates.mutation)
    np.testing.assert_array_equal(advance(counts, frozen, duration, np.random.default_rng(seed), mode=mode), counts)
    # no death: a division keeps the mother in her state and adds a daughter, so no state ever loses a cell
    grow = advance(counts, Rates(rates.birth_per_day, zero, rates.mutation), duration, np.random.default_rng(seed),
                   mode=mode)  # fmt: skip
    assert (grow >= counts).all()
    # no birth: nothing is ever added to any state
    shrink = advance(counts, Rates(zero, rates.death_per_day, rates.mutation), duration, np.random.default_rng(seed),
                     mode=mode)  # fmt: skip
    assert (shrink <= counts).all()


def test_different_seeds_differ_and_deterministic_ignores_rng():
    rates = two_state_rates(1.0, 0.3, 0.01)
    counts = np.tile([300, 0], (5, 1))
    for mode in STOCHASTIC:
        a = advance(counts, rates, 1.0, np.random.default_rng(1), mode=mode)
        b = advance(counts, rates, 1.0, np.random.default_rng(2), mode=mode)
        assert not np.array_equal(a, b)
    d1 = advance(counts, rates, 1.0, np.random.default_rng(1), mode="deterministic")
    d2 = advance(counts, rates, 1.0, None, mode="deterministic")  # type: ignore[arg-type]
    np.testing.assert_array_equal(d1, d2)


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: Rates(np.array([-1.0, 1.0]), np.zeros(2), np.eye(2)), "birth_per_day"),
        (lambda: Rates(np.ones(2), np.array([0.1, np.nan]), np.eye(2)), "death_per_day"),
        (lambda: Rates(np.ones(2), np.zeros(2), np.array([[0.9, 0.2], [0.0, 1.0]])), "mutation row 0"),
        (lambda: Rates(np.ones(2), np.zeros(2), np.array([[1.2, -0.2], [0.0, 1.0]])), "mutation"),
        (lambda: Rates(np.ones(2), np.zeros(2), np.eye(3)), "mutation"),
        (lambda: Rates(np.ones(2), np.zeros(3), np.eye(2)), "death_per_day"),
        (lambda: two_state_rates(1.0, 0.1, 1.5), "mu"),
    ],
)
def test_bad_rates_raise_naming_the_field(build, field):
    with pytest.raises(ChemoradError, match=field):
        build()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"duration_days": -1.0}, "duration_days"),
        ({"duration_days": float("inf")}, "duration_days"),
        ({"counts": np.array([[5, -1]])}, "counts"),
        ({"counts": np.array([5, 1])}, "counts"),
        ({"counts": np.array([[5, 1, 0]])}, "counts"),
        ({"counts": np.array([[5.5, 1.0]])}, "counts"),
        ({"mode": "fast"}, "mode"),
        ({"tau_days": 0.0}, "tau_days"),
        ({"rng": 42}, "rng"),
        ({"rates": "two-state"}, "rates"),
    ],
)
def test_bad_advance_inputs_raise_naming_the_argument(kwargs, field):
    args = {
        "counts": np.array([[5, 1]]),
        "rates": two_state_rates(1.0, 0.1, 0.01),
        "duration_days": 1.0,
        "rng": np.random.default_rng(0),
        "mode": "tau",
    }
    args.update(kwargs)
    with pytest.raises(ChemoradError, match=field):
        advance(**args)


def test_grow_to_size_rejects_bad_size():
    with pytest.raises(ChemoradError, match="size"):
        grow_to_size(np.array([[1, 0]]), two_state_rates(1.0, 0.0, 0.01), 0, np.random.default_rng(0))


def test_series_plan_equals_the_matrix_exponential() -> None:
    """Many states with per-replicate rates: v expm(A h) by its Taylor series equals scipy's expm to rounding."""
    from scipy.linalg import expm as scipy_expm

    from chemorad.dynamics.engine import _tau_plan, _vector_expm

    rng = np.random.default_rng(5)
    s, r = 24, 3
    mut = np.eye(s) * 0.99 + 0.01 / s
    mut /= mut.sum(axis=1, keepdims=True)
    rates = Rates(rng.uniform(0.2, 1.0, (r, s)), rng.uniform(0.0, 0.3, (r, s)), mut)
    h = 0.05
    p, plan = _tau_plan(rates, h)
    v = rng.uniform(0, 1e9, (r, s))
    dense = np.einsum("rs,rsj->rj", v, scipy_expm(rates.generator * h))
    assert np.allclose(_vector_expm(v, plan.ah), dense, rtol=1e-12, atol=0)
