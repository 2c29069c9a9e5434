"""`chemorad sweep` and `chemorad sweep-report` on the shipped examples, and their user errors (one line, exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from _sweep_cases import tiny_sweep
from typer.testing import CliRunner

from chemorad.cli import app

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples" / "sweeps").glob("*.yaml"))
runner = CliRunner()


def _write(tmp_path: Path, raw: dict, name: str = "s.yaml") -> Path:
    f = tmp_path / name
    f.write_text(yaml.safe_dump(raw))
    return f


def _one_line_error(res, needle: str) -> None:
    assert res.exit_code == 2, res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("chemorad: error:") and needle in lines[0], res.stderr


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_runs_and_reports(example: Path, tmp_path: Path, dask_cluster, shared_data: Path) -> None:
    out = tmp_path / "run"
    args = ["sweep", str(example), "--out", str(out), "--scheduler", dask_cluster.scheduler_address]
    res = runner.invoke(app, [*args, "--data", str(shared_data)])
    assert res.exit_code == 0, res.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert len(list((out / "results").glob("batch-*.parquet"))) == manifest["n_batches"]
    res = runner.invoke(app, ["sweep-report", str(out), "-f", "json"])
    assert res.exit_code == 0, res.output
    tables = json.loads(res.stdout)[0]
    assert {r["arm"] for r in tables["distributions"]} == set(manifest["arms"])
    assert (out / "report" / "arm_comparison.png").stat().st_size > 0
    if manifest["spec"]["design"]["kind"] == "sobol":
        assert tables["sensitivity"] and (out / "report" / "tornado.png").exists()
    if manifest["parameters"]:
        assert (out / "report" / "outcome_vs_parameter.png").exists()
    res = runner.invoke(app, ["sweep-report", str(out), "-f", "csv", "--no-figures"])
    assert res.exit_code == 0 and res.stdout.startswith("table,")


def test_resume_through_the_cli(tmp_path: Path, dask_cluster) -> None:
    f = _write(tmp_path, tiny_sweep())
    out = tmp_path / "run"
    base = ["sweep", str(f), "--out", str(out), "--scheduler", dask_cluster.scheduler_address, "--batch-size", "4"]
    assert runner.invoke(app, base).exit_code == 0
    first = pd.read_parquet(out / "results").sort_values(["point", "arm", "replicate"]).reset_index(drop=True)
    (out / "results" / "batch-000001.parquet").unlink()
    _one_line_error(runner.invoke(app, base), "pass --resume")
    res = runner.invoke(app, [*base, "--resume"])
    assert res.exit_code == 0 and "2 finished batches kept" in res.stderr
    again = pd.read_parquet(out / "results").sort_values(["point", "arm", "replicate"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(first, again)
    # the same folder for an edited sweep file: refused, with or without --resume
    g = _write(tmp_path, tiny_sweep(seed=99), "edited.yaml")
    _one_line_error(
        runner.invoke(app, ["sweep", str(g), "--out", str(out), "--resume", "--scheduler", "tcp://127.0.0.1:9"]),
        "different sweep",
    )


@pytest.mark.parametrize(
    ("override", "needle"),
    [
        ({"parameters": [{"path": "tumour.hypoxic_fracton", "low": 0.1, "high": 0.2}]}, "tumour.hypoxic_fracton"),
        ({"parameters": [{"path": "tumour.hypoxic_fraction", "low": 0.4, "high": 0.1}]}, "low 0.4 > high 0.1"),
        ({"design": {"kind": "lhs", "samples": 0}}, "design.samples"),
    ],
)
def test_bad_sweep_files(tmp_path: Path, override: dict, needle: str) -> None:
    f = _write(tmp_path, tiny_sweep(**override))
    res = runner.invoke(app, ["sweep", str(f), "--out", str(tmp_path / "out")])
    _one_line_error(res, needle)
    assert not (tmp_path / "out").exists()


def test_unreachable_scheduler(tmp_path: Path) -> None:
    f = _write(tmp_path, tiny_sweep())
    bad = ["--scheduler", "tcp://127.0.0.1:9", "--connect-timeout", "1"]
    res = runner.invoke(app, ["sweep", str(f), "--out", str(tmp_path / "out"), *bad])
    _one_line_error(res, "--scheduler tcp://127.0.0.1:9: cannot connect within 1 s")
    assert not (tmp_path / "out").exists()


def test_missing_sweep_file_and_bad_options(tmp_path: Path) -> None:
    _one_line_error(runner.invoke(app, ["sweep", str(tmp_path / "no.yaml"), "--out", str(tmp_path)]), "not found")
    f = _write(tmp_path, tiny_sweep())
    res = runner.invoke(app, ["sweep", str(f), "--out", str(tmp_path / "o"), "--workers", "0"])
    assert res.exit_code == 2
    _one_line_error(runner.invoke(app, ["sweep-report", str(tmp_path)]), "not a chemorad sweep results folder")
