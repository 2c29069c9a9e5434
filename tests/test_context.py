"""The context object and a user-supplied catalog from the command line."""

import shutil
from importlib import resources
from pathlib import Path

from typer.testing import CliRunner

from chemorad.cli import app
from chemorad.context import Context, default_cache_dir

runner = CliRunner()


def test_cache_dir_can_be_disabled(monkeypatch) -> None:
    monkeypatch.setenv("CHEMORAD_CACHE", "off")
    assert default_cache_dir() is None
    monkeypatch.setenv("CHEMORAD_CACHE", "/somewhere/else")
    assert default_cache_dir() == Path("/somewhere/else")


def test_user_catalog_is_used_by_commands(tmp_path) -> None:
    shipped = Path(str(resources.files("chemorad") / "catalog" / "data"))
    mine = tmp_path / "catalog"
    shutil.copytree(shipped, mine)
    text = (mine / "therapies.yaml").read_text(encoding="utf-8")
    (mine / "therapies.yaml").write_text(
        text.replace("name: Cisplatin\n", "name: Cisplatin (my catalog)\n", 1), encoding="utf-8"
    )
    assert Context.create(catalog_dir=mine).catalog.therapies["cisplatin"].name == "Cisplatin (my catalog)"
    result = runner.invoke(app, ["--catalog", str(mine), "therapies", "-f", "json"])
    assert result.exit_code == 0, result.output
    assert "Cisplatin (my catalog)" in result.output
    result = runner.invoke(app, ["therapies", "-f", "json"])
    assert "Cisplatin (my catalog)" not in result.output


def test_missing_catalog_folder_is_one_line_exit_2(tmp_path) -> None:
    result = runner.invoke(app, ["--catalog", str(tmp_path / "nope"), "therapies"])
    assert result.exit_code == 2
    assert "--catalog" in result.output and len(result.output.strip().splitlines()) == 1
