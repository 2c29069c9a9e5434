"""The profile's estimators: chemorad's response model and the two baselines it is compared with, all following
scikit-learn (tissue is a column of X, named by `tissue_column`; `fit(X, y)`, `predict(X)`).

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

Baselines
---------
`TissueMeanModel` (per-tissue training mean) and `ExpressionRidge` (ridge regression on every usable expression gene,
standardised on the training lines, plus tissue, penalties by exact leave-one-out) are the contenders of
`profile.selection.cross_validate_models`.

Data: Yard et al. 2016, Nat Commun 7:11428 (radiation); GDSC1/GDSC2, Yang et al. 2013, Nucleic Acids Res 41:D955 and
Iorio et al. 2016, Cell 166:740 (drug response, expression, mutations, copy number); CTRP v2, Rees et al. 2016, Nat Chem
Biol 12:109 and Seashore-Ludlow et al. 2015, Cancer Discov 5:1210; CCLE RPPA, Li et al. 2017, Cancer Cell 31:225.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral

import numpy as np
import pandas as pd
from scipy.linalg import cholesky, solve_triangular
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils import column_or_1d
from sklearn.utils.validation import check_is_fitted, validate_data

from chemorad.errors import ChemoradError
from chemorad.profile.ridge_terms import CHAIN, TISSUE, RidgeTerms, tissue_percentiles
from chemorad.profile.ridge_terms import check_level as _level
from chemorad.profile.ridge_terms import tissue_labels as _labels

__all__ = [
    "ALPHAS",
    "TISSUE",
    "TISSUE_ALPHAS",
    "ExpressionRidge",
    "ResponseModel",
    "TissueMeanModel",
    "tissue_percentiles",
]

#: penalty grid for the standardised mechanism scores (and the expression genes, scaled by their number)
ALPHAS = tuple(float(a) for a in np.logspace(-2, 4, 25))
#: penalty grid for the tissue effects (shrinkage n_t / (n_t + lambda) towards the mean tissue)
TISSUE_ALPHAS = (1e-3, 0.3, 1.0, 3.0, 10.0, 30.0)

_MISSINGNESS = "missingness"
_INTERCEPT = "intercept"


# ------------------------------------------------------------------------------------------------ input validation
class NotNumbersError(ChemoradError, TypeError):
    """A feature column holds something that is not a number (a TypeError too, as NumPy raises it)."""


def _as_float(F, name: str) -> np.ndarray:
    """Features as a float array; NaN allowed, inf and non-numbers not."""
    if isinstance(F, pd.DataFrame):
        # dtypes read once (not a Series per column): this runs on every predict of every model
        bad = [c for c, dt in zip(F.columns, F.dtypes, strict=True) if getattr(dt, "kind", "O") not in "biuf"]
        bad = [c for c in bad if not (pd.api.types.is_numeric_dtype(F[c]) or pd.api.types.is_bool_dtype(F[c]))]
        if bad:
            raise ChemoradError(f"{name}: non-numeric column(s) {', '.join(map(str, bad[:5]))}; expected numbers")
        return F.to_numpy(dtype=float, na_value=np.nan)
    if np.iscomplexobj(F):
        raise ChemoradError(f"{name}: Complex data not supported; expected real numbers")
    try:
        return np.asarray(F, dtype=float)
    except (TypeError, ValueError) as exc:
        raise NotNumbersError(f"{name}: expected numbers ({exc})") from None


def _column_position(column, n_columns: int) -> int:
    if isinstance(column, bool) or not isinstance(column, Integral) or not -n_columns <= int(column) < n_columns:
        raise ChemoradError(f"tissue_column: expected a column name or a position in [0, {n_columns}), got {column!r}")
    return int(column) % n_columns


def split_tissue(X, tissue_column) -> tuple[object, np.ndarray | None]:
    """(the features of X, tissue labels or None) for `tissue_column` (a DataFrame column name, a position, or None)."""
    if tissue_column is None:
        return X, None
    if isinstance(X, pd.DataFrame):
        if isinstance(tissue_column, str):
            if tissue_column not in X.columns:
                raise ChemoradError(
                    f"X: no {tissue_column!r} column (one tissue label per line); add it, or fit with "
                    f"tissue_column=None to ignore tissue"
                )
            return X.drop(columns=[tissue_column]), X[tissue_column].to_numpy(dtype=object)
        j = _column_position(tissue_column, X.shape[1])
        return X.drop(columns=X.columns[j]), X.iloc[:, j].to_numpy(dtype=object)
    if isinstance(tissue_column, str):
        raise ChemoradError(
            f"X: an array has no column names; give a DataFrame with a {tissue_column!r} column or set tissue_column "
            f"to the tissue's position"
        )
    j = _column_position(tissue_column, X.shape[1])
    return np.delete(X, j, axis=1), X[:, j]


def design(est, X, y=None, *, fitting: bool) -> tuple[np.ndarray, np.ndarray, pd.Index, np.ndarray | None]:
    """Validate X (and y when fitting) the scikit-learn way and split off the tissue column.

    Returns (features n x p as floats, tissue labels, row index, y or None). Sets `n_features_in_` and
    `feature_names_in_` (every column of X, the tissue column included) when fitting, and checks them otherwise.
    """
    import scipy.sparse as sp

    if sp.issparse(X):
        raise ChemoradError("X: sparse input is not supported; give a dense array or a DataFrame")
    if not isinstance(X, pd.DataFrame):
        X = np.asarray(X, dtype=object if _has_text(X) else None)
        if X.ndim != 2:
            raise ChemoradError(
                f"X: expected a 2-D array (lines x features), got {X.ndim} dimension(s); Reshape your data, e.g. "
                f"X.reshape(-1, 1) for one feature"
            )
    if fitting:
        validate_data(est, X, y, reset=True, skip_check_array=True)
    else:
        validate_data(est, X, reset=False, skip_check_array=True)
    if X.shape[0] == 0:
        raise ChemoradError("X: no rows (lines); 0 samples given")
    if X.shape[1] == 0:
        raise ChemoradError(f"X: 0 feature(s) (shape={X.shape}) while a minimum of 1 is required.")
    index = X.index if isinstance(X, pd.DataFrame) else pd.RangeIndex(X.shape[0])
    F, raw = split_tissue(X, est.tissue_column)
    if fitting:
        est.score_names_ = np.array(
            [str(c) for c in F.columns] if isinstance(F, pd.DataFrame) else [f"x{j}" for j in range(F.shape[1])],
            dtype=object,
        )
    arr = _as_float(F, "X")
    if np.isinf(arr).any():
        raise ChemoradError(f"X: {int(np.isinf(arr).sum())} infinite value(s); expected finite numbers or NaN")
    labels = _labels(raw, arr.shape[0])
    yv = _response(y, arr.shape[0], index if isinstance(X, pd.DataFrame) else None) if fitting else None
    return arr, labels, index, yv


def _has_text(X) -> bool:
    try:
        return np.asarray(X).dtype.kind in "OUS"
    except (TypeError, ValueError):
        return True


def _response(y, n: int, index: pd.Index | None) -> np.ndarray:
    """y as finite floats aligned to X's rows (by label when both carry an index)."""
    if isinstance(y, pd.DataFrame) and y.shape[1] == 1:
        y = y.iloc[:, 0]
    if isinstance(y, pd.Series) and index is not None and not y.index.equals(index):
        if len(y) != n:
            raise ChemoradError(f"y: length {len(y)} does not match the {n} rows of X")
        if y.index.has_duplicates or set(y.index) != set(index):
            missing = [str(i) for i in index if i not in set(y.index)][:3]
            extra = [str(i) for i in y.index if i not in set(index)][:3]
            raise ChemoradError(
                f"y: index does not match X's index (in X only: {', '.join(missing) or '-'}; "
                f"in y only: {', '.join(extra) or '-'})"
            )
        y = y.reindex(index)
    arr = column_or_1d(np.asarray(y), warn=True)
    if len(arr) != n:
        raise ChemoradError(f"y: length {len(arr)} does not match the {n} rows of X")
    try:
        arr = arr.astype(float)
    except (TypeError, ValueError):
        raise ChemoradError("y: expected numbers (one response per line)") from None
    bad = ~np.isfinite(arr)
    if bad.any():
        raise ChemoradError(f"y: {int(bad.sum())} NaN or infinite value(s); drop the lines without a response first")
    return arr


