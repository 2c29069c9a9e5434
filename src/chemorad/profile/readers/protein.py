"""The protein reader: an RPPA matrix (log2, median-centred as in CCLE), antibodies as in `ccle_rppa.csv`."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from chemorad.errors import ChemoradError
from chemorad.profile.readers.tables import Orientation, _read_matrix
from chemorad.profile.readers.vocabulary import known_antibodies


@dataclass(frozen=True)
class ProteinResult:
    """RPPA protein levels, samples x antibodies (float; log2, median-centred as in CCLE), antibodies named as in
    `ccle_rppa.csv` (e.g. 'RAD51', 'Bcl-2', 'Ku80_Caution')."""

    matrix: pd.DataFrame
    orientation: str
    unknown_antibodies: tuple[str, ...]
    source_ids: dict[str, str]
    path: str
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


#: largest |log2 level| a median-centred RPPA value can hold here: the bundle's `ccle_rppa.csv` (626 lines x 214
#: antibodies) spans -5.3 to 8.7, and 20 log2 units is a millionfold change from the cohort median, beyond any assay
_PROTEIN_LIMIT = 20.0


def _check_protein(values: pd.DataFrame, where: str) -> None:
    """Refuse a protein level outside +-`_PROTEIN_LIMIT` (or infinite), naming the file, sample and antibody."""
    arr = values.to_numpy(dtype=float)
    bad = np.abs(np.nan_to_num(arr, nan=0.0)) > _PROTEIN_LIMIT  # infinities become the largest float: refused
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise ChemoradError(
            f"{where}: value {arr[r, c]:.6g} for sample {values.index[r]!r}, antibody {values.columns[c]!r} is "
            f"impossible for RPPA ({int(bad.sum())} such value(s)); expected log2 levels, median-centred, within "
            f"+-{_PROTEIN_LIMIT:g} (the bundle's span -5.3 to 8.7)"
        )


def read_protein(
    path: str | os.PathLike[str],
    orientation: Orientation = "auto",
    data: str | os.PathLike[str] | None = None,
) -> ProteinResult:
    """Read an RPPA matrix (samples x antibodies, or antibodies x samples; detected against `known_antibodies`).

    Antibody names must be spelled as in the bundle's `ccle_rppa.csv` (the `_Caution` suffix included); others are
    kept with a warning. `ccle_name`, `depmap_id`, `COSMIC_ID` and `tissue` columns are skipped.
    Values: log2, median-centred across a cohort (Li et al. 2017, Cancer Cell 31:225).
    """
    m = _read_matrix(path, known_antibodies(data), orientation, "antibody")
    _check_protein(m.matrix, str(path))
    return ProteinResult(
        matrix=m.matrix,
        orientation=m.orientation.replace("genes", "antibodies"),
        unknown_antibodies=m.unknown,
        source_ids=m.source_ids,
        path=str(path),
        notes=(f"orientation {m.orientation.replace('genes', 'antibodies')} ({m.note})",),
        warnings=m.warnings,
    )
