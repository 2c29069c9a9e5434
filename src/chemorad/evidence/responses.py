"""Response matrices: one column per (dataset, compound, metric), oriented so that higher means more resistant.

Columns are named `dataset|compound|metric`:

| dataset | metric | what | orientation |
| --- | --- | --- | --- |
| yard | auc | published area under the 9-day survival curve, 0-10 Gy (Yard et al. 2016) | higher = radioresistant |
| yard | sf2 | surviving fraction at 2 Gy of chemorad's LQ fit | higher = radioresistant |
| yard | neg_alpha | minus the LQ alpha (Gy^-1) of chemorad's fit | higher = radioresistant |
| gdsc1, gdsc2 | ln_ic50 | natural log of IC50 in uM | higher = resistant |
| gdsc1, gdsc2 | auc | area under the fitted dose-response curve | higher = resistant |
| ctrp | auc | CTRP v2 published AUC | higher = resistant |

Alpha is negated so that every response has one orientation: a positive association with a mechanism score then always
means "the mechanism goes with resistance". GDSC1, GDSC2 and CTRP are kept apart (they disagree in part).
"""

from __future__ import annotations

import os

import pandas as pd

from chemorad.bundle import datasets as ds
from chemorad.catalog.load import Catalog
from chemorad.catalog.registry import Modality, ResponseDataset, ResponseKey, datasets_for
from chemorad.evidence.curves import fit_lq, sf_columns


def column(dataset: str, compound: str, metric: str) -> str:
    return ResponseKey(dataset, compound, metric).column


def label(col: str) -> str:
    """'dataset|compound|metric' -> 'compound [dataset metric]'."""
    return ResponseKey.parse(col).label


def split(col: str) -> tuple[str, str, str]:
    key = ResponseKey.parse(col)
    return key.dataset, key.compound, key.metric


def _curve_sets(cat: Catalog) -> list[tuple[ResponseDataset, str]]:
    """(data set, the catalog's name for the radiation therapy in it) for every registered data set of survival
    curves (`ResponseDataset.survival_curves`) that the bundle holds and the catalog's radiotherapy names, in the
    bundle's order."""
    curves = {d.id: d for d in datasets_for(Modality.radiation) if d.survival_curves}
    names = cat.radiotherapy.datasets
    return [(curves[k], names[k]) for k in ds.RESPONSE_LOADERS if k in curves and k in names]


def radiation_responses(cat: Catalog, data: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Every registered data set of radiation survival curves in the bundle (Yard), under the catalog's name for its
    compound: each metric the registry declares, the published AUC (`datasets.AUC_COLUMN`) or chemorad's LQ fit of the
    curves (SF2, -alpha), negated where the registry says (`ResponseDataset.negated`) so that higher = more resistant.
    """
    frames = []
    for d, compound in _curve_sets(cat):
        table = ds.load_response(d.id, data)
        fits = fit_lq(table)
        lq = {"sf2": fits["sf2"], "neg_alpha": fits["alpha"]}  # as fitted; the registry says which to negate
        out = pd.DataFrame(index=table.index)
        for metric in d.metrics:
            value = table[ds.AUC_COLUMN[d.id]] if metric == "auc" else lq[metric].reindex(table.index)
            out[column(d.id, compound, metric)] = -value if metric in d.negated else value
        frames.append(out)
    return pd.concat(frames, axis=1) if frames else pd.DataFrame()


def radiation_dose_responses(cat: Catalog, data: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Radiation at full resolution, for every data set of survival curves (`radiation_responses`): the measured SF at
    every dose (`yard|radiotherapy|sf_<d>gy`), -alpha and -beta.

    -beta is oriented like -alpha: a larger beta kills more at high dose, so -beta is higher for radioresistant lines.
    """
    frames = []
    for d, compound in _curve_sets(cat):
        table = ds.load_response(d.id, data)
        fits = fit_lq(table)
        _, cols = sf_columns(table)
        out = pd.DataFrame(index=table.index)
        for c in cols:
            out[column(d.id, compound, c)] = table[c]
        out[column(d.id, compound, "neg_alpha")] = -fits["alpha"].reindex(table.index)
        out[column(d.id, compound, "neg_beta")] = -fits["beta"].reindex(table.index)
        frames.append(out)
    return pd.concat(frames, axis=1) if frames else pd.DataFrame()


def curve_tables(cat: Catalog, cols: list[str], data: str | os.PathLike[str] | None = None) -> dict[str, pd.DataFrame]:
    """Data set id -> its table of survival curves as published, for the data sets of survival curves among the
    response columns `cols` (what `margins.noise_table` takes for `sigma_lq`)."""
    wanted = {ResponseKey.parse(c).dataset for c in cols}
    return {d.id: ds.load_response(d.id, data) for d, _ in _curve_sets(cat) if d.id in wanted}


def drug_responses(
    cat: Catalog, data: str | os.PathLike[str] | None = None, all_compounds: bool = False
) -> pd.DataFrame:
    """Every registered drug data set's metrics (GDSC1/GDSC2 ln IC50 and AUC, CTRP AUC), for the catalog's drugs (or
    every compound with `all_compounds`); data sets in the bundle's order, metrics in the registry's."""
    drug_sets = {d.id: d for d in datasets_for(Modality.drug)}
    wanted: dict[str, set[str]] = {k: set() for k in drug_sets}
    for t in cat.therapies_of(Modality.drug):
        for dataset, name in t.datasets.items():
            wanted[dataset].add(name)
    frames = []
    for dataset in (k for k in ds.RESPONSE_LOADERS if k in drug_sets):
        long = ds.load_response(dataset, data)
        compound = ds.COMPOUND_COLUMN[dataset]
        if not all_compounds:
            long = long[long[compound].isin(wanted[dataset])]
        for metric in drug_sets[dataset].metrics:
            wide = ds.response_matrix(long, value=metric, column=compound)
            wide.columns = [column(dataset, d, metric) for d in wide.columns]
            frames.append(wide)
    return pd.concat(frames, axis=1)


def responses(cat: Catalog, data: str | os.PathLike[str] | None = None, all_compounds: bool = False) -> pd.DataFrame:
    """Every response, lines x columns (outer join over lines)."""
    return pd.concat([radiation_responses(cat, data), drug_responses(cat, data, all_compounds)], axis=1)


def therapy_columns(cat: Catalog, cols: pd.Index) -> dict[str, list[str]]:
    """Catalog therapy id -> its response columns (each therapy's `datasets` names it in each data set)."""
    out: dict[str, list[str]] = {}
    for t in cat.therapies.values():
        names = set(t.datasets.items())
        hits = [c for c in cols if split(c)[:2] in names]
        if hits:
            out[t.id] = hits
    return out
