"""Calibrated prediction of a cell line's response to each therapy from its catalog markers (grouped into mechanisms),
and an honest cross-validated account of how well that works.

The model (`ResponseModel`, one per response column `dataset|compound|metric`, higher = more resistant)
--------------------------------------------------------------------------------------------------------------
Inputs: the catalog markers' values of `evidence/scores.py` (`Scores.markers`: lines x marker features such as
'ABCB1 overexpression [expression]', within-tissue standardised, NaN where not measured) and the line's tissue. Each
marker belongs to a mechanism, so contributions add up to mechanisms (`profile.predict`); the mechanism scores
themselves (means of their markers) fitted 2-3 points of Spearman worse in cross-validation (BENCHMARKS.md), because
averaging throws away which marker of a mechanism carries the signal. The class works on either table. A missing value
is imputed as 0, which is the tissue average because the features are centred within tissue. The prediction is a
penalised linear model

    y_hat = b + sum_j beta_j z_j + sum_k delta_k m_k + tau_t

    z_j   = (x_j - mu_j) / sigma_j          score j after imputation, standardised on the training lines
    m_k   = missingness indicator k, standardised the same way (only when it lowers the cross-validated error; identical
            missingness patterns share one indicator)
    tau_t = effect of tissue t (one-hot), reported centred: sum_t (n_t / n) tau_t = 0, so b is the training mean of y
            and a tissue never seen in training gets tau = 0, the line-weighted mean tissue effect.

Fit: generalised ridge regression (Hoerl & Kennard 1970, Technometrics 12:55) with an unpenalised intercept, penalty
alpha on the standardised scores and indicators and a separate penalty lambda on the tissue effects (lambda shrinks a
tissue with n_t lines towards the mean by n_t / (n_t + lambda), i.e. a random-effect-like partial pooling):

    theta = (D'D + P)^-1 D'y,    P = diag(0, alpha, ..., alpha, lambda, ..., lambda)

(alpha, lambda) and the use of missingness indicators are chosen by exact leave-one-line-out cross-validation on the
training lines, using the closed form of the PRESS residuals of a linear smoother (Allen 1974, Technometrics 16:125):

    e_(-i) = (y_i - y_hat_i) / (1 - h_ii),    h_ii = d_i' (D'D + P)^-1 d_i

Each line appears once per response, so leave-one-out is leave-one-line-out.

Interpretation: `attributions` splits every prediction into per-mechanism contributions beta_j z_j, the missingness
term, the tissue term tau_t and the intercept b; they sum to the prediction exactly.

Prediction intervals: jackknife residual quantiles (Barber, Candes, Ramdas & Tibshirani 2021, Ann Stat 49:486). With the
n leave-one-out residuals e_(-i) of the training lines, the interval at level 1 - a is

    y_hat +- q,   q = the ceil((n + 1)(1 - a))-th smallest |e_(-i)|

For a tissue never seen in training the residuals used are e_(-i) + tau_t(i) (the error had the tissue term been
unknown). This is the jackknife, not the jackknife+: its coverage is approximately, not provably, 1 - a for a stable
estimator such as ridge; the tests check it on synthetic held-out data.

Baselines and cross-validation
------------------------------
`TissueMeanModel` (per-tissue training mean) and `ExpressionRidge` (ridge regression on every usable GDSC expression
gene, standardised on the training lines, plus tissue, penalties by exact leave-one-out in the dual (kernel) form) are
the two contenders `cross_validate_models` compares chemorad's model against, on the same grouped K folds (a line is in
exactly one test fold for every response), scoring each by the Spearman correlation of out-of-fold predictions with the
observed response. The chain's zero-parameter mechanistic prediction (log dose for 50% survival of the phenotype whose
activities are the scores, `chain.survival.dose_for_survival`) is scored on the same lines (no fitting, so no folds).

Data: Yard et al. 2016, Nat Commun 7:11428 (radiation); GDSC1/GDSC2, Yang et al. 2013, Nucleic Acids Res 41:D955 and
Iorio et al. 2016, Cell 166:740 (drug response, expression, mutations, copy number); CTRP v2, Rees et al. 2016, Nat Chem
Biol 12:109 and Seashore-Ludlow et al. 2015, Cancer Discov 5:1210; CCLE RPPA, Li et al. 2017, Cancer Cell 31:225.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from scipy.linalg import cholesky, solve_triangular
from scipy.stats import spearmanr
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from chemorad.catalog.load import Catalog
from chemorad.catalog.schema import Lesion
from chemorad.errors import ChemoradError

__all__ = [
    "ALPHAS",
    "MIN_LINES",
    "PRIMARY_METRIC",
    "TISSUE_ALPHAS",
    "ExpressionRidge",
    "ModelSet",
    "ResponseModel",
    "TissueMeanModel",
    "chain_prediction",
    "cross_validate_models",
    "cytotoxic_therapies",
    "fit_all",
    "line_folds",
    "response_columns",
]

#: fewest lines with a response and scores for a model to be fitted
MIN_LINES = 50
#: penalty grid for the standardised mechanism scores (and the expression genes, scaled by their number)
ALPHAS = tuple(float(a) for a in np.logspace(-2, 4, 25))
#: penalty grid for the tissue effects (shrinkage n_t / (n_t + lambda) towards the mean tissue)
TISSUE_ALPHAS = (1e-3, 0.3, 1.0, 3.0, 10.0, 30.0)
#: the metric the benchmark reports per dataset (the evidence engine's primary metrics)
PRIMARY_METRIC = {"yard": "auc", "gdsc1": "ln_ic50", "gdsc2": "ln_ic50", "ctrp": "auc"}
#: radiation response columns modelled (the third, neg_alpha, is the same fit as sf2 seen from another side)
RADIATION_METRICS = ("auc", "sf2")
DATASETS = ("yard", "gdsc1", "gdsc2", "ctrp")
CONTENDERS = ("chemorad", "tissue", "expression")

_MISSINGNESS = "missingness"
_TISSUE = "tissue"
_INTERCEPT = "intercept"


# ------------------------------------------------------------------------------------------------ input validation
def _matrix(X, name: str = "X") -> tuple[np.ndarray, pd.Index | None, list[str] | None]:
    """(float array, row index or None, column names or None) of a 2-D input; NaN allowed, inf not."""
    if isinstance(X, pd.DataFrame):
        bad = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c]) and not pd.api.types.is_bool_dtype(X[c])]
        if bad:
            raise ChemoradError(f"{name}: non-numeric column(s) {', '.join(map(str, bad[:5]))}; expected numbers")
        arr = X.to_numpy(dtype=float, na_value=np.nan)
        index, columns = X.index, [str(c) for c in X.columns]
    else:
        try:
            arr = np.asarray(X, dtype=float)
        except (TypeError, ValueError) as exc:
            raise ChemoradError(f"{name}: expected a numeric 2-D array or DataFrame ({exc})") from None
        index, columns = None, None
    if arr.ndim != 2:
        raise ChemoradError(f"{name}: expected a 2-D array (lines x features), got {arr.ndim} dimension(s)")
    if arr.shape[0] == 0:
        raise ChemoradError(f"{name}: no rows (lines)")
    if np.isinf(arr).any():
        raise ChemoradError(f"{name}: {int(np.isinf(arr).sum())} infinite value(s); expected finite numbers or NaN")
    return arr, index, columns


def _aligned(v, n: int, index: pd.Index | None, name: str) -> np.ndarray:
    """A 1-D input as an object/float array aligned to X's rows (by label when both carry an index)."""
    if isinstance(v, pd.DataFrame):
        if v.shape[1] != 1:
            raise ChemoradError(f"{name}: expected one column, got a DataFrame with {v.shape[1]} columns")
        v = v.iloc[:, 0]
    if isinstance(v, pd.Series) and index is not None:
        if len(v) != n:
            raise ChemoradError(f"{name}: length {len(v)} does not match the {n} rows of X")
        if not v.index.equals(index):
            if v.index.has_duplicates or set(v.index) != set(index):
                missing = [str(i) for i in index if i not in set(v.index)][:3]
                extra = [str(i) for i in v.index if i not in set(index)][:3]
                raise ChemoradError(
                    f"{name}: index does not match X's index (in X only: {', '.join(missing) or '-'}; "
                    f"in {name} only: {', '.join(extra) or '-'})"
                )
            v = v.reindex(index)
        return v.to_numpy()
    arr = np.asarray(v)
    if arr.ndim != 1:
        arr = arr.squeeze() if arr.ndim == 2 and 1 in arr.shape else arr
    if arr.ndim != 1:
        raise ChemoradError(f"{name}: expected a 1-D array, got shape {np.shape(v)}")
    if len(arr) != n:
        raise ChemoradError(f"{name}: length {len(arr)} does not match the {n} rows of X")
    return arr


