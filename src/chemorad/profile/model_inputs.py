"""The feature tables of the fitted predictor's estimators, for the bundle (fitting) and for a profile's samples
(predicting), built from the same parts so both sides have the same columns.

Each estimator class declares the inputs it reads in its class attribute `inputs` (default ``("markers",)``):

- 'markers': the catalog marker features (within-tissue z-scores, `activities`), as the marker ridge reads them;
- 'genes': every expression gene of the bundle's GDSC RMA (log2) matrix, named ``gene_models.GENE + symbol``; a
  sample needs expression on the log2 scale (a profile read as z-scores cannot be put on that scale and is refused);
  a gene the sample lacks is NaN, which the gene ridge imputes as the training mean (the notes count them);
- 'chain': the damage chain's mechanistic prediction per therapy (ln D50 of the phenotype whose activities are the
  mechanism scores, `selection.chain_prediction`; NaN where the chain cannot dose the therapy), one column
  ``CHAIN|therapy`` per therapy; `for_therapy` turns the one of a response's therapy into the column `CHAIN` its
  model was fitted on and drops the others.

For 'genes' the bundle's training lines are those with expression (an inner join with the markers).
"""

from __future__ import annotations

import pandas as pd

from chemorad.catalog.load import Catalog
from chemorad.errors import ChemoradError
from chemorad.profile.ridge_terms import CHAIN, GENE
from chemorad.profile.training import for_therapy, has_chain

__all__ = ["for_therapy", "has_chain", "inputs_of", "sample_table", "training_table"]


def inputs_of(cls) -> tuple[str, ...]:
    """The inputs an estimator class reads ('markers' when it does not say)."""
    return tuple(getattr(cls, "inputs", ("markers",)))


def _chain_columns(cat: Catalog, scores: pd.DataFrame, therapies) -> pd.DataFrame:
    from chemorad.profile.selection import _chain_or_nan

    return pd.DataFrame(
        {f"{CHAIN}|{tid}": _chain_or_nan(cat, tid, scores) for tid in therapies}, index=scores.index, dtype=float
    )


def _therapies(cat: Catalog, therapies: list[str] | None) -> list[str]:
    return sorted(cat.therapies) if therapies is None else sorted(therapies)


def _assemble(markers, genes, chain, inputs) -> pd.DataFrame:
    parts = []
    if "markers" in inputs:
        parts.append(markers)
    if "genes" in inputs:
        parts.append(genes)
    if "chain" in inputs:
        parts.append(chain)
    how = "inner" if "genes" in inputs else "left"
    out = parts[0]
    for p in parts[1:]:
        out = out.join(p, how=how)
    return out


def training_table(cat: Catalog, data, ref, inputs, therapies: list[str] | None = None) -> pd.DataFrame:
    """The bundle lines' features for the `inputs` (`ref`: `activities.reference`)."""
    from chemorad.bundle import datasets as ds

    markers = ref.markers.dropna(how="all")
    genes = ds.load_expression(data=data).add_prefix(GENE) if "genes" in inputs else None
    chain = None
    if "chain" in inputs:
        scores = ref.scores.reindex(markers.index)
        chain = _chain_columns(cat, scores, _therapies(cat, therapies))
    if "markers" not in inputs:
        markers = markers.iloc[:, :0]  # keeps the lines, no columns
        return _assemble(markers, genes, chain, ("markers", *inputs))
    return _assemble(markers, genes, chain, inputs)


def sample_table(cat: Catalog, profile, ss, inputs, therapies=None) -> tuple[pd.DataFrame, list[str]]:
    """(the samples' features for the `inputs`, notes); `ss`: the profile's `activities.sample_scores`. A profile
    without expression on the log2 scale is refused when the genes are needed."""
    notes: list[str] = []
    markers = ss.markers
    genes = None
    if "genes" in inputs:
        expr = getattr(profile, "expression", None)
        scale = getattr(profile, "expression_scale", None)
        if expr is None or scale != "log":
            raise ChemoradError(
                f"--estimator: this estimator reads every expression gene on the GDSC RMA (log2) scale; the profile "
                f"has {'no expression' if expr is None else f'expression on the {scale!r} scale'} (use --estimator "
                "marker)"
            )
        e = expr.copy()
        e.index = e.index.astype(str)
        missing = [s for s in markers.index.astype(str) if s not in e.index]
        if missing:
            raise ChemoradError(f"--estimator: no expression for sample(s) {', '.join(missing[:5])}")
        genes = e.reindex(markers.index.astype(str)).add_prefix(GENE)
        genes.index = markers.index
        notes.append(f"expression: {genes.shape[1]} genes given (genes a model needs but lacks: the training mean)")
    chain = None
    if "chain" in inputs:
        chain = _chain_columns(cat, ss.scores.reindex(markers.index), _therapies(cat, therapies))
    if "markers" not in inputs:
        return _assemble(markers.iloc[:, :0], genes, chain, ("markers", *inputs)), notes
    return _assemble(markers, genes, chain, inputs), notes
