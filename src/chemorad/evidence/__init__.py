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

import importlib

# Names resolved on first use (PEP 562): importing a submodule such as `evidence.scores` (on every prediction's path)
# then does not import `associations` and, through it, scipy.stats (about 1 s of start-up).
_WHERE = {
    "associations": "associations",
    "bh_fdr": "associations",
    "covariate_design": "associations",
    "partial_correlation": "associations",
    "fit_lq": "curves",
    "lq_auc": "curves",
    "lq_d10": "curves",
    "lq_survival": "curves",
}

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


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
