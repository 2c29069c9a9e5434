"""The catalog: mechanisms, therapies and references, validated at load. The single source of names."""

from chemorad.catalog.load import Catalog, catalog, load_catalog

__all__ = ["Catalog", "catalog", "load_catalog"]
