"""Evidence engine: real cell-line data (load, harmonise), radiation curve fits, and tissue-adjusted associations.

- `names`: cell-line name and tissue harmonisation across Yard 2016, GDSC, CCLE and CTRP;
- `datasets`: the data bundle (registry, checksums, loaders indexed by canonical cell-line name, `cell_lines()`);
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
from chemorad.evidence.datasets import DATASETS, cell_lines, data_dir, verify
from chemorad.evidence.names import canonical_name, harmonise_tissue, normalise

__all__ = [
    "DATASETS",
    "associations",
    "bh_fdr",
    "canonical_name",
    "cell_lines",
    "covariate_design",
    "data_dir",
    "fit_lq",
    "harmonise_tissue",
    "lq_auc",
    "lq_d10",
    "lq_survival",
    "normalise",
    "partial_correlation",
    "verify",
]
