"""`chemorad evidence ...` end to end on the bundle, and its user errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chemorad.cli import app

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, ["evidence", *args])


def test_fit_radiation_one_line_with_figure(shared_data: Path, tmp_path: Path) -> None:
    res = run(
        "fit-radiation",
        "--cell-line",
        "SK-N-SH",
        "--data",
        str(shared_data),
        "--format",
        "json",
        "--out",
        str(tmp_path),
    )
    assert res.exit_code == 0, res.output
    rec = json.loads(res.stdout)[0]
    assert rec["cell_line"] == "SKNSH" and rec["alpha"] >= 0 and rec["beta"] >= 0
    assert rec["alpha"] == pytest.approx(rec["radiogx_alpha"], abs=1e-6)  # Manem et al. 2019 (RadioGx)
    assert (tmp_path / "lq_fit_SKNSH.png").stat().st_size > 0


def test_fit_radiation_user_table(tmp_path: Path) -> None:
    table = tmp_path / "curves.csv"
    # SF = exp(-0.3 D - 0.03 D^2) exactly: the fit must return the generating alpha and beta.
    import numpy as np

    d = np.array([0, 1, 2, 4, 6, 8])
    rows = "\n".join(f"X,{x},{float(np.exp(-0.3 * x - 0.03 * x * x))!r}" for x in d)
    table.write_text("cell_line,dose_gy,sf\n" + rows + "\n")
    res = run("fit-radiation", "--table", str(table), "--format", "json")
    assert res.exit_code == 0, res.output
    rec = json.loads(res.stdout)[0]
    assert rec["alpha"] == pytest.approx(0.3, rel=1e-9) and rec["beta"] == pytest.approx(0.03, rel=1e-9)


def test_claims_json_keys(shared_data: Path) -> None:
    res = run("claims", "--mechanism", "efflux_abcb1", "--data", str(shared_data), "--format", "json")
    assert res.exit_code == 0, res.output
    recs = json.loads(res.stdout)
    assert recs and {"mechanism", "therapy", "dataset", "effect", "ci_low", "ci_high", "fdr", "n", "verdict"} <= set(
        recs[0]
    )
    assert {r["mechanism"] for r in recs} == {"efflux_abcb1"}


def test_crossres_json_keys(shared_data: Path, tmp_path: Path) -> None:
    res = run(
        "crossres",
        "--n-boot",
        "50",
        "--no-drug-pairs",
        "--data",
        str(shared_data),
        "--format",
        "json",
        "--out",
        str(tmp_path),
    )
    assert res.exit_code == 0, res.output
    recs = json.loads(res.stdout)
    assert {"therapy_a", "therapy_b", "dataset", "partial_r", "ci_low", "ci_high", "fdr", "n"} <= set(recs[0])
    assert all(r["therapy_a"].startswith("radiotherapy") for r in recs)
    assert (tmp_path / "crossres_matrix.png").stat().st_size > 0


def test_scan_scores(shared_data: Path) -> None:
    res = run("scan", "--features", "scores", "--top", "5", "--data", str(shared_data), "--format", "json")
    assert res.exit_code == 0, res.output
    recs = json.loads(res.stdout)
    assert len(recs) == 5 and recs[0]["p_value"] <= recs[-1]["p_value"]


def test_data_command_verifies_checksums_and_counts_lines(shared_data: Path) -> None:
    res = run("data", "--verify", "--data", str(shared_data), "--format", "json")
    assert res.exit_code == 0, res.output
    recs = {r["dataset"]: r for r in json.loads(res.stdout)}
    assert recs["yard"]["lines"] == 384 and recs["yard"]["sha256"].endswith("ok")  # data README: 384 lines
    assert "distinct lines" in res.stderr


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("fit-radiation", "--cell-line", "NOT-A-LINE"), "unknown cell line 'NOT-A-LINE'"),
        (("fit-radiation", "--table", "/nonexistent/curves.csv"), "--table"),
        (("claims", "--mechanism", "effflux_abcb1"), "closest: efflux_abcb1"),
        (("scan", "--features", "genes"), "--features must be one of"),
        (("claims", "--data", "/nonexistent/data"), "/nonexistent/data"),
    ],
)
def test_user_errors_one_line_exit_2(shared_data: Path, args, needle) -> None:
    full = list(args) if "--data" in args else [*args, "--data", str(shared_data)]
    res = run(*full)
    assert res.exit_code == 2, res.output
    assert needle in res.stderr and len(res.stderr.strip().splitlines()) == 1
