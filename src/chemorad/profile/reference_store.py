"""The bundle's scoring reference (`activities.reference`) stored as plain tables in the on-disk parse cache.

Building the reference reads every molecular layer of the bundle and standardises ~100 marker features (about 0.15 s
warm); a `chemorad predict` in a new process should read its result instead. The reference is stored through
`bundle.cache` (Arrow IPC, never unpickled), keyed by

- the SHA-256 of every bundle file the reference reads (`datasets.cached_frames`),
- the catalog's mechanisms in order, each with its id and the full content of its markers (the marker plan depends on
  nothing else of the catalog): a JSON dump of ~150 small models, far cheaper than `fitted.catalog_hash`,
- the source text of the modules that compute it (`CODE`), so an edited formula never meets a stale entry.

What is stored: the plan's coverage table, the tissue per line, the raw marker values (lines x features), the
mechanisms' unstandardised scores (lines x mechanisms) and the plan's features (one Series per feature over the lines
of its layer, each with its own index) as one long table of (line code, value) with a table of feature names and a
table of line names. The plan's members are rebuilt from the catalog and the coverage table exactly as
`scores.marker_plan` builds them. A table that does not decode is refused and the reference is computed again.
"""

from __future__ import annotations

import hashlib
import importlib
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from chemorad.catalog.load import Catalog
from chemorad.evidence import scores as sc

__all__ = ["CODE", "catalog_markers_key", "decode", "encode", "reference_key", "stored"]

#: the modules whose source decides the stored reference (the scoring formulas, the loaders, this layout)
CODE = (
    "chemorad.evidence.scores",
    "chemorad.profile.activities",
    "chemorad.profile.reference_store",
    "chemorad.bundle.datasets",
    "chemorad.bundle.names",
)

Parts = tuple[sc.MarkerPlan, pd.Series, pd.DataFrame, pd.DataFrame]


def catalog_markers_key(cat: Catalog) -> str:
    """SHA-256 of every mechanism's id, in catalog order, with the full content of its markers."""
    dump = [[m.id, [mk.model_dump(mode="json") for mk in m.markers]] for m in cat.mechanisms.values()]
    return hashlib.sha256(json.dumps(dump, sort_keys=True).encode()).hexdigest()


def reference_key(cat: Catalog) -> str:
    """The key of a stored reference besides the bundle files: the catalog's markers and the source of `CODE`."""
    parts = [catalog_markers_key(cat)]
    for name in CODE:
        parts.append(Path(importlib.import_module(name).__file__).read_text(encoding="utf-8"))
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def encode(plan: sc.MarkerPlan, tissue: pd.Series, raw: pd.DataFrame, mech_raw: pd.DataFrame) -> tuple:
    """The reference's parts as plain DataFrames (the order `decode` reads)."""
    series = list(plan.features.values())
    index = [s.index for s in series]
    lines = pd.Index(np.concatenate([i.to_numpy(dtype=object) for i in index]) if index else [], dtype=object).unique()
    codes = np.concatenate([lines.get_indexer(i) for i in index]) if index else np.zeros(0, dtype=np.intp)
    values = np.concatenate([s.to_numpy(dtype=float) for s in series]) if series else np.zeros(0)
    names = pd.DataFrame(
        {
            "feature": pd.array(list(plan.features), dtype=object),
            "column": pd.array([s.name for s in series], dtype=object),
            "index_name": pd.array([i.name for i in index], dtype=object),
            "n": np.array([len(s) for s in series], dtype=np.int64),
        }
    )
    return (
        plan.coverage,
        tissue.to_frame(),
        raw,
        mech_raw,
        pd.DataFrame({"line": codes.astype(np.int64), "value": values}),
        names,
        pd.DataFrame({"cell_line": pd.array(lines.to_numpy(dtype=object), dtype=object)}),
    )


def decode(cat: Catalog, frames: tuple) -> Parts:
    """The reference's parts from `encode`'s tables; members rebuilt as `scores.marker_plan` builds them."""
    coverage, tissue, raw, mech_raw, long, names, lines = frames
    members: dict[str, list[str]] = {m.id: [] for m in cat.mechanisms.values()}
    if len(coverage):
        for mid, feature in zip(coverage["mechanism"], coverage["feature"], strict=True):
            if isinstance(feature, str):
                members[mid].append(feature)
    codes = long["line"].to_numpy()
    values = long["value"].to_numpy(dtype=float)
    line_names = lines["cell_line"].to_numpy(dtype=object)
    ends = np.cumsum(names["n"].to_numpy(dtype=np.int64))
    if (len(ends) and ends[-1] != len(values)) or (len(codes) and (codes.min() < 0 or codes.max() >= len(line_names))):
        raise ValueError("stored reference: the features' lengths or line codes do not fit")
    features: dict[str, pd.Series] = {}
    for feature, column, index_name, end, n in zip(
        names["feature"], names["column"], names["index_name"], ends, names["n"], strict=True
    ):
        part = slice(int(end - n), int(end))
        index = pd.Index(line_names[codes[part]], dtype=object, name=index_name)
        features[feature] = pd.Series(values[part], index=index, name=column)
    if list(raw.columns) != list(features) or not (raw.index.equals(tissue.index) and mech_raw.index.equals(raw.index)):
        raise ValueError("stored reference: its tables do not match one another")
    return sc.MarkerPlan(features, members, coverage), tissue[tissue.columns[0]], raw, mech_raw


def stored(cat: Catalog, data, compute: Callable[[], Parts]) -> Parts:
    """The reference's parts from the parse cache (`datasets.cached_frames`), else `compute()`d and stored; a stored
    entry that does not decode is computed again and replaced."""
    from chemorad.bundle import datasets as ds

    decoded: list[Parts] = []

    def check(frames: tuple) -> bool:
        try:
            decoded.append(decode(cat, frames))
        except (KeyError, ValueError, IndexError, TypeError, AttributeError):
            return False
        return True

    frames = ds.cached_frames("reference", (reference_key(cat),), data, lambda: encode(*compute()), check=check)
    return decoded[0] if decoded else decode(cat, frames)
