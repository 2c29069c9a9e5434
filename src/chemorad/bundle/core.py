"""`Bundle`: the cell-line data bundle as one object, created once (by `Context.bundle`) and passed down.

A Bundle is its folder and the parse-cache folder used for it. It loads every file of the bundle (`load`, one method
per common table), harmonises names (every table is indexed by `names.canonical_name`), caches parsed tables in
`cache_dir` (`chemorad.bundle.cache`), verifies checksums, and serves the response data sets the catalog's registry
declares (`responses`, `response_table`).

It is ``os.PathLike``: every function that takes ``data`` (a folder) accepts a Bundle too and then uses its cache
folder, so code written against paths keeps working while call sites move to the object.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from chemorad.bundle import datasets as ds
from chemorad.bundle import optional
from chemorad.bundle.cache import cache_dir as default_cache_dir
from chemorad.catalog.registry import RESPONSE_DATASETS, ResponseDataset, response_dataset
from chemorad.errors import ChemoradError


@dataclass(frozen=True)
class Bundle(os.PathLike):
    """The data bundle in `path`, with parsed tables cached in `cache_dir` (None: no disk cache).

    Parameters
    ----------
    path : the data folder (resolved; see `locate`).
    cache_dir : the parse-cache folder (`Context.cache_dir`), or None to parse every time.
    found_by : the rule that found `path` ('--data', '$CHEMORAD_DATA', 'the repository's data/ folder', ...).
    """

    path: Path
    cache_dir: Path | None = None
    found_by: str = "given"

    @classmethod
    def locate(cls, explicit: str | os.PathLike[str] | None = None, cache_dir: Path | None | str = "default") -> Bundle:
        """The bundle from `explicit` (`--data`), else $CHEMORAD_DATA, else the defaults (`datasets.locate`)."""
        if isinstance(explicit, Bundle):
            return explicit
        path, why = ds.locate(explicit)
        cache = default_cache_dir() if cache_dir == "default" else cache_dir
        return cls(path, None if cache is None else Path(cache), why)

    def __fspath__(self) -> str:
        return str(self.path)

    def __str__(self) -> str:
        return str(self.path)

    # ------------------------------------------------------------------------------------------------ files
    def file(self, name: str) -> Path:
        """The path of registered file `name` (`datasets.DATASETS`), whether or not it exists."""
        return self.path / ds._spec(name).filename

    def verify(self) -> list[dict]:
        """Each registered file, hashed now (no memo): dataset, file, present, sha256, expected, ok."""
        return ds.verify_all(self)

    def optional(self) -> list[dict]:
        """Each optional set (PIDE): present or not, and the folder it is in or should go to."""
        return optional.status(self.path)

    def optional_dir(self, name: str) -> Path | None:
        """The folder of optional set `name` (e.g. 'pide'), or None when it is absent."""
        return optional.find(name, self.path)

    # ---------------------------------------------------------------------------------------------- loading
    def load(self, name: str, **kwargs) -> pd.DataFrame:
        """Registered file `name` as its loader returns it (indexed by canonical cell-line name)."""
        loader = _LOADERS.get(name)
        if loader is None:
            ds._spec(name)  # an unknown name: one-line error naming the known ones
            raise AssertionError(f"no loader for registered file {name!r}")  # pragma: no cover (registry defect)
        return loader(data=self, **kwargs)

    def cell_lines(self) -> pd.DataFrame:
        """Every cell line, harmonised across files (`datasets.cell_lines`)."""
        return ds.cell_lines(self)

    def expression(self, genes=None, drop_floor: bool = True) -> pd.DataFrame:
        """GDSC baseline expression, lines x genes (`datasets.load_expression`)."""
        return ds.load_expression(genes, self, drop_floor)

    # -------------------------------------------------------------------------------------------- responses
    @property
    def responses(self) -> dict[str, ResponseDataset]:
        """The registry's response data sets whose file is in this bundle, by id (an optional set such as PIDE only
        when it is present)."""
        out = {k: RESPONSE_DATASETS[k] for k in ds.RESPONSE_LOADERS if k in RESPONSE_DATASETS}
        for name in optional.OPTIONAL:
            if name in RESPONSE_DATASETS and self.optional_dir(name) is not None:
                out[name] = RESPONSE_DATASETS[name]
        return out

    def response_table(self, dataset_id: str) -> pd.DataFrame:
        """The long (or, for a radiation screen, per-line) table of response data set `dataset_id` as published."""
        response_dataset(dataset_id)  # a one-line error for an id the registry does not know
        if dataset_id in optional.OPTIONAL:
            from chemorad.bundle.pide import pide_lines

            table = pide_lines(self)
            if table is None:
                raise ChemoradError(
                    f"optional data set {dataset_id!r} is not in {self.path}; `chemorad data` says where"
                )
            return table
        return ds.load_response(dataset_id, self)


_LOADERS = {
    **ds.RESPONSE_LOADERS,
    "radiogx": ds.load_radiogx,
    "clonogenic": ds.load_clonogenic,
    "ctrp_compounds": ds.load_ctrp_compounds,
    "expression": lambda data, **kw: ds.load_expression(data=data, **kw),
    "mutations": lambda data, **kw: ds.load_mutations(data=data, **kw),
    "copy_number": lambda data, **kw: ds.load_copy_number(data=data, **kw),
    "genomic_features": ds.load_genomic_features,
    "cell_lines": ds.load_cell_lines,
    "rppa": lambda data, **kw: ds.load_rppa(data=data, **kw),
    "ccle_expression": lambda data, **kw: ds.load_ccle_expression(data=data, **kw),
}
