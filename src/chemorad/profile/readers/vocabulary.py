"""The gene symbols and RPPA antibody names the readers recognise: the catalog's and the data bundle's."""

from __future__ import annotations

import functools
import os

import pandas as pd

from chemorad.bundle import datasets as ds
from chemorad.errors import ChemoradError


@functools.lru_cache(maxsize=8)
def _bundle_columns(directory: str | None, filenames: tuple[str, ...]) -> frozenset[str]:
    try:
        root = ds.data_dir(directory)
    except ChemoradError:
        return frozenset()
    import pyarrow.parquet as pq  # here: an import a prediction from the parse cache does not need

    out: set[str] = set()
    for name in filenames:
        path = root / name
        if path.suffix == ".parquet" and path.is_file():
            out.update(pq.read_schema(path).names)
        elif path.is_file():
            out.update(pd.read_csv(path, nrows=0).columns)
    return frozenset(out - {"cell_line", "ccle_name", "depmap_id"})


def known_genes(data: str | os.PathLike[str] | None = None) -> frozenset[str]:
    """Gene symbols the readers recognise: the catalog's genes plus the bundle's expression columns (GDSC + CCLE).

    Without a data bundle (`datasets.data_dir` fails) only the catalog's genes are known.
    """
    from chemorad.catalog import catalog

    genes = {g for g in catalog().genes() if "*" not in g}
    files = (ds.DATASETS["expression"].filename, ds.DATASETS["ccle_expression"].filename)
    return frozenset(genes | _bundle_columns(None if data is None else str(data), files))


def known_antibodies(data: str | os.PathLike[str] | None = None) -> frozenset[str]:
    """RPPA antibody names the readers recognise: the columns of the bundle's `ccle_rppa.csv` and
    `evidence.scores.RPPA_ANTIBODY`."""
    from chemorad.evidence.scores import RPPA_ANTIBODY

    files = (ds.DATASETS["rppa"].filename,)
    return frozenset(set(RPPA_ANTIBODY.values()) | _bundle_columns(None if data is None else str(data), files))
