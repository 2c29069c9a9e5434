"""Response models of the fitted predictor beyond the marker ridge: the gene ridge, the calibrated chain, the hybrid and
the stack, each with the reading interface `predict` uses (`explain`, `predict_interval`, `percentile_in_tissue`,
`y_train_`, `n_train_`, `score_names_`), so that ``chemorad predict --estimator gene|chain|hybrid|stacked`` reports
intervals and reasons as the marker ridge does.

Inputs (columns of X, built by `profile.model_inputs`): the expression genes of the GDSC RMA (log2) scale, each named
``GENE + symbol`` ('gene:ABCB1'); the damage chain's mechanistic prediction `CHAIN` (ln D50 of the line's phenotype,
`selection.chain_prediction`, NaN where the chain cannot dose the therapy); the catalog marker features (every other
column); the tissue label (`estimators.TISSUE`).

Models (y higher = more resistant):

- `GeneRidgeResponse`: `estimators.ExpressionRidge` on the genes + tissue (penalties by exact leave-one-out).
- `ChainResponse`: the chain calibrated per response by least squares, y_hat = a + b c (c = ln D50; a missing c is
  the training mean of c).
- `HybridResponse`: `estimators.ChainResidualRidge`, y_hat = a + b c + r(genes), r a gene ridge fitted to y - a - b c.
- `StackedResponse`: a non-negative linear stack (Breiman 1996, Mach Learn 24:49) of three predictions,

      y_hat = w0 + w1 c + w2 m(x) + w3 g(x),    w1, w2, w3 >= 0

  m the marker ridge (`ResponseModel`), g the gene ridge. The weights are chosen by non-negative least squares
  (Lawson & Hanson 1974, `scipy.optimize.nnls`) on the centred *inner* predictions of the training lines only: each
  ridge's exact leave-one-out prediction y_i - e_(-i) (Allen 1974) and the unfitted chain. In a cross-validation the
  stack is thus nested: its weights never see the held-out fold. (The ridges' penalties are chosen once on all
  training lines, so the inner predictions at those penalties are slightly optimistic; the outer folds are not.)

Reasons (the attribution columns; they sum to the prediction exactly): the chain part b (c - mean c) as the term
`CHAIN_TERM`; for gene models the `n_gene_terms` genes of largest |coefficient| (per training SD of the gene) each as
its own term and the rest as `OTHER_GENES`; the marker ridge's per-marker parts (scaled by w2 in the stack);
'missingness' (the marker ridge's indicators), 'tissue', 'intercept'. `mechanistic_share` per prediction (a column
of `explain`'s first table) = |chain part| / (|chain part| + |every other non-constant part|): 1 for the chain alone,
0 when the chain contributes nothing.

Intervals: the jackknife residual quantile of the marker ridge (`estimators` module doc) over the model's
leave-one-out residuals (the stack: over its inner residuals y - stacked inner prediction; the hybrid: the residual
ridge's, not counting the 2 parameters of the chain's scaling), widened for an unseen tissue as there.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import nnls
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from chemorad.errors import ChemoradError
from chemorad.profile.estimators import (
    CHAIN,
    TISSUE,
    ChainResidualRidge,
    ExpressionRidge,
    ResponseModel,
    TissueInputMixin,
    _labels,
    _level,
    _one_hot,
    _response,
    design,
    split_tissue,
    tissue_percentiles,
)
from chemorad.profile.ridge_terms import CHAIN_TERM, GENE, jackknife_quantile, tissue_quantiles

__all__ = [
    "CHAIN_TERM",
    "GENE",
    "OTHER_GENES",
    "ChainResponse",
    "GeneRidgeResponse",
    "HybridResponse",
    "StackedResponse",
    "gene_columns",
]

#: the attribution term of the genes not reported one by one
OTHER_GENES = "(other genes)"
_REST = ["missingness", "tissue", "intercept"]


def gene_columns(columns) -> list[str]:
    """The expression gene columns (named ``GENE + symbol``) among `columns`, in order."""
    return [str(c) for c in columns if str(c).startswith(GENE)]


def _share(chain: np.ndarray, others: np.ndarray) -> np.ndarray:
    """|chain| / (|chain| + sum |others|) per row (0 when everything is 0)."""
    denom = np.abs(chain) + np.abs(others).sum(axis=1)
    return np.divide(np.abs(chain), denom, out=np.zeros_like(denom), where=denom > 0)


class _Reported:
    """The reading interface shared by the models here: interval, percentile and unseen tissue from `y_train_`,
    `tissue_train_`, `loo_residuals_` and `tissue_effects_` (centred per-tissue terms)."""

    def unseen_tissue(self, tissue) -> np.ndarray:
        check_is_fitted(self, "y_train_")
        labels = np.asarray(tissue, dtype=object)
        return np.array([pd.isna(t) or str(t) not in self.tissue_effects_.index for t in labels], dtype=bool)

    def _interval(self, pred: np.ndarray, labels, index, level: float) -> pd.DataFrame:
        unseen = self.unseen_tissue(labels)
        q_seen, q_unseen = tissue_quantiles(self, level)
        q = np.where(unseen, q_unseen, q_seen)
        return pd.DataFrame(
            {"prediction": pred, "lower": pred - q, "upper": pred + q, "unseen_tissue": unseen}, index=index
        )

    def predict_interval(self, X, level: float = 0.9) -> pd.DataFrame:
        return self.explain(X, level)[0]

    def percentile_in_tissue(self, pred, tissue) -> pd.DataFrame:
        """`estimators.tissue_percentiles` among the training lines."""
        check_is_fitted(self, "y_train_")
        return tissue_percentiles(self.y_train_, self.tissue_train_, pred, tissue)

    def _remember(self, yv: np.ndarray, labels: np.ndarray) -> None:
        self.y_train_, self.tissue_train_, self.n_train_ = yv.copy(), labels.copy(), len(yv)


class GeneRidgeResponse(_Reported, ExpressionRidge):
    """`ExpressionRidge` on every column but the tissue (the gene columns), with reasons: the `n_gene_terms` genes of
    largest |coef_| one by one, the rest as `OTHER_GENES` (module doc)."""

    inputs = ("genes",)

    def __init__(self, alphas=None, tissue_ratios=None, tissue_column=TISSUE, solver="eigen", n_gene_terms=20):
        super().__init__(alphas, tissue_ratios, tissue_column, solver)
        self.n_gene_terms = n_gene_terms

    def fit(self, X, y):
        super().fit(X, y)
        n = len(self.loo_residuals_)  # X and y were validated by the fit above: not again (seconds for 5,778 genes)
        frame = isinstance(X, pd.DataFrame)
        raw = None
        if self.tissue_column is not None:
            raw = split_tissue(X if frame else np.asarray(X, dtype=object), self.tissue_column)[1]
        labels = _labels(raw, n)
        yv = _response(y, n, X.index if frame else None)
        names = np.asarray(self.score_names_, dtype=object)[self.used_]
        k = min(int(self.n_gene_terms), len(names))
        self.gene_terms_ = np.argsort(-np.abs(self.coef_), kind="stable")[:k]
        self.gene_names_ = names
        self.score_names_ = np.array([*names[self.gene_terms_], OTHER_GENES], dtype=object)
        effects = self.tissue_coef_ - float(self.tissue_mean_ @ self.tissue_coef_)
        self.tissue_effects_ = pd.Series(effects, index=list(self.tissue_categories_), dtype=float)
        self._remember(yv, labels)
        return self

    def terms(self, X) -> tuple[np.ndarray, np.ndarray, pd.Index]:
        """(gene terms + other genes, then 'missingness' 0, 'tissue', 'intercept'; the labels; the index)."""
        check_is_fitted(self, "coef_")
        arr, labels, index, _ = design(self, X, fitting=False)
        filled = np.where(np.isnan(arr), self.mean_, arr)
        Z = (filled[:, self.used_] - self.mean_[self.used_]) / self.scale_[self.used_]
        contrib = Z * self.coef_
        top = contrib[:, self.gene_terms_]
        T = _one_hot(labels, self.tissue_categories_)
        seen = T.sum(axis=1) > 0
        tissue = np.where(seen[:, None], T - self.tissue_mean_, 0.0) @ self.tissue_coef_
        rest = contrib.sum(axis=1) - top.sum(axis=1)
        n = len(arr)
        return np.column_stack([top, rest, np.zeros(n), tissue, np.full(n, self.intercept_)]), labels, index

    def explain(self, X, level: float = 0.9) -> tuple[pd.DataFrame, pd.DataFrame]:
        level = _level(level)
        parts, labels, index = self.terms(X)
        cols = [*self.score_names_, *_REST]
        return self._interval(parts.sum(axis=1), labels, index, level), pd.DataFrame(parts, index, cols)


def _chain_values(X, column: str) -> np.ndarray:
    if not isinstance(X, pd.DataFrame) or column not in X.columns:
        raise ChemoradError(f"X: expected a DataFrame with the chain's prediction in column {column!r}")
    return X[column].to_numpy(dtype=float)


class ChainResponse(_Reported, TissueInputMixin, RegressorMixin, BaseEstimator):
    """The damage chain calibrated per response: y_hat = a + b c (ordinary least squares on the chain column; a missing
    c is the training mean of c). The tissue is only read for the percentiles; every other column is ignored."""

    inputs = ("chain",)

    def __init__(self, chain_column=CHAIN, tissue_column=TISSUE):
        self.chain_column = chain_column
        self.tissue_column = tissue_column

    def _labels_of(self, X) -> np.ndarray:
        raw = X[self.tissue_column].to_numpy(dtype=object) if self.tissue_column in X.columns else None
        return _labels(raw, len(X))

    def fit(self, X, y):
        c = _chain_values(X, self.chain_column)
        yv = _response(y, len(X), X.index)
        ok = np.isfinite(c)
        self.c_mean_ = float(c[ok].mean()) if ok.any() else 0.0
        cf = np.where(ok, c, self.c_mean_)
        n = len(yv)
        sxx = float(np.sum((cf - cf.mean()) ** 2))
        self.b_ = float(np.sum((cf - cf.mean()) * (yv - yv.mean())) / sxx) if sxx > 0 else 0.0
        self.a_ = float(yv.mean() - self.b_ * cf.mean())
        h = 1.0 / n + ((cf - cf.mean()) ** 2 / sxx if sxx > 0 else 0.0)
        self.loo_residuals_ = (yv - self.a_ - self.b_ * cf) / np.clip(1.0 - h, 1e-12, None)
        self.score_names_ = np.array([CHAIN_TERM], dtype=object)
        self.feature_names_in_ = np.array([str(c) for c in X.columns], dtype=object)
        self.n_features_in_ = X.shape[1]
        self.tissue_effects_ = pd.Series(dtype=float)  # no tissue term: every tissue is 'unseen' for the interval
        labels = self._labels_of(X)
        self._remember(yv, labels)
        return self

    def unseen_tissue(self, tissue) -> np.ndarray:
        """True for a missing label or one no training line had (the interval is the same either way)."""
        check_is_fitted(self, "y_train_")
        known = set(self.tissue_train_)
        return np.array([pd.isna(t) or str(t) not in known for t in np.asarray(tissue, dtype=object)], dtype=bool)

    def _interval(self, pred, labels, index, level):
        q = jackknife_quantile(np.abs(self.loo_residuals_), level)
        unseen = self.unseen_tissue(labels)
        return pd.DataFrame({"prediction": pred, "lower": pred - q, "upper": pred + q, "unseen_tissue": unseen}, index)

    def explain(self, X, level: float = 0.9) -> tuple[pd.DataFrame, pd.DataFrame]:
        level = _level(level)
        check_is_fitted(self, "b_")
        c = _chain_values(X, self.chain_column)
        chain = self.b_ * (np.where(np.isfinite(c), c, self.c_mean_) - self.c_mean_)
        n = len(c)
        const = np.full(n, self.a_ + self.b_ * self.c_mean_)
        parts = pd.DataFrame(np.column_stack([chain, np.zeros(n), np.zeros(n), const]), X.index, [CHAIN_TERM, *_REST])
        iv = self._interval(chain + const, self._labels_of(X), X.index, level)
        iv["mechanistic_share"] = (np.abs(chain) > 0).astype(float)
        return iv, parts

    def predict(self, X) -> np.ndarray:
        return self.explain(X)[0]["prediction"].to_numpy()


class HybridResponse(_Reported, ChainResidualRidge):
    """`ChainResidualRidge` with a `GeneRidgeResponse` as its residual model, so its reasons are the chain part and
    the top genes; `mechanistic_share` per prediction (module doc)."""

    inputs = ("genes", "chain")

    def __init__(self, chain_column=CHAIN, tissue_column=TISSUE, n_gene_terms=20):
        super().__init__(chain_column, tissue_column)
        self.n_gene_terms = n_gene_terms

    def _residual_model(self):
        return GeneRidgeResponse(tissue_column=self.tissue_column, n_gene_terms=self.n_gene_terms)

    def fit(self, X, y):
        super().fit(X, y)
        r = self.residual_
        self.loo_residuals_ = r.loo_residuals_
        self.tissue_effects_ = r.tissue_effects_
        self.score_names_ = np.array([CHAIN_TERM, *r.score_names_], dtype=object)
        rest, _ = self._split(X)
        self.feature_names_in_ = np.array([str(c) for c in X.columns], dtype=object)
        self.n_features_in_ = X.shape[1]
        self._remember(_response(y, len(rest), rest.index), r.tissue_train_)
        return self

    def explain(self, X, level: float = 0.9) -> tuple[pd.DataFrame, pd.DataFrame]:
        level = _level(level)
        check_is_fitted(self, "residual_")
        rest, c = self._split(X)
        chain = self.b_ * (np.where(np.isfinite(c), c, self.c_mean_) - self.c_mean_)
        genes, labels, index = self.residual_.terms(rest)
        genes[:, -1] += self.a_ + self.b_ * self.c_mean_  # the chain's constant joins the intercept
        parts = np.column_stack([chain, genes])
        iv = self._interval(parts.sum(axis=1), labels, index, level)
        iv["mechanistic_share"] = _share(chain, genes[:, :-2])
        return iv, pd.DataFrame(parts, index, [*self.score_names_, *_REST])


class StackedResponse(_Reported, TissueInputMixin, RegressorMixin, BaseEstimator):
    """Non-negative stack of the chain, the marker ridge and the gene ridge, weights from inner leave-one-out
    predictions (module doc). Columns of X: the `GENE` columns feed the gene ridge, `chain_column` the chain, every
    other one but the tissue the marker ridge; a missing kind is left out of the stack."""

    inputs = ("markers", "genes", "chain")

    def __init__(self, chain_column=CHAIN, tissue_column=TISSUE, n_gene_terms=20):
        self.chain_column = chain_column
        self.tissue_column = tissue_column
        self.n_gene_terms = n_gene_terms

    def _blocks(self, X) -> tuple[list[str], list[str], np.ndarray]:
        if not isinstance(X, pd.DataFrame):
            raise ChemoradError("X: expected a DataFrame with gene, marker, chain and tissue columns")
        genes = gene_columns(X.columns)
        skip = {self.chain_column, self.tissue_column, *genes}
        markers = [str(c) for c in X.columns if str(c) not in skip]
        c = X[self.chain_column].to_numpy(dtype=float) if self.chain_column in X.columns else np.full(len(X), np.nan)
        return genes, markers, c

    def fit(self, X, y):
        genes, markers, c = self._blocks(X)
        yv = _response(y, len(X), X.index)
        tissue = [self.tissue_column] if self.tissue_column in X.columns else []
        inner, self.blocks_ = [], []
        ok = np.isfinite(c)
        self.c_mean_ = float(c[ok].mean()) if ok.any() else 0.0
        if ok.any():
            inner.append(np.where(ok, c, self.c_mean_))
            self.blocks_.append("chain")
        self.markers_ = None
        if markers:
            self.markers_ = ResponseModel(tissue_column=self.tissue_column if tissue else None)
            self.markers_.fit(X[markers + tissue], yv)
            inner.append(yv - self.markers_.loo_residuals_)
            self.blocks_.append("markers")
        self.genes_ = None
        if genes:
            self.genes_ = GeneRidgeResponse(tissue_column=self.tissue_column if tissue else None)
            self.genes_.set_params(n_gene_terms=self.n_gene_terms).fit(X[genes + tissue], yv)
            inner.append(yv - self.genes_.loo_residuals_)
            self.blocks_.append("genes")
        if not inner:
            raise ChemoradError("X: no gene, marker or chain column to stack")
        P = np.column_stack(inner)
        self.inner_mean_ = P.mean(axis=0)
        w, _ = nnls(P - self.inner_mean_, yv - yv.mean())
        self.weights_ = w
        self.intercept_ = float(yv.mean() - w @ self.inner_mean_)
        self.loo_residuals_ = yv - (self.intercept_ + P @ w)
        labels = _labels(X[self.tissue_column].to_numpy(dtype=object) if tissue else None, len(X))
        effects = [(self.weight(b), m.tissue_effects_) for b, m in (("markers", self.markers_), ("genes", self.genes_))]
        cats = sorted({str(t) for _, e in effects if e is not None for t in e.index}) if tissue else []
        total = np.zeros(len(cats))
        for w, e in effects:
            total += w * e.reindex(cats).fillna(0.0).to_numpy() if e is not None else 0.0
        self.tissue_effects_ = pd.Series(total, index=cats, dtype=float)  # the stack's own tissue term
        names = [CHAIN_TERM] if "chain" in self.blocks_ else []
        names += list(self.markers_.score_names_) if self.markers_ is not None else []
        names += list(self.genes_.score_names_) if self.genes_ is not None else []
        self.score_names_ = np.array(names, dtype=object)
        self.feature_names_in_ = np.array([str(col) for col in X.columns], dtype=object)
        self.n_features_in_ = X.shape[1]
        self._remember(yv, labels)
        return self

    def weight(self, block: str) -> float:
        """The stack's weight of 'chain', 'markers' or 'genes' (0 when the block is absent)."""
        check_is_fitted(self, "weights_")
        return float(self.weights_[self.blocks_.index(block)]) if block in self.blocks_ else 0.0

    def explain(self, X, level: float = 0.9) -> tuple[pd.DataFrame, pd.DataFrame]:
        level = _level(level)
        check_is_fitted(self, "weights_")
        genes, markers, c = self._blocks(X)
        tissue = [self.tissue_column] if self.tissue_column in X.columns else []
        n = len(X)
        rest = np.zeros((n, 3))  # missingness, tissue, intercept
        rest[:, 2] = self.intercept_
        blocks, mech = [], np.zeros(n)
        for b in self.blocks_:
            w = self.weight(b)
            if b == "chain":
                mech = w * (np.where(np.isfinite(c), c, self.c_mean_) - self.c_mean_)
                blocks.append(mech[:, None])
                rest[:, 2] += w * self.c_mean_
                continue
            model, cols = (self.markers_, markers) if b == "markers" else (self.genes_, genes)
            Xb = X[cols + tissue]
            parts = model._terms(Xb)[0] if b == "markers" else model.terms(Xb)[0]
            blocks.append(w * parts[:, :-3])
            rest += w * parts[:, -3:]
        parts = np.column_stack([*blocks, rest])
        labels = _labels(X[self.tissue_column].to_numpy(dtype=object) if tissue else None, n)
        iv = self._interval(parts.sum(axis=1), labels, X.index, level)
        others = parts[:, :-3][:, 1:] if "chain" in self.blocks_ else parts[:, :-3]
        iv["mechanistic_share"] = _share(mech, others)
        return iv, pd.DataFrame(parts, X.index, [*self.score_names_, *_REST])

    def predict(self, X) -> np.ndarray:
        return self.explain(X)[0]["prediction"].to_numpy()
