"""`ProfilePredictor`: chemorad's response models as one scikit-learn-style object, fitted once, predicting many times.

    from chemorad.catalog import catalog
    from chemorad.profile.predictor import ProfilePredictor, fitted_predictor
    from chemorad.profile.readers import from_cell_line

    p = ProfilePredictor(catalog(), estimator="marker").fit(data)   # fit on the bundle (6 fits per response)
    p.predict(from_cell_line("FADU", data), data).records          # a bundle line: by the models without its fold
    p = fitted_predictor(catalog(), data)                          # the same, read from the cache folder when stored

What is fitted, stored and how a bundle line stays honest: `profile.fitted`. What a prediction holds:
`profile.predict`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from chemorad.catalog.load import Catalog
from chemorad.profile.fitted import ESTIMATORS, N_FOLDS, FittedModels, estimator_class, fitted_models
from chemorad.profile.predict import Predictions, predict_with

__all__ = ["ESTIMATORS", "N_FOLDS", "ProfilePredictor", "estimator_class", "fitted_predictor"]


class ProfilePredictor(FittedModels):
    """`FittedModels` (parameters: cat, estimator, params, therapies; `fit(data)`) with `predict`."""

    def predict(self, profile, data=None, therapies: Iterable[str] | None = None, level: float = 0.9) -> Predictions:
        """`predict.Predictions` of the profile's samples: a bundle line by the models of its fold, any other sample
        by the models fitted on every line (`predict.predict_with`)."""
        return predict_with(self, profile, data, therapies, level)


def fitted_predictor(
    cat: Catalog,
    data=None,
    estimator: str = "marker",
    therapies: list[str] | None = None,
    cache_dir="default",
    progress: Callable[[int, int], None] | None = None,
) -> ProfilePredictor:
    """The fitted `ProfilePredictor` of this bundle, catalog and estimator: from memory, the cache folder, or fitted
    and stored (`fitted.fitted_models`)."""
    return fitted_models(
        cat, data, estimator, therapies=therapies, cache_dir=cache_dir, progress=progress, cls=ProfilePredictor
    )
