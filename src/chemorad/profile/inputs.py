"""Loading one tumour's (or several samples') molecular inputs, and the JSON records of a prediction.

Shared by the command line, the demo and the report: exactly one kind of input (a bundle-layout folder, molecular
files, or bundle cell lines) becomes one `Profile`.
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from chemorad.errors import ChemoradError
from chemorad.profile.predict import Predictions
from chemorad.profile.readers import Profile, ProfileWarning, from_cell_line, read_profiles_dir, tissue_label

SCALES = ("auto", "tpm", "log", "z")
ORIENTATIONS = ("auto", "genes_x_samples", "samples_x_genes")


def load_profile(  # noqa: PLR0913 - one argument per input kind the command line accepts
    profiles: Path | None = None,
    maf: Path | None = None,
    expression: Path | None = None,
    copy_number: Path | None = None,
    protein: Path | None = None,
    tissues: Path | None = None,
    tissue: str | None = None,
    cell_lines: list[str] | None = None,
    scale: str = "auto",
    data: Path | None = None,
    orientation: str = "auto",
) -> Profile:
    """The Profile from exactly one kind of input: --profiles DIR, molecular files, or --cell-line NAME(s)."""
    files = {"--maf": maf, "--expression": expression, "--copy-number": copy_number, "--protein": protein}
    kinds = [
        k
        for k, given in (("--profiles", profiles), ("files", any(files.values())), ("--cell-line", cell_lines))
        if given
    ]
    if len(kinds) != 1:
        what = "none" if not kinds else " and ".join(kinds)
        raise ChemoradError(
            f"input: give exactly one of --profiles DIR, molecular files (--maf/--expression/--copy-number/--protein), "
            f"or --cell-line NAME (got {what})"
        )
    if scale not in SCALES:
        raise ChemoradError(f"--scale {scale}: expected one of {', '.join(SCALES)}")
    if orientation not in ORIENTATIONS:
        raise ChemoradError(f"--orientation {orientation}: expected one of {', '.join(ORIENTATIONS)}")
    if tissues is not None and kinds[0] != "files":
        raise ChemoradError("--tissues: only with molecular files (a bundle folder or cell line carries its tissue)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ProfileWarning)  # kept in Profile.warnings and printed once below
        if profiles is not None:
            if not profiles.is_dir():
                raise ChemoradError(f"--profiles {profiles}: not a folder")
            prof = read_profiles_dir(profiles, reference=data)
        elif cell_lines:
            profs = [from_cell_line(name, data) for name in cell_lines]
            prof = profs[0] if len(profs) == 1 else _merge(profs)
        else:
            prof = Profile.from_files(
                expression, maf, copy_number, protein, tissues, scale=scale, orientation=orientation, data=data
            )
    if tissue is not None:
        prof = _with_tissue(prof, tissue)
    return prof


def _merge(profs: list[Profile]) -> Profile:
    """Several single-line bundle Profiles as one (layers concatenated; a layer absent for a line is absent there)."""

    def cat(frames: list[pd.DataFrame | None]) -> pd.DataFrame | None:
        present = [f for f in frames if f is not None]
        return pd.concat(present) if present else None

    out = Profile(
        expression=cat([p.expression for p in profs]),
        expression_scale="log" if any(p.expression is not None for p in profs) else None,
        mutations=cat([p.mutations for p in profs]),
        copy_number=cat([p.copy_number for p in profs]),
        protein=cat([p.protein for p in profs]),
        tissue=cat([p.tissue for p in profs]),
        extra={key: cat([p.extra.get(key) for p in profs]) for key in {k for p in profs for k in p.extra}},
        sources={k: v for p in profs for k, v in p.sources.items()},
        warnings=[w for p in profs for w in p.warnings],
    )
    if out.samples and len(set(out.samples)) != len(out.samples):
        raise ChemoradError("--cell-line: the same line was given twice")
    return out


def _with_tissue(prof: Profile, label: str) -> Profile:
    mapped, source, known, note = tissue_label(label)
    added = () if known else (f"--tissue {label!r}: {note}; predictions are made without a tissue adjustment",)
    rows = pd.DataFrame(
        {"tissue": mapped, "tissue_given": label, "source": source, "known": known, "note": note},
        index=pd.Index(prof.samples, name="sample", dtype=object),
    )
    if prof.tissue is not None:
        have = prof.tissue[prof.tissue["known"].astype(bool)] if "known" in prof.tissue else prof.tissue
        rows.update(have)
        rows["known"] = rows["known"].astype(bool)
    sources = dict(prof.sources)
    sources.setdefault("tissue", "--tissue")
    return replace(prof, tissue=rows, sources=sources, warnings=(*prof.warnings, *added))


RECORD_KEYS = (
    "sample",
    "therapy",
    "dataset",
    "metric",
    "predicted",
    "interval_low",
    "interval_high",
    "clipped",
    "percentile_in_tissue",
    "top_mechanisms",
    "tissue",
    "unseen_tissue",
    "chain_resistance_factor",
    "model_direction",
    "chain_direction",
    "disagreement",
    "cross_resistant_with",
)


def _clean(v):
    if isinstance(v, float) and not np.isfinite(v):
        return None
    return v


def records(pred: Predictions) -> list[dict]:
    """The JSON records: the keys of `RECORD_KEYS` (NaN -> null), plus 'mechanistic_share' (the damage chain's share
    of the prediction, `gene_models`) when the estimator reports it."""
    extra = ["mechanistic_share"] if "mechanistic_share" in pred.records.columns else []
    frame = pred.records.reindex(columns=[*RECORD_KEYS, *extra])
    return [{k: _clean(v) for k, v in row.items()} for row in frame.to_dict("records")]
