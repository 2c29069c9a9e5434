"""Dotted parameter paths into a scenario: `tumour.hypoxic_fraction`, `schedule.0.dose_gy`,
`clones.1.activities.nhej_repair`.

Paths are checked against the validated scenario (its full dump, defaults included, so every field of the pydantic model
is addressable); list items are addressed by their 0-based index, mechanism activities by the catalog's mechanism id.
"""

from __future__ import annotations

import copy
from typing import Any

from chemorad.catalog import Catalog
from chemorad.errors import ChemoradError, closest


def leaf_paths(tree: Any, prefix: str = "") -> list[str]:
    """Every numeric leaf of a scenario dump, as dotted paths (the candidates offered for a misspelt path)."""
    if isinstance(tree, dict):
        items = tree.items()
    elif isinstance(tree, list):
        items = enumerate(tree)
    else:
        numeric = tree is None or (isinstance(tree, int | float) and not isinstance(tree, bool))
        return [prefix] if numeric and prefix else []
    out: list[str] = []
    for key, value in items:
        out += leaf_paths(value, f"{prefix}.{key}" if prefix else str(key))
    return out


def check_path(tree: dict, path: str, where: str, cat: Catalog, numeric: bool = True) -> bool:
    """Check that `path` names a (numeric, unless `numeric` is False) field of the scenario dump `tree`; return True if
    the field is an integer. Mechanism activities are checked against `cat`, the sweep's catalog.

    An unknown path is a `ChemoradError` naming it and the closest valid paths.
    """
    node: Any = tree
    parts = path.split(".")
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(node, list):
            if not (part.isdigit() and int(part) < len(node)):
                raise _unknown(tree, path, where, f"{'.'.join(parts[:i]) or '(top)'} has items 0..{len(node) - 1}")
            node = node[int(part)]
        elif isinstance(node, dict) and parts[i - 1 : i] == ["activities"] and last:
            if part not in cat.mechanisms:
                hint = closest(part, cat.mechanisms)
                tail = f"; closest: {', '.join(hint)}" if hint else ""
                raise ChemoradError(f"{where}: unknown mechanism {part!r} in parameter path {path!r}{tail}")
            return False
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            raise _unknown(tree, path, where)
    if numeric and (isinstance(node, bool) or not (node is None or isinstance(node, int | float))):
        raise ChemoradError(f"{where}: parameter path {path!r} is not a number (it holds {type(node).__name__})")
    return isinstance(node, int) and not isinstance(node, bool)


def _unknown(tree: dict, path: str, where: str, detail: str = "") -> ChemoradError:
    hint = closest(path, leaf_paths(tree))
    tail = f"; closest: {', '.join(hint)}" if hint else ""
    extra = f" ({detail})" if detail else ""
    return ChemoradError(f"{where}: unknown parameter path {path!r}{extra}{tail}")


def set_path(tree: dict, path: str, value: Any) -> None:
    """Set the field at `path` in place (an absent mechanism activity is created)."""
    node: Any = tree
    parts = path.split(".")
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    last = parts[-1]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value


def with_values(tree: dict, values: dict[str, Any]) -> dict:
    """A deep copy of `tree` with every path in `values` set."""
    out = copy.deepcopy(tree)
    for path, value in values.items():
        set_path(out, path, value)
    return out
