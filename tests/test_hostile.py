"""Hostile inputs to every command: each gives ONE line `chemorad: error: ...` naming the input, and exit code 2.

Issue 17 found 22 of 117 hostile inputs handled badly. This suite keeps every command honest against bad files
(missing, empty, corrupt, non-UTF-8, wrong type), bad numbers (NaN, inf, negative, huge) and wrong names. It is fast:
the heavy steps (model fits, simulations, sweeps, evidence tables) are replaced by a tripwire, so a case passes only if
the input is refused *before* the work starts, which is also what a user wants. Cases that must run the real code
(resource bounds) run in a subprocess with a memory limit and a timeout.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from chemorad.cli import app

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()

TINY_SCENARIO = {
    "name": "tiny",
    "tumour": {"initial_cells": 1.0e5, "redistribution": False},
    "schedule": [{"kind": "radiotherapy", "dose_gy": 2.0, "fractions": 3}],
    "simulation": {"days": 12, "dt_days": 1.0, "mode": "deterministic"},
}
TINY_SWEEP = {
    "name": "tiny-sweep",
    "base": TINY_SCENARIO,
    "parameters": [{"path": "tumour.hypoxic_fraction", "low": 0.05, "high": 0.4}],
    "design": {"kind": "lhs", "samples": 4},
}


class _Reached(Exception):
    """Raised by the tripwire: the command started its heavy work instead of refusing the input."""


@pytest.fixture(autouse=True)
def tripwire(monkeypatch):
    """Replace the heavy entry points: a hostile input must be refused before any of them runs; and a 30 s alarm, so
    a command that starts unbounded work anyway fails the case instead of hanging the suite."""
    import signal

    def too_long(signum, frame):
        raise _Reached("the command ran for 30 s instead of refusing the input")

    previous = signal.signal(signal.SIGALRM, too_long)
    signal.alarm(30)

    def trip(*args, **kwargs):
        raise _Reached("the command reached its heavy work before refusing the input")

    for target in (
        "chemorad.dynamics.simulator.simulate",
        "chemorad.dynamics.experiments.crossres_evolution",
        "chemorad.profile.predict.predict_profile",
        "chemorad.app.predict.predict_profile",
        "chemorad.sweep.run.run_sweep",
        "chemorad.evidence.claims.claim_verdicts",
        "chemorad.evidence.claims.evidence_tables",
        "chemorad.cli.demo.run_demo",
    ):
        module, attr = target.rsplit(".", 1)
        monkeypatch.setattr(f"{module}.{attr}", trip, raising=False)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    """Hostile files: missing, empty, binary, non-UTF-8, a folder, and YAML of the wrong shape or numbers."""
    out = {
        "missing": tmp_path / "missing.yaml",
        "empty": tmp_path / "empty.yaml",
        "binary": tmp_path / "binary.parquet",
        "latin1": tmp_path / "latin1.yaml",
        "folder": tmp_path / "a_folder",
        "list": tmp_path / "list.yaml",
        "existing": tmp_path / "existing.html",
    }
    out["empty"].write_text("")
    out["binary"].write_bytes(os.urandom(512))
    out["latin1"].write_bytes("name: r\u00e9sistance\n".encode("latin-1"))
    out["folder"].mkdir()
    out["list"].write_text("- 1\n- 2\n")
    out["existing"].write_text("<p>the user's own file</p>")
    for key, value in {
        "days_nan": ("simulation", "days", float("nan")),
        "days_inf": ("simulation", "days", float("inf")),
        "days_negative": ("simulation", "days", -5.0),
        "cells_huge": ("tumour", "initial_cells", 1e300),
        "dose_nan": ("schedule", "dose_gy", float("nan")),
        "dose_negative": ("schedule", "dose_gy", -2.0),
    }.items():
        tree = yaml.safe_load(yaml.safe_dump(TINY_SCENARIO))
        section, field, number = value
        (tree[section][0] if section == "schedule" else tree[section])[field] = number
        out[key] = tmp_path / f"{key}.yaml"
        out[key].write_text(yaml.safe_dump(tree))
    out["scenario"] = tmp_path / "scenario.yaml"
    out["scenario"].write_text(yaml.safe_dump(TINY_SCENARIO))
    for key, over in {
        "sweep_nan": {"parameters": [{"path": "tumour.hypoxic_fraction", "low": float("nan"), "high": 0.4}]},
        "sweep_sobol_huge": {"design": {"kind": "sobol", "samples": 10**9}},
        "sweep_cohort_huge": {"design": {"kind": "cohort", "members": 10**9, "tissue": "lung"}, "parameters": []},
        "sweep_grid_huge": {
            "design": {"kind": "grid"},
            "parameters": [
                {"path": "tumour.hypoxic_fraction", "low": 0.1, "high": 0.4, "num": 100_000},
                {"path": "tumour.doubling_time_days", "low": 2, "high": 6, "num": 100_000},
            ],
        },
        "sweep_negative_replicates": {"replicates": -1},
        "sweep_string_samples": {"design": {"kind": "lhs", "samples": "many"}},
    }.items():
        out[key] = tmp_path / f"{key}.yaml"
        out[key].write_text(yaml.safe_dump({**TINY_SWEEP, **over}))
    bad_run = tmp_path / "bad_run"
    (bad_run / "results").mkdir(parents=True)
    (bad_run / "manifest.json").write_text('{"name": "x", "arms": [')
    out["bad_run"] = bad_run
    table = tmp_path / "sf.csv"
    table.write_text("cell_line,dose_gy,sf\nA,0,1\nA,2,0.5\nA,4,abc\nA,6,1.7\n")
    out["sf_bad"] = table
    two = tmp_path / "sf_two.csv"
    two.write_text("cell_line,dose_gy,sf\nA,2,0.5\nA,4,0.2\n")
    out["sf_two"] = two
    return out


# (case id, argv with {placeholders} for `files`, the text the one-line error must contain)
CASES = [
    # catalog look-ups
    ("mechanisms-therapy", ["mechanisms", "--therapy", "radiotherapi"], "radiotherapi"),
    ("mechanisms-stage", ["mechanisms", "--stage", "nowhere"], "nowhere"),
    ("mechanisms-gene", ["mechanisms", "--gene", "NOTAGENE1"], "NOTAGENE1"),
    ("mechanisms-format", ["mechanisms", "--format", "xml"], "xml"),
    ("mechanism-unknown", ["mechanism", "eflux_abcb1"], "eflux_abcb1"),
    ("mechanism-format", ["mechanism", "efflux_abcb1", "--format", "xml"], "--format"),
    ("gene-unknown", ["gene", "NOTAGENE1"], "NOTAGENE1"),
    ("gene-empty", ["gene", ""], "gene"),
    ("therapies-format", ["therapies", "-f", "pdf"], "pdf"),
    ("references-format", ["references", "-f", "pdf"], "pdf"),
    ("catalog-missing", ["--catalog", "{missing}", "gene", "ABCB1"], "missing.yaml"),
    ("catalog-not-catalog", ["--catalog", "{folder}", "gene", "ABCB1"], "a_folder"),
    # computed specificity
    ("specificity-activity-nan", ["specificity", "--activity", "nan"], "--activity"),
    ("specificity-activity-inf", ["specificity", "--activity", "inf"], "--activity"),
    ("specificity-activity-huge", ["specificity", "--activity", "1e300"], "--activity"),
    ("specificity-activity-text", ["specificity", "--activity", "lots"], "--activity"),
    ("specificity-po2-negative", ["specificity", "--po2", "-1"], "--po2"),
    ("specificity-po2-nan", ["specificity", "--po2", "nan"], "--po2"),
    # demo
    ("demo-data-missing", ["demo", "--out", "{folder}", "--data", "{missing}"], "missing.yaml"),
    ("demo-out-is-a-file", ["demo", "--out", "{existing}"], "existing.html"),
    # the data bundle
    ("data-missing", ["data", "--data", "{missing}"], "missing.yaml"),
    ("data-file", ["data", "--data", "{existing}"], "existing.html"),
    ("data-format", ["data", "-f", "pdf"], "pdf"),
    # evidence
    ("evidence-data-missing", ["evidence", "data", "--data", "{missing}"], "missing.yaml"),
    ("evidence-data-file", ["evidence", "data", "--data", "{existing}"], "existing.html"),
    ("fit-radiation-table-missing", ["evidence", "fit-radiation", "--table", "{missing}"], "missing.yaml"),
    ("fit-radiation-table-binary", ["evidence", "fit-radiation", "--table", "{binary}"], "binary.parquet"),
    ("fit-radiation-table-latin1", ["evidence", "fit-radiation", "--table", "{latin1}"], "latin1.yaml"),
    ("fit-radiation-data-missing", ["evidence", "fit-radiation", "--data", "{missing}"], "missing.yaml"),
    ("scan-top-zero", ["evidence", "scan", "--top", "0"], "--top"),
    ("scan-data-missing", ["evidence", "scan", "--data", "{missing}"], "missing.yaml"),
    ("crossres-negative-boot", ["evidence", "crossres", "--n-boot", "-1"], "--n-boot"),
    ("crossres-data-missing", ["evidence", "crossres", "--data", "{missing}"], "missing.yaml"),
    ("claims-unknown-mechanism", ["evidence", "claims", "--mechanism", "eflux"], "eflux"),
    ("claims-data-missing", ["evidence", "claims", "--data", "{missing}"], "missing.yaml"),
    # dynamics
    ("simulate-missing", ["simulate", "{missing}"], "missing.yaml"),
    ("simulate-empty", ["simulate", "{empty}"], "empty.yaml"),
    ("simulate-binary", ["simulate", "{binary}"], "binary.parquet"),
    ("simulate-latin1", ["simulate", "{latin1}"], "latin1.yaml"),
    ("simulate-folder", ["simulate", "{folder}"], "a_folder"),
    ("simulate-list", ["simulate", "{list}"], "list.yaml"),
    ("simulate-days-nan", ["simulate", "{days_nan}"], "days"),
    ("simulate-days-inf", ["simulate", "{days_inf}"], "days"),
    ("simulate-days-negative", ["simulate", "{days_negative}"], "days"),
    ("simulate-cells-huge", ["simulate", "{cells_huge}"], "initial_cells"),
    ("simulate-dose-negative", ["simulate", "{dose_negative}"], "dose_gy"),
    ("simulate-replicates-zero", ["simulate", "{scenario}", "--replicates", "0"], "--replicates"),
    ("simulate-replicates-text", ["simulate", "{scenario}", "--replicates", "many"], "--replicates"),
    ("crossres-evolution-drug", ["crossres-evolution", "--drugs", "cisplatine"], "cisplatine"),
    ("crossres-evolution-radiation", ["crossres-evolution", "--drugs", "radiotherapy"], "radiotherapy"),
    ("crossres-evolution-empty", ["crossres-evolution", "--drugs", ","], "--drugs"),
    ("crossres-evolution-rate", ["crossres-evolution", "--rate", "2"], "--rate"),
    ("crossres-evolution-rate-nan", ["crossres-evolution", "--rate", "nan"], "--rate"),
    ("crossres-evolution-replicates", ["crossres-evolution", "--replicates", "0"], "--replicates"),
    # profile
    ("predict-nothing", ["predict"], "--cell-line"),
    ("predict-two-kinds", ["predict", "--cell-line", "FADU", "--maf", "{missing}"], "--cell-line"),
    ("predict-maf-missing", ["predict", "--maf", "{missing}"], "missing.yaml"),
    ("predict-maf-binary", ["predict", "--maf", "{binary}"], "binary.parquet"),
    ("predict-expression-latin1", ["predict", "--expression", "{latin1}"], "latin1.yaml"),
    ("predict-expression-folder", ["predict", "--expression", "{folder}"], "a_folder"),
    ("predict-scale", ["predict", "--cell-line", "FADU", "--scale", "fpkm"], "fpkm"),
    ("predict-profiles-missing", ["predict", "--profiles", "{missing}"], "missing.yaml"),
    ("predict-data-missing", ["predict", "--cell-line", "FADU", "--data", "{missing}"], "missing.yaml"),
    ("report-nothing", ["report", "--out", "{folder}"], "--cell-line"),
    ("report-maf-missing", ["report", "--out", "{folder}", "--maf", "{missing}"], "missing.yaml"),
    # sweeps
    ("sweep-missing", ["sweep", "{missing}", "--out", "{folder}/o"], "missing.yaml"),
    ("sweep-empty", ["sweep", "{empty}", "--out", "{folder}/o"], "empty.yaml"),
    ("sweep-latin1", ["sweep", "{latin1}", "--out", "{folder}/o"], "latin1.yaml"),
    ("sweep-binary", ["sweep", "{binary}", "--out", "{folder}/o"], "binary.parquet"),
    ("sweep-list", ["sweep", "{list}", "--out", "{folder}/o"], "list.yaml"),
    ("sweep-nan-bound", ["sweep", "{sweep_nan}", "--out", "{folder}/o"], "nan is not a finite number"),
    ("sweep-sobol-huge", ["sweep", "{sweep_sobol_huge}", "--out", "{folder}/o"], "would fit"),
    ("sweep-cohort-huge", ["sweep", "{sweep_cohort_huge}", "--out", "{folder}/o"], "would fit"),
    ("sweep-grid-huge", ["sweep", "{sweep_grid_huge}", "--out", "{folder}/o"], "would fit"),
    ("sweep-negative-replicates", ["sweep", "{sweep_negative_replicates}", "--out", "{folder}/o"], "replicates"),
    ("sweep-string-samples", ["sweep", "{sweep_string_samples}", "--out", "{folder}/o"], "samples"),
    ("sweep-workers-zero", ["sweep", "{scenario}", "--out", "{folder}/o", "--workers", "0"], "--workers"),
    ("sweep-batch-zero", ["sweep", "{scenario}", "--out", "{folder}/o", "--batch-size", "0"], "--batch-size"),
    ("sweep-report-missing", ["sweep-report", "{missing}"], "missing.yaml"),
    ("sweep-report-not-a-run", ["sweep-report", "{folder}"], "a_folder"),
    ("sweep-report-bad-manifest", ["sweep-report", "{bad_run}"], "manifest.json"),
    # a command or option that does not exist
    ("unknown-command", ["simulat"], "simulat"),
    ("unknown-option", ["gene", "ABCB1", "--colour"], "--colour"),
]


def _argv(args: list[str], files: dict[str, Path]) -> list[str]:
    return [a.format(**{k: str(v) for k, v in files.items()}) for a in args]


def _assert_one_line_error(result, needle: str) -> None:
    assert not isinstance(result.exception, _Reached), "the input was not refused before the work started"
    assert result.exit_code == 2, f"exit {result.exit_code}: {result.output}"
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("chemorad: error: "), lines[0]
    assert needle in lines[0], f"{needle!r} not named in: {lines[0]}"


@pytest.mark.parametrize(
    ("args", "needle"),
    [pytest.param(a, n, id=i) for i, a, n in CASES],
)
def test_hostile_input_is_one_line_exit_2(args, needle, files):
    _assert_one_line_error(runner.invoke(app, _argv(args, files)), needle)


# ----------------------------------------------------------------------------- cases that need a working command
@pytest.mark.parametrize(
    ("args", "needle"),
    [
        pytest.param(["evidence", "fit-radiation", "--table", "{sf_bad}"], "sf.csv", id="fit-radiation-table-sf"),
        pytest.param(
            ["evidence", "fit-radiation", "--table", "{sf_two}"], "sf_two.csv", id="fit-radiation-table-two-points"
        ),
        pytest.param(
            ["simulate", "{scenario}", "--out", "{existing}"], "existing.html", id="simulate-out-existing-file"
        ),
        pytest.param(
            ["report", "--cell-line", "FADU", "--out", "{existing}"], "existing.html", id="report-out-existing"
        ),
    ],
)
def test_owned_cases(request, args, needle, files, tmp_path):
    _assert_one_line_error(runner.invoke(app, _argv(args, files)), needle)
    assert not list(tmp_path.glob(".chemorad-*")), "a failed command left a hidden folder behind"
    assert files["existing"].read_text() == "<p>the user's own file</p>"

    """Issue 17: `specificity --activity -1` was clipped to 0 without a word. Since issue 12 a negative activity is
    the loss of the mechanism and acts: losing glutathione S-transferase sensitises to cisplatin (RF < 1), where
    activity 0 would give RF 1 exactly."""
    import json

    res = runner.invoke(app, ["specificity", "--activity", "-1", "--long", "-f", "json"])
    assert res.exit_code == 0, res.output
    rows = [r for r in json.loads(res.stdout) if r["mechanism"] == "inactivation_gst" and r["therapy"] == "cisplatin"]
    assert rows and all(r["resistance_factor"] < 1 for r in rows)


# ---------------------------------------------------------------- commands of the calibration, clinical, web and kb
LATER = [
    ("calibrate-method", ["calibrate", "--method", "bogus", "--out", "{folder}/c"], "bogus"),
    ("calibrate-data-missing", ["calibrate", "--data", "{missing}", "--out", "{folder}/c"], "missing.yaml"),
    ("perturbations-table-missing", ["perturbations", "--table", "{missing}"], "missing.yaml"),
    ("perturbations-table-latin1", ["perturbations", "--table", "{latin1}"], "latin1.yaml"),
    ("serve-port-zero", ["serve", "--port", "0"], "--port"),
    ("serve-data-missing", ["serve", "--data", "{missing}"], "missing.yaml"),
    ("calibrate-clinical-site", ["calibrate-clinical", "--site", "mars"], "mars"),
    ("calibrate-clinical-patients", ["calibrate-clinical", "--patients", "5"], "--patients"),
    ("regimens-file-missing", ["regimens", "--regimen-file", "{missing}"], "missing.yaml"),
    ("regimens-file-latin1", ["regimens", "--regimen-file", "{latin1}"], "latin1.yaml"),
    ("regimens-patients", ["regimens", "--patients", "1"], "--patients"),
    ("kb-export-existing", ["kb", "export", "--out", "{existing}"], "existing.html"),
    ("kb-export-data-missing", ["kb", "export", "--out", "{folder}/kb.tsv", "--data", "{missing}"], "missing.yaml"),
]


@pytest.mark.parametrize(("args", "needle"), [pytest.param(a, n, id=i) for i, a, n in LATER])
def test_hostile_input_to_newer_commands(args, needle, files):
    """Commands added by the calibration, dynamics (clinical), report (web), catalog and evidence (kb) work."""
    _assert_one_line_error(runner.invoke(app, _argv(args, files)), needle)
    assert files["existing"].read_text() == "<p>the user's own file</p>"


# --------------------------------------------------------------------- resource bounds: the real code, bounded
def _bounded_run(args: list[str], timeout_s: float = 20.0) -> subprocess.CompletedProcess:
    """Run the CLI in a child limited to 2 GiB of address space: an unchecked huge run fails fast, never swaps."""
    code = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))\n"
        "from chemorad.cli.app import main\n"
        f"sys.argv = ['chemorad', *{args!r}]\n"
        "main()\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    try:
        return subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout_s, env=env, cwd=ROOT
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"chemorad {' '.join(args)} ran for {timeout_s} s instead of refusing ({exc})")


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        pytest.param(
            ["simulate", "{scenario}", "--replicates", "1000000000"], "--replicates", id="simulate-replicates-huge"
        ),
    ],
)
def test_resource_bounds(request, args, needle, files):
    res = _bounded_run(_argv(args, files))
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert res.returncode == 2 and len(lines) == 1 and lines[0].startswith("chemorad: error: "), res.stderr[-2000:]
    assert needle in lines[0]
