"""The protein reader: an RPPA matrix (log2, median-centred as in CCLE), antibodies as in `ccle_rppa.csv`."""

from __future__ import annotations

import os
from dataclasses import dataclass

import pandas as pd

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
    return ProteinResult(
        matrix=m.matrix,
        orientation=m.orientation.replace("genes", "antibodies"),
        unknown_antibodies=m.unknown,
        source_ids=m.source_ids,
        path=str(path),
        notes=(f"orientation {m.orientation.replace('genes', 'antibodies')} ({m.note})",),
        warnings=m.warnings,
    )
