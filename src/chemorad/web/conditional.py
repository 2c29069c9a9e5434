"""The conditional view (observed response to one therapy -> predicted responses to the others), wired in one place.

It is offered when the evidence layer has `chemorad.evidence.conditional` (`parse_observed`,
`conditional_prediction`); with an older evidence layer the page says it is not available.
"""

from __future__ import annotations

from types import ModuleType

import numpy as np
import pandas as pd

from chemorad.web.services import Explorer

N_BOOT = 100


def provider() -> ModuleType | None:
    """The evidence layer's conditional module, or None when this version has none."""
    try:
        from chemorad.evidence import conditional
    except ImportError:
        return None
    return conditional if hasattr(conditional, "conditional_prediction") else None


def predict(ex: Explorer, observed: str, targets: list[str]) -> pd.DataFrame:
    """Predicted within-tissue percentiles of `targets` given `observed` ('THERAPY=resistant', '...=q0.9', ...).

    A malformed observation or target is a one-line `ChemoradError`, shown on the page."""
    mod = provider()
    if mod is None:
        raise RuntimeError("the conditional view needs chemorad.evidence.conditional")
    obs = mod.parse_observed(observed, ex.cat)
    sc, resp, _ = ex.evidence_tables()
    return mod.conditional_prediction(ex.cat, resp, ex.tissue(), obs, targets, np.random.default_rng(0), n_boot=N_BOOT)
