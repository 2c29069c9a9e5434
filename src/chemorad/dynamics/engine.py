"""The stochastic population engine: division, death and mutation of cell counts over a stretch of fixed rates.

State is an integer array `counts[r, s]`: R replicates x S states (clone x compartment x phase, flattened by the
caller). A cell in state i divides at `birth_per_day[i]` and dies at `death_per_day[i]` (units: per day, per cell).
When it divides, one daughter stays in i and the other lands in j with probability `mutation[i, j]` (row-stochastic;
`mutation[i, i]` is the chance that the division is faithful). Rates may be shared, shape (S,), or per replicate,
shape (R, S) (the simulator's density-dependent growth); the mutation matrix is shared.

Modes of `advance`:
- ``exact``: Gillespie's direct method (Gillespie 1977, J Phys Chem 81:2340, doi:10.1021/j100540a008). Propensities
  b_i n_i (division of an i cell) and d_i n_i (death); waiting time Exp(a0), a0 = sum of propensities; the event is
  picked with probability propensity / a0, the daughter's state j ~ mutation[i]. All replicates step in lock-step (one
  event per still-running replicate per NumPy pass, each with its own clock), so the Python loop runs once per event of
  the busiest replicate, not once per event overall; nothing is allocated per event beyond the pass's arrays.
  Cost grows with the number of events (~ (b + d) / (b - d) x cells added): for small populations.
- ``tau``: tau-leaping (Gillespie 2001, J Chem Phys 115:1716, doi:10.1063/1.1378322), vectorised over replicates and
  states. Over a step h, per state i with n_i cells:
      survivors   s_i ~ Binomial(n_i, exp(-d_i h))                  (deaths never exceed the cells present)
      new cells in j, from the survivors of every i: Poisson(sum_i s_i c_ij)
  with c_ij = (E_ij - delta_ij exp(-d_i h)) / exp(-d_i h), E = expm(A h) (A below). A Poisson number of divisions per
  state split Multinomially over destinations is, by Poisson colouring, the same as independent Poissons per (i, j);
  summed over i they are one Poisson per destination, so a step is one binomial and one Poisson draw per (r, s).
  Choice and bias: the textbook intensities c_ij = b_i M_ij h are replaced by the exact expected number of new cells
  per surviving i cell over h (they agree to first order in h). Then E[n(t + h) | n(t)] = n(t) expm(A h) exactly, so
  the MEAN IS UNBIASED for every h and every population size (tower property). The plain Poisson(b n h) choice would
  bias the mean by a relative (b^2 - 2 b d) h T / 2 over a time T (about +10% for b = 1, d = 0.3, h = 0.05, T = 10).
  What remains is an O(h) error in the variance: for one type, per step, var_exact - var_tau = b (b - d) h^2 n, i.e.
  a relative under-dispersion of about b (b - d) h / (b + d) (2.7% for b = 1, d = 0.3, h = 0.05).
  Step: h = TAU_RATE_STEP / max(b, d) so that b h <= 0.05 and d h <= 0.05 for every state (or the caller's
  `tau_days`). This is Cao, Gillespie & Petzold's leap condition (2006, J Chem Phys 124:044109,
  doi:10.1063/1.2159468) with epsilon = 0.05 for first-order reactions at large counts: the expected relative change
  of every propensity in a step, |b - d| h, is <= 0.05. It does not depend on the population size, so the run time
  does not grow with the tumour (10^3 to 10^11 cells; int64 holds up to 9.2e18). CGP's variance condition, which
  binds only at small counts, is what `auto` handles by switching to `exact` there.
- ``deterministic``: the expected counts, exactly (see `expected_counts`); float64.
- ``auto``: the time axis is cut into tau steps; at the start of each step a replicate whose total is below
  `AUTO_EXACT_BELOW` cells moves by `exact` over the step, the others by one tau leap. One generator drives both.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import expm

from chemorad.errors import ChemoradError

MODES = ("auto", "exact", "tau", "deterministic")
AUTO_EXACT_BELOW = 1_000
# Tau plans with more states than this and per-replicate rates apply expm(A h) to vectors by its series (`_Series`).
DENSE_PLAN_MAX_STATES = 16
"""`auto` simulates a replicate exactly while its total count is below this many cells (tau-leaping above)."""
TAU_RATE_STEP = 0.05
"""Default tau step: the largest birth or death rate times the step is at most this (Cao, Gillespie & Petzold 2006)."""
_INT_LIMIT = 2**62
_ROW_SUM_ATOL = 1e-9


@dataclass(frozen=True, eq=False)
class Rates:
    """Per-cell rates of the states (units: per day) and the mutation matrix of a division.

    birth_per_day: (S,) or (R, S), division rate of a cell in state s.
    death_per_day: (S,) or (R, S), death rate.
    mutation: (S, S), row-stochastic: when a cell in state i divides, one daughter stays i and the other is in state j
        with probability mutation[i, j] (mutation[i, i] = 1 - sum of the rest of the row).
    Arrays are copied to float64 and made read-only; bad values raise `ChemoradError` naming the field.
    """

    birth_per_day: np.ndarray
    death_per_day: np.ndarray
    mutation: np.ndarray

    def __post_init__(self) -> None:
        birth = _rate_array(self.birth_per_day, "birth_per_day")
        death = _rate_array(self.death_per_day, "death_per_day")
        mut = np.array(self.mutation, dtype=float, copy=True)
        s = birth.shape[-1]
        if death.shape[-1] != s:
            raise ChemoradError(
                f"Rates: death_per_day has {death.shape[-1]} states but birth_per_day has {s}; expected the same S"
            )
        if birth.ndim == 2 and death.ndim == 2 and birth.shape[0] != death.shape[0]:
            raise ChemoradError(
                f"Rates: birth_per_day has {birth.shape[0]} replicate rows, death_per_day {death.shape[0]}; "
                "expected the same"
            )
        if mut.shape != (s, s):
            raise ChemoradError(f"Rates: mutation has shape {mut.shape}; expected ({s}, {s}) for {s} states")
        if not np.all(np.isfinite(mut)) or np.any(mut < 0) or np.any(mut > 1):
            raise ChemoradError("Rates: mutation must hold probabilities in [0, 1]")
        rows = mut.sum(axis=1)
        bad = np.flatnonzero(np.abs(rows - 1.0) > _ROW_SUM_ATOL)
        if bad.size:
            i = int(bad[0])
            raise ChemoradError(f"Rates: mutation row {i} sums to {rows[i]:.12g}; expected 1 (row-stochastic)")
        mut /= rows[:, None]
        for name, arr in (("birth_per_day", birth), ("death_per_day", death), ("mutation", mut)):
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)

    @property
    def diagonal(self) -> bool:
        """True when no division changes state (mutation is the identity): the states evolve independently."""
        return bool(np.array_equal(self.mutation, np.eye(self.n_states)))

    @property
    def n_states(self) -> int:
        """S, the number of states."""
        return self.mutation.shape[0]

    @property
    def generator(self) -> np.ndarray:
        """A = diag(b) M - diag(d), shape (S, S) or (R, S, S): d n/dt = n A for the row vector of expected counts."""
        b, d = np.broadcast_arrays(self.birth_per_day, self.death_per_day)
        a = b[..., :, None] * self.mutation
        idx = np.arange(self.n_states)
        a[..., idx, idx] -= d
        return a


def _rate_array(value: object, name: str) -> np.ndarray:
    arr = np.array(value, dtype=float, copy=True)
    if arr.ndim not in (1, 2) or arr.shape[-1] == 0:
        raise ChemoradError(f"Rates: {name} has shape {arr.shape}; expected (S,) or (replicates, S) with S >= 1")
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise ChemoradError(f"Rates: {name} must be finite and >= 0 (per day)")
    return arr


def two_state_rates(birth: float, death: float, mu: float) -> Rates:
    """Sensitive -> resistant model (Goldie & Coldman 1979, Cancer Treat Rep 63:1727): states (sensitive, resistant).

    Both states divide at `birth` and die at `death` (per day; resistant cells are neutral); a dividing sensitive cell
    gives a resistant daughter with probability `mu` per division; no back-mutation:
    mutation = [[1 - mu, mu], [0, 1]].
    """
    if not np.isfinite(mu) or not 0.0 <= mu <= 1.0:
        raise ChemoradError(f"two_state_rates: mu = {mu!r}; expected a probability per division in [0, 1]")
    return Rates(
        birth_per_day=np.array([birth, birth], dtype=float),
        death_per_day=np.array([death, death], dtype=float),
        mutation=np.array([[1.0 - mu, mu], [0.0, 1.0]]),
    )


def expected_counts(counts0: np.ndarray, rates: Rates, t: float) -> np.ndarray:
    """Expected counts at time `t` (days) from `counts0` (shape (S,) or (R, S)): n(t) = n(0) expm(A t), float64.

    Derivation (row-vector convention): in dt a cell in state i divides with probability b_i dt, adding one cell to
    state j with probability M_ij (the other daughter replaces the mother in i), and dies with probability d_i dt. So
        d E[n_j]/dt = sum_i E[n_i] b_i M_ij - d_j E[n_j],   i.e.   d n/dt = n A,
        A = diag(b) M - diag(d) = diag(b - d) + diag(b) (M - I),
    a linear ODE (the first moment of a linear multitype branching process is closed) whose solution is
    n(t) = n(0) expm(A t). With per-replicate rates (R, S), each replicate has its own A.
    Example (`two_state_rates`): S(t) = S0 exp((b(1 - mu) - d) t) and R(t) = S0 exp((b - d) t) (1 - exp(-b mu t)),
    which is S0 b mu t exp((b - d) t) to first order in b mu t.
    """
    if not isinstance(rates, Rates):
        raise ChemoradError(f"rates must be a chemorad.dynamics.engine.Rates, got {type(rates).__name__}")
    n0 = np.asarray(counts0, dtype=float)
    if n0.ndim not in (1, 2) or n0.shape[-1] != rates.n_states:
        raise ChemoradError(
            f"counts0 has shape {n0.shape}; expected (S,) or (replicates, S) with S = {rates.n_states} states"
        )
    t = _check_duration(t, "t")
    if rates.diagonal:  # no mutation: each state grows on its own, n_j(t) = n_j(0) exp((b_j - d_j) t)
        if n0.ndim == 1 and np.ndim(rates.birth_per_day) == 2:
            raise ChemoradError(
                f"counts0 has shape {n0.shape}; expected ({np.shape(rates.birth_per_day)[0]}, {rates.n_states}) "
                "to match the per-replicate rates"
            )
        return n0 * np.exp((rates.birth_per_day - rates.death_per_day) * t)
    prop = expm(rates.generator * t)
    if prop.ndim == 3:
        if n0.ndim != 2 or n0.shape[0] != prop.shape[0]:
            raise ChemoradError(
                f"counts0 has shape {n0.shape}; expected ({prop.shape[0]}, {rates.n_states}) to match the "
                "per-replicate rates"
            )
        return np.einsum("rs,rsj->rj", n0, prop)
    return n0 @ prop


def advance(
    counts: np.ndarray,
    rates: Rates,
    duration_days: float,
    rng: np.random.Generator,
    mode: str = "auto",
    tau_days: float | None = None,
) -> np.ndarray:
    """Counts after `duration_days` of division, death and mutation at fixed `rates` (formulas: module docstring).

    counts: (R, S) replicates x states, >= 0 (whole numbers for the stochastic modes).
    Returns int64 (R, S) for ``exact``, ``tau`` and ``auto``; float64 for ``deterministic``. The same generator state
    gives the same result. ``tau_days`` overrides the tau step (days) of ``tau`` and ``auto``.
    """
    if mode not in MODES:
        raise ChemoradError(f"mode {mode!r} is unknown; expected one of {', '.join(MODES)}")
    if not isinstance(rates, Rates):
        raise ChemoradError(f"rates must be a chemorad.dynamics.engine.Rates, got {type(rates).__name__}")
    duration = _check_duration(duration_days, "duration_days")
    n = _check_counts(counts, rates, integer=mode != "deterministic")
    if mode == "deterministic":
        return expected_counts(n, rates, duration)
    if not isinstance(rng, np.random.Generator):
        raise ChemoradError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    tau = _tau_step(rates, tau_days)
    if duration == 0.0 or n.shape[0] == 0:
        return n
    b, d = _per_replicate(rates, n.shape[0])
    if mode == "exact":
        out, _ = _ssa(n, b, d, _cumulative_rows(rates.mutation), rng, np.full(n.shape[0], duration))
        return out
    steps = _steps(duration, tau)
    plans = {h: _tau_plan(rates, h) for h in set(steps)}
    if mode == "tau":
        for h in steps:
            n = _leap(n, *plans[h], rng)
        return n
    cum = _cumulative_rows(rates.mutation)
    for h in steps:
        small = n.sum(axis=1) < AUTO_EXACT_BELOW
        if small.all():
            n, _ = _ssa(n, b, d, cum, rng, np.full(n.shape[0], h))
            continue
        if small.any():
            rows = np.flatnonzero(small)
            n[rows], _ = _ssa(n[rows], b[rows], d[rows], cum, rng, np.full(rows.size, h))
        big = ~small
        p, c = plans[h]
        c = c.rows(big) if isinstance(c, _Series) else (c if c.ndim == 2 else c[big])
        n[big] = _leap(n[big], p if p.ndim == 1 else p[big], c, rng)
    return n


def grow_to_size(
    counts: np.ndarray,
    rates: Rates,
    size: int,
    rng: np.random.Generator,
    max_days: float = np.inf,
) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Gillespie direct) simulation of each replicate until its total reaches `size` cells.

    Stops a replicate at the event that brings its total to `size` (the total moves by +-1 per event, so it is hit
    exactly), or at extinction, or at `max_days`. Returns (counts int64 (R, S), time_days (R,) of the stop). This is the
    fixed-size sampling of the Luria-Delbruck and Goldie-Coldman models (mutant counts "at size N").
    """
    if not isinstance(rates, Rates):
        raise ChemoradError(f"rates must be a chemorad.dynamics.engine.Rates, got {type(rates).__name__}")
    if not isinstance(rng, np.random.Generator):
        raise ChemoradError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    if isinstance(size, bool) or not float(size).is_integer() or size < 1:
        raise ChemoradError(f"size = {size!r}; expected a whole number of cells >= 1")
    max_days = float(max_days)
    if np.isnan(max_days) or max_days < 0:
        raise ChemoradError(f"max_days = {max_days!r}; expected a duration in days >= 0")
    n = _check_counts(counts, rates, integer=True)
    b, d = _per_replicate(rates, n.shape[0])
    return _ssa(n, b, d, _cumulative_rows(rates.mutation), rng, np.full(n.shape[0], max_days), stop_total=int(size))


