"""The cell-line data bundle: files, checksums, loaders, name harmonisation and the parse cache.

- `core`: `Bundle`, the object `Context.bundle` creates once and every layer above receives;
- `datasets`: the registry of files (source, licence, SHA-256), where the bundle is found, one loader per file;
- `names`: cell-line name and tissue harmonisation across Yard 2016, GDSC, CCLE and CTRP;
- `cache`: parsed tables cached on disk, keyed by the files' SHA-256;
- `optional`: optional sets a user adds beside the bundle (PIDE), found or named as absent.

Below `evidence`, `chain` and everything else but the catalog: it knows files and names, not mechanisms.
Importing this package imports no pandas: `Bundle` and the loaders are imported on first use (the command line's
start-up time, tests/test_cli_startup.py).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chemorad.bundle.core import Bundle
    from chemorad.bundle.datasets import DATASETS, data_dir, locate

__all__ = ["DATASETS", "Bundle", "data_dir", "locate"]
_WHERE = {
    "Bundle": "chemorad.bundle.core",
    "DATASETS": "chemorad.bundle.datasets",
    "data_dir": "chemorad.bundle.datasets",
    "locate": "chemorad.bundle.datasets",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'chemorad.bundle' has no attribute {name!r}")
