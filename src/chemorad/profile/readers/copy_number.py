"""The copy-number reader: GISTIC thresholded calls (-2..2), either orientation, -> -1/0/1 calls."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from chemorad.errors import ChemoradError
from chemorad.profile.readers.tables import Orientation, _read_matrix
from chemorad.profile.readers.vocabulary import known_genes


@dataclass(frozen=True)
class CopyNumberResult:
    """Copy-number calls, samples x genes. calls: int8 -1 (raw <= -1, loss), 0, 1 (raw >= 1, gain), the bundle's
    convention (GDSC); raw: the GISTIC thresholded calls -2..2 as given (deep deletion -2, amplification 2);
    missing values are NaN in both (float)."""

    calls: pd.DataFrame
    raw: pd.DataFrame
    orientation: str
    unknown_genes: tuple[str, ...]
    source_ids: dict[str, str]
    path: str
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


def read_copy_number(
    path: str | os.PathLike[str],
    orientation: Orientation = "auto",
    data: str | os.PathLike[str] | None = None,
) -> CopyNumberResult:
    """Read GISTIC-style thresholded copy-number calls (-2, -1, 0, 1, 2), either orientation (as `read_expression`).

    E.g. GISTIC2 `all_thresholded.by_genes.txt` (Gene Symbol, Locus ID, Cytoband, one column per sample) or cBioPortal
    `data_CNA.txt` (Hugo_Symbol, Entrez_Gene_Id, samples). Values must be integers in -2..2 (empty/NA = missing);
    segment means or log2 ratios are rejected.
    """
    m = _read_matrix(path, known_genes(data), orientation, "gene")
    raw = m.matrix
    arr = raw.to_numpy()
    bad = np.isfinite(arr) & ((arr != np.round(arr)) | (np.abs(arr) > 2))
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise ChemoradError(
            f"{path}: value {arr[r, c]:g} for sample {raw.index[r]!r}, gene {raw.columns[c]!r}; expected GISTIC "
            "thresholded calls -2, -1, 0, 1, 2 (not segment means or log2 ratios)"
        )
    calls = raw.clip(lower=-1, upper=1)
    if not np.isnan(arr).any():
        calls, raw = calls.astype(np.int8), raw.astype(np.int8)
    return CopyNumberResult(
        calls=calls,
        raw=raw,
        orientation=m.orientation,
        unknown_genes=m.unknown,
        source_ids=m.source_ids,
        path=str(path),
        notes=(f"orientation {m.orientation} ({m.note})",),
        warnings=m.warnings,
    )
