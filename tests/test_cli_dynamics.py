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
    record = json.loads(res.stdout)
    summary = record["replicates"]
    assert len(summary) == 2 and {"log_kill", "time_to_progression_days", "final_cells", "tcp"} <= set(summary[0])
    pop = record["population"]
    assert 0 <= pop["tcp_low"] <= pop["tcp"] <= pop["tcp_high"] <= 1 and pop["patients"] == 2
    assert "population TCP" in " ".join(res.stderr.split())
    assert json.loads((tmp_path / "summary.json").read_text())["population"] == pop
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


def _scenario(tmp_path: Path, text: str) -> Path:
    f = tmp_path / "s.yaml"
    f.write_text(text)
    return f


SMALL = "name: x\nschedule:\n  - kind: radiotherapy\n    dose_gy: 2\n    fractions: 3\nsimulation:\n  days: 5\n"


def _no_litter(folder: Path) -> None:
    assert not list(folder.glob(".chemorad-*"))


def test_out_onto_an_existing_file_fails_before_simulating(tmp_path: Path) -> None:
    target = tmp_path / "taken"
    target.write_text("mine")
    res = runner.invoke(app, ["simulate", str(_scenario(tmp_path, SMALL)), "--out", str(target)])
    assert res.exit_code == 2 and "is an existing file" in res.stderr
    assert "simulating" not in res.stderr and "population TCP" not in res.stderr  # refused before the run
    assert target.read_text() == "mine"
    _no_litter(tmp_path)


def test_out_onto_earlier_outputs_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "run"
    out.mkdir()
    (out / "summary.csv").write_text("keep")
    res = runner.invoke(app, ["simulate", str(_scenario(tmp_path, SMALL)), "--out", str(out)])
    assert res.exit_code == 2 and "already holds summary.csv" in res.stderr
    assert (out / "summary.csv").read_text() == "keep"
    _no_litter(tmp_path)


def test_out_in_an_unwritable_place_fails_before_simulating(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    res = runner.invoke(app, ["simulate", str(_scenario(tmp_path, SMALL)), "--out", str(blocker / "sub")])
    assert res.exit_code == 2 and len(res.stderr.strip().splitlines()) == 1
    assert "population TCP" not in res.stderr
    _no_litter(tmp_path)


def test_a_failure_while_writing_leaves_no_staging_folder(tmp_path: Path, monkeypatch) -> None:
    import chemorad.report.dynamics_figures as figs

    def boom(*_a, **_k):
        raise OSError("disk full")

    monkeypatch.setattr(figs, "simulation_figure", boom)
    res = runner.invoke(app, ["simulate", str(_scenario(tmp_path, SMALL)), "--out", str(tmp_path / "o")])
    assert res.exit_code != 0
    _no_litter(tmp_path)
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    ("text", "args", "needle"),
    [
        (SMALL, ["--replicates", "1000000000"], "replicates fit"),
        ("name: x\nsimulation:\n  days: 1.0e6\n  dt_days: 0.001\n", [], "raise dt_days to at least"),
        (
            "name: x\ntumour:\n  initial_cells: 1.0e15\n  carrying_capacity: 1.0e16\nsimulation:\n  mode: exact\n",
            [],
            "use mode: auto",
        ),
        ("name: x\nschedule:\n  - kind: radiotherapy\n    dose_gy: .nan\n    fractions: 3\n", [], "finite number"),
    ],
)
def test_runs_that_cannot_fit_or_are_not_numbers_are_refused_in_one_line(tmp_path, text, args, needle) -> None:
    res = runner.invoke(app, ["simulate", str(_scenario(tmp_path, text)), *args])
    assert res.exit_code == 2, res.output
    assert needle in res.stderr and len(res.stderr.strip().splitlines()) == 1
    assert "must be <= 30" not in res.stderr
