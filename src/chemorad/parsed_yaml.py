"""YAML files parsed once per content: the catalog's files (about 400 kB, read by every command) take 0.07-0.1 s to
parse with libyaml and 2 ms to read back as JSON.

`read_yaml_once(path, what)` returns `errors.read_yaml(path, what)`; the parsed value is kept in the cache folder
(`cache_folder.cache_dir`) as JSON under the SHA-256 of the file's bytes, so an edited file is parsed again and an
unchanged one is not. Only a value that survives the JSON round trip unchanged is kept (YAML dates, non-string keys
or NaN would not: such a file is parsed every time), and an entry that cannot be read or is not valid JSON is ignored
and replaced: the cache can change the speed, never the value. Errors in the file are raised by `read_yaml` as
before (a malformed file is never cached).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from chemorad.cache_folder import cache_dir, read_json, write_json
from chemorad.errors import read_yaml

__all__ = ["read_yaml_once"]


def read_yaml_once(path: Path, what: str, folder: Path | None | str = "default") -> Any:
    """`read_yaml(path, what)`, read back from `folder` ('default': `cache_dir()`; None: no cache) when this exact
    content was parsed before (module doc)."""
    folder = cache_dir() if folder == "default" else folder
    try:
        payload = Path(path).read_bytes()
    except OSError:
        return read_yaml(path, what)  # its one-line error names the file
    if folder is None:
        return read_yaml(path, what)
    entry = Path(folder) / f"yaml-{hashlib.sha256(payload).hexdigest()[:32]}.json"
    found, value = read_json(entry)
    if found:
        return value
    value = read_yaml(path, what)
    try:
        text = json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return value
    if json.loads(text) == value:
        write_json(entry, text)
    return value
