"""Physical ranges of the response metrics, so that no prediction leaves the range its metric can take.

A linear model extrapolates without limit: a sample far outside the training lines (a wrong scale, an absurd value)
can be predicted at a Yard AUC of -15 Gy, which no cell line can have. Each prediction and its interval are clipped to
the metric's range, and the caller warns. Ranges, read from the data bundle's README (`../shared/data/README.md`) and
the definitions of each metric:

| data set, metric | range | why |
| --- | --- | --- |
| yard auc | [0, 10] | area under the surviving fraction over 0-10 Gy (Yard et al. 2016, Nat Commun 7:11428) |
| yard sf2 | [0, 1] | LQ surviving fraction at 2 Gy (chemorad's `fit_lq`) |
| yard neg_alpha | (-inf, 0] | -alpha, alpha >= 0 |
| gdsc1 / gdsc2 auc | [0, 1] | area under the fitted dose-response curve as a fraction of the tested range (GDSC) |
| ctrp auc | [0, inf) | area under the viability curve over the tested doses (upper end: the compound's range) |
| gdsc ln_ic50 | unbounded | natural log of an IC50 in uM: any real number |
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chemorad.catalog.registry import ResponseKey

__all__ = ["RANGES", "bounds_text", "check_finite_features", "clip_to_range", "physical_range"]

_INF = float("inf")
#: (dataset, metric) -> (lowest, highest) value the metric can physically take
RANGES: dict[tuple[str, str], tuple[float, float]] = {
    ("yard", "auc"): (0.0, 10.0),
    ("yard", "sf2"): (0.0, 1.0),
    ("yard", "neg_alpha"): (-_INF, 0.0),
    ("gdsc1", "auc"): (0.0, 1.0),
    ("gdsc2", "auc"): (0.0, 1.0),
    ("ctrp", "auc"): (0.0, _INF),
}


def physical_range(key: ResponseKey | str) -> tuple[float, float]:
    """(lowest, highest) value of a response column's metric; (-inf, inf) when it has no physical bound."""
    key = key if isinstance(key, ResponseKey) else ResponseKey.parse(key)
    return RANGES.get((key.dataset, key.metric), (-_INF, _INF))


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
