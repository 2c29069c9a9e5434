"""Where chemorad keeps what it can recompute: `$CHEMORAD_CACHE` if set (`off`, `0`, `none`, `false`, `no` or empty
disable the cache), else `$XDG_CACHE_HOME/chemorad`, else `~/.cache/chemorad`. Delete it at will.

Used by the bundle's parse cache (`bundle.cache`), the fitted predictor (`profile.fitted`), the parsed catalog
files (`parsed_yaml`) and the answer (`report.answer_doc`); a `Context` carries the folder it resolved here.
`read_json` / `write_json` are the JSON entries' two halves: an entry that cannot be read is a miss, an entry that
cannot be written is skipped (a cache changes the speed, never the value).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from chemorad.errors import ChemoradError
from chemorad.io_atomic import write_text

__all__ = ["ENV_VAR", "cache_dir", "read_json", "write_json"]

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


def read_json(entry: Path) -> tuple[bool, Any]:
    """(True, the value stored at `entry`), or (False, None) when it is absent, unreadable or not JSON."""
    try:
        return True, json.loads(Path(entry).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False, None


def write_json(entry: Path, text: str) -> None:
    """Store the JSON `text` at `entry` atomically (`io_atomic`); a read-only or full cache folder is skipped."""
    try:
        Path(entry).parent.mkdir(parents=True, exist_ok=True)
        write_text(entry, text)
    except (OSError, ChemoradError):
        pass
