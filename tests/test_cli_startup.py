"""The command line starts without the heavy scientific stack, and its lazy command table matches the commands.

Issue 17: `chemorad --help` took about 3 s because every command module was imported up front. Speed itself is
measured in benchmarks/bench_startup.py (tests never assert on wall-clock time); here we check the cause.
"""

from __future__ import annotations

import inspect
import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from _startup_probe import SRC, app_run, modules_after
from chemorad.cli import app
from chemorad.cli.app import COMMANDS, load_command

HEAVY = ("pandas", "scipy", "matplotlib", "sklearn", "dask", "pyarrow", "xarray")


def _modules_after(code: str) -> list[str]:
    return modules_after(code, HEAVY)


def test_importing_the_cli_imports_no_heavy_module():
    assert _modules_after("import chemorad.cli") == []


def test_help_and_gene_lookup_import_no_heavy_module():
    assert _modules_after(app_run(["--help"])) == []
    assert _modules_after(app_run(["gene", "ABCB1"])) == []


@pytest.mark.parametrize("name", list(COMMANDS))
def test_listed_help_is_the_commands_own(name):
    cmd = load_command(name)
    first = inspect.cleandoc(cmd.help or "").split("\n\n")[0].replace("\n", " ")
    assert COMMANDS[name][1] == first


def test_help_lists_every_command_and_a_command_runs_after_listing():
    runner = CliRunner()
    res = runner.invoke(app, ["--help"])
    assert res.exit_code == 0
    for name in COMMANDS:
        assert name in res.output
    res = runner.invoke(app, ["gene", "ABCB1", "--format", "json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)[0]["gene"] == "ABCB1"


def test_misspelt_command_is_one_line_with_a_suggestion():
    res = CliRunner().invoke(app, ["gen", "ABCB1"])
    assert res.exit_code == 2
    assert "gene" in res.output and len(res.output.strip().splitlines()) == 1


def test_piped_table_is_not_squeezed_to_80_columns():
    """Issue 17: piped output wrapped numbers and names at 80 columns; a long cell must stay on one line."""
    out = subprocess.run(
        [sys.executable, "-m", "chemorad.cli", "gene", "ABCB1"],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin", "COLUMNS": "80"},
    ).stdout
    assert "etoposide, paclitaxel, docetaxel, vincristine, irinotecan, topotecan" in out
    assert max(len(line) for line in out.splitlines()) > 80
