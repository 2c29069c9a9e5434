"""docs/api.md is generated from the docstrings and must be regenerated when the public API changes."""

import importlib.util
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_api_reference_is_up_to_date() -> None:
    spec = importlib.util.spec_from_file_location("make_api", DOCS / "make_api.py")
    make_api = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_api)
    expected = make_api.render()
    assert (DOCS / "api.md").read_text(encoding="utf-8") == expected, "run: python docs/make_api.py"
