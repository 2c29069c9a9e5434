"""Tissue-adjusted associations between molecular features and responses, for every pair at once.

For a feature matrix X (lines x features) and a response matrix Y (lines x responses), both with NaN allowed, and a
covariate design C (lines x covariates: tissue dummies, optionally MSI), every pair (feature x, response y) is fitted by
ordinary least squares

    y = b0 + C g + effect * x + error,

on the lines where x, y and every covariate are observed (the usable rows differ per pair). By the Frisch-Waugh-Lovell
theorem, effect = <M x, M y> / <M x, M x>, with M the projection onto the orthogonal complement of [1, C] on those rows;
se = sqrt(SSE / df / <M x, M x>), SSE = <M y, M y> - effect^2 <M x, M x>, df = n - rank([1, C]) - 1; t = effect / se;
two-sided p from Student's t with df; 95% interval effect +- t_{0.975, df} se. These are exactly the numbers of
statsmodels `OLS(y, [1, C, x]).fit()` for the feature coefficient (tested to ~1e-8), including rank-deficient
covariates (a tissue absent from the usable rows), which the pseudo-inverse basis here handles as statsmodels does.

Exactness under missing values: pairs are grouped by their pattern of usable rows (features by their NaN pattern, times
responses by theirs); each group gets its own orthonormal basis of [1, C] (SVD) and is solved with matrix products.
A complete X with R distinct response patterns costs R small projections.

Fast path (the default when at most `_MAX_OTHERS` covariates are not one-hot): 0/1 covariate columns with disjoint
supports (tissue dummies) span, with the intercept, the indicators of their groups, so projecting them out is centring
within groups; the remaining covariates (e.g. MSI) are centred within groups on the usable rows and given an SVD basis
U there. Then for every row pattern S and feature x: <M x, M x> = sum_S x^2 - sum_t (sum_{S,t} x)^2 / n_t - |U^T x|^2,
from a few matrix products (row masks x features, one per group), and <M x, M y> = x^T (M y) with M y computed per
response and zero outside S: one product per feature NaN pattern. X is shifted by its column means first (the
within-group sums are invariant to it) to limit cancellation; results equal the general path to ~1e-12.

A pair is not tested, and is listed in the `dropped` table with its reason, when: fewer than `min_n` usable lines; no
residual degrees of freedom; the feature has no variance within the usable rows ('no variance'); the feature is
(numerically) a combination of the covariates there, e.g. a mutation present in one tissue only ('collinear with
covariates'); or the response has no variance there. FDR: Benjamini-Hochberg over all tested pairs (`bh_fdr`).

`partial_correlation` gives the covariate-adjusted correlation of two responses (cross-resistance), with a percentile
bootstrap interval.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import numpy as np
import pandas as pd
from scipy import special, stats

from chemorad.errors import ChemoradError

__all__ = ["associations", "bh_fdr", "covariate_design", "partial_correlation"]

_COLUMNS = ["feature", "response", "n", "effect", "se", "ci_low", "ci_high", "t", "p_value", "fdr", "dof"]
_DROP_COLUMNS = ["feature", "response", "n", "reason"]
_REL_TOL = 1e-10


def bh_fdr(p_values) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (`scipy.stats.false_discovery_control`, method 'bh') over the non-NaN ones.

    q_(i) = min_{j >= i} min(1, m p_(j) / j); NaN stays NaN. Source: Benjamini & Hochberg 1995, J R Stat Soc B 57:289.
    """
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    if ok.any():
        out[ok] = stats.false_discovery_control(p[ok], method="bh")
    return out


