"""One exception type for user errors.

A `ChemoradError` means the user gave something wrong (a file, a name, a number); its message names the input, the field
and what was expected, on one line. The CLI prints it and exits with code 2. Anything else is a programming error.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

#: libyaml's safe loader when PyYAML was built with it: the same documents, about 6x faster to parse (the catalog's
#: three files take most of a catalog look-up's start-up otherwise); the pure-Python one as a fallback
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MERGE_TAG = "tag:yaml.org,2002:merge"


class _UniqueKeyLoader(_SAFE_LOADER):  # type: ignore[misc, valid-type]
    """The safe loader, refusing a mapping that repeats a key (YAML 1.2 forbids it; PyYAML silently keeps the last
    value, so `days: 30` then `days: 300` would simulate 300 days without a word)."""


def _unique_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        if key_node.tag == _MERGE_TAG:
            continue  # `<<: *base` then an override is the documented way to vary an anchor
        key = loader.construct_object(key_node, deep=True)
        try:
            first = seen.get(key)
        except TypeError:
            continue  # an unhashable key: the constructor below refuses it
        if first is None:
            seen[key] = key_node.start_mark.line
        else:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (first given at line {first + 1})", key_node.start_mark
            )
    return loader.construct_mapping(node, deep=True)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _unique_mapping)


class ChemoradError(ValueError):
    """A user error: bad file, unknown name, out-of-range number."""


def closest(name: str, known: Iterable[str], n: int = 3) -> list[str]:
    """Known names most similar to `name` (case-insensitive), best first."""
    known = list(known)
    by_lower = {k.lower(): k for k in known}
    hits = difflib.get_close_matches(name.lower(), list(by_lower), n=n, cutoff=0.5)
    return [by_lower[h] for h in hits]


def read_yaml(path: Path, what: str) -> Any:
    """Parse a YAML file; a missing, unreadable, non-UTF-8 or malformed file is a one-line error naming `what` and the
    file (and the line or byte where it went wrong)."""
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)
    except FileNotFoundError:
        raise ChemoradError(f"{what} {path} not found") from None
    except IsADirectoryError:
        raise ChemoradError(f"{what} {path}: is a folder; expected a YAML file") from None
    except OSError as exc:
        raise ChemoradError(f"{what} {path}: cannot be read ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise ChemoradError(
            f"{what} {path}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start}); "
            "save it as UTF-8"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        problem = str(getattr(exc, "problem", "") or "")
        if problem.startswith("duplicate key"):
            raise ChemoradError(f"{what} {path}: {problem}{where}; give each key once") from None
        raise ChemoradError(f"{what} {path}: not valid YAML{where}") from None


def unknown(kind: str, name: str, known: Iterable[str]) -> ChemoradError:
    """An error for an unknown name, suggesting the closest known ones."""
    hint = closest(name, known)
    tail = f"; closest: {', '.join(hint)}" if hint else ""
    return ChemoradError(f"unknown {kind} {name!r}{tail}")