def _enough(n: int) -> None:
    if n < 3:
        raise ChemoradError(f"X: {n} sample(s) (lines); at least 3 are needed to fit")


def _grid(values, name: str) -> np.ndarray:
    arr = np.atleast_1d(np.asarray(values, dtype=float))
    if arr.size == 0 or not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise ChemoradError(f"{name}: expected a non-empty list of positive penalties, got {values!r}")
    return arr


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


# ------------------------------------------------------------------------------------------------- the model
class TissueInputMixin:
    """scikit-learn tags of the estimators here: missing values are allowed, and X carries a string tissue column
    when `tissue_column` is set."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = self.tissue_column is not None
        return tags


class ResponseModel(TissueInputMixin, RidgeTerms, RegressorMixin, BaseEstimator):
    """Penalised linear model of one response from mechanism activity scores and tissue (formulas in the module doc).

    Parameters
    ----------
    alphas : penalties tried for the standardised scores (default `ALPHAS`, 1e-2 .. 1e4).
    tissue_alphas : penalties tried for the tissue effects (default `TISSUE_ALPHAS`).
    missing_indicator : "auto" (use indicators only if they lower the leave-one-out error), True or False.
    tissue_column : the column of X holding each line's tissue label: a DataFrame column name (default 'tissue'), a
        position (for arrays), or None (no tissue term).

    `fit(X, y)` and `predict(X)` take the features (lines x markers or mechanisms; NaN = not measured) and the tissue
    column together in X, as scikit-learn expects; a DataFrame given to `predict` must have the training columns in
    the training order. A tissue label that is missing or unseen in training gets the mean tissue effect. y must be
    finite and, as a Series, carry X's index.

    Fitted attributes: `coef_` (per score column, in units of the response per training SD of the imputed score;
    0 for columns that were all missing or constant), `tissue_effects_` (centred), `intercept_` (training mean of y),
    `missing_coef_` (per indicator), `alpha_`, `tissue_alpha_`, `missing_indicator_`, `loo_residuals_`, `n_train_`,
    `n_features_in_` and `feature_names_in_` (every column of X, tissue included), `score_names_` (the features).
    """

    def __init__(self, alphas=None, tissue_alphas=None, missing_indicator="auto", tissue_column=TISSUE):
        self.alphas = alphas
        self.tissue_alphas = tissue_alphas
        self.missing_indicator = missing_indicator
        self.tissue_column = tissue_column

    # ------------------------------------------------------------------------------------------------------ fit
    def fit(self, X, y):
        """Fit on lines x (scores, tissue) `X` and responses `y`; penalties by leave-one-line-out CV."""
        if self.missing_indicator not in ("auto", True, False):
            raise ChemoradError(f"missing_indicator: expected 'auto', True or False, got {self.missing_indicator!r}")
        alphas = _grid(ALPHAS if self.alphas is None else self.alphas, "alphas")
        tissue_alphas = _grid(TISSUE_ALPHAS if self.tissue_alphas is None else self.tissue_alphas, "tissue_alphas")
        arr, labels, _, yv = design(self, X, y, fitting=True)
        n = arr.shape[0]
        _enough(n)
        z, used = self._standardise(arr)
        m, groups_list, m_mean, m_scale = _indicators(arr, used)
        cats = sorted({lab for lab in labels if lab is not None})
        T = _one_hot(labels, cats)
        options = [False, True] if self.missing_indicator == "auto" else [bool(self.missing_indicator)]
        if not groups_list:
            options = [False]
        _, with_m, a, lam = _select_penalties(z, m, T, yv, options, alphas, tissue_alphas)
        D = np.column_stack([np.ones(n), z, m if with_m else np.zeros((n, 0)), T])
        k_score = z.shape[1] + (m.shape[1] if with_m else 0)
        pen = np.concatenate([[0.0], np.full(k_score, a), np.full(len(cats), lam)])
        theta, loo = _ridge_loo(D, D.T @ D, D.T @ yv, yv, pen)
        p = z.shape[1]
        coef = np.zeros(arr.shape[1])
        coef[used] = theta[1 : 1 + p]
        k = m.shape[1] if with_m else 0
        gamma = theta[1 + p + k :]
        mean_effect = float((T.sum(axis=0) / max(T.sum(), 1.0)) @ gamma)  # weights n_t / n over labelled lines

        self.coef_ = pd.Series(coef, index=self.score_names_, name="coef")
        self.missing_indicator_ = bool(with_m)
        self.missing_groups_ = [[int(j) for j in g] for g in groups_list] if with_m else []
        self.missing_coef_ = pd.Series(
            theta[1 + p : 1 + p + k],
            index=[",".join(self.score_names_[g]) for g in self.missing_groups_],
            name="coef",
            dtype=float,
        )
        self.missing_mean_ = m_mean if with_m else np.zeros(0)
        self.missing_scale_ = np.where(m_scale > 0, m_scale, 1.0) if with_m else np.zeros(0)
        self.tissue_effects_ = pd.Series(gamma - mean_effect, index=cats, name="tissue_effect", dtype=float)
        self.intercept_ = float(theta[0] + mean_effect)
        self.alpha_, self.tissue_alpha_ = float(a), float(lam)
        self.loo_residuals_ = loo
        self.loo_mse_ = float(np.mean(loo**2))
        self.n_train_ = n
        self.y_train_ = yv.copy()
        self.tissue_train_ = labels.copy()
        self.tissue_counts_ = pd.Series(T.sum(axis=0).astype(int), index=cats, name="lines", dtype=int)
        return self

    def _standardise(self, arr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Training standardisation of the imputed scores (NaN -> 0, the tissue average); sets mean_, scale_, used_."""
        imputed = np.nan_to_num(arr, nan=0.0)
        mean = imputed.mean(axis=0)
        scale = imputed.std(axis=0)
        used = scale > 1e-12
        self.mean_, self.scale_, self.used_ = mean, np.where(used, scale, 1.0), used
        return ((imputed - mean) / self.scale_)[:, used], used

    # -------------------------------------------------------------------------------------------------- predict
    def _terms(self, X) -> tuple[np.ndarray, np.ndarray, pd.Index]:
        check_is_fitted(self, "coef_")
        arr, labels, index, _ = design(self, X, fitting=False)
        return self._combine(*self._parts(arr, labels)), labels, index

    def predict(self, X) -> np.ndarray:
        """Predicted response per line (tissue term 0 for a tissue never seen in training; see `unseen_tissue`)."""
        return self._terms(X)[0].sum(axis=1)

    def unseen_tissue(self, tissue) -> np.ndarray:
        """True for each label that is missing or was not among the training lines' tissues."""
        check_is_fitted(self, "coef_")
        return super().unseen_tissue(tissue)

    def attributions(self, X) -> pd.DataFrame:
        """Per line: each score's contribution coef_j * z_j, then 'missingness', 'tissue' and 'intercept' columns.

        The row sums equal `predict(X)` (the same numbers, summed in the same order).
        """
        parts, _, index = self._terms(X)
        cols = [*self.score_names_, _MISSINGNESS, TISSUE, _INTERCEPT]
        return pd.DataFrame(parts, index=index, columns=cols)

    def explain(self, X, level: float = 0.9) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(`predict_interval(X, level)`, `attributions(X)`) from one pass over X."""
        level = _level(level)
        parts, labels, index = self._terms(X)
        cols = [*self.score_names_, _MISSINGNESS, TISSUE, _INTERCEPT]
        return self._interval(parts, labels, index, level), pd.DataFrame(parts, index=index, columns=cols)

    def predict_interval(self, X, level: float = 0.9) -> pd.DataFrame:
        """Per line: prediction, lower, upper (jackknife residual quantiles at `level`), unseen_tissue."""
        level = _level(level)
        parts, labels, index = self._terms(X)
        return self._interval(parts, labels, index, level)

    def percentile_in_tissue(self, pred, tissue) -> pd.DataFrame:
        """Where each prediction falls among the observed responses of the training lines of its tissue
        (`tissue_percentiles`)."""
        check_is_fitted(self, "coef_")
        return super().percentile_in_tissue(pred, tissue)

    def coefficients(self) -> pd.DataFrame:
        """Fitted terms, largest |coef| first: kind ('score', 'missingness', 'tissue'), name, coef."""
        check_is_fitted(self, "coef_")
        frames = [
            pd.DataFrame({"kind": "score", "name": self.coef_.index, "coef": self.coef_.to_numpy()}),
            pd.DataFrame(
                {"kind": _MISSINGNESS, "name": self.missing_coef_.index, "coef": self.missing_coef_.to_numpy()}
            ),
            pd.DataFrame({"kind": TISSUE, "name": self.tissue_effects_.index, "coef": self.tissue_effects_.to_numpy()}),
        ]
        out = pd.concat([f for f in frames if len(f)], ignore_index=True)
        return out.reindex(out["coef"].abs().sort_values(ascending=False).index).reset_index(drop=True)


def _indicators(arr: np.ndarray, used: np.ndarray) -> tuple[np.ndarray, list[list[int]], np.ndarray, np.ndarray]:
    """Standardised missingness indicators, one per distinct pattern of the used columns that is neither empty nor
    complete: (indicators n x k, column groups sharing each, their means, their SDs)."""
    n = arr.shape[0]
    miss = np.isnan(arr)
    groups: dict[bytes, list[int]] = {}
    for j in np.flatnonzero(used):
        col = miss[:, j]
        if 0 < col.sum() < n:
            groups.setdefault(np.packbits(col).tobytes(), []).append(j)
    groups_list = list(groups.values())
    m_raw = np.column_stack([miss[:, g[0]] for g in groups_list]).astype(float) if groups_list else np.zeros((n, 0))
    m_mean, m_scale = m_raw.mean(axis=0), m_raw.std(axis=0)
    return (m_raw - m_mean) / np.where(m_scale > 0, m_scale, 1.0), groups_list, m_mean, m_scale


def _select_penalties(z, m, T, y, options, alphas, tissue_alphas) -> tuple[float, bool, float, float]:
    """(LOO MSE, use indicators, alpha, lambda) minimising the exact leave-one-out error over the grids."""
    n = len(y)
    F = np.column_stack([np.ones(n), T])
    best = None
    for with_m in options:
        S = np.column_stack([z, m]) if with_m else z
        for lam in tissue_alphas:
            errs = _loo_mse_path(F, S, y, np.concatenate([[0.0], np.full(T.shape[1], lam)]), alphas)
            j = int(np.argmin(errs))
            if best is None or errs[j] < best[0] - 1e-12 * abs(best[0]):
                best = (float(errs[j]), with_m, float(alphas[j]), float(lam))
    return best


# ------------------------------------------------------------------------------------------------ baselines
class TissueMeanModel(TissueInputMixin, RegressorMixin, BaseEstimator):
    """Baseline: the training mean of the response in the line's tissue (the overall mean for an unseen tissue).

    The other columns of X are validated and ignored. `tissue_column` as in `ResponseModel`.
    """

    def __init__(self, tissue_column=TISSUE):
        self.tissue_column = tissue_column

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()  # TissueInputMixin's
        tags.regressor_tags.poor_score = True  # it ignores every feature by design
        return tags

    def fit(self, X, y):
        arr, labels, _, yv = design(self, X, y, fitting=True)
        self.means_ = pd.Series(yv).groupby(labels).mean()  # a line without tissue counts only in the overall mean
        self.overall_ = float(yv.mean())
        return self

    def predict(self, X) -> np.ndarray:
        check_is_fitted(self, "means_")
        _, labels, _, _ = design(self, X, fitting=False)
        return np.array([self.means_.get(t, self.overall_) if t is not None else self.overall_ for t in labels])


class ExpressionRidge(TissueInputMixin, RegressorMixin, BaseEstimator):
    """Baseline: ridge regression on every expression gene given plus tissue one-hot (`sklearn.linear_model.RidgeCV`).

    Genes are standardised on the training lines (NaN imputed by the training mean). The gene penalty alpha and the
    tissue penalty lambda = alpha / c are chosen by exact leave-one-out over `alphas` x `tissue_ratios` (c): for each c,
    ridge with the single penalty alpha on [Z, sqrt(c) T] (Z the standardised genes, T the centred tissue one-hot)
    is the two-penalty fit, and `RidgeCV` (Golub, Heath & Wahba 1979 generalised CV in its exact leave-one-out form)
    picks alpha. `alphas` are per gene: the penalty used is alpha * n_genes, so one grid serves any number of genes.

    solver : 'eigen' (default) computes the same leave-one-out errors in closed form from one Gram matrix ZZ' shared by
        every c: with M_c = ZZ' + c TT' = U S U' and the unpenalised intercept,

            e_(-i) = [U diag(a / (s + a)) U' (y - ybar)]_i / ([U diag(a / (s + a)) U']_ii - 1 / n)

        which is about twice as fast with many genes (one n x n Gram shared by every c: 0.37 s vs 0.73 s of CPU for
        400 lines x 5,778 genes and the 7 default ratios, 1 BLAS thread, measured 2026-12-01); the tests check that
        both solvers give the same penalties and predictions. 'ridgecv' runs `RidgeCV` once per c.
    """

    def __init__(self, alphas=None, tissue_ratios=None, tissue_column=TISSUE, solver="eigen"):
        self.alphas = alphas
        self.tissue_ratios = tissue_ratios
        self.tissue_column = tissue_column
        self.solver = solver

    def fit(self, X, y):
        if self.solver not in ("eigen", "ridgecv"):
            raise ChemoradError(f"solver: expected 'eigen' or 'ridgecv', got {self.solver!r}")
        arr, labels, _, yv = design(self, X, y, fitting=True)
        n, p = arr.shape
        _enough(n)
        per_gene = _grid(np.logspace(-3, 2, 21) if self.alphas is None else self.alphas, "alphas")
        alphas = per_gene * max(p, 1)
        ratios = _grid(np.logspace(0, 6, 7) if self.tissue_ratios is None else self.tissue_ratios, "tissue_ratios")
        mean = np.nanmean(arr, axis=0) if np.isnan(arr).any() else arr.mean(axis=0)
        mean = np.where(np.isfinite(mean), mean, 0.0)
        filled = np.where(np.isnan(arr), mean, arr)
        scale = filled.std(axis=0)
        used = scale > 1e-12
        Z = (filled[:, used] - mean[used]) / scale[used]
        cats = sorted({lab for lab in labels if lab is not None})
        T = _one_hot(labels, cats)
        t_mean = T.mean(axis=0)
        Tc = T - t_mean
        search = _ridge_path_eigen if self.solver == "eigen" else _ridge_path_ridgecv
        err, a, c, gene_coef, tissue_coef, loo = search(Z, Tc, yv, alphas, ratios)
        self.coef_, self.tissue_coef_ = gene_coef, tissue_coef
        self.loo_residuals_ = loo  # exact leave-one-out residuals at the chosen penalties (`_dual_loo`)
        self.alpha_, self.tissue_alpha_, self.loo_mse_ = a / max(p, 1), a / c, err
        self.mean_, self.scale_, self.used_ = mean, np.where(used, scale, 1.0), used
        self.tissue_categories_, self.tissue_mean_ = cats, t_mean
        self.intercept_ = float(yv.mean())
        return self

    def predict(self, X) -> np.ndarray:
        check_is_fitted(self, "coef_")
        arr, labels, _, _ = design(self, X, fitting=False)
        filled = np.where(np.isnan(arr), self.mean_, arr)
        Z = (filled[:, self.used_] - self.mean_[self.used_]) / self.scale_[self.used_]
        T = _one_hot(labels, self.tissue_categories_)
        seen = T.sum(axis=1) > 0
        Tc = np.where(seen[:, None], T - self.tissue_mean_, 0.0)
        return self.intercept_ + Z @ self.coef_ + Tc @ self.tissue_coef_


def _ridge_path_eigen(Z, Tc, y, alphas, ratios):
    """(LOO MSE, alpha, c, gene coefficients, tissue coefficients, LOO residuals) of the best pair, in the dual
    (kernel) form."""
    n = len(y)
    yc = y - y.mean()
    G = Z @ Z.T
    TT = Tc @ Tc.T
    best = None
    for c in ratios:
        s, U = np.linalg.eigh(G + c * TT)
        s = np.clip(s, 0.0, None)
        Uy = U.T @ yc
        U2 = U**2
        for a in alphas:
            shrink = a / (s + a)  # eigenvalues of I - H on the centred data
            loo = (U @ (shrink * Uy)) / np.clip(U2 @ shrink - 1.0 / n, 1e-12, None)  # 1/n: the intercept's leverage
            err = float(np.mean(loo**2))
            if best is None or err < best[0]:
                best = (err, a, c, U, s, Uy, loo)
    err, a, c, U, s, Uy, loo = best
    dual = U @ (Uy / (s + a))  # (M_c + alpha I)^-1 (y - ybar)
    return err, float(a), float(c), Z.T @ dual, c * (Tc.T @ dual), loo


def _dual_loo(Z, Tc, y, a: float, c: float) -> np.ndarray:
    """Exact leave-one-out residuals of the chosen fit (penalty a, tissue ratio c), in the dual form of
    `_ridge_path_eigen`: e_(-i) = [U diag(a / (s + a)) U' (y - ybar)]_i / ([U diag(a / (s + a)) U']_ii - 1 / n)."""
    n = len(y)
    s, U = np.linalg.eigh(Z @ Z.T + c * (Tc @ Tc.T))
    shrink = a / (np.clip(s, 0.0, None) + a)
    return (U @ (shrink * (U.T @ (y - y.mean())))) / np.clip((U**2) @ shrink - 1.0 / n, 1e-12, None)


def _ridge_path_ridgecv(Z, Tc, y, alphas, ratios):
    """The same search with `sklearn.linear_model.RidgeCV` (exact leave-one-out), one fit per tissue ratio c."""
    from sklearn.linear_model import RidgeCV

    best = None
    for c in ratios:
        fit = RidgeCV(alphas=alphas, fit_intercept=True).fit(np.column_stack([Z, np.sqrt(c) * Tc]), y)
        err = -float(fit.best_score_)
        if best is None or err < best[0]:
            best = (err, float(fit.alpha_), float(c), fit.coef_)
    err, a, c, coef = best
    return err, a, c, coef[: Z.shape[1]], np.sqrt(c) * coef[Z.shape[1] :], _dual_loo(Z, Tc, y, a, c)


# ------------------------------------------------------------------------------------------- black box, hybrid
class BoostedTrees(TissueInputMixin, RegressorMixin, BaseEstimator):
    """Baseline: histogram gradient boosting (`sklearn.ensemble.HistGradientBoostingRegressor`, Ke et al. 2017's
    LightGBM algorithm) on the features (NaN handled natively) with the tissue as a categorical feature; early stopping
    on a 10% validation split of the training lines, seeded."""

    def __init__(self, max_iter=300, learning_rate=0.05, max_leaf_nodes=15, tissue_column=TISSUE, random_state=0):
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.tissue_column = tissue_column
        self.random_state = random_state

    def _matrix(self, arr: np.ndarray, labels: np.ndarray) -> np.ndarray:
        codes = np.array([self.categories_.index(t) if t in self.categories_ else np.nan for t in labels], dtype=float)
        return np.column_stack([arr, codes])

    def fit(self, X, y):
        from sklearn.ensemble import HistGradientBoostingRegressor

        arr, labels, _, yv = design(self, X, y, fitting=True)
        _enough(len(yv))
        self.categories_ = sorted({t for t in labels if t is not None})
        mask = np.zeros(arr.shape[1] + 1, dtype=bool)
        mask[-1] = True
        self.model_ = HistGradientBoostingRegressor(
            max_iter=self.max_iter,
            learning_rate=self.learning_rate,
            max_leaf_nodes=self.max_leaf_nodes,
            categorical_features=mask if len(self.categories_) < 255 else None,
            early_stopping=len(yv) >= 50,
            random_state=self.random_state,
        ).fit(self._matrix(arr, labels), yv)
        self.n_iter_ = int(self.model_.n_iter_)
        return self

    def predict(self, X) -> np.ndarray:
        check_is_fitted(self, "model_")
        arr, labels, _, _ = design(self, X, fitting=False)
        return self.model_.predict(self._matrix(arr, labels))


class ChainResidualRidge(TissueInputMixin, RegressorMixin, BaseEstimator):
    """Hybrid: the damage chain's mechanistic prediction c (column `chain_column` of X: ln D50 of the line's phenotype,
    `selection.chain_prediction`), scaled by least squares, plus an `ExpressionRidge` of the other columns fitted to
    what the chain leaves:

        y_hat = a + b c + r(x),    (a, b) = OLS of y on c,    r = ExpressionRidge fitted to y - a - b c

    A missing c (a therapy the chain cannot dose) is the training mean of c (no chain contribution).
    `parts(X)` splits each prediction into the chain part b (c - mean c), the residual model's part r(x) - mean r and
    the constant; `mechanistic_share` = |chain part| / (|chain part| + |residual part|) per line.
    """

    def __init__(self, chain_column=CHAIN, tissue_column=TISSUE):
        self.chain_column = chain_column
        self.tissue_column = tissue_column

    def _split(self, X) -> tuple[pd.DataFrame, np.ndarray]:
        if not isinstance(X, pd.DataFrame) or self.chain_column not in X.columns:
            raise ChemoradError(f"X: expected a DataFrame with the chain's prediction in column {self.chain_column!r}")
        c = X[self.chain_column].to_numpy(dtype=float)
        return X.drop(columns=[self.chain_column]), c

    def fit(self, X, y):
        rest, c = self._split(X)
        yv = _response(y, len(rest), rest.index)
        ok = np.isfinite(c)
        self.c_mean_ = float(c[ok].mean()) if ok.any() else 0.0
        cf = np.where(ok, c, self.c_mean_)
        if np.ptp(cf) > 0:
            self.b_, self.a_ = (float(v) for v in np.polyfit(cf, yv, 1))
        else:
            self.b_, self.a_ = 0.0, float(yv.mean())
        self.residual_ = self._residual_model().fit(rest, yv - self.a_ - self.b_ * cf)
        return self

    def _residual_model(self):
        """The unfitted residual model (a subclass may report more: `gene_models.HybridResponse`)."""
        return ExpressionRidge(tissue_column=self.tissue_column)

    def parts(self, X) -> pd.DataFrame:
        """Per line: chain, residual and constant parts (their sum is the prediction) and the mechanistic share."""
        check_is_fitted(self, "residual_")
        rest, c = self._split(X)
        cf = np.where(np.isfinite(c), c, self.c_mean_)
        chain = self.b_ * (cf - self.c_mean_)
        r = self.residual_.predict(rest)
        resid = r - self.residual_.intercept_
        const = np.full(len(r), self.a_ + self.b_ * self.c_mean_ + self.residual_.intercept_)
        denom = np.abs(chain) + np.abs(resid)
        share = np.divide(np.abs(chain), denom, out=np.zeros_like(denom), where=denom > 0)
        return pd.DataFrame(
            {"chain": chain, "residual": resid, "constant": const, "mechanistic_share": share}, index=rest.index
        )

    def predict(self, X) -> np.ndarray:
        p = self.parts(X)
        return (p["chain"] + p["residual"] + p["constant"]).to_numpy()
