"""Leave-one-experiment-out on the perturbation table: each entry predicted by a calibration that never saw it.

For entry j: the model of `calibration.model` with the perturbation likelihood only (every other entry; priors from
the catalog), fitted by VI; the entry's value predicted as the posterior median of the chain's ratio (perturbed /
control, the entry's metric) and compared with the measured one (within 2-fold: 1/2 <= model/measured <= 2).

The cell-line likelihood is left out of these fits: the entries act on the reference cell, so the data that bear on
them are the effect sizes, which the cell-line data constrain only through their product with the marker weights;
a full refit per entry (100+ fits of several minutes each) is beyond the budget. One compilation serves every entry
(the left-out entry is a mask).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from chemorad.calibration.data import CalibrationData, Mask
from chemorad.calibration.spec import ChainSpec
from chemorad.catalog.load import Catalog
from chemorad.errors import ChemoradError

WITHIN = 2.0


def empty_data(spec: ChainSpec) -> CalibrationData:
    z = np.zeros(0)
    zi = z.astype(int)
    return CalibrationData(
        lines=(),
        tissues=(),
        tissue=zi,
        Z=np.zeros((0, 0)),
        features=(),
        marker_mechanism=np.zeros((0, len(spec.mechanisms))),
        G=np.zeros((0, 0)),
        columns=(),
        col_dataset=zi,
        col_therapy=zi,
        col_is_auc=z.astype(bool),
        col_centre=z,
        col_scale=z,
        obs_line=zi,
        obs_column=zi,
        obs_value=z,
        yard_line=zi,
        yard_dose_gy=z,
        yard_sf=z,
    )


def leave_one_out(cat: Catalog, spec: ChainSpec, steps: int = 1500, draws: int = 100, progress=None) -> pd.DataFrame:
    """One row per entry: id, mechanism, therapy, modality, measured, calibrated (LOEO posterior median), ratio,
    within_2_fold."""
    import jax
    import jax.numpy as jnp

    from chemorad.calibration import forward as F
    from chemorad.calibration.data import attach_perturbations
    from chemorad.calibration.infer import Calibrator, Settings
    from chemorad.calibration.model import perturbation_ln_rf

    F.use_float64()
    d = attach_perturbations(cat, spec, empty_data(spec))
    n = len(d.pert_ln_fold)
    if n < 2:
        raise ChemoradError("perturbations: fewer than 2 entries with a catalog mechanism and therapy to leave out")
    d = replace(d, tissues=("none",), G=np.zeros((0, 0)))
    cal = Calibrator(spec, d, Settings(steps=steps, draws=draws, check=False))
    A0 = jnp.zeros((1, len(spec.mechanisms)))
    # every entry's ratio for a batch of draws, compiled once (eager evaluation recompiles the bisection each call)
    ratios = jax.jit(jax.vmap(lambda th, ic, la, lb: perturbation_ln_rf(spec, F.ChainParams(th, ic, la, lb), d, A0)))
    out = np.full(n, np.nan)
    for j in range(n):
        keep = np.ones(n, bool)
        keep[j] = False
        s, _, _ = cal.fit(Mask(np.zeros(0, bool), np.zeros(0, bool), keep), seed=j)
        th, ic, la, lb = (s[k][0] for k in ("theta", "ln_ic50", "ln_alpha", "ln_beta"))
        out[j] = float(np.median(np.asarray(ratios(th, ic, la, lb))[:, j]))
        if progress is not None:
            progress(j + 1, n)
    measured = np.exp(d.pert_ln_fold)
    model = np.exp(out)
    ratio = model / measured
    return pd.DataFrame(
        {
            "id": list(d.pert_id),
            "mechanism": [spec.mechanisms[m] for m in d.pert_mechanism],
            "therapy": [spec.therapies[t] for t in d.pert_therapy],
            "modality": ["radiation" if spec.is_radiation[t] else "drug" for t in d.pert_therapy],
            "measured": measured,
            "calibrated": model,
            "ratio": ratio,
            "within_2_fold": (ratio >= 1 / WITHIN) & (ratio <= WITHIN),
        }
    )
