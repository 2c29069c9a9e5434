"""`chemorad predict --help` and `chemorad report --help` start without the science (issue 24): the command module
imports pandas, the fitted models and the chain only when a command runs. Speed itself is measured in
benchmarks/bench_predict_speed.py; here we check the cause."""

from __future__ import annotations

import pytest

from _startup_probe import app_run, modules_after

HEAVY = ("pandas", "scipy", "sklearn", "matplotlib", "pyarrow", "jax", "chemorad.profile.predict")


def _modules_after(args: list[str]) -> list[str]:
    return modules_after(app_run(args), HEAVY)


@pytest.mark.parametrize("command", ["predict", "report"])
def test_profile_command_help_imports_no_science(command):
    assert _modules_after([command, "--help"]) == []


def test_the_probe_sees_a_command_that_does_load_the_science():
    """The same probe on a bad run that gets as far as loading the prediction path (an unknown estimator is refused
    after the predictor module is imported): the check can fail."""
    assert "chemorad.profile.predict" not in _modules_after(["predict", "--help"])
    assert "pandas" in _modules_after(["predict", "--cell-line", "X", "--estimator", "nope"])