def covariate_design(tissue: pd.Series, msi: pd.Series | None = None, min_lines: int = 1) -> pd.DataFrame:
    """Covariate matrix (float) for `associations`: tissue dummies (first level dropped), plus `msi` (0/1) if given.

    Lines whose tissue (or MSI, when given) is missing get NaN rows and are left out of every fit. Tissues with fewer
    than `min_lines` lines are set to missing too (they would be fitted perfectly by their own dummy anyway).
    """
    tissue = tissue.astype(object).where(tissue.notna(), None)
    counts = tissue.value_counts()
    small = counts.index[counts < min_lines]
    tissue = tissue.where(~tissue.isin(small), None)
    levels = sorted(t for t in tissue.dropna().unique())
    design = pd.DataFrame(index=tissue.index)
    for level in levels[1:]:
        design[f"tissue[{level}]"] = (tissue == level).astype(float)
    design.loc[tissue.isna().to_numpy(), :] = np.nan
    if msi is not None:
        m = msi.reindex(tissue.index)
        design["msi"] = [float(v) if pd.notna(v) else np.nan for v in m]
        design.loc[tissue.isna().to_numpy(), "msi"] = np.nan
    return design


def _as_frame(obj, what: str) -> pd.DataFrame:
    if isinstance(obj, pd.Series):
        return obj.to_frame()
    if not isinstance(obj, pd.DataFrame):
        raise ChemoradError(f"{what}: expected a pandas DataFrame (lines x columns), got {type(obj).__name__}")
    return obj


