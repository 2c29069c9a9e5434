"""The worked examples in docs/ run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"


def python_blocks(path: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", path.read_text(), flags=re.S)


@pytest.mark.parametrize("doc", sorted(p.name for p in DOCS.glob("*.md") if python_blocks(p)))
def test_python_examples_run(doc: str) -> None:
    for block in python_blocks(DOCS / doc):
        exec(compile(block, doc, "exec"), {})
