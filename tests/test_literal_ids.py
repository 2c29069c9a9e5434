"""No data-set id or therapy id written as a string literal in src/ outside the registry, the bundle loader and YAML.

Ids are the keys of `RESPONSE_DATASETS` (`yard`, `gdsc1`, `gdsc2`, `ctrp`) and the shipped catalog's therapy ids
(`radiotherapy`, `cisplatin`, ...). A string constant equal to one of them (docstrings excepted) is a literal id: code
that should ask the registry (`datasets_for`, `ResponseKey`), the bundle (`datasets.YARD`, `RESPONSE_LOADERS`) or the
catalog (`cat.radiotherapy.id`, `therapies_of`) instead. Adding a data set or a therapy then touches the registry and
the YAML, not every module that spelt its name.

ALLOWED lists the modules other engineers were editing when this test arrived (issue 25), with their count of literals
at that time. The list can only shrink: a listed file with more literals fails, and so does one with fewer (lower its
count, or remove it at 0), so the list stays honest.
"""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

from chemorad.catalog import catalog
from chemorad.catalog.registry import RESPONSE_DATASETS

SRC = Path(__file__).resolve().parents[1] / "src" / "chemorad"

#: where ids are defined: the registry and the bundle's loader (its files and their ids)
HOME = {
    "catalog/registry.py",
    "bundle/datasets.py",
    "bundle/core.py",
    "bundle/names.py",
    "bundle/optional.py",
    "bundle/pide.py",
}

#: file -> literals left (issue 25): none are left; the list stays so a future exception must be named and counted.
ALLOWED: dict[str, int] = {}


def _ids() -> set[str]:
    return set(RESPONSE_DATASETS) | set(catalog().therapies)


def _docstrings(tree: ast.AST) -> set[int]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                out.add(id(first.value))
    return out


def literal_ids(source: str, ids: set[str]) -> list[tuple[int, str]]:
    """(line, id) of every string constant in `source` equal to one of `ids`, docstrings excepted."""
    tree = ast.parse(source)
    docs = _docstrings(tree)
    return sorted(
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in ids and id(node) not in docs
    )


def _counts() -> tuple[Counter, dict[str, list[tuple[int, str]]]]:
    ids, counts, where = _ids(), Counter(), {}
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if rel in HOME:
            continue
        hits = literal_ids(path.read_text(encoding="utf-8"), ids)
        if hits:
            counts[rel], where[rel] = len(hits), hits
    return counts, where


def test_the_scanner_finds_literals_and_skips_docstrings() -> None:
    code = 'def f():\n    """yard"""\n    return {"yard": 1, "x": "radiotherapy", "gdsc": 2}\n'
    assert literal_ids(code, {"yard", "radiotherapy"}) == [(3, "radiotherapy"), (3, "yard")]


def test_no_literal_ids_outside_the_registry_and_the_bundle() -> None:
    counts, where = _counts()
    new = {f: where[f] for f in counts if f not in ALLOWED}
    assert not new, f"literal data-set or therapy ids (ask the registry, the bundle or the catalog): {new}"
    grown = {f: (counts[f], ALLOWED[f], where[f]) for f in counts if f in ALLOWED and counts[f] > ALLOWED[f]}
    assert not grown, f"more literal ids than allowed (found, allowed, where): {grown}"


def test_the_allowlist_only_shrinks() -> None:
    counts, _ = _counts()
    stale = {f: (counts.get(f, 0), n) for f, n in ALLOWED.items() if counts.get(f, 0) != n}
    assert not stale, f"fewer literals than listed: lower ALLOWED (found, listed): {stale}"
