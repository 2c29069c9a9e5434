"""A `Profile` from a folder laid out like the data bundle (same file names, any subset of the files)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from chemorad.errors import ChemoradError
from chemorad.evidence import datasets as ds
from chemorad.evidence.names import canonical_name, harmonise_tissue, split_ccle_name
from chemorad.profile.readers.bundle import _as_samples, _driver
from chemorad.profile.readers.profile import Profile
from chemorad.profile.readers.tables import SAMPLE, _listed, _warn

_PROFILE_FILES = ("expression", "mutations", "copy_number", "rppa", "ccle_expression", "genomic_features")
_TISSUE_FILES = ("cell_lines", "yard", "rppa", "genomic_features")


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
    present = {n for n in (*_PROFILE_FILES, *_TISSUE_FILES) if (root / ds.DATASETS[n].filename).is_file()}
    molecular = [n for n in _PROFILE_FILES if n in present]
    if not molecular:
        wanted = ", ".join(ds.DATASETS[n].filename for n in _PROFILE_FILES)
        raise ChemoradError(f"{root}: no profile file found; expected at least one of {wanted}")
    prof = Profile()
    fname = {n: ds.DATASETS[n].filename for n in ds.DATASETS}
    if "expression" in present:
        expr = ds.load_expression(data=root, drop_floor=False)
        try:
            floor = set(ds.floor_genes(reference))
        except ChemoradError:
            floor = None
            _warn(prof.warnings, f"{root}: no reference data bundle; floor-value expression genes kept")
        if floor:
            expr = expr.loc[:, ~expr.columns.isin(floor)]
        prof.expression, prof.expression_scale = _as_samples(expr), "log"
        prof.sources["expression"] = fname["expression"]
        prof.notes.append(f"{fname['expression']}: expression scale 'log' (the bundle layout: GDSC RMA log2 levels)")
    if "mutations" in present:
        prof.mutations = _as_samples(ds.load_mutations(data=root))
        prof.sources["mutations"] = fname["mutations"]
    if "copy_number" in present:
        prof.copy_number = _as_samples(ds.load_copy_number(data=root))
        prof.sources["copy_number"] = fname["copy_number"]
    if "rppa" in present:
        prof.protein = _as_samples(ds.load_rppa(data=root))
        prof.sources["protein"] = fname["rppa"]
    if "ccle_expression" in present:
        prof.extra["ccle_expression"] = _as_samples(ds.load_ccle_expression(data=root))
        prof.sources["ccle_expression"] = fname["ccle_expression"]
    if "genomic_features" in present:
        prof.extra["driver_mutation"] = _as_samples(_driver(ds.load_genomic_features(data=root)))
        prof.sources["driver_mutation"] = fname["genomic_features"]
    if present & set(_TISSUE_FILES):
        prof.tissue = _dir_tissue(root, present, prof.warnings)
        prof.sources["tissue"] = ", ".join(fname[n] for n in _TISSUE_FILES if n in present)
    prof.check_consistency()
    return prof


def _dir_tissue(root: Path, present: set[str], messages: list[str]) -> pd.DataFrame:  # noqa: C901 - one vote per annotation file, kept together for reading
    """Tissue per line from whichever annotation files are present (the vote of `datasets.cell_lines`)."""
    votes: dict[str, list[tuple[str, str]]] = {}
    given: dict[str, str] = {}

    def vote(line: str, source: str, label: object, vocabulary: str) -> None:
        votes.setdefault(line, [])
        if label is None or (isinstance(label, float) and np.isnan(label)):
            return
        given.setdefault(line, str(label))
        try:
            mapped = harmonise_tissue(label, vocabulary) if vocabulary != "ccle_name" else split_ccle_name(label)[1]
        except KeyError:
            return
        if mapped:
            votes[line].append((source, mapped))

    if "rppa" in present:
        raw = pd.read_csv(root / ds.DATASETS["rppa"].filename, usecols=["cell_line", "ccle_name"])
        for line, ccle in zip(raw["cell_line"], raw["ccle_name"], strict=True):
            vote(canonical_name(line), "ccle", ccle, "ccle_name")
    if "yard" in present:
        for line, t in ds.load_yard(data=root)["tissue_yard"].items():
            vote(line, "yard", t, "yard")
    if "cell_lines" in present:
        cl = ds.load_cell_lines(data=root)
        for col in ("tissue_gdsc2", "tissue_gdsc1"):
            for line, t in cl[col].items():
                vote(line, col, t, "gdsc")
    if "genomic_features" in present:
        for line, t in ds.load_genomic_features(data=root)["TISSUE_FACTOR"].items():
            vote(line, "TISSUE_FACTOR", t, "gdsc")
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
