"""`chemorad simulate` on every example scenario, and its user errors; `chemorad crossres-evolution`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import xarray as xr
from typer.testing import CliRunner

from chemorad.cli import app

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.yaml"))
runner = CliRunner()


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_runs(example: Path, tmp_path: Path) -> None:
    res = runner.invoke(app, ["simulate", str(example), "--replicates", "2", "--out", str(tmp_path), "-f", "json"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert len(summary) == 2 and {"log_kill", "time_to_progression_days", "final_cells"} <= set(summary[0])
    ds = xr.open_dataset(tmp_path / "simulation.nc", engine="scipy")
    assert set(ds["cells"].dims) == {"replicate", "time", "clone", "compartment"}
    assert (tmp_path / "simulation.png").stat().st_size > 0 and (tmp_path / "summary.csv").exists()


def test_bad_scenario_exits_2_naming_file_and_field_and_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nschedule:\n  - kind: radiotherapy\n    dose_gy: -2\n    fractions: 3\n")
    out = tmp_path / "out"
    res = runner.invoke(app, ["simulate", str(bad), "--out", str(out)])
    assert res.exit_code == 2
    assert f"{bad}: schedule[0].dose_gy" in res.stderr and len(res.stderr.strip().splitlines()) == 1
    assert not out.exists()


@pytest.mark.parametrize(
    ("text", "needle"),
    [("name: [unclosed\n", "not valid YAML"), ("- 1\n- 2\n", "expected a mapping")],
)
def test_malformed_files(tmp_path: Path, text: str, needle: str) -> None:
    f = tmp_path / "s.yaml"
    f.write_text(text)
    res = runner.invoke(app, ["simulate", str(f)])
    assert res.exit_code == 2 and needle in res.stderr


def test_missing_file() -> None:
    res = runner.invoke(app, ["simulate", "/nonexistent/s.yaml"])
    assert res.exit_code == 2 and "not found" in res.stderr


def test_crossres_evolution_small(tmp_path: Path) -> None:
    res = runner.invoke(
        app, ["crossres-evolution", "--drugs", "cisplatin", "--replicates", "2", "--out", str(tmp_path), "-f", "json"]
    )
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert {r["order"] for r in rows} == {"cisplatin -> radiotherapy", "radiotherapy -> cisplatin"}
    assert all(r["rf_second_median"] >= 1.0 - 1e-9 for r in rows)  # selection never sensitises on average here
    assert (tmp_path / "crossres_evolution.png").stat().st_size > 0


@pytest.mark.parametrize(("drugs", "needle"), [("vincristine", "pharmacokinetics"), ("", "at least one drug")])
def test_crossres_evolution_bad_drugs(drugs: str, needle: str) -> None:
    res = runner.invoke(app, ["crossres-evolution", "--drugs", drugs])
    assert res.exit_code == 2 and needle in res.stderr


def test_unwritable_out_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    res = runner.invoke(app, ["demo", "--out", str(blocker / "sub")])
    assert res.exit_code == 2 and len(res.stderr.strip().splitlines()) == 1