def _split_tissue(X, tissue):
    """Take the tissue from the keyword, else from a 'tissue' column of X (which is then dropped from X)."""
    if isinstance(X, pd.DataFrame) and _TISSUE in X.columns:
        if tissue is None:
            tissue = X[_TISSUE]
        X = X.drop(columns=[_TISSUE])
    if tissue is None:
        raise ChemoradError("tissue: required; pass tissue=... (one label per line) or a 'tissue' column in X")
    return X, tissue


def _tissue_labels(tissue, n: int, index: pd.Index | None, allow_missing: bool) -> np.ndarray:
    t = _aligned(tissue, n, index, "tissue")
    missing = pd.isna(t)
    if missing.any() and not allow_missing:
        raise ChemoradError(f"tissue: {int(missing.sum())} missing label(s); every training line needs a tissue")
    return np.array([None if m else str(x) for x, m in zip(t, missing, strict=True)], dtype=object)


def _response(y, n: int, index: pd.Index | None) -> np.ndarray:
    arr = _aligned(y, n, index, "y")
    try:
        arr = arr.astype(float)
    except (TypeError, ValueError):
        raise ChemoradError("y: expected numbers (one response per line)") from None
    bad = ~np.isfinite(arr)
    if bad.any():
        raise ChemoradError(f"y: {int(bad.sum())} NaN or infinite value(s); drop the lines without a response first")
    return arr


def _level(level: float) -> float:
    if not (isinstance(level, int | float) and 0.0 < float(level) < 1.0):
        raise ChemoradError(f"level: expected a coverage in (0, 1), got {level!r}")
    return float(level)


def _grid(values, name: str) -> np.ndarray:
    arr = np.atleast_1d(np.asarray(values, dtype=float))
    if arr.size == 0 or not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise ChemoradError(f"{name}: expected a non-empty list of positive penalties, got {values!r}")
    return arr


def _jackknife_quantile(abs_residuals: np.ndarray, level: float) -> float:
    """The ceil((n + 1) level)-th smallest absolute residual (inf when that exceeds n)."""
    r = np.sort(np.asarray(abs_residuals, dtype=float))
    k = int(np.ceil((len(r) + 1) * level))
    return float(r[k - 1]) if k <= len(r) else float("inf")


# ------------------------------------------------------------------------------------------------- the model
def _one_hot(labels: np.ndarray, categories: Sequence[str]) -> np.ndarray:
    pos = {c: i for i, c in enumerate(categories)}
    out = np.zeros((len(labels), len(categories)))
    for row, lab in enumerate(labels):
        j = pos.get(lab)
        if j is not None:
            out[row, j] = 1.0
    return out


