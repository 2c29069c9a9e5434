"""A `Profile` from a folder laid out like the data bundle (same file names, any subset of the files)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from chemorad.bundle import datasets as ds
from chemorad.bundle.names import canonical_name, harmonise_tissue, split_ccle_name
from chemorad.errors import ChemoradError
from chemorad.profile.readers.bundle import _as_samples, _driver
from chemorad.profile.readers.profile import Profile
from chemorad.profile.readers.tables import SAMPLE, _listed, _warn

_PROFILE_FILES = ("expression", "mutations", "copy_number", "rppa", "ccle_expression", "genomic_features")
#: bundle file -> (Profile field or extra key, loader of the folder's file); expression is read apart (floor genes)
_LAYER_OF: dict[str, tuple[str, Callable[[Path], pd.DataFrame]]] = {
    "mutations": ("mutations", lambda root: ds.load_mutations(data=root)),
    "copy_number": ("copy_number", lambda root: ds.load_copy_number(data=root)),
    "rppa": ("protein", lambda root: ds.load_rppa(data=root)),
    "ccle_expression": ("ccle_expression", lambda root: ds.load_ccle_expression(data=root)),
    "genomic_features": ("driver_mutation", lambda root: _driver(ds.load_genomic_features(data=root))),
}
_EXTRA = ("ccle_expression", "driver_mutation")


def read_profiles_dir(
    path: str | os.PathLike[str],
    reference: str | os.PathLike[str] | None = None,
) -> Profile:
    """A Profile from a directory laid out like the data bundle (same file names, any subset of the files).

    Read with the bundle's own loaders (`datasets.load_expression(data=path)` etc.; they do not verify checksums, so
    new files load). Layers: gdsc_expression.parquet -> expression ('log', RMA); gdsc_mutations.parquet -> mutations;
    gdsc_copy_number.parquet -> copy_number; ccle_rppa.csv -> protein; ccle_census_expression_z.csv ->
    extra['ccle_expression']; gdsc_genomic_features_v17.csv -> extra['driver_mutation']. Expression floor genes
    (`datasets.floor_genes`) are taken from the `reference` bundle (default: the usual bundle), not from the few
    lines here, whose standard deviation says nothing; without a reference bundle they are kept, with a warning.
    Tissue: majority of the CCLE name suffix, Yard `tissue` and GDSC `tissue_gdsc2` (else `tissue_gdsc1`, else
    `TISSUE_FACTOR`), as `datasets.cell_lines()` does. Loads are cached per directory (`datasets.clear_cache()` after
    changing files). Sample ids are canonical cell-line names.
    """
    root = ds.data_dir(path)
    present = {n for n in (*_PROFILE_FILES, *_tissue_files()) if (root / ds.DATASETS[n].filename).is_file()}
    if not any(n in present for n in _PROFILE_FILES):
        wanted = ", ".join(ds.DATASETS[n].filename for n in _PROFILE_FILES)
        raise ChemoradError(f"{root}: no profile file found; expected at least one of {wanted}")
    messages: list[str] = []
    fields: dict = {"extra": {}, "sources": {}, "notes": []}
    if "expression" in present:
        fields.update(_expression(root, reference, messages))
    for name, (layer, load) in _LAYER_OF.items():
        if name in present:
            frame = _as_samples(load(root))
            if layer in _EXTRA:
                fields["extra"][layer] = frame
            else:
                fields[layer] = frame
            fields["sources"][layer] = ds.DATASETS[name].filename
    if present & set(_tissue_files()):
        fields["tissue"] = _dir_tissue(root, present, messages)
        fields["sources"]["tissue"] = ", ".join(ds.DATASETS[n].filename for n in _tissue_files() if n in present)
    return Profile(**fields, warnings=messages).checked()


def _tissue_files() -> tuple[str, ...]:
    """The annotation files that carry a tissue: the GDSC line table, every response table with a tissue column
    (`datasets.TISSUE_COLUMN`, e.g. the radiation screen), CCLE RPPA (its CCLE names) and the GDSC genomic features."""
    return ("cell_lines", *ds.TISSUE_COLUMN, "rppa", "genomic_features")


def _expression(root: Path, reference: str | os.PathLike[str] | None, messages: list[str]) -> dict:
    """The expression fields of a folder: GDSC RMA levels without the reference bundle's floor genes."""
    expr = ds.load_expression(data=root, drop_floor=False)
    try:
        floor = set(ds.floor_genes(reference))
    except ChemoradError:
        floor = None
        _warn(messages, f"{root}: no reference data bundle; floor-value expression genes kept")
    if floor:
        expr = expr.loc[:, ~expr.columns.isin(floor)]
    name = ds.DATASETS["expression"].filename
    return {
        "expression": _as_samples(expr),
        "expression_scale": "log",
        "sources": {"expression": name},
        "notes": [f"{name}: expression scale 'log' (the bundle layout: GDSC RMA log2 levels)"],
    }


