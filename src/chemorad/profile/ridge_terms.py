"""The marker ridge's prediction half, without scikit-learn: its terms, intervals and tissue percentiles from the
fitted arrays, and a read-only stored ridge (`StoredRidge`) for the prediction path.

`estimators.ResponseModel` (the default estimator, a scikit-learn regressor) fits the model; its formulas are in the
`estimators` module doc. Predicting from a fitted state needs only arithmetic on the fitted arrays:

    terms   = [coef_j z_j ..., missingness, tau_t, b]        z_j = (x_j - mu_j) / sigma_j, NaN -> 0 before
    y_hat   = sum of the terms
    interval: y_hat +- q, q the ceil((n + 1) level)-th smallest |e_(-i)| (jackknife, Barber et al. 2021, Ann Stat
              49:486), with e_(-i) + tau_t(i) for a tissue not seen in training

so `ResponseModel` takes these methods from `RidgeTerms`, and a stored model read for prediction becomes a
`StoredRidge` carrying the same fitted attributes and the same methods. The prediction path (`profile.predict`,
`profile.fitted`) then loads neither scikit-learn nor scipy.stats: they are half a second of a warm `chemorad predict`
(BENCHMARKS.md). Both classes run the same code on the same arrays, so their numbers are identical (the tests check).

The column names shared by the estimators and the prediction (`TISSUE`, `CHAIN`, `GENE`, `CHAIN_TERM`) live here for
the same reason; `estimators` and `gene_models` re-export them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chemorad.errors import ChemoradError

__all__ = [
    "CHAIN",
    "CHAIN_TERM",
    "GENE",
    "NO_TISSUE",
    "TISSUE",
    "RidgeTerms",
    "StoredRidge",
    "check_level",
    "jackknife_quantile",
    "tissue_labels",
    "tissue_percentiles",
    "tissue_quantiles",
]

#: default name of the tissue column of X
TISSUE = "tissue"
#: the one label every line gets when a model is fitted without tissue (`tissue_column=None`)
NO_TISSUE = "(no tissue)"
#: the column of X holding the damage chain's mechanistic prediction (`estimators.ChainResidualRidge`)
CHAIN = "chain"
#: prefix of the expression gene columns (`gene_models`)
GENE = "gene:"
#: the attribution term of the damage chain's part (`gene_models`)
CHAIN_TERM = "chain (mechanistic)"


def tissue_labels(raw: np.ndarray | None, n: int) -> np.ndarray:
    """Tissue labels as strings (None = missing: the line gets no tissue term); one common label when the model
    ignores tissue."""
    if raw is None:
        return np.full(n, NO_TISSUE, dtype=object)
    missing = pd.isna(raw)
    return np.array([None if m else str(x) for x, m in zip(raw, missing, strict=True)], dtype=object)


def check_level(level: float) -> float:
    """The interval coverage as a float in (0, 1); a one-line error otherwise."""
    if not (isinstance(level, int | float) and 0.0 < float(level) < 1.0):
        raise ChemoradError(f"level: expected a coverage in (0, 1), got {level!r}")
    return float(level)


def jackknife_quantile(abs_residuals: np.ndarray, level: float) -> float:
    """The ceil((n + 1) level)-th smallest absolute residual (inf when that exceeds n)."""
    r = np.sort(np.asarray(abs_residuals, dtype=float))
    k = int(np.ceil((len(r) + 1) * level))
    return float(r[k - 1]) if k <= len(r) else float("inf")


def tissue_quantiles(model, level: float) -> tuple[float, float]:
    """(q for a seen tissue, q for an unseen one) of a fitted ridge with a tissue term: jackknife quantiles of its
    leave-one-out residuals, for an unseen tissue with each training line's tissue effect added back (the error of
    predicting a line without its tissue's effect)."""
    q_seen = jackknife_quantile(np.abs(model.loo_residuals_), level)
    # each training line's tissue effect, 0 without a tissue (a dict look-up per line: a pandas reindex cost ~1 ms
    # per model, and a prediction reads 86 models)
    effects = dict(zip(model.tissue_effects_.index, model.tissue_effects_.to_numpy(dtype=float), strict=True))
    tau_train = np.array([effects.get(t, 0.0) for t in model.tissue_train_], dtype=float)
    return q_seen, jackknife_quantile(np.abs(model.loo_residuals_ + tau_train), level)


def tissue_percentiles(y_train: np.ndarray, tissue_train: np.ndarray, pred, tissue) -> pd.DataFrame:
    """Where each prediction falls among the observed responses `y_train` of the training lines of its tissue.

    percentile = 100 * (#{y_i < pred} + #{y_i == pred} / 2) / n_t over training lines i of that tissue; a tissue not
    seen in training is placed among all training lines (reference 'all lines'). Higher = more resistant. Columns:
    percentile, n_reference, reference; indexed like `pred` when it is a Series.
    """
    p = np.asarray(pred, dtype=float).ravel()
    labels = tissue_labels(np.asarray(tissue, dtype=object).ravel(), len(p))
    if len(labels) != len(p):
        raise ChemoradError(f"tissue: {len(labels)} label(s) for {len(p)} prediction(s)")
    rows = []
    for value, lab in zip(p, labels, strict=True):
        ref = y_train[tissue_train == lab] if lab is not None else y_train[:0]
        where = lab
        if len(ref) == 0:
            ref, where = y_train, "all lines (unseen tissue)"
        pct = 100.0 * (np.sum(ref < value) + 0.5 * np.sum(ref == value)) / len(ref)
        rows.append({"percentile": pct, "n_reference": len(ref), "reference": where})
    index = pred.index if isinstance(pred, pd.Series) else None
    return pd.DataFrame(rows, index=index)


