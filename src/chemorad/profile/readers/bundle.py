"""A `Profile` of a cell line of the data bundle, and the shaping of bundle layers into samples x features."""

from __future__ import annotations

import os

import pandas as pd

from chemorad.errors import ChemoradError, closest
from chemorad.evidence import datasets as ds
from chemorad.evidence.names import canonical_name
from chemorad.profile.readers.profile import Profile
from chemorad.profile.readers.tables import SAMPLE, _warn


def _driver(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[[c for c in frame.columns if str(c).endswith("_mut")]]


def _as_samples(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.drop(columns=[c for c in ("source_name",) if c in frame.columns])
    out.index = out.index.rename(SAMPLE)
    return out


def from_cell_line(name: str, data: str | os.PathLike[str] | None = None) -> Profile:
    """The Profile of a cell line of the data bundle (name in any spelling, via `names.canonical_name`).

    Layers as the bundle loaders return them: GDSC expression ('log', RMA, floor genes dropped), GDSC mutations and
    copy number, CCLE RPPA, CCLE RNA-seq z-scores (extra 'ccle_expression'), GDSC driver features (extra
    'driver_mutation'), and the tissue of `datasets.cell_lines()`. A layer that lacks the line is None.
    Unknown name -> ChemoradError with the closest known names.
    """
    lines = ds.cell_lines(data)
    key = canonical_name(name)
    if key not in lines.index:
        hint = closest(key, lines.index)
        tail = f"; closest: {', '.join(hint)}" if hint else ""
        raise ChemoradError(f"unknown cell line {name!r} (as {key!r}) in the data bundle{tail}")
    row = lines.loc[key]

    def one(flag: str, loader) -> pd.DataFrame | None:
        if not bool(row[f"in_{flag}"]):
            return None
        frame = loader()
        return _as_samples(frame.loc[[key]])

    prof = Profile()
    prof.expression = one("expression", lambda: ds.load_expression(data=data))
    prof.expression_scale = "log" if prof.expression is not None else None
    prof.mutations = one("mutations", lambda: ds.load_mutations(data=data))
    prof.copy_number = one("copy_number", lambda: ds.load_copy_number(data=data))
    prof.protein = one("rppa", lambda: ds.load_rppa(data=data))
    for extra, flag, loader in (
        ("ccle_expression", "ccle_expression", lambda: ds.load_ccle_expression(data=data)),
        ("driver_mutation", "genomic_features", lambda: _driver(ds.load_genomic_features(data=data))),
    ):
        frame = one(flag, loader)
        if frame is not None:
            prof.extra[extra] = frame
            prof.sources[extra] = ds.DATASETS[flag].filename
    for layer, flag in (
        ("expression", "expression"),
        ("mutations", "mutations"),
        ("copy_number", "copy_number"),
        ("protein", "rppa"),
    ):
        if getattr(prof, layer) is not None:
            prof.sources[layer] = ds.DATASETS[flag].filename
    known = isinstance(row["tissue"], str)
    prof.tissue = pd.DataFrame(
        {
            "tissue": [row["tissue"] if known else None],
            "tissue_given": [row["tissue"] if known else None],
            "source": [row["tissue_source"]],
            "known": [known],
            "note": [row["tissue_conflict"] if known else "no harmonised tissue in the bundle"],
        },
        index=pd.Index([key], name=SAMPLE, dtype=object),
    )
    prof.sources["tissue"] = "datasets.cell_lines()"
    if not known:
        _warn(prof.warnings, f"cell line {key!r}: no harmonised tissue in the bundle; predictions without tissue")
    return prof
