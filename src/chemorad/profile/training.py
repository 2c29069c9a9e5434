"""Fitting chemorad's response model for every response column of the bundle that the catalog's therapies measure.

One `ResponseModel` per column ``dataset|compound|metric`` (`catalog.registry.ResponseKey`): radiation Yard AUC and SF2,
each drug's GDSC1 / GDSC2 ln IC50 and AUC and CTRP AUC; higher = more resistant. The features are the catalog markers'
within-tissue z-scores of `evidence.scores` (lines x marker features, NaN where not measured) plus the line's tissue
as the column `estimators.TISSUE`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

import numpy as np
import pandas as pd

from chemorad.catalog.load import Catalog
from chemorad.catalog.registry import RESPONSE_DATASETS, Modality, ResponseKey
from chemorad.catalog.schema import Lesion
from chemorad.errors import ChemoradError
from chemorad.profile.ridge_terms import CHAIN, TISSUE

__all__ = [
    "DATASETS",
    "MIN_LINES",
    "ModelSet",
    "bundle_tables",
    "cytotoxic_therapies",
    "fit_all",
    "for_therapy",
    "has_chain",
    "response_columns",
    "usable_lines",
    "with_tissue",
]

#: fewest lines with a response and scores for a model to be fitted
MIN_LINES = 50
#: radiation response columns modelled (the third, neg_alpha, is the same LQ fit as sf2 seen from another side)
RADIATION_METRICS = ("auc", "sf2")
#: the response data sets of the registry
DATASETS = tuple(RESPONSE_DATASETS)


class ModelSet(dict):
    """Fitted `ResponseModel`s keyed by response column; `therapy` maps column -> therapy id, `skipped` column ->
    why it was not fitted."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.therapy: dict[str, str] = {}
        self.skipped: dict[str, str] = {}


def with_tissue(features: pd.DataFrame, tissue: pd.Series) -> pd.DataFrame:
    """The estimators' X: the features with each line's tissue label as the last column `TISSUE`."""
    return features.assign(**{TISSUE: tissue.reindex(features.index).to_numpy(dtype=object)})


def for_therapy(frame: pd.DataFrame, tid: str) -> pd.DataFrame:
    """`frame` with its ``CHAIN|tid`` column (the damage chain's prediction for therapy `tid`, `model_inputs`) as
    `CHAIN` and the other therapies' chain columns dropped; unchanged when it has none."""
    mine = f"{CHAIN}|{tid}"
    others = [c for c in frame.columns if isinstance(c, str) and c.startswith(f"{CHAIN}|") and c != mine]
    out = frame.drop(columns=others) if others else frame
    return out.rename(columns={mine: CHAIN}) if mine in out.columns else out


def has_chain(frame: pd.DataFrame) -> bool:
    """Whether `frame` carries per-therapy chain columns (``CHAIN|therapy``)."""
    return any(isinstance(c, str) and c.startswith(f"{CHAIN}|") for c in frame.columns)


def _check_datasets(datasets: Iterable[str]) -> tuple[str, ...]:
    out = tuple(datasets)
    bad = [d for d in out if d not in DATASETS]
    if bad or not out:
        raise ChemoradError(f"datasets: unknown {', '.join(map(repr, bad)) or '(none given)'}; expected {DATASETS}")
    return out


def response_columns(
    cat: Catalog,
    columns: pd.Index,
    datasets: Iterable[str] = DATASETS,
    therapies: Iterable[str] | None = None,
    metrics: str = "all",
) -> dict[str, str]:
    """Response column -> catalog therapy id, for the chosen datasets and therapies.

    metrics: 'all' (radiation: `RADIATION_METRICS`; drugs: every metric) or 'primary' (the registry's primary metric
    per data set).
    """
    from chemorad.evidence.responses import therapy_columns

    if metrics not in ("all", "primary"):
        raise ChemoradError(f"metrics: expected 'all' or 'primary', got {metrics!r}")
    datasets = _check_datasets(datasets)
    wanted = None if therapies is None else set(therapies)
    if wanted is not None:
        unknown_ids = sorted(wanted - set(cat.therapies))
        if unknown_ids:
            raise ChemoradError(f"therapies: unknown id(s) {', '.join(unknown_ids)}")
    out: dict[str, str] = {}
    for tid, cols in therapy_columns(cat, columns).items():
        if wanted is not None and tid not in wanted:
            continue
        for col in cols:
            key = ResponseKey.parse(col)
            if key.dataset not in datasets:
                continue
            if key.modality == Modality.radiation and key.metric not in RADIATION_METRICS:
                continue
            if metrics == "primary" and not key.is_primary:
                continue
            out[col] = tid
    return out


