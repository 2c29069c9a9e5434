"""A proliferation score per cell line, to adjust radiation and drug associations for how fast lines divide.

Why: Yard 2016 radiation response is a 9-day proliferation readout and GDSC/CTRP are 72-h viability assays, so a line
that divides slowly looks resistant to everything; proliferation then confounds both marker-response associations and
radiation-drug correlations. The bundle has no doubling times (`gdsc_cell_lines.csv` gives only adherent / suspension /
semi-adherent growth, which is almost the haematopoietic tissue label and so already in the tissue adjustment), so the
score is read from expression: the mean of the z-scored (across lines) GDSC expression of cell-cycle genes whose
expression tracks proliferation. Adjusting expression analyses for such a proliferation metagene is the approach of
Venet et al. 2011 (meta-PCNA, PLoS Comput Biol 7:e1002240, doi:10.1371/journal.pcbi.1002240, read via the search
tool: adjusting for meta-PCNA removed most outcome associations of breast cancer signatures). The gene list below is
not the meta-PCNA list (which is ~130 genes correlated with PCNA in normal tissues); it is a short list of canonical
S/G2/M and replication genes (recalled), restricted to those measured (not floor values) in the bundle.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from chemorad.bundle import datasets as ds

__all__ = ["PROLIFERATION_GENES", "proliferation_score"]

PROLIFERATION_GENES = (
    "MKI67",
    "PCNA",
    "MCM2",
    "MCM3",
    "MCM6",
    "TOP2A",
    "CCNB1",
    "CDK1",
    "AURKA",
    "FOXM1",
    "CCNA2",
    "CDC20",
    "PLK1",
    "TYMS",
    "RRM2",
    "MYBL2",
    "E2F1",
)


def proliferation_score(data: str | os.PathLike[str] | None = None, min_genes: int = 5) -> pd.Series:
    """Mean z-score (across lines) of the measured `PROLIFERATION_GENES`, standardised to SD 1; NaN without data.

    Lines with fewer than `min_genes` measured genes get NaN.
    """
    expr = ds.load_expression(data=data)  # floor-value columns already dropped
    genes = [g for g in PROLIFERATION_GENES if g in expr.columns]
    x = expr[genes].astype(float)
    z = (x - x.mean()) / x.std(ddof=1)
    score = z.mean(axis=1).where(z.notna().sum(axis=1) >= min_genes)
    score = (score - score.mean()) / score.std(ddof=1)
    score.name = "proliferation"
    return score.replace([np.inf, -np.inf], np.nan)
