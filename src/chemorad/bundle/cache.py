"""On-disk cache of parsed data-bundle tables, keyed by the SHA-256 of the files they were parsed from.

Parsing the bundle (canonical cell-line names, tissue votes, wide matrices) takes several seconds; a second run of
`chemorad predict` should not pay it again. A cached table is the pickle of exactly what the parser returned, so a
result read from the cache is identical to a fresh parse (`tests/evidence/test_bundle_io.py` checks it). The key is
the SHA-256 of every source file, the parser's name and arguments, and `FORMAT` (bumped when a parser changes), so an
edited file or a new parser never meets a stale entry.

Location: `$CHEMORAD_CACHE` if set (`off`, `0` or `none` disable the cache), else `$XDG_CACHE_HOME/chemorad`, else
`~/.cache/chemorad`. Entries are pickles: the folder is the user's own, like pip's or pooch's caches; delete it at will.

A file's SHA-256 is remembered against its (path, size, modification time) in `file-hashes.json` in the same folder,
as git's index does, so the 47 MB bundle is hashed once, not on every run. That memo only keys the cache; checking a
file (`chemorad data`, `datasets.verify`) hashes its content again every time (`content_sha256`).

The folder is passed by the caller (a `Bundle` carries `Context.cache_dir`); `FROM_ENV` resolves it here (`cache_dir`).
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

#: bump when a cached parser's output changes, so old entries are not used
FORMAT = 1
ENV_VAR = "CHEMORAD_CACHE"
_OFF = {"off", "0", "none", "false", "no"}
_HASHES = "file-hashes.json"
#: `folder=FROM_ENV`: resolve the cache folder from the environment (`cache_dir()`) at the call
FROM_ENV = "$CHEMORAD_CACHE"

T = TypeVar("T")


def cache_dir() -> Path | None:
    """The cache folder, or None when the cache is disabled (`CHEMORAD_CACHE=off`)."""
    env = os.environ.get(ENV_VAR)
    if env is not None:
        return None if env.strip().lower() in _OFF or not env.strip() else Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "chemorad"


def content_sha256(path: Path) -> str:
    """SHA-256 of the content of `path` (pooch.file_hash), computed now: no memo."""
    import pooch

    return pooch.file_hash(str(path), alg="sha256")


def file_sha256(path: Path, folder: Path | None | str = FROM_ENV) -> str:
    """SHA-256 of `path`, remembered against its size and modification time in the cache `folder` (a cache key only)."""
    path = Path(path).resolve()
    stat = path.stat()
    stamp = [stat.st_size, stat.st_mtime_ns]
    folder = cache_dir() if folder == FROM_ENV else (None if folder is None else Path(folder))
    memo: dict[str, Any] = {}
    if folder is not None:
        try:
            memo = json.loads((folder / _HASHES).read_text())
        except (OSError, ValueError):
            memo = {}
        hit = memo.get(str(path))
        if isinstance(hit, list) and hit[:2] == stamp and isinstance(hit[2], str):
            return hit[2]
    digest = content_sha256(path)
    if folder is not None:
        memo[str(path)] = [*stamp, digest]
        try:
            _write_atomic(folder / _HASHES, json.dumps(memo).encode())
        except OSError:
            pass  # a read-only cache folder: hash again next time
    return digest


def cached(
    kind: str, args: tuple, files: list[Path], compute: Callable[[], T], folder: Path | None | str = FROM_ENV
) -> T:
    """`compute()`, or its result stored in `folder` (None: no disk cache) for the same `kind`, `args` and files."""
    folder = cache_dir() if folder == FROM_ENV else folder
    if folder is None:
        return compute()
    folder = Path(folder)
    shas = [file_sha256(f, folder) for f in files]
    key = hashlib.sha256(json.dumps([FORMAT, kind, repr(args), shas]).encode()).hexdigest()
    label = "-".join([kind, *(str(a) for a in args)])
    entry = folder / f"{label}-{key[:24]}.pkl"
    try:
        with entry.open("rb") as handle:
            return pickle.load(handle)
    except FileNotFoundError:
        pass
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError):
        pass  # an unreadable entry (interrupted write on another OS, old pandas): parse again and replace it
    value = compute()
    try:
        _write_atomic(entry, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
    except OSError:
        pass  # a read-only or full cache folder costs speed, not correctness
    return value


def _write_atomic(path: Path, payload: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(payload)
    os.replace(tmp, path)
