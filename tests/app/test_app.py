"""The application layer's typed inputs and its checks before any work (no data bundle needed)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from chemorad.app.inputs import ProfileInputs, split_ids
from chemorad.app.regimens import RegimenRequest, read_regimens, regimens
from chemorad.app.simulation import simulation_job
from chemorad.catalog.load import catalog
from chemorad.cli.options import MOLECULAR, profile_inputs
from chemorad.context import Context
from chemorad.errors import ChemoradError

EXAMPLES = Path(__file__).parents[2] / "examples"


def test_therapies_are_checked_against_the_catalog() -> None:
    cat = catalog()
    assert ProfileInputs().therapy_ids(cat) is None
    assert ProfileInputs(therapies=[" cisplatin", "radiotherapy "]).therapy_ids(cat) == ["cisplatin", "radiotherapy"]
    with pytest.raises(ChemoradError, match="--therapies: empty list"):
        ProfileInputs(therapies=[]).therapy_ids(cat)
    with pytest.raises(ChemoradError, match="cisplatinn"):
        ProfileInputs(therapies=["cisplatinn"]).therapy_ids(cat)


@pytest.mark.parametrize("level", [0.0, 1.0, 1.5, -0.1, math.nan])
def test_a_level_outside_the_open_unit_interval_is_refused(level: float) -> None:
    with pytest.raises(ChemoradError, match=r"--level must be in \(0, 1\)"):
        ProfileInputs(level=level).checked_level()
    assert ProfileInputs(level=0.5).checked_level() == 0.5


def test_inputs_are_frozen_and_refuse_unknown_fields() -> None:
    with pytest.raises(ValueError):
        ProfileInputs(cell_line=["A549"])  # the field is cell_lines; the option --cell-line
    with pytest.raises(ValueError):
        ProfileInputs().level = 0.5  # type: ignore[misc]


def test_command_line_values_become_typed_inputs() -> None:
    got = profile_inputs({"cell_line": ("A549", "H460"), "therapies": "cisplatin, ,radiotherapy", "level": 0.8})
    assert got.cell_lines == ["A549", "H460"] and got.therapies == ["cisplatin", "radiotherapy"] and got.level == 0.8
    assert profile_inputs({"cell_line": None, "therapies": ","}).therapies == []  # refused later, with its message
    assert split_ids(None) is None


def _options(name: str) -> list[str]:
    from chemorad.cli.app import load_command

    cmd = load_command(name)
    return [p.opts[0] for p in cmd.params if p.param_type_name == "option"]


def test_profile_commands_keep_their_flags_in_order() -> None:
    """The decorated commands show the options a plain typer command declared, in the same order."""
    molecular = ["--profiles", "--maf", "--expression", "--copy-number", "--protein", "--tissues", "--tissue"]
    molecular += ["--cell-line", "--scale", "--data"]
    assert len(MOLECULAR) == len(molecular)
    predict = [*molecular, "--therapies", "--level", "--all-metrics", "--format", "--orientation", "--observed"]
    assert _options("predict") == [*predict, "--model", "--estimator"]
    assert _options("report") == ["--out", *molecular, "--therapies", "--level", "--force", "--regimens"]
    assert _options("regimens") == [
        *molecular,
        "--regimen-file",
        "--standard",
        "--site",
        "--patients",
        "--seed",
        "--format",
    ]


def test_regimens_refuse_nothing_to_simulate_before_predicting(tmp_path) -> None:
    ctx = Context.create()
    with pytest.raises(ChemoradError, match="--no-standard"):
        regimens(ctx, ProfileInputs(cell_lines=["A549"]), RegimenRequest(standard=False))
    bad = tmp_path / "r.yaml"
    bad.write_text("hyper: []\n")
    with pytest.raises(ChemoradError, match="non-empty list"):
        read_regimens(bad, ctx.catalog)


def test_a_simulation_job_is_validated_before_it_runs(tmp_path) -> None:
    scenario = sorted(EXAMPLES.glob("*.yaml"))[0]
    job = simulation_job(Context.create(), scenario, replicates=2, seed=1)
    assert job.name and job.replicates == 2 and job.seed == 1
    with pytest.raises(ChemoradError, match="replicates"):
        simulation_job(Context.create(), scenario, replicates=10**9)
    with pytest.raises(ChemoradError):
        simulation_job(Context.create(), tmp_path / "missing.yaml")
