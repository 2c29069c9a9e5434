"""The expression reader: a matrix in either orientation, its scale detected (TPM, log2 or z) and checked, and
standardisation of log levels to a reference cohort's z-scores."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import pandas as pd

from chemorad.errors import ChemoradError
from chemorad.profile.readers.tables import Orientation, _read_matrix, _warn
from chemorad.profile.readers.vocabulary import known_genes

Scale = Literal["auto", "tpm", "log", "z"]

#: auto scale detection: a maximum above this is a linear scale (TPM/FPKM); log2 data stay below ~20
_LINEAR_MAX = 50.0


@dataclass(frozen=True)
class ExpressionResult:
    """Expression, samples x genes (float).

    scale: the scale of `matrix`: 'log' (log2: RMA as in GDSC, or log2(TPM+1) converted from TPM) or 'z' (z-scores
    across some cohort, as the bundle's CCLE layer; never to be mixed with log levels). input_scale: the scale of the
    file ('tpm', 'log' or 'z'). orientation: the file's layout ('genes_x_samples' or 'samples_x_genes').
    notes: how orientation and scale were decided.
    """

    matrix: pd.DataFrame
    scale: str
    input_scale: str
    orientation: str
    unknown_genes: tuple[str, ...]
    source_ids: dict[str, str]
    path: str
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    def standardise_to(self, reference: pd.DataFrame) -> ExpressionResult:
        """This expression as z-scores against `reference` (lines x genes); see the function `standardise_to`."""
        z, messages = _standardise(self.matrix, self.scale, reference)
        return replace(self, matrix=z, scale="z", warnings=self.warnings + tuple(messages))


def _detect_scale(values: pd.DataFrame, where: str) -> tuple[str, str]:
    """The scale of an expression matrix when it is unambiguous; otherwise a one-line error asking for --scale.

    Linear TPM/FPKM: some value above `_LINEAR_MAX` (50; log2 levels above 50 would be a 2^50-fold range). z-scores:
    negative values with the median within [-1, 1]. Non-negative values all at most 50 are refused: log2 levels
    (RMA 2-14, log2(TPM+1) 0-20) and TPM of a panel of modest genes look alike there, and reading TPM as log2 puts
    a sample at the extremes of every reference (a silently wrong prediction).
    """
    finite = values.to_numpy(dtype=float)
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        raise ChemoradError(f"{where}: no numeric values; expected expression levels")
    lo, hi, med = float(finite.min()), float(finite.max()), float(np.median(finite))
    summary = f"min {lo:.3g}, median {med:.3g}, max {hi:.3g}"
    if lo < 0:
        if hi <= _LINEAR_MAX and abs(med) <= 1.0:
            return "z", f"{where}: expression scale 'z' detected (negative values, median near 0: {summary})"
        raise ChemoradError(
            f"{where}: cannot tell the expression scale ({summary}: negative values but not centred); "
            "pass --scale tpm, --scale log or --scale z"
        )
    if hi > _LINEAR_MAX:
        return "tpm", (
            f"{where}: expression scale 'tpm' detected (max above {_LINEAR_MAX:g}: {summary}); converted to log2(TPM+1)"
        )
    raise ChemoradError(
        f"{where}: cannot tell the expression scale ({summary}: log2 levels and TPM below {_LINEAR_MAX:g} look alike); "
        "pass --scale log or --scale tpm"
    )


#: largest value each expression scale can hold: TPM sums to 1e6 per sample; log2(1e6 + 1) < 20; a z-score across n
#: samples is at most (n - 1) / sqrt(n), 100 for n = 10,000
_SCALE_LIMIT = {"tpm": 1e6, "log": 20.0, "z": 100.0}


def _check_plausible(values: pd.DataFrame, scale: str, where: str) -> None:
    """Refuse a value its scale cannot hold, naming the file, sample and gene."""
    arr = values.to_numpy(dtype=float)
    limit = _SCALE_LIMIT[scale]
    bad = np.abs(arr) > limit if scale == "z" else arr > limit
    if scale == "tpm":
        bad |= arr < 0
    if bad.any():
        r, c = np.argwhere(bad)[0]
        expected = {"tpm": "TPM in [0, 1e6]", "log": "log2 levels at most 20", "z": "z-scores within +-100"}[scale]
        raise ChemoradError(
            f"{where}: value {arr[r, c]:.6g} for sample {values.index[r]!r}, gene {values.columns[c]!r} is impossible "
            f"on the {scale} scale ({int(bad.sum())} such value(s)); expected {expected} (check the file or --scale)"
        )


def read_expression(
    path: str | os.PathLike[str],
    scale: Scale = "auto",
    orientation: Orientation = "auto",
    data: str | os.PathLike[str] | None = None,
) -> ExpressionResult:
    """Read an expression matrix (TSV, CSV or Parquet; separator from the extension, else sniffed).

    Orientation ('auto'): the axis with more gene symbols known to `known_genes(data)` (catalog + bundle expression
    columns) is the gene axis. In 'genes_x_samples' files the gene column is the first one named Hugo_Symbol,
    Gene Symbol, gene_symbol, symbol, gene_name or gene, else the first column; Entrez_Gene_Id, Locus ID, Cytoband and
    similar annotation columns are skipped. In 'samples_x_genes' files the first column holds sample ids.
    Scale: 'tpm' (linear TPM/FPKM, converted to log2(x+1)), 'log' (log2 levels, kept), 'z' (z-scores, kept and flagged);
    'auto' detects: negative values with median within [-1, 1] -> 'z'; max > 50 -> 'tpm'; anything else is
    ambiguous and refused (`_detect_scale`). Values a scale cannot hold (TPM above 1e6 or negative, log2 above 20,
    |z| above 100, infinities) are refused, naming the sample and gene.
    Errors: non-numeric cell (named by sample and gene), repeated sample id, no recognisable gene axis.
    Repeated genes are averaged with a warning; unknown genes are kept with a warning.
    """
    if scale not in ("auto", "tpm", "log", "z"):
        raise ChemoradError(f"--scale {scale}: expected auto, tpm, log or z")
    m = _read_matrix(path, known_genes(data), orientation, "gene")
    where = str(path)
    values = m.matrix
    if scale == "auto":
        scale, scale_note = _detect_scale(values, where)
    else:
        scale_note = f"{where}: expression scale {scale!r} (given with --scale)"
    _check_plausible(values, scale, where)
    if scale == "tpm":
        out, out_scale = np.log2(values + 1.0), "log"
    else:
        out, out_scale = values, scale
    return ExpressionResult(
        matrix=out,
        scale=out_scale,
        input_scale=scale,
        orientation=m.orientation,
        unknown_genes=m.unknown,
        source_ids=m.source_ids,
        path=where,
        notes=(f"orientation {m.orientation} ({m.note})", scale_note),
        warnings=m.warnings,
    )


def _standardise(values: pd.DataFrame, scale: str, reference: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    if scale == "z":
        return values.copy(), []
    if scale != "log":
        raise ChemoradError(f"--scale {scale}: expected log or z here (TPM is converted by read_expression first)")
    messages: list[str] = []
    shared = [g for g in values.columns if g in reference.columns]
    mean = reference[shared].mean(axis=0)
    sd = reference[shared].std(axis=0)
    usable = [g for g in shared if np.isfinite(sd[g]) and sd[g] > 0]
    dropped = len(values.columns) - len(usable)
    if dropped:
        _warn(messages, f"standardise_to: {dropped} gene(s) absent from the reference or constant there were dropped")
    z = (values[usable] - mean[usable]) / sd[usable]
    return z, messages


def standardise_to(values: pd.DataFrame, reference: pd.DataFrame, scale: str = "log") -> pd.DataFrame:
    """Map samples (samples x genes) onto `reference`'s per-gene distribution (reference lines x genes).

    scale 'log': z = (x - mean_ref) / sd_ref per gene (sd with ddof=1), for genes present and non-constant in the
    reference (others dropped with a warning). scale 'z': returned unchanged (already z-scores; a second
    standardisation would mix cohorts). Use the same platform for both (e.g. GDSC RMA for `load_expression`): a
    log2(TPM+1) sample z-scored against RMA levels carries the platform offset.
    """
    return _standardise(values, scale, reference)[0]
