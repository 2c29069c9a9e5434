"""`BlackBoxResponse`: a regressor without coefficients (boosted trees) as a response model of the fitted predictor
(`fitted.ESTIMATORS`: ``--estimator boosted``), with the intervals, percentiles and attribution table `predict` reads.

Prediction: the base regressor (`BASES`; 'boosted' = `estimators.BoostedTrees`, histogram gradient boosting on the
same catalog marker features and tissue as the marker ridge) fitted on the training lines.

Attributions: a tree ensemble has no additive split by feature, so none is invented. Each prediction is written as

    y_hat = b + tau_t + u,    b = training mean of y,   tau_t = training mean of y in tissue t minus b (0 when unseen),
    u = y_hat - b - tau_t     the term `UNATTRIBUTED`, reported as it is (never split among mechanisms)

so the terms still sum to the prediction and every marker's contribution is 0.

Interval: split-conformal-style residual quantile from an inner K-fold cross-validation on the training lines
(`cv` folds, seeded): with the n out-of-fold residuals e_i, y_hat +- q, q = the ceil((n + 1) level)-th smallest |e_i|
(as the marker ridge's jackknife, Barber et al. 2021, Ann Stat 49:486, with K-fold in place of leave-one-out: the
CV+ idea, approximately not provably at level). For a tissue unseen in training the residuals used are e_i + tau_t(i).

Storage: the fitted trees are objects, not arrays, so this model is not stored as data (`fitted_state.NotStorable`):
the predictor keeps it in memory (a server fits it once; each command line run fits it again).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from chemorad.errors import ChemoradError
from chemorad.profile.estimators import (
    TISSUE,
    BoostedTrees,
    TissueInputMixin,
    _enough,
    _level,
    design,
    tissue_percentiles,
)
from chemorad.profile.ridge_terms import jackknife_quantile

__all__ = ["BASES", "UNATTRIBUTED", "BlackBoxResponse", "user_regressor"]

#: base regressor name -> class (fitted on the marker features with the tissue column)
BASES: dict[str, type] = {"boosted": BoostedTrees}
#: the attribution term of what the black box adds beyond the intercept and the tissue mean
UNATTRIBUTED = "(unattributed: black box)"


class BlackBoxResponse(TissueInputMixin, RegressorMixin, BaseEstimator):
    """A base regressor (`BASES`) with the `ResponseModel` reading interface: `explain`, `predict_interval`,
    `percentile_in_tissue` (formulas in the module doc).

    Parameters
    ----------
    base : name in `BASES` ('boosted').
    cv : inner folds for the interval's residuals (>= 2).
    tissue_column : the column of X holding the tissue label (as `ResponseModel`).
    random_state : seed of the inner folds and of the base regressor.
    """

    def __init__(self, base="boosted", cv=3, tissue_column=TISSUE, random_state=0):
        self.base = base
        self.cv = cv
        self.tissue_column = tissue_column
        self.random_state = random_state

    def _new(self):
        if isinstance(self.base, str) and ":" in self.base:
            return _user_pipeline(user_regressor(self.base), self.tissue_column, self.random_state)
        if self.base not in BASES:
            raise ChemoradError(f"base: unknown {self.base!r}; expected one of {', '.join(BASES)} or module:Class")
        return BASES[self.base](tissue_column=self.tissue_column, random_state=self.random_state)

    def fit(self, X, y):
        if not isinstance(self.cv, int) or self.cv < 2:
            raise ChemoradError(f"cv: expected an integer >= 2, got {self.cv!r}")
        _, labels, _, yv = design(self, X, y, fitting=True)
        n = len(yv)
        _enough(n)
        features = list(self.score_names_)
        Xf = X if isinstance(X, pd.DataFrame) else pd.DataFrame(X)
        self.model_ = self._new().fit(Xf, yv)
        fold = np.random.default_rng(self.random_state).permutation(n) % self.cv
        resid = np.empty(n)
        for k in range(self.cv):
            test = fold == k
            inner = self._new().fit(Xf.iloc[~test], yv[~test])
            resid[test] = yv[test] - inner.predict(Xf.iloc[test])
        self.cv_residuals_ = resid
        self.intercept_ = float(yv.mean())
        known = pd.Series(yv).groupby(pd.Series(labels, dtype=object)).mean()  # a line without tissue: no group
        self.tissue_effects_ = (known - self.intercept_).rename("tissue_effect").astype(float)
        self.score_names_ = np.array([*features, UNATTRIBUTED], dtype=object)
        self.y_train_, self.tissue_train_, self.n_train_ = yv.copy(), labels.copy(), n
        return self

    def predict(self, X) -> np.ndarray:
        check_is_fitted(self, "model_")
        return self.model_.predict(X)

    def _tissue_term(self, labels) -> np.ndarray:
        effects = self.tissue_effects_
        return np.array([effects.get(t, 0.0) if t is not None else 0.0 for t in labels], dtype=float)

    def unseen_tissue(self, tissue) -> np.ndarray:
        """True for each label that is missing or was not among the training lines' tissues."""
        check_is_fitted(self, "model_")
        labels = np.asarray(tissue, dtype=object)
        return np.array([pd.isna(t) or str(t) not in self.tissue_effects_.index for t in labels], dtype=bool)

    def explain(self, X, level: float = 0.9) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(prediction, lower, upper, unseen_tissue per line; attributions: every marker 0, `UNATTRIBUTED`,
        'missingness' 0, 'tissue', 'intercept', summing to the prediction)."""
        level = _level(level)
        check_is_fitted(self, "model_")
        _, labels, index, _ = design(self, X, fitting=False)
        pred = self.model_.predict(X)
        tau = self._tissue_term(labels)
        parts = np.zeros((len(pred), len(self.score_names_) + 3))
        parts[:, len(self.score_names_) - 1] = pred - self.intercept_ - tau
        parts[:, -2], parts[:, -1] = tau, self.intercept_
        unseen = self.unseen_tissue(labels)
        q_seen = jackknife_quantile(np.abs(self.cv_residuals_), level)
        q_unseen = jackknife_quantile(np.abs(self.cv_residuals_ + self._tissue_term(self.tissue_train_)), level)
        q = np.where(unseen, q_unseen, q_seen)
        iv = pd.DataFrame({"prediction": pred, "lower": pred - q, "upper": pred + q, "unseen_tissue": unseen}, index)
        cols = [*self.score_names_, "missingness", "tissue", "intercept"]
        return iv, pd.DataFrame(parts, index=index, columns=cols)

    def predict_interval(self, X, level: float = 0.9) -> pd.DataFrame:
        return self.explain(X, level)[0]

    def percentile_in_tissue(self, pred, tissue) -> pd.DataFrame:
        """`estimators.tissue_percentiles` among the training lines."""
        check_is_fitted(self, "model_")
        return tissue_percentiles(self.y_train_, self.tissue_train_, pred, tissue)


def user_regressor(spec: str) -> type:
    """The scikit-learn regressor class named by the import path 'module:Class' (``--estimator module:Class``).

    Checked here: the module imports, the name is a class, it can be made with no arguments and scikit-learn calls it a
    regressor (`sklearn.base.is_regressor`); each failure is a one-line `ChemoradError` naming `spec`. Not run here:
    `sklearn.utils.estimator_checks.check_estimator` (seconds to minutes per class); a regressor that fails it may
    still fail at fit, which is reported as the same kind of error.
    """
    import importlib

    from sklearn.base import is_regressor

    module, _, name = spec.partition(":")
    if not module or not name:
        raise ChemoradError(f"{spec!r}: expected an estimator name or module:Class (e.g. sklearn.linear_model:Ridge)")
    try:
        cls = getattr(importlib.import_module(module), name)
    except ImportError as exc:
        raise ChemoradError(f"{spec!r}: cannot import module {module!r} ({exc})") from None
    except AttributeError:
        raise ChemoradError(f"{spec!r}: module {module!r} has no {name!r}") from None
    if not isinstance(cls, type):
        raise ChemoradError(f"{spec!r}: {name!r} is not a class")
    try:
        made = cls()
    except Exception as exc:  # noqa: BLE001 (any failure of foreign code is the user's input error)
        raise ChemoradError(f"{spec!r}: cannot be made without arguments ({type(exc).__name__})") from None
    if not is_regressor(made):
        raise ChemoradError(f"{spec!r}: not a scikit-learn regressor")
    return cls


def _user_pipeline(cls: type, tissue_column, random_state):
    """The user's regressor behind a one-hot tissue encoding and 0 for a missing marker (the tissue average of a
    within-tissue z-score), so any regressor taking numbers can be fitted; seeded when it takes `random_state`."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    model = cls()
    if "random_state" in model.get_params():
        model.set_params(random_state=random_state)
    steps = []
    impute = SimpleImputer(strategy="constant", fill_value=0.0, keep_empty_features=True)
    if tissue_column is not None:
        encode = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
        steps.append(ColumnTransformer([("tissue", encode, [tissue_column])], remainder=impute))
    else:
        steps.append(impute)
    return make_pipeline(*steps, model)