def _ridge_loo(
    D: np.ndarray, DtD: np.ndarray, Dty: np.ndarray, y: np.ndarray, penalty: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Generalised ridge coefficients (D'D + diag(penalty))^-1 D'y and the exact leave-one-out residuals."""
    A = DtD + np.diag(penalty)
    try:
        L = cholesky(A, lower=True)
    except np.linalg.LinAlgError:
        L = cholesky(A + 1e-10 * np.trace(A) / len(A) * np.eye(len(A)), lower=True)
    W = solve_triangular(L, D.T, lower=True)  # L^-1 D'
    theta = solve_triangular(L.T, solve_triangular(L, Dty, lower=True), lower=False)
    h = np.einsum("ij,ij->j", W, W)
    resid = y - D @ theta
    return theta, resid / np.clip(1.0 - h, 1e-12, None)


def _loo_mse_path(F: np.ndarray, S: np.ndarray, y: np.ndarray, fixed_penalty: np.ndarray, alphas) -> np.ndarray:
    """Mean squared leave-one-out residual of the generalised ridge fit of y on [F, S] for every alpha at once.

    F (intercept and tissue columns) carries the fixed penalty diag(fixed_penalty), S (scores) the penalty alpha.
    With G = (F'F + Lambda)^-1, P = I - F G F' and U = P S, the Schur complement of the F block is
    C + alpha I, C = S'U = V diag(mu) V'. Then, with W = U V and q = W'y (block inversion of the normal equations),

        y_hat(alpha) = F G F'y + W diag(1 / (mu + alpha)) q
        h_ii(alpha)  = f_i' G f_i + sum_j W_ij^2 / (mu_j + alpha)

    and the leave-one-out residuals are (y - y_hat) / (1 - h) (Allen 1974). One eigendecomposition per Lambda
    replaces a Cholesky factorisation per (alpha, Lambda); `_ridge_loo` gives the same numbers one pair at a time.
    """
    alphas = np.asarray(alphas, dtype=float)
    G = np.linalg.inv(F.T @ F + np.diag(fixed_penalty))
    FG = F @ G
    base_fit = FG @ (F.T @ y)
    base_h = np.einsum("ij,ij->i", FG, F)
    if S.shape[1] == 0:
        loo = (y - base_fit) / np.clip(1.0 - base_h, 1e-12, None)
        return np.full(len(alphas), float(np.mean(loo**2)))
    U = S - FG @ (F.T @ S)
    mu, V = np.linalg.eigh(S.T @ U)
    W = U @ V
    inv = 1.0 / (np.clip(mu, 0.0, None)[:, None] + alphas[None, :])
    fitted = base_fit[:, None] + W @ ((W.T @ y)[:, None] * inv)
    h = base_h[:, None] + (W**2) @ inv
    loo = (y[:, None] - fitted) / np.clip(1.0 - h, 1e-12, None)
    return np.mean(loo**2, axis=0)


class ResponseModel(BaseEstimator, RegressorMixin):
    """Penalised linear model of one response from mechanism activity scores and tissue (formulas in the module doc).

    Parameters
    ----------
    alphas : penalties tried for the standardised scores (default `ALPHAS`, 1e-2 .. 1e4).
    tissue_alphas : penalties tried for the tissue effects (default `TISSUE_ALPHAS`).
    missing_indicator : "auto" (use indicators only if they lower the leave-one-out error), True or False.

    `fit(X, y, tissue)`, `predict(X, tissue)` and the other methods take `tissue` either as a keyword (one label per
    line, a Series aligned by index when X is a DataFrame) or as a column named 'tissue' in the DataFrame X. X holds the
    features (lines x markers or mechanisms; NaN = not measured); a DataFrame given to `predict` is matched to the
    training columns by name (extra columns are ignored). y must be finite and, as a Series, carry X's index.

    Fitted attributes: `coef_` (per score column, in units of the response per training SD of the imputed score;
    0 for columns that were all missing or constant), `tissue_effects_` (centred), `intercept_` (training mean of y),
    `missing_coef_` (per indicator), `alpha_`, `tissue_alpha_`, `missing_indicator_`, `loo_residuals_`, `n_train_`.
    """

    def __init__(self, alphas=None, tissue_alphas=None, missing_indicator="auto"):
        self.alphas = alphas
        self.tissue_alphas = tissue_alphas
        self.missing_indicator = missing_indicator

    # -------------------------------------------------------------------------------------------------- design
    def _scores(self, X, tissue, fitting: bool) -> tuple[np.ndarray, np.ndarray, pd.Index]:
        X, tissue = _split_tissue(X, tissue)
        arr, index, columns = _matrix(X)
        if fitting:
            self.feature_names_in_ = np.array(
                columns if columns is not None else [f"x{j}" for j in range(arr.shape[1])]
            )
            self.n_features_in_ = arr.shape[1]
        elif columns is not None:
            missing = [c for c in self.feature_names_in_ if c not in columns]
            if missing:
                raise ChemoradError(
                    f"X: missing score column(s) {', '.join(missing[:5])}"
                    f"{' ...' if len(missing) > 5 else ''}; the model was fitted on {self.n_features_in_} columns"
                )
            arr = X[list(self.feature_names_in_)].to_numpy(dtype=float, na_value=np.nan)
        elif arr.shape[1] != self.n_features_in_:
            raise ChemoradError(f"X: {arr.shape[1]} columns, expected {self.n_features_in_} (as in fit)")
        labels = _tissue_labels(tissue, arr.shape[0], index, allow_missing=not fitting)
        return arr, labels, index if index is not None else pd.RangeIndex(arr.shape[0])

    def _parts(self, arr: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Standardised scores (n x features_in), standardised indicators (n x k), tissue term (n)."""
        z = (np.nan_to_num(arr, nan=0.0) - self.mean_) / self.scale_
        z[:, ~self.used_] = 0.0
        if self.missing_groups_:
            miss = np.isnan(arr)
            m = np.column_stack([miss[:, g[0]] for g in self.missing_groups_]).astype(float)
            m = (m - self.missing_mean_) / self.missing_scale_
        else:
            m = np.zeros((arr.shape[0], 0))
        effects = self.tissue_effects_
        tissue_term = np.array([effects.get(t, 0.0) if t is not None else 0.0 for t in labels])
        return z, m, tissue_term

    # ------------------------------------------------------------------------------------------------------ fit
    def fit(self, X, y, tissue=None):
        """Fit on lines x scores `X`, responses `y` and tissue labels; penalties by leave-one-line-out CV."""
        if self.missing_indicator not in ("auto", True, False):
            raise ChemoradError(f"missing_indicator: expected 'auto', True or False, got {self.missing_indicator!r}")
        alphas = _grid(ALPHAS if self.alphas is None else self.alphas, "alphas")
        tissue_alphas = _grid(TISSUE_ALPHAS if self.tissue_alphas is None else self.tissue_alphas, "tissue_alphas")
        arr, labels, _ = self._scores(X, tissue, fitting=True)
        n = arr.shape[0]
        yv = _response(y, n, X.index if isinstance(X, pd.DataFrame) else None)
        if n < 3:
            raise ChemoradError(f"X: {n} line(s); at least 3 are needed to fit")

        imputed = np.nan_to_num(arr, nan=0.0)
        mean = imputed.mean(axis=0)
        scale = imputed.std(axis=0)
        used = scale > 1e-12
        self.mean_, self.scale_, self.used_ = mean, np.where(used, scale, 1.0), used
        z = (imputed - mean) / self.scale_
        z = z[:, used]

        miss = np.isnan(arr)
        groups: dict[bytes, list[int]] = {}
        for j in np.flatnonzero(used):
            col = miss[:, j]
            if 0 < col.sum() < n:
                groups.setdefault(np.packbits(col).tobytes(), []).append(j)
        groups_list = list(groups.values())
        m_raw = np.column_stack([miss[:, g[0]] for g in groups_list]).astype(float) if groups_list else np.zeros((n, 0))
        m_mean, m_scale = m_raw.mean(axis=0), m_raw.std(axis=0)
        m = (m_raw - m_mean) / np.where(m_scale > 0, m_scale, 1.0)

        cats = sorted(set(labels))
        T = _one_hot(labels, cats)
        options = [False, True] if self.missing_indicator == "auto" else [bool(self.missing_indicator)]
        if not groups_list:
            options = [False]
        best = None
        for with_m in options:
            S = np.column_stack([z, m]) if with_m else z
            F = np.column_stack([np.ones(n), T])
            for lam in tissue_alphas:
                errs = _loo_mse_path(F, S, yv, np.concatenate([[0.0], np.full(len(cats), lam)]), alphas)
                j = int(np.argmin(errs))
                if best is None or errs[j] < best[0] - 1e-12 * abs(best[0]):
                    best = (float(errs[j]), with_m, float(alphas[j]), float(lam))
        _, with_m, a, lam = best
        D = np.column_stack([np.ones(n), z, m if with_m else np.zeros((n, 0)), T])
        k_score = z.shape[1] + (m.shape[1] if with_m else 0)
        pen = np.concatenate([[0.0], np.full(k_score, a), np.full(len(cats), lam)])
        theta, loo = _ridge_loo(D, D.T @ D, D.T @ yv, yv, pen)
        err = float(np.mean(loo**2))
        p = z.shape[1]
        coef = np.zeros(arr.shape[1])
        coef[used] = theta[1 : 1 + p]
        k = m.shape[1] if with_m else 0
        gamma = theta[1 + p + k :]
        weights = T.sum(axis=0) / n
        mean_effect = float(weights @ gamma)

        self.coef_ = pd.Series(coef, index=self.feature_names_in_, name="coef")
        self.missing_indicator_ = bool(with_m)
        self.missing_groups_ = [[int(j) for j in g] for g in groups_list] if with_m else []
        self.missing_coef_ = pd.Series(
            theta[1 + p : 1 + p + k],
            index=[",".join(self.feature_names_in_[g]) for g in self.missing_groups_],
            name="coef",
            dtype=float,
        )
        self.missing_mean_ = m_mean if with_m else np.zeros(0)
        self.missing_scale_ = np.where(m_scale > 0, m_scale, 1.0) if with_m else np.zeros(0)
        self.tissue_effects_ = pd.Series(gamma - mean_effect, index=cats, name="tissue_effect")
        self.intercept_ = float(theta[0] + mean_effect)
        self.alpha_, self.tissue_alpha_ = float(a), float(lam)
        self.loo_residuals_ = loo
        self.loo_mse_ = err
        self.n_train_ = n
        self.y_train_ = yv.copy()
        self.tissue_train_ = labels.copy()
        self.tissue_counts_ = pd.Series(T.sum(axis=0).astype(int), index=cats, name="lines")
        return self

    # -------------------------------------------------------------------------------------------------- predict
    def predict(self, X, tissue=None) -> np.ndarray:
        """Predicted response per line (tissue term 0 for a tissue never seen in training; see `unseen_tissue`)."""
        check_is_fitted(self, "coef_")
        arr, labels, _ = self._scores(X, tissue, fitting=False)
        z, m, tissue_term = self._parts(arr, labels)
        return self._combine(z, m, tissue_term).sum(axis=1)

    def _combine(self, z: np.ndarray, m: np.ndarray, tissue_term: np.ndarray) -> np.ndarray:
        """Columns: per-feature contributions, missingness, tissue, intercept (their row sums are the predictions)."""
        contrib = z * self.coef_.to_numpy()
        miss = m @ self.missing_coef_.to_numpy() if m.shape[1] else np.zeros(len(z))
        return np.column_stack([contrib, miss, tissue_term, np.full(len(z), self.intercept_)])

    def unseen_tissue(self, tissue) -> np.ndarray:
        """True for each label that is missing or was not among the training lines' tissues."""
        check_is_fitted(self, "coef_")
        labels = np.asarray(tissue, dtype=object)
        return np.array([pd.isna(t) or str(t) not in self.tissue_effects_.index for t in labels], dtype=bool)

    def attributions(self, X, tissue=None) -> pd.DataFrame:
        """Per line: each score's contribution coef_j * z_j, then 'missingness', 'tissue' and 'intercept' columns.

        The row sums equal `predict(X, tissue)` (the same numbers, summed in the same order).
        """
        check_is_fitted(self, "coef_")
        arr, labels, index = self._scores(X, tissue, fitting=False)
        parts = self._combine(*self._parts(arr, labels))
        cols = [*self.feature_names_in_, _MISSINGNESS, _TISSUE, _INTERCEPT]
        return pd.DataFrame(parts, index=index, columns=cols)

    def predict_interval(self, X, tissue=None, level: float = 0.9) -> pd.DataFrame:
        """Per line: prediction, lower, upper (jackknife residual quantiles at `level`), unseen_tissue."""
        check_is_fitted(self, "coef_")
        level = _level(level)
        arr, labels, index = self._scores(X, tissue, fitting=False)
        pred = self._combine(*self._parts(arr, labels)).sum(axis=1)
        unseen = self.unseen_tissue(labels)
        q_seen = _jackknife_quantile(np.abs(self.loo_residuals_), level)
        tau_train = self.tissue_effects_.reindex(self.tissue_train_).to_numpy()
        q_unseen = _jackknife_quantile(np.abs(self.loo_residuals_ + tau_train), level)
        q = np.where(unseen, q_unseen, q_seen)
        return pd.DataFrame(
            {"prediction": pred, "lower": pred - q, "upper": pred + q, "unseen_tissue": unseen}, index=index
        )

    def percentile_in_tissue(self, pred, tissue) -> pd.DataFrame:
        """Where each prediction falls among the observed responses of the training lines of its tissue.

        percentile = 100 * (#{y_i < pred} + #{y_i == pred} / 2) / n_t over training lines i of that tissue; a tissue not
        seen in training is placed among all training lines (reference 'all lines'). Higher = more resistant.
        """
        check_is_fitted(self, "coef_")
        p = np.asarray(pred, dtype=float).ravel()
        labels = _tissue_labels(tissue, len(p), pred.index if isinstance(pred, pd.Series) else None, True)
        rows = []
        for value, lab in zip(p, labels, strict=True):
            ref = self.y_train_[self.tissue_train_ == lab] if lab is not None else self.y_train_[:0]
            where = lab
            if len(ref) == 0:
                ref, where = self.y_train_, "all lines (unseen tissue)"
            pct = 100.0 * (np.sum(ref < value) + 0.5 * np.sum(ref == value)) / len(ref)
            rows.append({"percentile": pct, "n_reference": len(ref), "reference": where})
        index = pred.index if isinstance(pred, pd.Series) else None
        return pd.DataFrame(rows, index=index)

    def score(self, X, y, tissue=None, sample_weight=None) -> float:
        """Coefficient of determination R^2 of the predictions."""
        from sklearn.metrics import r2_score

        X2, tissue = _split_tissue(X, tissue)
        arr, index, _ = _matrix(X2)
        return float(r2_score(_response(y, arr.shape[0], index), self.predict(X2, tissue), sample_weight=sample_weight))

    def coefficients(self) -> pd.DataFrame:
        """Fitted terms, largest |coef| first: kind ('score', 'missingness', 'tissue'), name, coef."""
        check_is_fitted(self, "coef_")
        frames = [
            pd.DataFrame({"kind": "score", "name": self.coef_.index, "coef": self.coef_.to_numpy()}),
            pd.DataFrame(
                {"kind": _MISSINGNESS, "name": self.missing_coef_.index, "coef": self.missing_coef_.to_numpy()}
            ),
            pd.DataFrame(
                {"kind": _TISSUE, "name": self.tissue_effects_.index, "coef": self.tissue_effects_.to_numpy()}
            ),
        ]
        out = pd.concat([f for f in frames if len(f)], ignore_index=True)
        return out.reindex(out["coef"].abs().sort_values(ascending=False).index).reset_index(drop=True)


# ------------------------------------------------------------------------------------------------ baselines
class TissueMeanModel(BaseEstimator, RegressorMixin):
    """Baseline: the training mean of the response in the line's tissue (the overall mean for an unseen tissue)."""

    def fit(self, X, y, tissue=None):
        X, tissue = _split_tissue(X, tissue)
        arr, index, _ = _matrix(X)
        yv = _response(y, arr.shape[0], index)
        labels = _tissue_labels(tissue, arr.shape[0], index, allow_missing=False)
        self.means_ = pd.Series(yv).groupby(labels).mean()
        self.overall_ = float(yv.mean())
        self.n_features_in_ = arr.shape[1]
        return self

    def predict(self, X, tissue=None) -> np.ndarray:
        check_is_fitted(self, "means_")
        X, tissue = _split_tissue(X, tissue)
        arr, index, _ = _matrix(X)
        labels = _tissue_labels(tissue, arr.shape[0], index, allow_missing=True)
        return np.array([self.means_.get(t, self.overall_) if t is not None else self.overall_ for t in labels])


class ExpressionRidge(BaseEstimator, RegressorMixin):
    """Baseline: ridge regression on every expression gene given plus tissue one-hot.

    Genes are standardised on the training lines (NaN imputed by the training mean). The gene penalty alpha and the
    tissue penalty lambda = alpha / c are chosen by exact leave-one-out over `alphas` x `tissue_ratios` (c) in the dual
    form: with Z the standardised genes and T the centred one-hot tissue, M_c = ZZ' + c TT' = U S U' and

        y_hat - ybar = H (y - ybar),  H = U diag(s / (s + alpha)) U',   e_(-i) = [(I - H) y]_i / (I - H)_ii

    (one eigendecomposition per c serves every alpha). `alphas` are per gene: the penalty used is alpha * n_genes, so
    one grid serves any number of genes.
    """

    def __init__(self, alphas=None, tissue_ratios=None):
        self.alphas = alphas
        self.tissue_ratios = tissue_ratios

    def fit(self, X, y, tissue=None):
        X, tissue = _split_tissue(X, tissue)
        arr, index, _ = _matrix(X)
        n, p = arr.shape
        yv = _response(y, n, index)
        labels = _tissue_labels(tissue, n, index, allow_missing=False)
        alphas = _grid(np.logspace(-3, 2, 21) if self.alphas is None else self.alphas, "alphas") * p
        ratios = _grid(np.logspace(0, 6, 7) if self.tissue_ratios is None else self.tissue_ratios, "tissue_ratios")
        mean = np.nanmean(arr, axis=0) if np.isnan(arr).any() else arr.mean(axis=0)
        mean = np.where(np.isfinite(mean), mean, 0.0)
        filled = np.where(np.isnan(arr), mean, arr)
        scale = filled.std(axis=0)
        used = scale > 1e-12
        Z = (filled[:, used] - mean[used]) / scale[used]
        cats = sorted(set(labels))
        T = _one_hot(labels, cats)
        t_mean = T.mean(axis=0)
        Tc = T - t_mean
        ybar = float(yv.mean())
        yc = yv - ybar
        G = Z @ Z.T
        TT = Tc @ Tc.T
        best = None
        for c in ratios:
            s, U = np.linalg.eigh(G + c * TT)
            s = np.clip(s, 0.0, None)
            Uy = U.T @ yc
            U2 = U**2
            for a in alphas:
                shrink = a / (s + a)  # eigenvalues of I - H
                loo = (U @ (shrink * Uy)) / np.clip(U2 @ shrink, 1e-12, None)
                err = float(np.mean(loo**2))
                if best is None or err < best[0]:
                    best = (err, a, c, U, s, Uy)
        err, a, c, U, s, Uy = best
        dual = U @ (Uy / (s + a))  # (M_c + alpha I)^-1 (y - ybar)
        self.coef_ = Z.T @ dual
        self.tissue_coef_ = c * (Tc.T @ dual)
        self.alpha_, self.tissue_alpha_, self.loo_mse_ = a / p, a / c, err
        self.mean_, self.scale_, self.used_ = mean, np.where(used, scale, 1.0), used
        self.tissue_categories_, self.tissue_mean_ = cats, t_mean
        self.intercept_ = ybar
        self.n_features_in_ = p
        return self

    def predict(self, X, tissue=None) -> np.ndarray:
        check_is_fitted(self, "coef_")
        X, tissue = _split_tissue(X, tissue)
        arr, index, _ = _matrix(X)
        if arr.shape[1] != self.n_features_in_:
            raise ChemoradError(f"X: {arr.shape[1]} columns, expected {self.n_features_in_} (as in fit)")
        labels = _tissue_labels(tissue, arr.shape[0], index, allow_missing=True)
        filled = np.where(np.isnan(arr), self.mean_, arr)
        Z = (filled[:, self.used_] - self.mean_[self.used_]) / self.scale_[self.used_]
        T = _one_hot(labels, self.tissue_categories_)
        seen = T.sum(axis=1) > 0
        Tc = np.where(seen[:, None], T - self.tissue_mean_, 0.0)
        return self.intercept_ + Z @ self.coef_ + Tc @ self.tissue_coef_


# --------------------------------------------------------------------------------------------- fitting all
class ModelSet(dict):
    """Fitted `ResponseModel`s keyed by response column; `therapy` maps column -> therapy id, `skipped` column ->
    why it was not fitted."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.therapy: dict[str, str] = {}
        self.skipped: dict[str, str] = {}


def _check_datasets(datasets: Iterable[str]) -> tuple[str, ...]:
    out = tuple(datasets)
    bad = [d for d in out if d not in DATASETS]
    if bad or not out:
        raise ChemoradError(f"datasets: unknown {', '.join(map(repr, bad)) or '(none given)'}; expected {DATASETS}")
    return out


def response_columns(
    cat: Catalog,
    columns: pd.Index,
    datasets: Iterable[str] = DATASETS,
    therapies: Iterable[str] | None = None,
    metrics: str = "all",
) -> dict[str, str]:
    """Response column -> catalog therapy id, for the chosen datasets and therapies.

    metrics: 'all' (radiation: Yard AUC and SF2; drugs: every metric) or 'primary' (`PRIMARY_METRIC` per dataset).
    """
    from chemorad.evidence.responses import split, therapy_columns

    if metrics not in ("all", "primary"):
        raise ChemoradError(f"metrics: expected 'all' or 'primary', got {metrics!r}")
    datasets = _check_datasets(datasets)
    wanted = None if therapies is None else set(therapies)
    if wanted is not None:
        unknown_ids = sorted(wanted - set(cat.therapies))
        if unknown_ids:
            raise ChemoradError(f"therapies: unknown id(s) {', '.join(unknown_ids)}")
    out: dict[str, str] = {}
    for tid, cols in therapy_columns(cat, columns).items():
        if wanted is not None and tid not in wanted:
            continue
        for col in cols:
            dataset, _, metric = split(col)
            if dataset not in datasets:
                continue
            if dataset == "yard" and metric not in RADIATION_METRICS:
                continue
            if metrics == "primary" and metric != PRIMARY_METRIC[dataset]:
                continue
            out[col] = tid
    return out


def cytotoxic_therapies(cat: Catalog) -> list[str]:
    """Radiation and every drug that damages DNA or arrests mitosis (not the 'signalling_inhibition' agents)."""
    return [t.id for t in cat.therapies.values() if any(les is not Lesion.signalling_inhibition for les in t.lesions)]


def _tables(cat: Catalog, data) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series, pd.DataFrame]:
    """(marker features, responses, tissue, mechanism scores) of the bundle: the model's features are the catalog
    markers' within-tissue z-scores (lines with none dropped); the mechanism scores feed the chain."""
    from chemorad.evidence import datasets as ds
    from chemorad.evidence.responses import responses
    from chemorad.evidence.scores import mechanism_scores

    sc = mechanism_scores(cat, data)
    resp = responses(cat, data)
    tissue = ds.cell_lines(data)["tissue"]
    return sc.markers.dropna(how="all"), resp, tissue, sc.scores


def fit_all(
    cat: Catalog,
    data: str | os.PathLike[str] | None = None,
    datasets: Iterable[str] = DATASETS,
    therapies: Iterable[str] | None = None,
    min_lines: int = MIN_LINES,
    exclude: Iterable[str] = (),
    progress=None,
    tables: tuple[pd.DataFrame, pd.DataFrame, pd.Series] | None = None,
    **params,
) -> ModelSet:
    """Fit a `ResponseModel` per response column of the catalog's therapies (radiation: Yard AUC and SF2; drugs: GDSC1
    and GDSC2 ln IC50 and AUC, CTRP AUC). Lines need a response, a tissue and at least one score. Columns with fewer
    than `min_lines` such lines are skipped and listed in `ModelSet.skipped`. Lines in `exclude` are left out of
    training (the lines being predicted, so no prediction has seen its own response). `progress(k, n)` is called
    after each fit. `tables` = (scores, responses, tissue) skips loading the bundle. `params` go to `ResponseModel`."""
    scores, resp, tissue = _tables(cat, data)[:3] if tables is None else tables
    out = ModelSet()
    dropped = set(exclude)
    cols = response_columns(cat, resp.columns, datasets, therapies)
    for k, (col, tid) in enumerate(cols.items()):
        if progress is not None:
            progress(k, len(cols))
        y = resp[col].dropna()
        y = y[~y.index.isin(dropped)]
        lines = y.index[y.index.isin(scores.index) & tissue.reindex(y.index).notna().to_numpy()]
        if len(lines) < min_lines:
            out.skipped[col] = f"{len(lines)} lines with response, tissue and scores (< {min_lines})"
            continue
        model = ResponseModel(**params).fit(scores.loc[lines], y.loc[lines], tissue.loc[lines])
        model.response_ = col
        out[col] = model
        out.therapy[col] = tid
    return out


# ------------------------------------------------------------------------------------------------ cross-validation
def line_folds(lines: Iterable[str], n_splits: int = 5, seed: int | np.random.Generator = 0) -> pd.Series:
    """A fold number (0 .. n_splits - 1) per distinct line: a random permutation dealt round-robin, so folds differ in
    size by at most one line. The same line is in the same fold for every response and every contender."""
    if not isinstance(n_splits, int | np.integer) or n_splits < 2:
        raise ChemoradError(f"n_splits: expected an integer >= 2, got {n_splits!r}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    uniq = np.array(sorted({str(x) for x in lines}), dtype=object)
    if len(uniq) < n_splits:
        raise ChemoradError(f"lines: {len(uniq)} distinct line(s), fewer than n_splits={n_splits}")
    perm = rng.permutation(len(uniq))
    fold = np.empty(len(uniq), dtype=int)
    fold[perm] = np.arange(len(uniq)) % n_splits
    return pd.Series(fold, index=pd.Index(uniq, name="cell_line"), name="fold")


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    if len(a) < 3 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    return float(spearmanr(a, b).statistic)


def chain_prediction(cat: Catalog, therapy: str, scores: pd.DataFrame) -> pd.Series:
    """The chain's mechanistic prediction, no fitting: ln of the dose (Gy or uM) giving 50% survival for the phenotype
    whose activities are the scores (NaN -> 0, the reference cell); higher = more resistant."""
    from chemorad.chain.phenotype import phenotype
    from chemorad.chain.survival import dose_for_survival

    known = [c for c in scores.columns if c in cat.mechanisms]
    acts = {m: np.nan_to_num(scores[m].to_numpy(dtype=float), nan=0.0) for m in known}
    ph = phenotype(cat, acts, n=len(scores))
    dose = dose_for_survival(cat, therapy, 0.5, ph)
    return pd.Series(np.log(dose), index=scores.index, name="chain")


def _fit_predict(name: str, train: tuple, test: tuple) -> np.ndarray:
    """Fit contender `name` on (X, y, tissue) of the training lines and predict the test lines' (X, tissue)."""
    model = {"tissue": TissueMeanModel, "chemorad": ResponseModel, "expression": ExpressionRidge}[name]()
    return model.fit(*train).predict(*test)


def cross_validate_models(
    cat: Catalog,
    data: str | os.PathLike[str] | None = None,
    datasets: Iterable[str] = DATASETS,
    therapies: Iterable[str] | None = None,
    columns: Iterable[str] | None = None,
    metrics: str = "all",
    n_splits: int = 5,
    seed: int | np.random.Generator = 0,
    contenders: Iterable[str] = CONTENDERS,
    chain: bool = True,
    min_lines: int = MIN_LINES,
    tables: tuple[pd.DataFrame, pd.DataFrame, pd.Series, pd.DataFrame | None] | None = None,
    progress=None,
    predictions: bool = False,
    chain_scores: pd.DataFrame | None = None,
) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]:
    """Grouped K-fold comparison of chemorad's model with the tissue-only and expression-ridge baselines.

    Folds: `line_folds` over every line of the bundle (seeded), identical for every response and contender. Lines used
    for a response: a finite response, a tissue, a row of scores and (when the expression contender runs) a row of GDSC
    expression, so all contenders see the same lines. Every contender is fitted on the training folds only (its
    penalties by leave-one-out inside them) and predicts the held-out fold. The scores themselves are standardised
    within tissue over all lines of the bundle (unsupervised: no response enters them).

    Returns one row per response column x contender: therapy, dataset, compound, metric, column, contender, n (lines),
    spearman (pooled out-of-fold predictions vs observed), spearman_fold_mean, spearman_fold_sd, spearman_within_tissue
    (pooled, both sides minus the out-of-fold tissue mean: what the model adds within tissue; NaN for the tissue
    baseline), rmse. With `chain`, a 'chain' row per response scores `chain_prediction` on the same lines (no fitting).
    Responses with fewer than `min_lines` usable lines get one row with contender 'skipped'. `columns` names response
    columns to run (instead of datasets/therapies/metrics); `tables` = (features, responses, tissue, expression or None)
    skips loading the bundle (`chain_scores`: the mechanism scores for the chain, default the features). With
    `predictions`, also returns the out-of-fold predictions, one row per response x line: column, cell_line, tissue,
    fold, observed and one column per contender (and 'chain').
    """
    from chemorad.evidence.responses import split, therapy_columns

    contenders = tuple(contenders)
    bad = [c for c in contenders if c not in CONTENDERS]
    if bad or not contenders:
        raise ChemoradError(f"contenders: unknown {', '.join(map(repr, bad)) or '(none given)'}; expected {CONTENDERS}")
    say = progress or (lambda _msg: None)
    if tables is None:
        from chemorad.evidence import datasets as ds

        scores, resp, tissue, mech = _tables(cat, data)
        expr = ds.load_expression(data=data) if "expression" in contenders else None
    else:
        scores, resp, tissue, expr = tables
        mech = chain_scores if chain_scores is not None else scores
    if "expression" in contenders and expr is None:
        raise ChemoradError("tables: the expression contender needs an expression matrix (4th element)")
    if columns is None:
        cols = response_columns(cat, resp.columns, datasets, therapies, metrics)
    else:
        owner = {c: tid for tid, cs in therapy_columns(cat, resp.columns).items() for c in cs}
        wanted = list(columns)
        unknown_cols = [c for c in wanted if c not in resp.columns]
        if unknown_cols:
            raise ChemoradError(f"columns: unknown response column(s) {', '.join(unknown_cols)}")
        cols = {c: owner.get(c, "") for c in wanted}
    folds = line_folds(resp.index.union(scores.index), n_splits, seed)
    rows, preds = [], []
    for col, tid in cols.items():
        dataset, compound, metric = split(col)
        y = resp[col].dropna()
        ok = y.index.isin(scores.index) & tissue.reindex(y.index).notna().to_numpy()
        if expr is not None:
            ok &= y.index.isin(expr.index)
        lines = y.index[ok]
        base = {"therapy": tid, "dataset": dataset, "compound": compound, "metric": metric, "column": col}
        if len(lines) < min_lines:
            rows.append({**base, "contender": "skipped", "n": len(lines), "note": f"< {min_lines} lines"})
            continue
        say(f"{col}: {len(lines)} lines")
        yv = y.loc[lines].to_numpy(dtype=float)
        t = tissue.loc[lines].to_numpy()
        fold = folds.reindex(lines.astype(str)).to_numpy()
        oof = {c: np.full(len(lines), np.nan) for c in dict.fromkeys(("tissue", *contenders))}
        for k in range(n_splits):
            tr, te = fold != k, fold == k
            if te.sum() == 0 or tr.sum() < 3:
                continue
            for c in oof:
                X = expr.loc[lines] if c == "expression" else scores.loc[lines]
                oof[c][te] = _fit_predict(c, (X[tr], yv[tr], t[tr]), (X[te], t[te]))
        centre = oof["tissue"]
        frame = pd.DataFrame({"column": col, "cell_line": lines, "tissue": t, "fold": fold, "observed": yv})
        preds.append(frame.assign(**{c: oof[c] for c in contenders}))
        for c in contenders:
            pred = oof[c]
            per_fold = np.array([_spearman(yv[fold == k], pred[fold == k]) for k in range(n_splits)])
            good = np.isfinite(per_fold)
            rows.append(
                {
                    **base,
                    "contender": c,
                    "n": len(lines),
                    "spearman": _spearman(yv, pred),
                    "spearman_fold_mean": float(per_fold[good].mean()) if good.any() else np.nan,
                    "spearman_fold_sd": float(per_fold[good].std(ddof=1)) if good.sum() > 1 else np.nan,
                    "spearman_within_tissue": _spearman(yv - centre, pred - centre) if c != "tissue" else np.nan,
                    "rmse": float(np.sqrt(np.mean((yv - pred) ** 2))),
                }
            )
        if chain and tid:
            try:
                pred = chain_prediction(cat, tid, mech.reindex(lines)).to_numpy()
            except ChemoradError as exc:  # a therapy the chain cannot dose: report it, do not fail the comparison
                rows.append({**base, "contender": "chain", "n": len(lines), "note": str(exc)})
            else:
                finite = np.isfinite(pred)
                preds[-1]["chain"] = np.where(finite, pred, np.nan)
                rows.append(
                    {
                        **base,
                        "contender": "chain",
                        "n": int(finite.sum()),
                        "spearman": _spearman(yv[finite], pred[finite]),
                        "spearman_within_tissue": _spearman((yv - centre)[finite], pred[finite]),
                    }
                )
    order = [
        "therapy",
        "dataset",
        "compound",
        "metric",
        "column",
        "contender",
        "n",
        "spearman",
        "spearman_fold_mean",
        "spearman_fold_sd",
        "spearman_within_tissue",
        "rmse",
        "note",
    ]
    out = pd.DataFrame(rows).reindex(columns=order)
    out["n"] = out["n"].astype("Int64")
    if predictions:
        return out, (pd.concat(preds, ignore_index=True) if preds else pd.DataFrame())
    return out
