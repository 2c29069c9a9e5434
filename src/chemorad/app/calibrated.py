"""Use case: predict with the calibrated damage chain (posterior predictive), optionally given an observed response.

Each sample (files or bundle lines) is predicted as a line the calibration never saw (`chemorad.calibration.predict`);
with an observation the posterior draws are reweighted by its likelihood. Used by `chemorad predict --model calibrated`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from chemorad.app.inputs import ProfileInputs
from chemorad.context import Context


@dataclass(frozen=True)
class CalibratedPrediction:
    """`predictions`: one row per sample and therapy (posterior predictive median and interval); `explanations`: one
    row per sample, therapy and mechanism (its stage and change of ln dose); `notes` for the user, in order."""

    predictions: pd.DataFrame
    explanations: pd.DataFrame
    level: float
    notes: list[str] = field(default_factory=list)


def predict_calibrated(ctx: Context, inputs: ProfileInputs, *, observed: str | None = None) -> CalibratedPrediction:
    """The calibrated chain's posterior predictive for the samples of `inputs` (therapies filter the rows).

    The shipped posterior must match the catalog (`calibration.posterior.check_matches`); the samples' covariates come
    from `chemorad.profile.calibrated.sample_inputs`.
    """
    from chemorad.calibration.data import bundle_data
    from chemorad.calibration.posterior import check_matches, expression_basis, load
    from chemorad.calibration.predict import OBSERVED_REPLICAS, observed_response, predict_samples
    from chemorad.calibration.spec import chain_spec
    from chemorad.evidence.conditional import parse_observed
    from chemorad.profile.calibrated import sample_inputs

    cat = ctx.catalog
    level = inputs.checked_level()
    if observed is not None:
        parse_observed(observed, cat)  # a malformed text fails before the slow part
    if inputs.data is None and ctx.data is not None:
        inputs = inputs.model_copy(update={"data": ctx.data})
    data = inputs.data
    prof = inputs.load()
    therapies = inputs.therapy_ids(cat)
    spec = chain_spec(cat)
    idata = load(None)
    check_matches(spec, idata)
    d = bundle_data(cat, spec, data, basis=expression_basis(idata))
    covariates = sample_inputs(cat, d, prof, data)
    notes = list(covariates.notes)
    obs = None
    if observed is not None:
        o = parse_observed(observed, cat)
        obs = observed_response(d, spec, o.therapy, o.kind, o.value, o.text)
    pred, expl = predict_samples(cat, spec, d, idata, covariates, level, observed=obs)
    if obs is not None:
        notes.append(
            f"conditioned on {obs.label}; effective sample size {obs.ess:.0f} of "
            f"{idata.posterior.sizes['draw'] * OBSERVED_REPLICAS} replicated draws"
        )
    if therapies:
        pred, expl = pred[pred["therapy"].isin(therapies)], expl[expl["therapy"].isin(therapies)]
    return CalibratedPrediction(pred, expl, level, notes)
