"""Use case: predict each sample's response to radiotherapy and the drugs, with intervals and reasons.

The marker-ridge prediction of `chemorad.profile.predict` for the samples of one `ProfileInputs`, optionally with each
sample's other responses given one observed response (`chemorad.evidence.conditional`). Used by `chemorad predict`,
`chemorad report`, the web explorer's tumour page and `/api/predict`, and by the regimens use case.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from chemorad.app.inputs import ProfileInputs, Progress
from chemorad.context import Context
from chemorad.profile.predict import Predictions, predict_profile
from chemorad.profile.readers import Profile

FITTING = "fitting response models"


@dataclass(frozen=True)
class PredictionResult:
    """The samples read, their predictions (records, attributions, cross-resistance, notes and warnings), the
    interval coverage used, and, when an observed response was given, the conditional table (one row per sample and
    target therapy; `chemorad.evidence.conditional.conditional_for_samples`)."""

    profile: Profile
    predictions: Predictions
    level: float
    observed: str | None = None
    given: pd.DataFrame | None = None

    @property
    def messages(self) -> tuple[list[str], list[str]]:
        """(warnings, notes) of the prediction, for the adapter to show."""
        return list(self.predictions.warnings), list(self.predictions.notes)


def predict(
    ctx: Context,
    inputs: ProfileInputs,
    *,
    observed: str | None = None,
    check: Callable[[Profile], None] | None = None,
    progress: Progress | None = None,
    estimator: str = "marker",
) -> PredictionResult:
    """Read `inputs`, fit the response models on the bundle without the samples, predict.

    Parameters
    ----------
    ctx : the catalog and the data folder (`inputs.data` first, then `ctx.data`, then the default resolution).
    inputs : the samples, therapies (None: every therapy with data) and interval coverage.
    observed : an observed response such as ``cisplatin=resistant``; checked before the slow part, then each
        sample's other responses are predicted given it (within-tissue joint data, with the sample's profile).
    check : called with the loaded profile before any model is fitted, so that an adapter's refusal (e.g. a report
        file that exists) costs nothing.
    progress : told ``(FITTING, fits done, fits in all)`` while the models are fitted.
    estimator : the response models' estimator (`chemorad.profile.predictor.ESTIMATORS`); fitted once per bundle,
        catalog and estimator and kept in the cache folder.
    """
    cat = ctx.catalog
    if inputs.data is None and ctx.data is not None:
        inputs = inputs.model_copy(update={"data": ctx.data})
    data = inputs.data
    if observed is not None:  # a malformed text fails before the slow part
        from chemorad.evidence.conditional import parse_observed

        parse_observed(observed, cat)
    prof = inputs.load()
    if check is not None:
        check(prof)
    therapies = inputs.therapy_ids(cat)
    level = inputs.checked_level()
    step = None if progress is None else (lambda k, n: progress(FITTING, k, n))
    pred = predict_profile(cat, prof, data, therapies=therapies, level=level, progress=step, estimator=estimator)
    given = None
    if observed is not None:
        given = _given_observed(ctx, observed, therapies, pred.scores.scores, data)
    return PredictionResult(prof, pred, level, observed, given)


def _given_observed(ctx: Context, observed: str, therapies: list[str] | None, sample_scores: pd.DataFrame, data):
    """Each sample's other responses given the observed one, with its profile (targets with response data only)."""
    from chemorad.bundle import datasets as ds
    from chemorad.evidence.claims import evidence_tables
    from chemorad.evidence.conditional import conditional_for_samples, parse_observed
    from chemorad.evidence.responses import therapy_columns

    cat = ctx.catalog
    obs = parse_observed(observed, cat)
    targets = [t for t in (therapies or list(cat.therapies)) if t != obs.therapy]
    sc, resp, _ = evidence_tables(cat, data)
    targets = [t for t in targets if t in therapy_columns(cat, resp.columns)]
    tissue = ds.cell_lines(data)["tissue"]
    return conditional_for_samples(cat, obs, targets, resp, tissue, sc.scores, sample_scores, np.random.default_rng(0))