def cytotoxic_therapies(cat: Catalog) -> list[str]:
    """Radiation and every drug that damages DNA or arrests mitosis (not the 'signalling_inhibition' agents)."""
    return [t.id for t in cat.therapies.values() if any(les is not Lesion.signalling_inhibition for les in t.lesions)]


def bundle_tables(cat: Catalog, data=None) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series, pd.DataFrame]:
    """(marker features, responses, tissue, mechanism scores) of the bundle: the model's features are the catalog
    markers' within-tissue z-scores (lines with none dropped); the mechanism scores feed the chain."""
    from chemorad.bundle import datasets as ds
    from chemorad.evidence.responses import responses
    from chemorad.evidence.scores import mechanism_scores

    sc = mechanism_scores(cat, data)
    resp = responses(cat, data)
    tissue = ds.cell_lines(data)["tissue"]
    return sc.markers.dropna(how="all"), resp, tissue, sc.scores


def usable_lines(y: pd.Series, features: pd.DataFrame, tissue: pd.Series, also: pd.DataFrame | None = None) -> pd.Index:
    """Lines with a finite response, a row of features, a tissue (and a row of `also`, when given), in y's order."""
    y = y.dropna()
    # plain sets, not Index.isin: on pandas' Arrow-backed string index isin cost ~10 ms a call (2 s of a 15 s fit)
    have = set(features.index).intersection(tissue.index[tissue.notna().to_numpy()])
    if also is not None:
        have &= set(also.index)
    return y.index[np.fromiter((i in have for i in y.index), dtype=bool, count=len(y))]


def fit_all(
    cat: Catalog,
    data: str | os.PathLike[str] | None = None,
    datasets: Iterable[str] = DATASETS,
    therapies: Iterable[str] | None = None,
    min_lines: int = MIN_LINES,
    exclude: Iterable[str] = (),
    progress=None,
    tables: tuple[pd.DataFrame, pd.DataFrame, pd.Series] | None = None,
    estimator: type | None = None,
    **params,
) -> ModelSet:
    """Fit a `ResponseModel` per response column of the catalog's therapies (`response_columns`). Lines need a
    response, a tissue and at least one score. Columns with fewer than `min_lines` such lines are skipped and listed in
    `ModelSet.skipped`. Lines in `exclude` are left out of training (the lines being predicted, so no prediction has
    seen its own response). `progress(k, n)` is called after each fit. `tables` = (scores, responses, tissue) skips
    loading the bundle. `estimator`: the class fitted (default `ResponseModel`); `params` go to it."""
    if estimator is None:  # imported here: scikit-learn is not loaded by a prediction from stored models
        from chemorad.profile.estimators import ResponseModel

        estimator = ResponseModel
    scores, resp, tissue = bundle_tables(cat, data)[:3] if tables is None else tables
    out = ModelSet()
    dropped = set(exclude)
    cols = response_columns(cat, resp.columns, datasets, therapies)
    per_therapy = has_chain(scores)  # the chain's columns, one per therapy: each model gets its own (`model_inputs`)
    for k, (col, tid) in enumerate(cols.items()):
        if progress is not None:
            progress(k, len(cols))
        y = resp[col].dropna()
        y = y[~y.index.isin(dropped)]
        lines = usable_lines(y, scores, tissue)
        if len(lines) < min_lines:
            out.skipped[col] = f"{len(lines)} lines with response, tissue and scores (< {min_lines})"
            continue
        X = scores.loc[lines]
        model = estimator(**params).fit(with_tissue(for_therapy(X, tid) if per_therapy else X, tissue), y.loc[lines])
        model.response_ = col
        out[col] = model
        out.therapy[col] = tid
    return out
