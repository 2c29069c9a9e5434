"""Inputs of the calibrated chain for samples read by the profile tool (files or bundle lines).

The calibration layer predicts from covariates (`calibration.predict.SampleInputs`); this module, in the profile layer
above it, turns a `Profile` into them with the profile tool's own scoring against the bundle's reference lines.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chemorad.calibration.data import CalibrationData
from chemorad.calibration.predict import SampleInputs


def sample_inputs(cat, d: CalibrationData, profile, data=None) -> SampleInputs:
    """`SampleInputs` of a `profile.readers.Profile` (files or bundle lines): marker z-scores against the bundle's
    tissue-matched reference lines (`profile.activities.sample_scores`) and the expression covariates of the
    posterior's basis when the expression is on the GDSC RMA (log) scale."""
    from chemorad.profile.activities import reference, sample_scores  # the slow part: every layer of the bundle

    ss = sample_scores(cat, profile, reference(cat, data))
    samples = list(ss.markers.index.astype(str))
    Z = ss.markers.reindex(columns=list(d.features)).fillna(0.0).to_numpy(dtype=float)
    notes = list(ss.notes)
    G = np.zeros((len(samples), d.G.shape[1]))
    expr = getattr(profile, "expression", None)
    if expr is not None and getattr(profile, "expression_scale", None) == "log" and d.basis is not None:
        e = expr.copy()
        e.index = e.index.astype(str)
        G = d.basis.transform(e.reindex(samples))
        present = len(set(d.basis.genes) & set(e.columns))
        notes.append(f"expression covariates from {present} of {len(d.basis.genes)} basis genes (GDSC RMA scale)")
    else:
        notes.append(
            "no expression on the GDSC RMA (log) scale: the line factors take their average (expression covariates 0)"
        )
    tissues = [None if t is None or pd.isna(t) else str(t) for t in ss.tissue.reindex(samples)]
    return SampleInputs(samples, Z, G, tissues, notes)
