"""One object with what every command needs: the catalog, the data bundle's location, and the cache folder.

It is created once, at the top (the command line's root callback, the web server, a script), and passed down; the
science below takes its parts as arguments (`cat`, `data`), so no module reaches for a global. A user catalog works
everywhere: ``chemorad --catalog my_catalog/ simulate scenario.yaml`` or ``Context.create(catalog_dir=...)``.

Resolution order of the data bundle (`data_dir`): an explicit folder, then ``$CHEMORAD_DATA``, then the
`chemorad.evidence.datasets.data_dir` defaults. The cache folder: ``$CHEMORAD_CACHE``, else
``$XDG_CACHE_HOME/chemorad``, else ``~/.cache/chemorad``; ``CHEMORAD_CACHE=off`` disables on-disk caches.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from chemorad.catalog import Catalog, catalog, load_catalog


def default_cache_dir() -> Path | None:
    """Where parsed data are cached on disk, or None when ``CHEMORAD_CACHE=off``."""
    env = os.environ.get("CHEMORAD_CACHE")
    if env is not None:
        return None if env.strip().lower() in {"off", "0", "none", ""} else Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "chemorad"


@dataclass
class Context:
    """The catalog, the data folder (resolved lazily: many commands never need it) and the cache folder."""

    catalog: Catalog
    data: Path | None = None
    cache_dir: Path | None = field(default_factory=default_cache_dir)

    @classmethod
    def create(cls, catalog_dir: Path | str | None = None, data: Path | str | None = None) -> Context:
        """A context from a catalog folder (default: the shipped catalog) and a data folder (default: resolved)."""
        cat = catalog() if catalog_dir is None else load_catalog(catalog_dir)
        return cls(catalog=cat, data=None if data is None else Path(data))

    def data_dir(self) -> Path:
        """The data bundle's folder; a one-line `ChemoradError` says where it was looked for when it is absent."""
        from chemorad.evidence.datasets import data_dir  # the evidence layer is only needed when data are

        return data_dir(self.data)