def _groups(mask: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Columns of boolean `mask` (rows x columns) grouped by identical pattern: [(row mask, column indices)]."""
    if mask.shape[1] == 0:
        return []
    packed = np.packbits(mask, axis=0).T
    _, inverse = np.unique(packed, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    out = []
    for g in range(inverse.max() + 1):
        cols = np.flatnonzero(inverse == g)
        out.append((mask[:, cols[0]], cols))
    return out


def _basis(design: np.ndarray) -> np.ndarray:
    """Orthonormal basis of the column space of `design` (rows x k), rank-revealing like numpy's pinv."""
    u, s, _ = np.linalg.svd(design, full_matrices=False)
    if s.size == 0 or s[0] == 0:
        return u[:, :0]
    tol = s[0] * max(design.shape) * np.finfo(float).eps
    return u[:, s > tol]


_REASONS = np.array(
    [
        "too few lines",
        "no residual degrees of freedom",
        "no variance",
        "collinear with covariates",
        "response has no variance",
    ],
    dtype=object,
)
_TOO_FEW, _NO_DOF, _NOVAR, _COLLINEAR, _YNOVAR = 1, 2, 3, 4, 5
_MAX_OTHERS = 8  # fast path: at most this many covariates outside the one-hot (dummy) block
_CHUNK = 512  # features per block in the fast path


def _dummy_structure(cv: np.ndarray, cov_ok: np.ndarray) -> tuple[np.ndarray, int, np.ndarray]:
    """Split covariates into a one-hot block (0/1 columns with disjoint supports) and the rest.

    With the intercept, the one-hot columns span exactly the indicators of the groups they define (each column's
    support, plus the lines where all are 0), so projecting them out is centring within groups. Returns (group label
    per line, -1 where a covariate is missing; number of groups; the other covariates, lines x m).
    """
    n = cv.shape[0]
    used = np.zeros(n, dtype=bool)
    labels = np.zeros(n, dtype=np.int64)
    others = []
    n_groups = 1
    ok = cov_ok
    for j in range(cv.shape[1]):
        col = cv[ok, j]
        support = np.zeros(n, dtype=bool)
        support[ok] = col == 1
        if np.all((col == 0) | (col == 1)) and not (support & used).any():
            labels[support] = n_groups
            used |= support
            n_groups += 1
        else:
            others.append(cv[:, j])
    labels[~cov_ok] = -1
    other = np.column_stack(others) if others else np.empty((n, 0))
    return labels, n_groups, other


def _centre_within(values: np.ndarray, onehot: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """`values` (rows x c) minus their group means (group membership `onehot`, rows x G; `counts` per group)."""
    sums = onehot.T @ values
    means = np.divide(sums, counts[:, None], out=np.zeros_like(sums), where=counts[:, None] > 0)
    return values - onehot @ means


class _Results:
    """Per-pair effect and se (features x responses), a reason code (0: tested), and n / dof per (X group, response)."""

    def __init__(self, n_features: int, n_responses: int, n_xgroups: int):
        self.effect = np.empty((n_features, n_responses))  # read only where code == 0 (always written there)
        self.se = np.empty((n_features, n_responses))
        self.code = np.zeros((n_features, n_responses), dtype=np.int8)
        self.xgroup = np.zeros(n_features, dtype=np.int64)
        self.n = np.zeros((n_xgroups, n_responses), dtype=np.int64)
        self.dof = np.zeros((n_xgroups, n_responses), dtype=np.int64)


def _block_flags(ss_x, sxx, scale) -> tuple[np.ndarray, np.ndarray]:
    novar = ss_x <= _REL_TOL * scale
    collinear = ~novar & (sxx <= _REL_TOL * ss_x)
    return novar, collinear


def _y_stats(ys: np.ndarray) -> np.ndarray:
    """True for responses (columns of `ys`) without variance on these rows."""
    yc = ys - ys.mean(axis=0)
    syy_tot = (yc * yc).sum(axis=0)
    return syy_tot <= _REL_TOL * np.maximum((ys * ys).sum(axis=0), np.finfo(float).tiny)


def _scan_general(xv, yv, design, mx, my, min_n, res: _Results) -> None:
    """Every (feature pattern, response pattern) group with its own SVD basis of [1, C] on the usable rows."""
    y_groups = _groups(my)
    for g, (xrows, fcols) in enumerate(_groups(mx)):
        res.xgroup[fcols] = g
        for yrows, rcols in y_groups:
            rows = xrows & yrows
            n = int(rows.sum())
            q = _basis(design[rows]) if n else np.empty((0, 0))
            dof = n - q.shape[1] - 1
            res.n[g, rcols] = n
            res.dof[g, rcols] = dof
            if n < min_n or dof < 1:
                res.code[np.ix_(fcols, rcols)] = _TOO_FEW if n < min_n else _NO_DOF
                continue
            xs = xv[np.ix_(rows, fcols)]
            ys = yv[np.ix_(rows, rcols)]
            xr = xs - q @ (q.T @ xs)
            yr = ys - q @ (q.T @ ys)
            centred = xs - xs.mean(axis=0)
            ss_x = (centred * centred).sum(axis=0)
            sxx = (xr * xr).sum(axis=0)
            scale = np.maximum((xs * xs).sum(axis=0), np.finfo(float).tiny)
            novar, collinear = _block_flags(ss_x, sxx, scale)
            ynovar = _y_stats(ys)
            code = np.zeros((fcols.size, rcols.size), dtype=np.int8)
            code[:, ynovar] = _YNOVAR
            code[novar, :] = _NOVAR
            code[collinear, :] = _COLLINEAR
            res.code[np.ix_(fcols, rcols)] = code
            sxy = xr.T @ yr
            syy = (yr * yr).sum(axis=0)
            with np.errstate(divide="ignore", invalid="ignore"):
                effect = sxy / sxx[:, None]
                sse = np.maximum(syy[None, :] - effect * sxy, 0.0)
                se = np.sqrt(sse / dof / sxx[:, None])
            res.effect[np.ix_(fcols, rcols)] = effect
            res.se[np.ix_(fcols, rcols)] = se


def _scan_fast(xv, yv, design, mx, my, min_n, res: _Results, structure) -> None:
    """Same numbers as `_scan_general`, with the one-hot covariates handled by group sums (module docstring)."""
    labels, n_groups, other = structure
    n_resp = yv.shape[1]
    tiny = np.finfo(float).tiny
    eps = np.finfo(float).eps
    k_design = design.shape[1]
    for g, (xrows, fcols) in enumerate(_groups(mx)):
        res.xgroup[fcols] = g
        rows = np.flatnonzero(xrows)
        rows = rows[np.argsort(labels[rows], kind="stable")]  # lines sorted by group: contiguous group blocks
        lab = labels[rows]
        onehot = (lab[:, None] == np.arange(n_groups)[None, :]).astype(float)
        bounds = np.searchsorted(lab, np.arange(n_groups + 1))
        patterns = _groups(my[rows]) if rows.size else [(np.zeros(0, dtype=bool), np.arange(n_resp))]
        n_pat = len(patterns)
        wmask = np.zeros((rows.size, n_pat))
        pat_of = np.zeros(n_resp, dtype=np.int64)
        n_s = np.zeros(n_pat, dtype=np.int64)
        counts = np.zeros((n_pat, n_groups))
        pat_code = np.zeros(n_pat, dtype=np.int8)
        bases = []
        for s, (mask, rcols) in enumerate(patterns):
            wmask[:, s] = mask
            pat_of[rcols] = s
            n_s[s] = mask.sum()
            counts[s] = onehot[mask].sum(axis=0)
            oh = onehot[mask]
            o = _centre_within(other[rows[mask]], oh, counts[s]) if n_s[s] else other[:0]
            if o.shape[1] and n_s[s]:
                u, sv, _ = np.linalg.svd(o, full_matrices=False)
                col_scale = max(np.sqrt(n_s[s]), float(np.sqrt((other[rows[mask]] ** 2).sum(axis=0)).max()))
                u = u[:, sv > col_scale * max(n_s[s], k_design) * eps]
            else:
                u = np.empty((int(n_s[s]), 0))
            bases.append(u)
            rank = int((counts[s] > 0).sum()) + u.shape[1]
            dof = int(n_s[s]) - rank - 1
            res.n[g, rcols] = n_s[s]
            res.dof[g, rcols] = dof
            if n_s[s] < min_n or dof < 1:
                pat_code[s] = _TOO_FEW if n_s[s] < min_n else _NO_DOF
        r_max = max((u.shape[1] for u in bases), default=0)
        ufull = np.zeros((rows.size, r_max * n_pat))
        yres = np.zeros((rows.size, n_resp))
        syy = np.zeros(n_resp)
        ynovar = np.zeros(n_resp, dtype=bool)
        for s, (mask, rcols) in enumerate(patterns):
            u = bases[s]
            for r in range(u.shape[1]):
                ufull[mask, r * n_pat + s] = u[:, r]
            if pat_code[s]:
                continue
            ys = yv[np.ix_(rows[mask], rcols)]
            yr = _centre_within(ys, onehot[mask], counts[s])
            yr -= u @ (u.T @ yr)
            yres[np.ix_(mask, rcols)] = yr
            syy[rcols] = (yr * yr).sum(axis=0)
            ynovar[rcols] = _y_stats(ys)
        inv_counts = np.divide(1.0, counts, out=np.zeros_like(counts), where=counts > 0)
        inv_n = np.divide(1.0, n_s, out=np.zeros(n_pat), where=n_s > 0)
        dof_r = np.maximum(res.dof[g], 1).astype(float)
        xc_all = xv[np.ix_(rows, fcols)]
        mu_all = xc_all.mean(axis=0) if rows.size else np.zeros(fcols.size)
        xc_all -= mu_all
        for start in range(0, fcols.size, _CHUNK):
            ch = slice(start, start + _CHUNK)
            xc, mu = xc_all[:, ch], mu_all[ch]
            s2 = wmask.T @ (xc * xc)
            s1sum = np.zeros_like(s2)
            between = np.zeros_like(s2)
            for t in range(n_groups):
                a, b = bounds[t], bounds[t + 1]
                if a == b:
                    continue
                s1 = wmask[a:b].T @ xc[a:b]
                s1sum += s1
                between += s1 * s1 * inv_counts[:, t : t + 1]
            sxx = s2 - between
            if r_max:
                proj = (ufull.T @ xc).reshape(r_max, n_pat, -1)
                sxx -= (proj * proj).sum(axis=0)
            ss_x = s2 - s1sum * s1sum * inv_n[:, None]
            raw = s2 + 2.0 * mu * s1sum + n_s[:, None] * (mu * mu)
            scale = np.maximum(np.maximum(raw, s2), tiny)
            novar, collinear = _block_flags(ss_x, sxx, scale)
            code_s = np.where(novar, _NOVAR, np.where(collinear, _COLLINEAR, 0)).astype(np.int8)
            code_s[pat_code > 0] = pat_code[pat_code > 0, None]
            code = code_s[pat_of].T
            code[(code == 0) & ynovar[None, :]] = _YNOVAR
            sxx_r = sxx[pat_of].T
            sxy = xc.T @ yres
            with np.errstate(divide="ignore", invalid="ignore"):
                effect = sxy / sxx_r
                sse = np.maximum(syy[None, :] - effect * sxy, 0.0)
                se = np.sqrt(sse / dof_r[None, :] / sxx_r)
            idx = fcols[ch]
            res.code[idx] = code
            res.effect[idx] = effect
            res.se[idx] = se


def _bh_sorted(p_sorted: np.ndarray) -> np.ndarray:
    """`bh_fdr` for p-values sorted ascending with NaN last."""
    out = np.full(p_sorted.shape, np.nan)
    m = int(np.isfinite(p_sorted).sum())
    if m:
        out[:m] = stats.false_discovery_control(p_sorted[:m], method="bh")
    return out


def associations(
    X: pd.DataFrame,
    Y: pd.DataFrame,
    covariates: pd.DataFrame | None = None,
    min_n: int = 10,
    level: float = 0.95,
    return_dropped: bool = False,
):
    """Covariate-adjusted OLS effect of every feature (X column) on every response (Y column); see module docstring.

    X: lines x features; Y: lines x responses; covariates: lines x covariates (e.g.
    `covariate_design(...)`), or None for y ~ 1 + x. Lines are matched on the index (the canonical cell-line
    name); only lines present in X, Y and the covariates are used. Returns a long DataFrame with columns
    feature, response, n, effect, se, ci_low, ci_high, t, p_value, fdr (BH over all tested pairs), dof (residual
    degrees of freedom), sorted by
    p_value; `attrs['n_dropped']` counts the untested pairs. With `return_dropped=True`, returns (table,
    dropped) where dropped lists feature, response, n, reason.
    """
    return _associations(X, Y, covariates, min_n, level, return_dropped, method="auto")


def _associations(X, Y, covariates, min_n, level, return_dropped, method: str = "auto"):
    """`associations` with the algorithm chosen: 'fast' (group sums), 'general' (SVD per group) or 'auto'."""
    X = _as_frame(X, "X")
    Y = _as_frame(Y, "Y")
    if min_n < 3:
        raise ChemoradError(f"min_n={min_n}: expected at least 3 lines per test")
    if not 0 < level < 1:
        raise ChemoradError(f"level={level}: expected a confidence level between 0 and 1")
    lines = X.index.intersection(Y.index)
    if covariates is not None:
        covariates = _as_frame(covariates, "covariates")
        lines = lines.intersection(covariates.index)
    if lines.has_duplicates:
        raise ChemoradError("X/Y: repeated cell-line names in the index; expected one row per line")
    try:
        xv = X.loc[lines].to_numpy(dtype=float)
        yv = Y.loc[lines].to_numpy(dtype=float)
        cv = covariates.loc[lines].to_numpy(dtype=float) if covariates is not None else np.empty((len(lines), 0))
    except (TypeError, ValueError) as exc:
        raise ChemoradError(f"X/Y/covariates: expected numeric columns ({exc})") from None
    design = np.column_stack([np.ones(len(lines)), cv])
    cov_ok = np.isfinite(design).all(axis=1)
    mx = np.isfinite(xv) & cov_ok[:, None]
    my = np.isfinite(yv)
    fnames = np.asarray(X.columns, dtype=object)
    rnames = np.asarray(Y.columns, dtype=object)

    n_xgroups = len(_groups(mx)) if mx.shape[1] else 0
    res = _Results(xv.shape[1], yv.shape[1], max(n_xgroups, 1))
    structure = _dummy_structure(cv, cov_ok)
    fast = method == "fast" or (method == "auto" and structure[2].shape[1] <= _MAX_OTHERS)
    if method not in ("auto", "fast", "general"):
        raise ChemoradError(f"method={method!r}: expected 'auto', 'fast' or 'general'")
    if xv.shape[1] and yv.shape[1]:
        if fast:
            _scan_fast(xv, yv, design, mx, my, min_n, res, structure)
        else:
            _scan_general(xv, yv, design, mx, my, min_n, res)
    table = _table(res, fnames, rnames, level)
    fi, ri = np.nonzero(res.code)
    dropped_table = pd.DataFrame(
        {
            "feature": fnames[fi],
            "response": rnames[ri],
            "n": res.n[res.xgroup[fi], ri],
            "reason": _REASONS[res.code[fi, ri].astype(np.int64) - 1],
        },
        columns=_DROP_COLUMNS,
    )
    table.attrs["n_dropped"] = len(dropped_table)
    table.attrs["n_lines"] = len(lines)
    return (table, dropped_table) if return_dropped else table


def _stable_argsort(values: np.ndarray) -> np.ndarray:
    """np.argsort(values, kind='stable') (NaN last), via the faster unstable sort and re-ordering the ties."""
    order = np.argsort(values)
    ordered = values[order]
    finite = int(np.searchsorted(np.isnan(ordered), True))  # NaN sort last
    eq = np.flatnonzero(ordered[1:finite] == ordered[: finite - 1])  # ordered[i] == ordered[i + 1]
    if eq.size:
        in_tie = np.zeros(finite, dtype=bool)
        in_tie[eq] = True
        in_tie[eq + 1] = True
        tie = np.flatnonzero(in_tie)
        continues = np.zeros(tie.size, dtype=bool)  # tie[k] equals the element before it: same run
        continues[1:] = (tie[1:] == tie[:-1] + 1) & (ordered[tie[1:]] == ordered[tie[:-1]])
        run = np.cumsum(~continues)
        order[tie] = order[tie][np.lexsort((order[tie], run))]
    order[finite:] = np.sort(order[finite:])
    return order


def _threads(fn, n_items: int, chunk: int = 1 << 20) -> None:
    """Run fn(slice) over [0, n_items) in chunks on a few threads (numpy and scipy.special release the GIL)."""
    slices = [slice(i, min(i + chunk, n_items)) for i in range(0, n_items, chunk)]
    workers = min(4, os.cpu_count() or 1, len(slices))
    if workers <= 1:
        for sl in slices:
            fn(sl)
        return
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(fn, slices))


def _take_names(names: np.ndarray, idx: np.ndarray):
    """names[idx] as the column pandas would build from the object array (str dtype for strings), built by take."""
    return pd.Series(names, dtype=None, copy=False).array.take(idx)


def _t_and_p(effect, se, dof, cell, t, p, sl: slice) -> None:
    """t = effect / se and two-sided p = 2 * stats.t.sf(|t|, dof) on the slice `sl` (written into t and p)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        np.divide(effect[sl], se[sl], out=t[sl])
    p[sl] = 2.0 * special.stdtr(dof[cell[sl]], -np.abs(t[sl]))


def _table(res: _Results, fnames: np.ndarray, rnames: np.ndarray, level: float) -> pd.DataFrame:
    """The long table of tested pairs, sorted by (p_value, feature, response), with BH FDR."""
    n_resp = len(rnames)
    forder = np.argsort(fnames, kind="stable")
    rorder = np.argsort(rnames, kind="stable")
    flat = np.flatnonzero(res.code[np.ix_(forder, rorder)] == 0)  # tested pairs in (feature, response) name order
    fi, ri = np.divmod(flat, n_resp)
    fi = forder[fi]
    ri = rorder[ri]
    np.multiply(fi, n_resp, out=flat)
    flat += ri  # position in the features x responses results
    cell = res.xgroup[fi] * n_resp + ri  # position in the (X group x response) tables
    m = flat.size
    effect = np.take(res.effect, flat)
    se = np.take(res.se, flat)
    del flat
    t = np.empty(m)
    p = np.empty(m)
    dof = res.dof.ravel()

    _threads(partial(_t_and_p, effect, se, dof, cell, t, p), m)
    order = _stable_argsort(p)
    quantile = special.stdtrit(np.maximum(res.dof, 1), 0.5 + level / 2).ravel()  # = stats.t.ppf per (group, response)
    block = np.empty((7, m))  # effect, se, ci_low, ci_high, t, p_value, fdr: one float block for the DataFrame
    np.take(effect, order, out=block[0])
    np.take(se, order, out=block[1])
    del effect, se
    np.take(t, order, out=block[4])
    np.take(p, order, out=block[5])
    del t, p
    cell = cell[order]
    half = np.take(quantile, cell) * block[1]
    np.subtract(block[0], half, out=block[2])
    np.add(block[0], half, out=block[3])
    del half
    block[6] = _bh_sorted(block[5])
    n = np.take(res.n.ravel(), cell)
    dof_col = np.take(res.dof.ravel(), cell)
    del cell
    fi = fi[order]
    ri = ri[order]
    del order
    table = pd.DataFrame(block.T, columns=_COLUMNS[3:-1], copy=False)
    table["dof"] = dof_col
    table.insert(0, "n", n)
    table.insert(0, "response", _take_names(rnames, ri))
    table.insert(0, "feature", _take_names(fnames, fi))
    return table


def _residualise(values: np.ndarray, design: np.ndarray) -> tuple[np.ndarray, int]:
    q = _basis(design)
    return values - q @ (q.T @ values), q.shape[1]


def _pcor(a: np.ndarray, b: np.ndarray, design: np.ndarray) -> tuple[float, int]:
    res, rank = _residualise(np.column_stack([a, b]), design)
    num = float(res[:, 0] @ res[:, 1])
    den = float(np.sqrt((res[:, 0] @ res[:, 0]) * (res[:, 1] @ res[:, 1])))
    return (num / den if den > 0 else np.nan), rank


def partial_correlation(
    a: pd.Series,
    b: pd.Series,
    covariates: pd.DataFrame | None = None,
    rng: np.random.Generator | None = None,
    n_boot: int = 1000,
    level: float = 0.95,
) -> dict[str, float]:
    """Correlation of `a` and `b` after removing [1, covariates] from both by least squares (partial correlation).

    Uses lines where a, b and all covariates are observed. p_value: two-sided t-test with t = r sqrt(df / (1 - r^2)),
    df = n - rank([1, C]) - 1 (equal to the OLS t of b in a ~ 1 + C + b). Interval: percentile bootstrap over lines
    (`n_boot` resamples drawn with `rng`, each re-residualised); without `rng` the interval is NaN.
    Returns n, r, p_value, ci_low, ci_high, n_boot (valid resamples).
    """
    if not isinstance(a, pd.Series) or not isinstance(b, pd.Series):
        raise ChemoradError("partial_correlation: a and b must be pandas Series indexed by cell line")
    frame = pd.concat({"a": a, "b": b}, axis=1, join="inner")
    if covariates is not None:
        covariates = _as_frame(covariates, "covariates")
        frame = frame.join(covariates.add_prefix("c:"), how="inner")
    values = frame.to_numpy(dtype=float)
    values = values[np.isfinite(values).all(axis=1)]
    n = values.shape[0]
    design = np.column_stack([np.ones(n), values[:, 2:]])
    if n < 4:
        raise ChemoradError(f"partial_correlation: {n} lines with a, b and covariates observed; expected at least 4")
    r, rank = _pcor(values[:, 0], values[:, 1], design)
    dof = n - rank - 1
    if dof < 1 or not np.isfinite(r):
        p = np.nan
    elif abs(r) >= 1:
        p = 0.0
    else:
        p = float(2.0 * stats.t.sf(abs(r) * np.sqrt(dof / (1.0 - r * r)), dof))
    low = high = np.nan
    valid = 0
    if rng is not None and n_boot > 0:
        boots = np.empty(n_boot)
        for i in range(n_boot):
            idx = rng.integers(0, n, size=n)
            boots[i] = _pcor(values[idx, 0], values[idx, 1], design[idx])[0]
        ok = np.isfinite(boots)
        valid = int(ok.sum())
        if valid:
            low, high = np.quantile(boots[ok], [0.5 - level / 2, 0.5 + level / 2])
    return {"n": n, "r": r, "p_value": p, "ci_low": float(low), "ci_high": float(high), "n_boot": valid}
