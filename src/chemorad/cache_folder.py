"""Where chemorad keeps what it can recompute: `$CHEMORAD_CACHE` if set (`off`, `0`, `none`, `false`, `no` or empty
disable the cache), else `$XDG_CACHE_HOME/chemorad`, else `~/.cache/chemorad`. Delete it at will.

Used by the bundle's parse cache (`bundle.cache`), the fitted predictor (`profile.fitted`) and the parsed catalog
files (`parsed_yaml`); a `Context` carries the folder it resolved here.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["ENV_VAR", "cache_dir"]

ENV_VAR = "CHEMORAD_CACHE"
_OFF = {"off", "0", "none", "false", "no"}


def cache_dir() -> Path | None:
    """The cache folder, or None when the cache is disabled (`CHEMORAD_CACHE=off`)."""
    env = os.environ.get(ENV_VAR)
    if env is not None:
        return None if env.strip().lower() in _OFF or not env.strip() else Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "chemorad"
