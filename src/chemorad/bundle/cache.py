"""On-disk cache of parsed data-bundle tables, keyed by the SHA-256 of the files they were parsed from.

Parsing the bundle (canonical cell-line names, tissue votes, wide matrices) takes several seconds; a second run of
`chemorad predict` should not pay it again. A cached value is a DataFrame (or a tuple of DataFrames) stored as an
Arrow IPC file per frame: data, not code. Nothing in the cache is ever unpickled or executed, so a crafted or damaged
entry can at worst be refused and parsed again. The column and index dtypes are recorded beside the table and restored,
so a result read from the cache is identical to a fresh parse (`tests/evidence/test_bundle_io.py` checks it). The key
is the SHA-256 of every source file, the parser's name and arguments, and `FORMAT` (bumped when a parser or the storage
changes), so an edited file or a new parser never meets a stale entry. Entries are written beside and renamed into
place (`chemorad.io_atomic`): a full disk leaves no partial entry and no temporary file.

Location: `$CHEMORAD_CACHE` if set (`off`, `0` or `none` disable the cache), else `$XDG_CACHE_HOME/chemorad`, else
`~/.cache/chemorad`. Delete it at will.

One stored frame's rows can be read alone (`cached_rows`: the Arrow table is sliced before it becomes a DataFrame), so
a single cell line costs a few milliseconds, not the conversion of the whole 6,163-column matrix. Tables derived from
the whole bundle (the scoring reference, `profile.reference_store`) are stored the same way, keyed by every bundle file.

A file's SHA-256 is remembered against its (path, size, modification time) in `file-hashes.json` in the same folder,
as git's index does, so the 47 MB bundle is hashed once, not on every run. That memo only keys the cache; checking a
file (`chemorad data`, `datasets.verify`) hashes its content again every time (`content_sha256`).

The folder is passed by the caller (a `Bundle` carries `Context.cache_dir`); `FROM_ENV` resolves it here (`cache_dir`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from chemorad.cache_folder import ENV_VAR, cache_dir

__all__ = ["ENV_VAR", "FORMAT", "FROM_ENV", "cache_dir", "cached", "cached_rows", "content_sha256", "file_sha256"]

#: bump when a cached parser's output or the storage format changes, so old entries are not used (4: a RangeIndex is
#: stored as such and read back as a RangeIndex, no longer as an int64 Index)
FORMAT = 4
_HASHES = "file-hashes.json"
#: `folder=FROM_ENV`: resolve the cache folder from the environment (`cache_dir()`) at the call
FROM_ENV = "$CHEMORAD_CACHE"
_META = b"chemorad-cache"
#: (cache folder, path, size, modification time) -> SHA-256: the memo's answers already read in this process
_SEEN: dict[tuple, str] = {}

T = TypeVar("T")


def content_sha256(path: Path) -> str:
    """SHA-256 of the content of `path` (pooch.file_hash), computed now: no memo."""
    import pooch

    return pooch.file_hash(str(path), alg="sha256")


def file_sha256(path: Path, folder: Path | None | str = FROM_ENV) -> str:
    """SHA-256 of `path`, remembered against its size and modification time in the cache `folder` (a cache key only:
    a file rewritten in place with the same size and timestamp is not noticed, so checks use `content_sha256`). The
    fresh digest always refreshes the memo."""
    from chemorad.errors import ChemoradError
    from chemorad.io_atomic import write_text

    path = Path(path).resolve()
    stat = path.stat()
    stamp = [stat.st_size, stat.st_mtime_ns]
    folder = cache_dir() if folder == FROM_ENV else (None if folder is None else Path(folder))
    known: dict[str, Any] = {}
    if folder is not None:
        seen = (str(folder), str(path), *stamp)
        if seen in _SEEN:  # this process already read the memo for this size and time: no second JSON read
            return _SEEN[seen]
        try:
            known = json.loads((folder / _HASHES).read_text())
        except (OSError, ValueError):
            known = {}
        if not isinstance(known, dict):
            known = {}
        hit = known.get(str(path))
        if isinstance(hit, list) and len(hit) == 3 and hit[:2] == stamp and isinstance(hit[2], str):
            _SEEN[seen] = hit[2]
            return hit[2]
    digest = content_sha256(path)
    if folder is not None:
        _SEEN[seen] = digest
        known[str(path)] = [*stamp, digest]
        try:
            folder.mkdir(parents=True, exist_ok=True)
            write_text(folder / _HASHES, json.dumps(known))
        except (OSError, ChemoradError):
            pass  # a read-only or full cache folder: hash again next time
    return digest


def cached(
    kind: str,
    args: tuple,
    files: list[Path],
    compute: Callable[[], T],
    folder: Path | None | str = FROM_ENV,
    check: Callable[[T], bool] | None = None,
) -> T:
    """`compute()`, or its result stored in `folder` (None: no disk cache) for the same `kind`, `args` and file
    contents.

    `compute` returns a DataFrame or a tuple of DataFrames; anything else is returned without being cached. `check`,
    when given, vets a stored value: one it refuses is computed again and replaced.
    """
    folder = cache_dir() if folder == FROM_ENV else folder
    if folder is None:
        return compute()
    stem, key = _stem_key(kind, args, files, Path(folder))
    value = _load(stem, key)
    if value is not None and (check is None or check(value)):
        return value  # type: ignore[return-value]
    value = compute()
    _store(stem, key, value)
    return value


def _stem_key(kind: str, args: tuple, files: list[Path], folder: Path) -> tuple[Path, str]:
    """(the entry's path without its part suffix, its full key) for `kind`, `args` and the files' contents."""
    shas = [file_sha256(f, folder) for f in files]
    key = hashlib.sha256(json.dumps([FORMAT, kind, repr(args), shas]).encode()).hexdigest()
    label = "-".join([kind, *(str(a) for a in args)])
    return folder / f"{label}-{key[:24]}", key


def cached_rows(
    kind: str,
    args: tuple,
    files: list[Path],
    labels: list,
    whole: Callable[[], Any],
    folder: Path | None | str = FROM_ENV,
) -> Any:
    """`whole().loc[labels]`: the rows of a cached DataFrame (stored by `cached` under the same `kind`, `args` and
    files) with those index labels, read from the stored entry without converting the rest of the table.

    `whole` returns the full table (e.g. through `cached`, which stores it); it is used when there is no stored entry,
    no cache folder, an entry that is not one frame, an index with repeated labels, or a label the index lacks (so
    the same KeyError as `.loc` is raised)."""
    folder = cache_dir() if folder == FROM_ENV else folder
    if folder is not None:
        stem, key = _stem_key(kind, args, files, Path(folder))
        value = _load_rows(stem, key, labels)
        if value is not None:
            return value
    return whole().loc[labels]


def _load_rows(stem: Path, key: str, labels: list) -> Any:
    """Rows `labels` of a stored single-frame entry, or None (missing, damaged, another key, not one frame, repeated
    or absent labels, or an index that is not one column)."""
    import pandas as pd
    import pyarrow as pa

    try:
        with pa.memory_map(str(_entry(stem, 0)), "r") as source:
            table = pa.ipc.open_file(source).read_all()
        meta = json.loads((table.schema.metadata or {}).get(_META, b"{}"))
        if meta.get("key") != key or meta.get("part") != 0 or meta.get("parts") != 1 or meta.get("kind") != "frame":
            return None
        if meta.get("layout") == "matrix":
            column = "index"
        else:
            names = (table.schema.pandas_metadata or {}).get("index_columns", [])
            if len(names) != 1 or not isinstance(names[0], str):
                return None
            column = names[0]
        index = pd.Index(table.column(column).to_numpy(zero_copy_only=False))
        if index.has_duplicates:
            return None
        rows = index.get_indexer(pd.Index(labels, dtype=object))
        if (rows < 0).any():
            return None
        # one row: a zero-copy slice (a take copies every one of the table's columns)
        part = table.slice(int(rows[0]), 1) if len(rows) == 1 else table.take(pa.array(rows, type=pa.int64()))
        return _to_pandas(part, meta)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, pa.ArrowException):
        return None


def _entry(stem: Path, i: int) -> Path:
    return stem.with_name(f"{stem.name}.{i}.arrow")


def _load(stem: Path, key: str) -> Any:
    """The stored value, or None when the entry is missing, damaged, of another key or not plain data."""
    import pyarrow as pa

    frames = []
    count = 1
    i = 0
    try:
        while i < count:
            with pa.memory_map(str(_entry(stem, i)), "r") as source:
                table = pa.ipc.open_file(source).read_all()
            meta = json.loads((table.schema.metadata or {}).get(_META, b"{}"))
            if meta.get("key") != key or meta.get("part") != i:
                return None
            count = int(meta["parts"])
            frames.append(_to_pandas(table, meta))
            i += 1
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, pa.ArrowException):
        return None  # a damaged, truncated or foreign entry: parse again and replace it
    return frames[0] if meta.get("kind") == "frame" else tuple(frames)


def _to_pandas(table, meta: dict):
    """The DataFrame of `table`, with the index and column dtypes recorded when it was stored.

    Arrow strings come back as pandas' `str` dtype; a column or index that was `object` (strings with None for
    missing) is rebuilt from the Arrow values, so missing entries are None again, not NaN.
    """
    import pandas as pd
    import pyarrow as pa

    if any(isinstance(field.type, pa.ExtensionType) for field in table.schema):
        raise ValueError("extension types are not plain data")  # pyarrow may deserialise these with code
    if meta.get("layout") == "matrix":
        return _matrix_to_pandas(table, meta)
    frame = table.to_pandas()
    for column, dtype in meta["dtypes"].items():
        if str(frame[column].dtype) == dtype:
            continue
        if dtype == "object":
            values = table.column(column).to_numpy(zero_copy_only=False)  # object array, None for nulls
            frame[column] = pd.Series(values, index=frame.index, dtype=object)
        else:
            frame[column] = frame[column].astype(dtype)
    if str(frame.index.dtype) != meta["index_dtype"]:
        index = frame.index
        if meta["index_dtype"] == "object":
            values = index.to_numpy(dtype=object)
            values[pd.isna(values)] = None
            frame.index = pd.Index(values, dtype=object, name=index.name)
        else:
            frame.index = index.astype(meta["index_dtype"])
    if str(frame.columns.dtype) != meta["columns_dtype"]:
        frame.columns = frame.columns.astype(meta["columns_dtype"])
    return frame


#: a frame of at least this many columns of one numeric dtype is stored as one matrix (one fixed-size list per row):
#: read back as a single block, about 10x faster than column by column for the bundle's 6,163-gene matrices
_MATRIX_COLUMNS = 256


def _is_matrix(frame) -> bool:
    dtypes = set(frame.dtypes)
    return frame.shape[1] >= _MATRIX_COLUMNS and len(dtypes) == 1 and _numeric(dtypes.pop())


def _matrix_to_arrow(frame):
    """`frame` (one numeric dtype) as a two-column Arrow table: the index, and each row's values as a fixed-size
    list; the column labels go into the metadata."""
    import numpy as np
    import pyarrow as pa

    values = np.ascontiguousarray(frame.to_numpy())
    rows = pa.FixedSizeListArray.from_arrays(pa.array(values.reshape(-1)), frame.shape[1])
    index = frame.index.to_numpy(dtype=object)
    return pa.table({"index": pa.array(index, type=pa.string()), "values": rows})


def _matrix_to_pandas(table, meta: dict):
    import pandas as pd

    n_columns = len(meta["columns"])
    flat = table.column("values").combine_chunks().flatten().to_numpy(zero_copy_only=False)
    values = flat.reshape(table.num_rows, n_columns).copy()  # writable, like a fresh parse
    index = table.column("index").to_numpy(zero_copy_only=False)
    index = pd.Index(index, dtype=object, name=meta["index_name"])
    if str(index.dtype) != meta["index_dtype"]:
        index = index.astype(meta["index_dtype"])
    columns = pd.Index(meta["columns"], dtype=object)
    if str(columns.dtype) != meta["columns_dtype"]:
        columns = columns.astype(meta["columns_dtype"])
    return pd.DataFrame(values, index=index, columns=columns)


def _numeric(dtype) -> bool:
    import numpy as np

    return isinstance(dtype, np.dtype) and dtype.kind in "biufc"


def _store(stem: Path, key: str, value: Any) -> None:
    """Write `value` (a DataFrame or a tuple of them) as Arrow files; a value that is not plain tabular data, or a
    read-only or full cache folder, costs speed, not correctness."""
    import pandas as pd
    import pyarrow as pa

    from chemorad.errors import ChemoradError
    from chemorad.io_atomic import replacing

    kind = "frame" if isinstance(value, pd.DataFrame) else "tuple"
    frames = [value] if kind == "frame" else list(value) if isinstance(value, tuple) else []
    if not frames or not all(isinstance(f, pd.DataFrame) for f in frames):
        return
    if not all(isinstance(c, str) for f in frames for c in f.columns) or any(f.columns.has_duplicates for f in frames):
        return  # Arrow would turn the labels into (unique) strings: not stored, so nothing read back differs
    try:
        stem.parent.mkdir(parents=True, exist_ok=True)
        # the last part first: an entry is read from part 0, so it is only found once every part is in place
        for i in reversed(range(len(frames))):
            frame = frames[i]
            meta = {
                "key": key,
                "part": i,
                "parts": len(frames),
                "kind": kind,
                # numeric columns come back exactly; the others (object, str, category, ...) are restored by name
                "dtypes": {c: str(t) for c, t in frame.dtypes.items() if not _numeric(t)},
                "index_dtype": str(frame.index.dtype),
                "columns_dtype": str(frame.columns.dtype),
            }
            if _is_matrix(frame) and all(isinstance(v, str) for v in frame.index):
                table = _matrix_to_arrow(frame)
                meta.update(layout="matrix", columns=list(frame.columns), index_name=frame.index.name)
            else:
                # None: a RangeIndex goes into the metadata and comes back as one; any other index is a column
                table = pa.Table.from_pandas(frame, preserve_index=None)
            table = table.replace_schema_metadata({**(table.schema.metadata or {}), _META: json.dumps(meta).encode()})
            with replacing(_entry(stem, i)) as tmp:
                with pa.OSFile(str(tmp), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
                    writer.write_table(table)
    except (OSError, ChemoradError, ValueError, TypeError, pa.ArrowException):
        pass