def _tissue_labels(root: Path, present: set[str]) -> Iterable[tuple[str, str, object, str]]:
    """(line, source, label, vocabulary) for every tissue label in the folder's annotation files."""
    if "rppa" in present:
        raw = pd.read_csv(root / ds.DATASETS["rppa"].filename, usecols=["cell_line", "ccle_name"])
        for line, ccle in zip(raw["cell_line"], raw["ccle_name"], strict=True):
            yield canonical_name(line), "ccle", ccle, "ccle_name"
    for dataset, (column, vocabulary) in ds.TISSUE_COLUMN.items():  # a response table's published tissue
        if dataset in present:
            for line, t in ds.load_response(dataset, root)[column].items():
                yield line, dataset, t, vocabulary
    if "cell_lines" in present:
        cl = ds.load_cell_lines(data=root)
        for col in ("tissue_gdsc2", "tissue_gdsc1"):
            for line, t in cl[col].items():
                yield line, col, t, "gdsc"
    if "genomic_features" in present:
        for line, t in ds.load_genomic_features(data=root)["TISSUE_FACTOR"].items():
            yield line, "TISSUE_FACTOR", t, "gdsc"


def _harmonised(label: object, vocabulary: str) -> str | None:
    """The harmonised tissue of one label (None when the vocabulary does not map it)."""
    try:
        return harmonise_tissue(label, vocabulary) if vocabulary != "ccle_name" else split_ccle_name(label)[1]
    except KeyError:
        return None


def _dir_tissue(root: Path, present: set[str], messages: list[str]) -> pd.DataFrame:
    """Tissue per line from whichever annotation files are present (the vote of `datasets.cell_lines`)."""
    votes: dict[str, list[tuple[str, str]]] = {}
    given: dict[str, str] = {}
    for line, source, label, vocabulary in _tissue_labels(root, present):
        votes.setdefault(line, [])
        if label is None or (isinstance(label, float) and np.isnan(label)):
            continue
        given.setdefault(line, str(label))
        mapped = _harmonised(label, vocabulary)
        if mapped:
            votes[line].append((source, mapped))
    rows = {}
    for line, v in votes.items():
        tissue, source, _ = ds._pick_tissue(v)  # the same rule as datasets.cell_lines()
        known = tissue is not None
        rows[line] = {
            "tissue": tissue if known else given.get(line),
            "tissue_given": given.get(line),
            "source": source,
            "known": known,
            "note": "" if known else "no harmonised tissue in the annotation files",
        }
    out = pd.DataFrame.from_dict(rows, orient="index", columns=["tissue", "tissue_given", "source", "known", "note"])
    out.index = pd.Index(out.index, name=SAMPLE, dtype=object)
    out = out.sort_index()
    out["known"] = out["known"].astype(bool)
    unknown = out.index[~out["known"]]
    if len(unknown):
        _warn(messages, f"{root}: {len(unknown)} line(s) without a harmonised tissue: {_listed(unknown)}")
    return out