# --- validation -------------------------------------------------------------------------------------------------------


def _check_duration(value: float, name: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ChemoradError(f"{name} = {value!r}; expected a number of days >= 0") from None
    if not np.isfinite(v) or v < 0:
        raise ChemoradError(f"{name} = {value!r}; expected a finite number of days >= 0")
    return v


def _check_counts(counts: np.ndarray, rates: Rates, integer: bool) -> np.ndarray:
    arr = np.asarray(counts)
    if arr.ndim != 2 or arr.shape[1] != rates.n_states:
        raise ChemoradError(f"counts has shape {arr.shape}; expected (replicates, states) with {rates.n_states} states")
    for rate in (rates.birth_per_day, rates.death_per_day):
        if rate.ndim == 2 and rate.shape[0] != arr.shape[0]:
            raise ChemoradError(
                f"Rates have {rate.shape[0]} replicate rows but counts has {arr.shape[0]} replicates; expected the same"
            )
    if arr.dtype.kind not in "biuf":
        raise ChemoradError(f"counts has dtype {arr.dtype}; expected numbers of cells")
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        raise ChemoradError("counts must be finite")
    if np.any(arr < 0):
        raise ChemoradError("counts must be >= 0 (cells)")
    if not integer:
        return arr.astype(float)
    if arr.dtype.kind == "f":
        if np.any(arr != np.round(arr)):
            raise ChemoradError("counts must be whole numbers of cells for the stochastic modes")
        if np.any(arr >= _INT_LIMIT):
            raise ChemoradError(f"counts must be below 2^62 (int64) cells, got {arr.max():.3g}")
    return arr.astype(np.int64)  # a copy: the caller's array is never modified


def _tau_step(rates: Rates, tau_days: float | None) -> float:
    if tau_days is not None:
        try:
            tau = float(tau_days)
        except (TypeError, ValueError):
            raise ChemoradError(f"tau_days = {tau_days!r}; expected a step in days > 0") from None
        if not np.isfinite(tau) or tau <= 0:
            raise ChemoradError(f"tau_days = {tau_days!r}; expected a finite step in days > 0")
        return tau
    fastest = max(float(rates.birth_per_day.max()), float(rates.death_per_day.max()))
    return TAU_RATE_STEP / fastest if fastest > 0 else np.inf


# --- internals --------------------------------------------------------------------------------------------------------


def _per_replicate(rates: Rates, r: int) -> tuple[np.ndarray, np.ndarray]:
    s = rates.n_states
    return np.broadcast_to(rates.birth_per_day, (r, s)), np.broadcast_to(rates.death_per_day, (r, s))


def _steps(duration: float, tau: float) -> list[float]:
    """Steps of `tau` covering `duration`, the last one shortened (no step shorter than 1e-12 x duration)."""
    if not np.isfinite(tau) or tau >= duration:
        return [duration]
    full = int(duration // tau)
    rest = duration - full * tau
    if rest <= 1e-12 * duration:
        return [tau] * full
    return [tau] * full + [rest]


@dataclass(frozen=True)
class _Series:
    """A tau plan for many states: A h, whose exponential is applied to vectors by its Taylor series."""

    ah: np.ndarray  # (S, S) or (R, S, S)

    def rows(self, keep: np.ndarray) -> _Series:
        return self if self.ah.ndim == 2 else _Series(self.ah[keep])


def _vector_expm(v: np.ndarray, ah: np.ndarray) -> np.ndarray:
    """v expm(A h) = sum_k v (A h)^k / k!, to double precision; ||A h|| is small (the leap condition keeps b h, d h
    <= 0.05), so a dozen terms suffice. Cost O(S^2) per term and replicate instead of O(S^3) for expm."""
    total = v.astype(float)
    term = total.copy()
    for k in range(1, 60):
        term = (term @ ah if ah.ndim == 2 else np.einsum("rs,rsj->rj", term, ah)) / k
        total += term
        if np.max(np.abs(term)) <= 1e-17 * max(np.max(np.abs(total)), 1e-300):
            break
    return total


def _tau_plan(rates: Rates, h: float):
    """Survival p_i = exp(-d_i h) and the mean-matched new-cell intensities c_ij per survivor (module docstring).

    Above `DENSE_PLAN_MAX_STATES` states with per-replicate rates, the intensities are left implicit (`_Series`): the
    same numbers, applied to the survivors by `_vector_expm`, which is far cheaper than one expm per replicate.
    """
    p = np.exp(-rates.death_per_day * h)
    if rates.n_states > DENSE_PLAN_MAX_STATES and np.ndim(rates.birth_per_day) == 2:
        return p, _Series(rates.generator * h)
    e = expm(rates.generator * h)
    idx = np.arange(rates.n_states)
    e[..., idx, idx] -= p
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.where(p[..., :, None] > 0, e / p[..., :, None], 0.0)
    return p, np.maximum(c, 0.0)


def _leap(n: np.ndarray, p: np.ndarray, c, rng: np.random.Generator) -> np.ndarray:
    """One tau leap: survivors ~ Binomial(n, p); new cells in j ~ Poisson(sum_i s_i c_ij).

    With a series plan (`_tau_plan` for many states), sum_i s_i c_ij = ((s/p) expm(A h))_j - s_j is computed as a
    vector times the Taylor series of expm(A h), term by term, without forming the matrix exponential.
    """
    s = rng.binomial(n, p)
    if isinstance(c, _Series):
        v = np.divide(s, p, out=np.zeros(s.shape), where=p > 0)
        lam = np.maximum(_vector_expm(v, c.ah) - s, 0.0)
    else:
        lam = s @ c if c.ndim == 2 else np.einsum("rs,rsj->rj", s, c)
    if lam.size and lam.max() >= _INT_LIMIT:
        raise ChemoradError("counts would exceed 2^62 (int64) cells; shorten duration_days or lower the birth rates")
    return s + rng.poisson(lam)


def _cumulative_rows(mutation: np.ndarray) -> np.ndarray:
    """Row-wise cumulative mutation probabilities, exactly 1 from each row's last positive entry on."""
    cum = np.cumsum(mutation, axis=1)
    s = mutation.shape[0]
    last = s - 1 - np.argmax(mutation[:, ::-1] > 0, axis=1)
    cum[np.arange(s)[None, :] >= last[:, None]] = 1.0
    return cum


def _ssa(
    n: np.ndarray,
    b: np.ndarray,
    d: np.ndarray,
    cum_mut: np.ndarray,
    rng: np.random.Generator,
    horizon: np.ndarray,
    stop_total: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Gillespie's direct method for every replicate (rows of n), in lock-step; returns (counts, stop times).

    Per pass, each running replicate draws (u0, u1, u2) ~ U[0, 1): waiting time -ln(1 - u0) / a0; event = first k with
    cumsum(a)_k > u1 a0 over a = (b_1 n_1, d_1 n_1, ..., b_S n_S, d_S n_S); a division's daughter goes to the first j
    with cumsum(M_i)_j > u2. A replicate stops when its next event would pass its horizon (clock set to the horizon:
    the waiting time is memoryless), when a0 = 0, or when its total reaches `stop_total`.
    """
    r, s = n.shape
    out = n.copy()
    t_out = np.zeros(r)
    total = out.sum(axis=1)
    running = np.ones(r, dtype=bool)
    if stop_total is not None:
        running &= total < stop_total
    # working set: global rows still (mostly) running, compacted when half of them have stopped
    rows = np.flatnonzero(running)
    done = np.flatnonzero(~running)
    t_out[done] = 0.0
    w = out[rows]
    wt = np.zeros(rows.size)
    whz = horizon[rows].astype(float)
    wtot = total[rows]
    wbd = np.stack([b[rows], d[rows]], axis=2)  # (W, S, 2)
    wrun = np.ones(rows.size, dtype=bool)
    two_s = 2 * s
    while rows.size:
        a = (w[:, :, None] * wbd).reshape(rows.size, two_s)
        c = np.cumsum(a, axis=1)
        a0 = c[:, -1]
        u = rng.random((rows.size, 3))
        with np.errstate(divide="ignore", over="ignore"):  # a0 = 0 or subnormal: no next event (inf)
            tn = wt - np.log1p(-u[:, 0]) / a0
        live = a0 > 0
        fire = wrun & live & (tn <= whz)
        # past the horizon: the clock stops at the horizon; extinct (a0 = 0): it stays at the last event
        wt = np.where(fire, tn, np.where(wrun & live, whz, wt))
        wrun = fire
        if fire.any():
            target = np.minimum(u[:, 1] * a0, np.nextafter(a0, 0.0))
            k = np.minimum((c <= target[:, None]).sum(axis=1), two_s - 1)  # the clip only touches rows not firing
            i, death = np.divmod(k, 2)
            dest = (cum_mut[i] <= u[:, 2:3]).sum(axis=1)
            col = np.where(death == 1, i, dest)
            step = 1 - 2 * death
            f = np.flatnonzero(fire)
            w[f, col[f]] += step[f]
            wtot[f] += step[f]
            if stop_total is not None:
                wrun &= wtot < stop_total
        n_run = int(np.count_nonzero(wrun))
        if n_run * 2 <= rows.size:
            fin = ~wrun
            out[rows[fin]] = w[fin]
            t_out[rows[fin]] = wt[fin]
            rows, w, wt, whz, wtot, wbd, wrun = (
                rows[wrun],
                w[wrun],
                wt[wrun],
                whz[wrun],
                wtot[wrun],
                wbd[wrun],
                wrun[wrun],
            )
    return out, t_out