class RidgeTerms:
    """The prediction arithmetic of a fitted marker ridge (module doc), on its fitted attributes: `mean_`, `scale_`,
    `used_`, `coef_`, `missing_groups_`, `missing_mean_`, `missing_scale_`, `missing_coef_`, `tissue_effects_`,
    `intercept_`, `loo_residuals_`, `y_train_`, `tissue_train_`."""

    def _parts(self, arr: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Standardised scores (n x features), standardised indicators (n x k), tissue term (n)."""
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

    def _combine(self, z: np.ndarray, m: np.ndarray, tissue_term: np.ndarray) -> np.ndarray:
        """Columns: per-feature contributions, missingness, tissue, intercept (their row sums are the predictions)."""
        contrib = z * self.coef_.to_numpy()
        miss = m @ self.missing_coef_.to_numpy() if m.shape[1] else np.zeros(len(z))
        return np.column_stack([contrib, miss, tissue_term, np.full(len(z), self.intercept_)])

    def unseen_tissue(self, tissue) -> np.ndarray:
        """True for each label that is missing or was not among the training lines' tissues."""
        labels = np.asarray(tissue, dtype=object)
        return np.array([pd.isna(t) or str(t) not in self.tissue_effects_.index for t in labels], dtype=bool)

    def _interval(self, parts: np.ndarray, labels: np.ndarray, index: pd.Index, level: float) -> pd.DataFrame:
        pred = parts.sum(axis=1)
        unseen = self.unseen_tissue(labels)
        q_seen, q_unseen = tissue_quantiles(self, level)
        q = np.where(unseen, q_unseen, q_seen)
        return pd.DataFrame(
            {"prediction": pred, "lower": pred - q, "upper": pred + q, "unseen_tissue": unseen}, index=index
        )

    def percentile_in_tissue(self, pred, tissue) -> pd.DataFrame:
        """Where each prediction falls among the observed responses of the training lines of its tissue
        (`tissue_percentiles`)."""
        return tissue_percentiles(self.y_train_, self.tissue_train_, pred, tissue)


class StoredRidge(RidgeTerms):
    """A fitted `estimators.ResponseModel` read back from its stored state for prediction: its fitted attributes
    (`fitted_state.to_state`: every name ending in '_') and the `RidgeTerms` arithmetic, without scikit-learn. Its
    other reading methods (`predict`, `explain`, ... on a table X) are the estimator's own (`estimator()`, which
    imports scikit-learn). It cannot be fitted or stored again; `fitted.FittedModels` rebuilds the real estimator
    when it stores a set.

    Parameters
    ----------
    params : the estimator's parameters (kept for reference, `get_params`).
    attrs : fitted attribute name -> value.
    rebuild : (params, attrs) -> the estimator, for the table interface (`estimator`); None: prediction only.
    """

    #: the stored class this view stands for (`fitted_state.from_state`)
    stands_for = "ResponseModel"

    def __init__(self, params: dict, attrs: dict, rebuild=None) -> None:
        self._params = dict(params)
        self._rebuild = rebuild
        for name, value in attrs.items():
            setattr(self, name, value)

    def get_params(self, deep: bool = False) -> dict:
        """The stored estimator's parameters."""
        return dict(self._params)

    def estimator(self):
        """The `estimators.ResponseModel` this view stands for, with the same fitted attributes, built once by the
        `rebuild(params, attrs)` the view was given (`fitted` gives one that imports the class: this module cannot
        import `estimators`, which imports it)."""
        if getattr(self, "_estimator", None) is None:
            if self._rebuild is None:
                raise TypeError("this StoredRidge was built without a rebuild function: it can only predict")
            attrs = {k: v for k, v in vars(self).items() if k.endswith("_") and not k.startswith("_")}
            self._estimator = self._rebuild(self._params, attrs)
        return self._estimator

    # The rest of ResponseModel's reading interface, for a caller holding a model of `predict.Predictions.models`:
    # answered by the estimator itself (its input checks need scikit-learn).
    def predict(self, X):
        """`ResponseModel.predict`."""
        return self.estimator().predict(X)

    def explain(self, X, level: float = 0.9):
        """`ResponseModel.explain`."""
        return self.estimator().explain(X, level)

    def predict_interval(self, X, level: float = 0.9):
        """`ResponseModel.predict_interval`."""
        return self.estimator().predict_interval(X, level)

    def attributions(self, X):
        """`ResponseModel.attributions`."""
        return self.estimator().attributions(X)

    def coefficients(self):
        """`ResponseModel.coefficients`."""
        return self.estimator().coefficients()
