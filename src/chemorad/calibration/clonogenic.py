"""Published clonogenic survival curves as calibration observations (PIDE 3.4, optional; `bundle.pide`).

What is observed. PIDE gives every photon curve as linear-quadratic parameters (alpha Gy^-1, beta Gy^-2, as published
or refitted by PIDE); raw survival points exist for only part of the curves (`N/A` in the points file otherwise). So
each curve enters through its LQ parameters, as the log-kill at 2 Gy

    y = ln(-ln SF2) = ln(2 alpha + 4 beta)

rather than alpha itself: the published alphas include zeros and negative values (an LQ fit that put the whole
shoulder into beta), where ln alpha is undefined and alpha alone says little, while 2 alpha + 4 beta is the part of
the curve the data fix best (the surviving fraction at a clinical dose per fraction). Each curve is one observation;
a line with several curves (several publications) has several.

The noise (`replicate_sd`): the pooled within-line standard deviation of y over lines with two or more curves,
sqrt(sum_lines sum_curves (y - line mean)^2 / (curves - lines)), the spread between independent measurements of one
line (different laboratories and years). The registry's `noise_scale` of PIDE is derived from it (its comment).

Friedrich T, Pfuhl T, Scholz M 2021, J Radiat Res 62:645, PMC8273790 ("Update of the particle irradiation data
ensemble (PIDE) for cell survival"); each curve's own publication is in the data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: the dose at which the clonogenic log-kill is compared (Gy)
DOSE_GY = 2.0


def log_kill(alpha, beta) -> np.ndarray:
    """ln(-ln SF(2 Gy)) of LQ curves, = ln(2 alpha + 4 beta) (alpha Gy^-1, beta Gy^-2); NaN where 2 alpha + 4 beta
    <= 0 (no kill at 2 Gy: not a usable curve)."""
    k = DOSE_GY * np.asarray(alpha, dtype=float) + DOSE_GY**2 * np.asarray(beta, dtype=float)
    return np.log(np.where(k > 0, k, np.nan))


def replicate_sd(values, groups) -> tuple[float, int, int, int]:
    """(pooled within-group sd, degrees of freedom, groups with >= 2 values, values in them): sqrt of the summed
    squared deviations from each group's mean over (values - groups), over the groups with two or more finite values.
    NaN sd when no group has two."""
    frame = pd.DataFrame({"y": np.asarray(values, dtype=float), "g": np.asarray(groups)}).dropna()
    n = frame.groupby("g")["y"].transform("size")
    multi = frame[n >= 2]
    if multi.empty:
        return float("nan"), 0, 0, 0
    dev = multi["y"] - multi.groupby("g")["y"].transform("mean")
    k = multi["g"].nunique()
    dof = len(multi) - k
    return float(np.sqrt(np.sum(dev**2) / dof)), int(dof), int(k), int(len(multi))


def curve_observations(curves: pd.DataFrame, lines: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(line index into `lines`, log-kill y) of each curve of `curves` (columns cell_line, alpha, beta) whose line is
    among `lines` and whose log-kill is defined."""
    pos = {name: i for i, name in enumerate(lines)}
    y = log_kill(curves["alpha"], curves["beta"])
    keep = curves["cell_line"].isin(pos).to_numpy() & np.isfinite(y)
    idx = np.array([pos[c] for c in curves["cell_line"][keep]], dtype=int)
    return idx, y[keep]
