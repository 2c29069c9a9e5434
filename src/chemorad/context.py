"""One object with what every command needs: the catalog, the data bundle (`Bundle`), and the cache folder.

It is created once, at the top (the command line's root callback, the web server, a script), and passed down; the
science below takes its parts as arguments (`cat`, `data`), so no module reaches for a global. A user catalog works
everywhere: ``chemorad --catalog my_catalog/ simulate scenario.yaml`` or ``Context.create(catalog_dir=...)``.

Resolution order of the data bundle (`bundle`, created once on first use): an explicit folder, then ``$CHEMORAD_DATA``,
then ``../shared/data`` (from the current directory, then beside the checkout), then the repository's ``data/``
(`chemorad.bundle.datasets.locate`). The cache folder: ``$CHEMORAD_CACHE``, else ``$XDG_CACHE_HOME/chemorad``, else
``~/.cache/chemorad``; ``CHEMORAD_CACHE=off`` disables on-disk caches. The Bundle caches parsed tables there.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from chemorad.bundle.cache import cache_dir as default_cache_dir
from chemorad.catalog import Catalog, catalog, load_catalog

if TYPE_CHECKING:
    from chemorad.bundle.core import Bundle

__all__ = ["Context", "default_cache_dir"]


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

    @functools.cached_property
    def bundle(self) -> Bundle:
        """The data bundle, located once (a one-line `ChemoradError` says where it looked when it is absent), with
        parsed tables cached in `cache_dir`."""
        from chemorad.bundle.core import Bundle  # pandas and the loaders: only when data are needed

        return Bundle.locate(self.data, cache_dir=self.cache_dir)

    def data_dir(self) -> Path:
        """The data bundle's folder (`bundle.path`)."""
        return self.bundle.path
