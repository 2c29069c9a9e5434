"""Physical ranges of the response metrics, so that no prediction leaves the range its metric can take.

A linear model extrapolates without limit: a sample far outside the training lines (a wrong scale, an absurd value)
can be predicted at a Yard AUC of -15 Gy, which no cell line can have. Each prediction and its interval are clipped to
the metric's range, and the caller warns. The ranges are declared by each response data set in the registry
(`ResponseDataset.ranges`, `chemorad.catalog.registry`, where a table says why each holds).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chemorad.catalog.registry import RESPONSE_DATASETS, physical_range

__all__ = ["RANGES", "bounds_text", "check_finite_features", "clip_to_range", "physical_range"]

#: (dataset, metric) -> (lowest, highest) value the metric can physically take, as the registry declares them
RANGES: dict[tuple[str, str], tuple[float, float]] = {
    (d.id, metric): (lo, hi) for d in RESPONSE_DATASETS.values() for metric, lo, hi in d.ranges
}


def clip_to_range(interval: pd.DataFrame, bounds: tuple[float, float]) -> pd.Series:
    """True for each row whose 'prediction' lies outside `bounds` (the rows the caller clips and reports)."""
    lo, hi = bounds
    p = interval["prediction"].to_numpy(dtype=float)
    return pd.Series((p < lo) | (p > hi), index=interval.index, name="clipped")


def bounds_text(bounds: tuple[float, float]) -> str:
    lo, hi = bounds
    return f"[{lo:g}, {hi:g}]" if np.isfinite(hi) else f"[{lo:g}, inf)"


def check_finite_features(markers: pd.DataFrame, sources: dict[str, str]) -> None:
    """Refuse infinite marker values, naming the sample, the marker feature and the files it may come from."""
    from chemorad.errors import ChemoradError

    bad = np.isinf(markers.to_numpy(dtype=float))
    if bad.any():
        r, c = np.argwhere(bad)[0]
        files = ", ".join(sorted(set(sources.values()))) or "the input"
        raise ChemoradError(
            f"{files}: sample {markers.index[r]!r}, marker {markers.columns[c]!r} is infinite after scoring "
            f"({int(bad.sum())} such value(s)); expected finite measurements"
        )
