"""Sweep points: a grid, a Latin hypercube, the Saltelli A/B/AB_i design on a Sobol sequence, or a virtual cohort.

Every design is a DataFrame with one row per point (`point` = 0..n-1) and one column per parameter path; the Saltelli
design adds `block` (A, B or AB), `block_param` (i for AB_i, else -1) and `row` (the base sample); a cohort adds
`cell_line` and one `activity.<mechanism>` column per mechanism carried over. Designs are deterministic in the sweep
seed (scipy.stats.qmc generators seeded with it), so a resumed sweep sees the same points.

Saltelli design (Saltelli et al. 2010, Comput Phys Commun 181:259, section 3): draw a 2k-dimensional Sobol sequence of
N rows; A is its first k columns, B its last k; AB_i is A with column i taken from B. The model is run on the
N (k + 2) rows of A, B and AB_1..AB_k.

Virtual cohort: each member carries the mechanism activity profile of a cell line of the tissue (scores from
`chemorad.evidence.scores.mechanism_scores`, standardised within tissue, so a score is in within-tissue standard
deviations; missing scores are the tissue mean, 0). `resample` draws real lines with replacement, keeping each line's
correlations between mechanisms; `gaussian` draws from a multivariate normal with the tissue's covariance. Activity
added to every clone = activity_scale x score.
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import pandas as pd
from scipy.stats import qmc

from chemorad.errors import ChemoradError, closest
from chemorad.sweep.spec import Parameter, Sweep

ACTIVITY = "activity."
MIN_COHORT_LINES = 5


def design_points(sweep: Sweep, data: str | os.PathLike[str] | None = None, scores=None) -> pd.DataFrame:
    """The points of the sweep's design (see the module docstring); `data` locates the cell-line bundle for cohorts,
    `scores` (a `chemorad.evidence.scores.Scores`) reuses mechanism scores already computed from it."""
    spec = sweep.spec
    d = spec.design
    params = spec.parameters
    if d.kind == "grid":
        axes = [_grid_values(p) for p in params]
        mesh = np.meshgrid(*axes, indexing="ij")
        frame = pd.DataFrame({p.path: m.ravel() for p, m in zip(params, mesh, strict=True)})
    elif d.kind == "lhs":
        u = _qmc(qmc.LatinHypercube, len(params), spec.seed).random(d.samples)
        frame = _scaled(u, params)
    elif d.kind == "sobol":
        frame = saltelli_design(params, d.samples, spec.seed)
    else:
        frame = cohort_profiles(d, spec.seed, data, scores, sweep.catalog) * d.activity_scale
        frame = frame.reset_index()
        if params:
            u = _qmc(qmc.LatinHypercube, len(params), spec.seed).random(d.members)
            frame = pd.concat([_scaled(u, params), frame], axis=1)
    for p in params:
        if sweep.integer.get(p.path):
            frame[p.path] = np.round(frame[p.path]).astype(np.int64)
    frame.insert(0, "point", np.arange(len(frame), dtype=np.int64))
    return frame


def _qmc(engine, d: int, seed: int):
    """A scrambled qmc engine seeded with `seed` (`rng=` from SciPy 1.15, `seed=` before)."""
    try:
        return engine(d=d, scramble=True, rng=seed)
    except TypeError:  # pragma: no cover - SciPy < 1.15
        return engine(d=d, scramble=True, seed=seed)


def _grid_values(p: Parameter) -> np.ndarray:
    if p.values is not None:
        return np.asarray(p.values, dtype=float)
    if p.scale == "log":
        return np.geomspace(p.low, p.high, p.num)
    return np.linspace(p.low, p.high, p.num)


def _scaled(u: np.ndarray, params: list[Parameter]) -> pd.DataFrame:
    """Unit-cube samples to parameter values: low + u (high - low), or the same in log10 for log-scaled ones."""
    cols = {}
    for j, p in enumerate(params):
        if p.scale == "log":
            lo, hi = np.log10(p.low), np.log10(p.high)
            cols[p.path] = 10.0 ** (lo + u[:, j] * (hi - lo))
        else:
            cols[p.path] = p.low + u[:, j] * (p.high - p.low)
    return pd.DataFrame(cols)


def saltelli_design(params: list[Parameter], n: int, seed: int) -> pd.DataFrame:
    """A, B and AB_1..AB_k stacked (N (k + 2) rows) from a scrambled 2k-dimensional Sobol sequence."""
    k = len(params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy warns when N is not a power of 2; balance is then slightly worse
        u = _qmc(qmc.Sobol, 2 * k, seed).random(n)
    a, b = u[:, :k], u[:, k:]
    blocks = [a, b]
    for i in range(k):
        ab = a.copy()
        ab[:, i] = b[:, i]
        blocks.append(ab)
    frame = _scaled(np.vstack(blocks), params)
    frame["block"] = ["A"] * n + ["B"] * n + ["AB"] * (n * k)
    frame["block_param"] = np.concatenate([np.full(2 * n, -1), np.repeat(np.arange(k), n)]).astype(np.int64)
    frame["row"] = np.tile(np.arange(n, dtype=np.int64), k + 2)
    return frame


def tissue_scores(tissue: str, mechanisms: list[str] | None, data, scores=None, cat=None) -> pd.DataFrame:
    """Lines x mechanisms scores (within-tissue standard deviations) of one tissue's lines; missing -> 0.

    Scores are computed with `cat` (the sweep's catalog; default the shipped one) unless `scores` are given."""
    from chemorad.catalog import catalog
    from chemorad.evidence.scores import mechanism_scores

    sc = scores if scores is not None else mechanism_scores(cat if cat is not None else catalog(), data)
    tissues = sc.tissue.reindex(sc.scores.index)
    if tissue not in set(tissues.dropna()):
        hint = closest(tissue, sorted(set(tissues.dropna())))
        tail = f"; closest: {', '.join(hint)}" if hint else ""
        raise ChemoradError(f"design.tissue: no cell lines of tissue {tissue!r} in the data bundle{tail}")
    scores = sc.scores[tissues == tissue]
    if len(scores) < MIN_COHORT_LINES:
        raise ChemoradError(
            f"design.tissue: only {len(scores)} cell lines of tissue {tissue!r} have scores (need {MIN_COHORT_LINES})"
        )
    if mechanisms is None:
        mechanisms = [m for m in scores.columns if scores[m].notna().any() and scores[m].std() > 0]
    missing = [m for m in mechanisms if m not in scores.columns]
    if missing:
        raise ChemoradError(f"design.mechanisms: {', '.join(missing)} have no scores in the data bundle")
    return scores[mechanisms].fillna(0.0)


def cohort_profiles(design, seed, data, scores=None, cat=None) -> pd.DataFrame:
    """`design.members` activity profiles (rows) drawn from the lines of `design.tissue`; columns
    `activity.<mechanism>`."""
    members, method = design.members, design.method
    scores = tissue_scores(design.tissue, design.mechanisms, data, scores, cat)
    rng = np.random.default_rng([seed, 1])  # its own stream, apart from the per-point simulation seeds
    if method == "resample":
        pick = rng.integers(0, len(scores), size=members)
        values = scores.to_numpy()[pick]
        lines = scores.index.to_numpy()[pick]
    else:
        cov = np.cov(scores.to_numpy(), rowvar=False)
        values = rng.multivariate_normal(np.zeros(len(scores.columns)), cov, size=members, method="eigh")
        lines = np.full(members, "gaussian")
    frame = pd.DataFrame(values, columns=[ACTIVITY + m for m in scores.columns])
    frame.index = pd.Index(lines.astype(str), name="cell_line")
    return frame
