"""A gene's expression (or mutation status) against a response over cell lines, coloured by tissue: the table behind the
scatter page, and the Spearman correlation shown with it.

Spearman's rho is the Pearson correlation of the ranks (average ranks for ties), with its two-sided p-value from
`scipy.stats.spearmanr` (t distribution with n - 2 degrees of freedom). It is not adjusted for tissue: filter to one
tissue to compare within it (radiation and drug responses differ strongly between tissues; the data bundle's README).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["Correlation", "scatter_table", "spearman"]


def scatter_table(feature: pd.Series, response: pd.Series, tissue: pd.Series, tissues=None) -> pd.DataFrame:
    """Lines with both a feature value and a response: cell_line, tissue, x (feature), y (response).

    `tissues`: keep only lines of these tissues (None or empty: every line, including those of unknown tissue).
    Sorted by tissue, then line.
    """
    frame = pd.DataFrame({"x": feature, "y": response.reindex(feature.index)}).dropna()
    frame.insert(0, "tissue", tissue.reindex(frame.index).astype(object).fillna("unknown").to_numpy())
    frame.index.name = "cell_line"
    if tissues:
        frame = frame[frame["tissue"].isin(list(tissues))]
    return frame.reset_index().sort_values(["tissue", "cell_line"], kind="stable").reset_index(drop=True)


@dataclass(frozen=True)
class Correlation:
    rho: float
    p_value: float
    n: int


def spearman(x, y) -> Correlation:
    """Spearman's rho and its two-sided p over the pairs where both are finite; NaN when fewer than 3 pairs or a
    constant variable."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    n = int(ok.sum())
    if n < 3 or np.ptp(x[ok]) == 0 or np.ptp(y[ok]) == 0:
        return Correlation(float("nan"), float("nan"), n)
    res = stats.spearmanr(x[ok], y[ok])
    return Correlation(float(res.statistic), float(res.pvalue), n)
