"""`chemorad predict --help` and `chemorad report --help` start without the science (issue 24): the command module
imports pandas, the fitted models and the chain only when a command runs. Speed itself is measured in
benchmarks/bench_predict_speed.py; here we check the cause."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
HEAVY = ("pandas", "scipy", "sklearn", "matplotlib", "pyarrow", "jax", "chemorad.profile.predict")


def _modules_after(args: list[str]) -> list[str]:
    probe = (
        "import json, sys\nfrom chemorad.cli import app\n"
        f"try:\n    app({args!r})\nexcept SystemExit:\n    pass\n"
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("command", ["predict", "report"])
def test_profile_command_help_imports_no_science(command):
    assert _modules_after([command, "--help"]) == []


def test_the_probe_sees_a_command_that_does_load_the_science():
    """The same probe on a bad run that gets as far as loading the prediction path (an unknown estimator is refused
    after the predictor module is imported): the check can fail."""
    assert "chemorad.profile.predict" not in _modules_after(["predict", "--help"])
    assert "pandas" in _modules_after(["predict", "--cell-line", "X", "--estimator", "nope"])
