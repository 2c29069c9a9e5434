"""Evidence engine: radiation curve fits, tissue-adjusted associations and claim verdicts on real cell-line data.

The data bundle itself (files, checksums, loaders, name harmonisation, parse cache) is `chemorad.bundle`, one layer
below; this package tests claims on it.

- `curves`: linear-quadratic fits of radiation survival curves (RadioGx-compatible);
- `associations`: feature x response OLS with covariates for every pair at once, BH FDR, partial correlation;
- `claims`, `verdicts`, `margins`: claim verdicts by a stated decision rule (effects beyond a noise-derived margin,
  TOST equivalence, FDR per therapy x data set x metric, lines needed to decide);
- `proliferation`: an expression proliferation score, a covariate for radiation-drug confounding;
- `crossres`, `mediation`: cross-resistance and the share of it catalog-linked mechanisms explain;
- `conditional`: responses predicted from an observed one (within-tissue Gaussian copula);
- `kb`, `kb_models`: the graded knowledge base and its versioned schema.
"""

from chemorad.evidence.associations import associations, bh_fdr, covariate_design, partial_correlation
from chemorad.evidence.curves import fit_lq, lq_auc, lq_d10, lq_survival

__all__ = [
    "associations",
    "bh_fdr",
    "covariate_design",
    "fit_lq",
    "lq_auc",
    "lq_d10",
    "lq_survival",
    "partial_correlation",
]
