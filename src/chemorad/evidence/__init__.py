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

The package imports none of its modules: a prediction reads `scores` alone and should not load scipy.stats with
`associations` (import the functions from their modules, e.g. ``from chemorad.evidence.curves import fit_lq``).
"""
