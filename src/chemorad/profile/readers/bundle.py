"""A `Profile` of a cell line of the data bundle, and the shaping of bundle layers into samples x features."""

from __future__ import annotations

import os

import pandas as pd

from chemorad.bundle import datasets as ds
from chemorad.bundle.names import canonical_name
from chemorad.errors import ChemoradError, closest
from chemorad.profile.readers.profile import Profile
from chemorad.profile.readers.tables import SAMPLE, _warn


def _driver(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[[c for c in frame.columns if str(c).endswith("_mut")]]


def _as_samples(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.drop(columns=[c for c in ("source_name",) if c in frame.columns])
    out.index = out.index.rename(SAMPLE)
    return out


#: Profile field or extra key -> (bundle data set whose `in_<flag>` column says the line is there, loader of some
#: lines' rows: read from the parse cache without the other lines)
_LAYERS = {
    "ccle_expression": ("ccle_expression", lambda data, lines: ds.load_ccle_expression(data=data, lines=lines)),
    "driver_mutation": (
        "genomic_features",
        lambda data, lines: _driver(ds.load_genomic_features(data=data, lines=lines)),
    ),
    "expression": ("expression", lambda data, lines: ds.load_expression(data=data, lines=lines)),
    "mutations": ("mutations", lambda data, lines: ds.load_mutations(data=data, lines=lines)),
    "copy_number": ("copy_number", lambda data, lines: ds.load_copy_number(data=data, lines=lines)),
    "protein": ("rppa", lambda data, lines: ds.load_rppa(data=data, lines=lines)),
}
_EXTRA = ("ccle_expression", "driver_mutation")


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
    fields: dict = {"extra": {}, "sources": {}}
    for layer, (flag, loader) in _LAYERS.items():
        if not bool(row[f"in_{flag}"]):
            continue
        frame = _as_samples(loader(data, [key]))
        if layer in _EXTRA:
            fields["extra"][layer] = frame
        else:
            fields[layer] = frame
        fields["sources"][layer] = ds.DATASETS[flag].filename
    fields["expression_scale"] = "log" if "expression" in fields else None
    messages: list[str] = []
    fields["tissue"] = _line_tissue(key, row, messages)
    fields["sources"]["tissue"] = "datasets.cell_lines()"
    return Profile(**fields, warnings=messages)


def _line_tissue(key: str, row: pd.Series, messages: list[str]) -> pd.DataFrame:
    """The one-row tissue table of a bundle line, from its row of `datasets.cell_lines()`."""
    known = isinstance(row["tissue"], str)
    if not known:
        _warn(messages, f"cell line {key!r}: no harmonised tissue in the bundle; predictions without tissue")
    return pd.DataFrame(
        {
            "tissue": [row["tissue"] if known else None],
            "tissue_given": [row["tissue"] if known else None],
            "source": [row["tissue_source"]],
            "known": [known],
            "note": [row["tissue_conflict"] if known else "no harmonised tissue in the bundle"],
        },
        index=pd.Index([key], name=SAMPLE, dtype=object),
    )
