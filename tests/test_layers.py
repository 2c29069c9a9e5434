"""The layering rules that import-linter cannot state by itself."""

from __future__ import annotations

import tomllib
from pathlib import Path

import chemorad.cli

ROOT = Path(__file__).parents[1]
#: cli modules other cli modules may import: the root group, the context, option declarations and rendering
SHARED = {"chemorad.cli.app", "chemorad.cli.context", "chemorad.cli.options", "chemorad.cli.render"}
SHARED |= {"chemorad.cli.__main__"}


def _contracts() -> list[dict]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]


def test_every_cli_module_is_a_command_module_or_a_shared_helper() -> None:
    """A new command module must join the independence contract, or it could import another command's logic."""
    independent = next(c for c in _contracts() if c["type"] == "independence")
    listed = set(independent["modules"])
    found = {f"chemorad.cli.{p.stem}" for p in Path(chemorad.cli.__file__).parent.glob("*.py") if p.stem != "__init__"}
    assert found - SHARED == listed, (
        f"not in the contract: {sorted(found - SHARED - listed)}; listed but absent: {sorted(listed - found)}"
    )
    assert not listed & SHARED


def test_cli_and_web_are_independent_but_for_serve() -> None:
    layers = next(c for c in _contracts() if c["type"] == "layers")
    assert layers["layers"][0] == "chemorad.cli | chemorad.web"
    assert layers.get("ignore_imports") == ["chemorad.cli.web -> chemorad.web.app"]


def test_no_complexity_exemption_for_cli_or_web() -> None:
    ignores = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["ruff"]["lint"]["per-file-ignores"]
    assert not [k for k in ignores if k.startswith(("src/chemorad/cli", "src/chemorad/web"))]
