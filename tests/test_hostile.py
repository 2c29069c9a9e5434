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
from chemorad.dynamics import simulator as _simulator

ROOT = Path(__file__).resolve().parents[1]
_REAL_SIMULATE = _simulator.simulate  # kept before the tripwire replaces it, for the cases that must draw figures
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
        "chemorad.calibration.workflow.calibrate",
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


def test_a_negative_activity_is_a_loss_that_acts():
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


# ====================================================================================== issue 27: hardening, round two
def _scenario_file(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    return str(path)


_SMALL = (
    "name: tiny\ntumour: {initial_cells: 1.0e5, redistribution: false}\n"
    "schedule:\n  - {kind: radiotherapy, dose_gy: 2.0, fractions: 3}\n"
    "simulation: {days: 12, dt_days: 1.0, mode: deterministic}\n"
)


@pytest.fixture
def round2(tmp_path: Path, files) -> dict[str, str]:
    """Inputs of the second hostile round (issue 27): folders holding earlier outputs, bad schedules, bad YAML."""
    out = {k: str(v) for k, v in files.items()}

    def folder(name: str, *held: str) -> str:
        f = tmp_path / name
        f.mkdir()
        for h in held:
            (f / h).write_text("an earlier result")
        return str(f)

    out["crossres_evo_done"] = folder("evo", "crossres_evolution_summary.csv")
    out["crossres_done"] = folder("cr", "crossres.csv")
    out["claims_done"] = folder("cl", "claims.csv")
    out["scan_done"] = folder("sc", "scan.parquet")
    out["calibration_done"] = folder("cal", "posterior.nc")
    out["demo_done"] = folder("demo", "catalog_mechanisms.csv")
    out["fit_done"] = folder("fit", "lq_fits.csv")
    sf = tmp_path / "sf_ok.csv"
    sf.write_text("cell_line,dose_gy,sf\nA,0,1\nA,2,0.6\nA,4,0.25\nA,6,0.08\n")
    out["sf_ok"] = str(sf)
    rt = "  - {kind: radiotherapy, dose_gy: 2.0, %s}\n"
    head = "name: t\ntumour: {initial_cells: 1.0e5, redistribution: false}\nschedule:\n"
    sim = "simulation: {days: 12, dt_days: 1.0, mode: deterministic%s}\n"
    for key, text in {
        "fractions_true": head + rt % "fractions: true" + sim % "",
        "same_instant": head + rt % "fractions: 6, per_day: 3, interval_h: 12" + sim % "",
        "after_horizon": head + rt % "fractions: 3, start_day: 30" + sim % "",
        # starts on day 10 of 12, but its gaps push every fraction to days 13-15
        "gaps_past_horizon": head + rt % "fractions: 3, start_day: 10, gaps_days: [0, 1, 2]" + sim % "",
        "duplicate_key": head + rt % "fractions: 3" + "simulation:\n  days: 12\n  dt_days: 1.0\n  days: 300\n",
        "seed_negative": head + rt % "fractions: 3" + sim % ", seed: -1",
        "dollar_clone": _SMALL + "clones: [{name: 'a$\\\\q$b', fraction: 1.0}]\n",
    }.items():
        out[key] = _scenario_file(tmp_path, key, text)
    out["sweep_replicates_true"] = str(tmp_path / "sweep_rep_true.yaml")
    Path(out["sweep_replicates_true"]).write_text(yaml.safe_dump({**TINY_SWEEP, "replicates": True}))
    return out


# (case id, argv, needle): each must be refused before any work, in one line naming the input
ROUND2 = [
    # outputs: every --out refuses earlier outputs without --force
    ("crossres-evolution-out-existing", ["crossres-evolution", "--out", "{crossres_evo_done}"], "crossres_evolution"),
    ("kb-schema-out-existing", ["kb", "schema", "--out", "{existing}"], "existing.html"),
    ("crossres-out-existing", ["evidence", "crossres", "--out", "{crossres_done}"], "crossres.csv"),
    ("claims-out-existing", ["evidence", "claims", "--out", "{claims_done}"], "claims.csv"),
    ("scan-out-existing", ["evidence", "scan", "--out", "{scan_done}"], "scan.parquet"),
    (
        "fit-radiation-out-existing",
        ["evidence", "fit-radiation", "--table", "{sf_ok}", "--out", "{fit_done}"],
        "lq_fits",
    ),
    ("calibrate-out-existing", ["calibrate", "--out", "{calibration_done}"], "posterior.nc"),
    ("demo-out-not-empty", ["demo", "--out", "{demo_done}"], "--out"),
    # validation before construction: counts with stated bounds, seeds >= 0
    (
        "conditional-n-boot-huge",
        [
            "evidence",
            "conditional",
            "--observed",
            "radiotherapy=resistant",
            "--therapies",
            "docetaxel",
            "--n-boot",
            "1000000000",
        ],
        "--n-boot",
    ),
    ("crossres-explain-negative", ["evidence", "crossres", "--explain", "-1"], "--explain"),
    ("simulate-seed-negative", ["simulate", "{scenario}", "--seed", "-1"], "--seed"),
    ("crossres-evolution-seed-negative", ["crossres-evolution", "--seed", "-1"], "--seed"),
    ("crossres-seed-negative", ["evidence", "crossres", "--seed", "-1"], "--seed"),
    (
        "conditional-seed-negative",
        ["evidence", "conditional", "--observed", "radiotherapy=resistant", "--therapies", "docetaxel", "--seed", "-1"],
        "--seed",
    ),
    ("regimens-seed-negative", ["regimens", "--cell-line", "FADU", "--seed", "-1"], "--seed"),
    ("calibrate-seed-negative", ["calibrate", "--seed", "-1", "--out", "{folder}/c"], "--seed"),
    ("calibrate-clinical-seed-negative", ["calibrate-clinical", "--check", "--seed", "-1"], "--seed"),
    ("scenario-seed-negative", ["simulate", "{seed_negative}"], "seed"),
    # plausible mistakes that gave silently wrong results
    ("scenario-fractions-true", ["simulate", "{fractions_true}"], "true/false"),
    ("scenario-fractions-same-instant", ["simulate", "{same_instant}"], "interval_h"),
    ("scenario-course-after-horizon", ["simulate", "{after_horizon}"], "start_day"),
    ("scenario-course-gapped-past-horizon", ["simulate", "{gaps_past_horizon}"], "no fraction would be given"),
    ("scenario-duplicate-key", ["simulate", "{duplicate_key}"], "duplicate key 'days'"),
    ("sweep-replicates-true", ["sweep", "{sweep_replicates_true}", "--out", "{folder}/o"], "true/false"),
]


@pytest.mark.parametrize(("args", "needle"), [pytest.param(a, n, id=i) for i, a, n in ROUND2])
def test_round2_refused_before_work(args, needle, round2):
    """Issue 27: each of these was run (or overwrote an output, or took a wrong value) on the code before it."""
    _assert_one_line_error(runner.invoke(app, [a.format(**round2) for a in args]), needle)
    assert Path(round2["existing"]).read_text() == "<p>the user's own file</p>"
    for key in ("crossres_evo_done", "crossres_done", "claims_done", "scan_done", "calibration_done", "fit_done"):
        assert all(f.read_text() == "an earlier result" for f in Path(round2[key]).iterdir()), key


def test_force_replaces_an_earlier_output(round2):
    """--force is the way to replace: the earlier table is overwritten, with a complete new one."""
    res = runner.invoke(
        app, ["evidence", "fit-radiation", "--table", round2["sf_ok"], "--out", round2["fit_done"], "--force"]
    )
    assert res.exit_code == 0, res.output
    assert (Path(round2["fit_done"]) / "lq_fits.csv").read_text().startswith("cell_line,")


@pytest.mark.parametrize("command", ["simulate", "crossres-evolution"])
def test_a_folder_in_use_by_another_run_is_refused(command, tmp_path, files):
    """Issue 27: two `simulate --out` into one new folder both exited 0 and one run's results disappeared. The folder
    is held (flock on OUT/.lock, as sweeps hold theirs) from before the work until the outputs are in place."""
    import fcntl

    out = tmp_path / "shared"
    out.mkdir()
    argv = ["simulate", str(files["scenario"])] if command == "simulate" else ["crossres-evolution"]
    with open(out / ".lock", "a+") as held:  # another chemorad process writing there
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        _assert_one_line_error(runner.invoke(app, [*argv, "--out", str(out)]), "another chemorad process")


_REPORT_ONE = ["report", "--expression", "{expr}", "--scale", "log", "--tissue", "lung", "--data", "{data}"]


@pytest.mark.parametrize(
    ("argv", "target"),
    [
        pytest.param(["evidence", "fit-radiation", "--table", "{sf_ok}"], "out", id="fit-radiation"),
        pytest.param(["evidence", "scan"], "out", id="scan"),
        pytest.param(["evidence", "crossres"], "out", id="crossres"),
        pytest.param(["evidence", "claims"], "out", id="claims"),
        pytest.param(_REPORT_ONE, "out", id="report-folder"),
        pytest.param(_REPORT_ONE, "out/one.html", id="report-file"),
        pytest.param(["kb", "export"], "out/kb.tsv", id="kb-export"),
        pytest.param(["answer", "--data", "{data}"], "out", id="answer"),
    ],
)
def test_a_second_writer_of_evidence_report_or_kb_is_refused(argv, target, round2, shared_data, tmp_path, monkeypatch):
    """Issue 27 (left after round two): evidence outputs, report and kb export held no lock, so two runs into one
    place both wrote, the last one silently winning. A folder is held by OUT/.lock, one file by .NAME.lock beside it
    (flock); the second writer is refused in one line before any work."""
    import fcntl

    monkeypatch.setattr("chemorad.evidence.kb.knowledge_base", lambda *a, **k: (_ for _ in ()).throw(_Reached()))
    expr = tmp_path / "one.tsv"
    expr.write_text("gene\tT1\nTP53\t7.1\nABCB1\t3.0\n")
    path = tmp_path / target
    (tmp_path / "out").mkdir()
    lock = path / ".lock" if path.suffix == "" else path.with_name(f".{path.name}.lock")
    args = [a.format(**round2, expr=expr, data=shared_data) for a in argv]
    with open(lock, "a+") as held:  # another chemorad process writing there
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        _assert_one_line_error(runner.invoke(app, [*args, "--out", str(path)]), "another chemorad process")
    assert not path.is_file()
    if "kb" in argv:  # the lock is free again: the work starts, and the lock file is removed on the way out
        res = runner.invoke(app, [*args, "--out", str(path)])
        assert isinstance(res.exception, _Reached) and not lock.exists()


def test_sample_ids_that_collide_after_sanitising_are_refused(shared_data, tmp_path):
    """Issue 27: samples `T 1` and `T_1` wrote one report (the second replaced the first)."""
    expr = tmp_path / "two.tsv"
    expr.write_text("gene\tT 1\tT_1\nTP53\t7.1\t7.2\nABCB1\t3.0\t3.1\n")
    res = runner.invoke(
        app,
        [
            "report",
            "--expression",
            str(expr),
            "--scale",
            "log",
            "--tissue",
            "lung",
            "--data",
            str(shared_data),
            "--out",
            str(tmp_path / "reports"),
        ],
    )
    _assert_one_line_error(res, "'T 1'")
    assert "'T_1'" in res.stderr


def test_protein_values_have_a_plausibility_bound(shared_data, tmp_path):
    """Issue 27: an RPPA value of 1e300 gave a predicted ln IC50 of -1e298."""
    prot = tmp_path / "rppa.csv"
    prot.write_text("sample,RAD51,Bcl-2\nS1,1e300,0.1\n")
    res = runner.invoke(app, ["predict", "--protein", str(prot), "--tissue", "lung", "--data", str(shared_data)])
    _assert_one_line_error(res, "1e+300")
    assert "rppa.csv" in res.stderr


def test_a_dollar_in_a_name_is_not_mathtext(round2, tmp_path, monkeypatch):
    """Issue 27: a `$` in a sample id, clone or line name was parsed as matplotlib mathtext and gave a traceback."""
    from chemorad.report.html import png_uri
    from chemorad.report.regimen_figures import regimen_figure

    row = {"regimen": "70 Gy $\\q$ 35", "tcp": 0.5, "tcp_low": 0.4, "tcp_high": 0.6, "gard": None}
    assert png_uri(regimen_figure({"table": [row], "sample": "T$\\q$1", "patients": 10})).startswith("data:image/png")
    monkeypatch.setattr("chemorad.dynamics.simulator.simulate", _REAL_SIMULATE)
    res = runner.invoke(app, ["simulate", round2["dollar_clone"], "--out", str(tmp_path / "sim"), "-f", "json"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "sim" / "simulation.png").stat().st_size > 0


@pytest.mark.parametrize(
    ("item", "needle"),
    [
        ("{kind: radiotherapy, dose_gy: 2.0, fractions: 30}", "schedule[0]: 20 of 30 fractions"),
        ("{kind: drug, therapy: cisplatin, cycles: 6, cycle_days: 21}", "schedule[0]: 5 of 6 administrations"),
    ],
)
def test_a_course_cut_by_the_horizon_is_a_warning_naming_the_fractions_dropped(item, needle, tmp_path, monkeypatch):
    """Issue 27 (left after round two): a course that starts in time but ends after simulation.days was cut silently.
    30 fractions Monday-Friday from day 0 take 6 weeks; 12 days hold 10 of them (days 0-4, 7-11). Six cycles every 21
    days: only day 0 falls before day 12. The run still happens, with one warning line naming the number not given."""
    monkeypatch.setattr("chemorad.dynamics.simulator.simulate", _REAL_SIMULATE)
    text = (
        "name: cut\ntumour: {initial_cells: 1.0e5, redistribution: false}\n"
        f"schedule:\n  - {item}\nsimulation: {{days: 12, dt_days: 1.0, mode: deterministic, replicates: 1}}\n"
    )
    res = runner.invoke(app, ["simulate", _scenario_file(tmp_path, "cut", text), "-f", "json"])
    assert res.exit_code == 0, res.output
    warnings = [line for line in res.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1 and needle in warnings[0] and "cut.yaml" in warnings[0], res.stderr


# ---------------------------------------------------------------- a full disk: the old file survives, no temp file
def test_a_full_disk_keeps_the_old_output(round2, monkeypatch):
    """Issue 27: `report --force` on a full disk destroyed the old report and left a truncated one (files were
    rewritten in place). A write that fails with ENOSPC half-way now leaves the old table and no temporary file."""
    import errno

    import pandas as pd

    def full_disk(self, path=None, *args, **kwargs):
        with open(path, "w") as handle:
            handle.write("cell_line,alp")  # half a table, then the disk is full
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", full_disk)
    out = Path(round2["fit_done"])
    res = runner.invoke(app, ["evidence", "fit-radiation", "--table", round2["sf_ok"], "--out", str(out), "--force"])
    _assert_one_line_error(res, "lq_fits.csv")
    assert "No space left on device" in res.stderr and "unchanged" in res.stderr
    assert [f.name for f in out.iterdir()] == ["lq_fits.csv"], "a temporary file was left behind"
    assert (out / "lq_fits.csv").read_text() == "an earlier result"


def test_a_file_size_limit_keeps_the_old_output(tmp_path):
    """The same with a real short write: the child's file-size limit (RLIMIT_FSIZE, as a nearly full disk) stops the
    JSON schema part-way; the old file is intact, no temporary file is left, the error is one line."""
    target = tmp_path / "schema.json"
    target.write_text("the old schema")
    code = (
        "import resource, signal, sys\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (1000, 1000))\n"
        "from chemorad.cli.app import main\n"
        f"sys.argv = ['chemorad', 'kb', 'schema', '--out', {str(target)!r}, '--force']\n"
        "main()\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert res.returncode == 2 and len(lines) == 1, res.stderr[-2000:]
    assert f"cannot write {target}" in lines[0] and "unchanged" in lines[0]
    assert target.read_text() == "the old schema"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["schema.json"]


# ------------------------------------------------------------------------ resource bounds: the real code, bounded
_HUGE_RT = (
    "name: t\ntumour: {initial_cells: 1.0e5, redistribution: false}\n"
    "schedule:\n  - {kind: radiotherapy, dose_gy: 2.0, fractions: 1000000000}\n"
    "simulation: {days: 12, dt_days: 1.0, mode: deterministic}\n"
)
_HUGE_DRUG = (
    "name: t\ntumour: {initial_cells: 1.0e5, redistribution: false}\n"
    "schedule:\n  - {kind: drug, therapy: cisplatin, cycles: 1000000000}\n"
    "simulation: {days: 12, dt_days: 1.0, mode: deterministic}\n"
)
_EXACT_AT_CAP = "name: t\ntumour: {initial_cells: 1.0e7}\nsimulation: {days: 30, mode: exact, replicates: 2}\n"
_EXACT_GROWING = "name: t\ntumour: {initial_cells: 1.0e4}\nsimulation: {days: 120, mode: exact, replicates: 2}\n"


@pytest.mark.parametrize(
    ("text", "args", "needle"),
    [
        pytest.param(_HUGE_RT, [], "fractions", id="fractions-1e9"),
        pytest.param(_HUGE_DRUG, [], "cycles", id="cycles-1e9"),
        pytest.param(_EXACT_AT_CAP, [], "exact", id="exact-at-its-cap"),
        pytest.param(_EXACT_GROWING, [], "exact", id="exact-small-but-growing"),
    ],
)
def test_schedule_sizes_are_checked_before_expansion(text, args, needle, tmp_path):
    """Issue 27: `fractions: 1e9` or `cycles: 1e9` hung or exhausted memory while the schedule was validated; exact mode
    at its cap, or a small exact tumour that grows, ran past 5 minutes. Refused arithmetically, with the bound."""
    res = _bounded_run(["simulate", _scenario_file(tmp_path, "s", text), *args])
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert res.returncode == 2 and len(lines) == 1 and lines[0].startswith("chemorad: error: "), res.stderr[-2000:]
    assert needle in lines[0]
    assert any(bound in lines[0] for bound in ("1000", "5e+05")), lines[0]  # the largest allowed value is stated


def test_schedule_size_in_a_sweep_grid_is_checked_before_expansion(tmp_path):
    sweep = {
        **TINY_SWEEP,
        "design": {"kind": "grid"},
        "parameters": [{"path": "schedule.0.fractions", "values": [3, 1000000000]}],
    }
    path = tmp_path / "grid.yaml"
    path.write_text(yaml.safe_dump(sweep))
    res = _bounded_run(["sweep", str(path), "--out", str(tmp_path / "o")])
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert res.returncode == 2 and len(lines) == 1, res.stderr[-2000:]
    assert "fractions" in lines[0] and "1000" in lines[0]


def test_a_course_cut_by_the_horizon_in_a_sweep_is_a_warning(tmp_path):
    """Issue 27 (left after round two): a sweep refused a course that starts after the horizon but cut one that ends
    after it without a word. The sweep still validates; the arm's values and each parameter end that cut a course each
    give one warning line naming the fractions not given (30 fractions Monday-Friday need 40 days; 12 hold 10)."""
    from chemorad.sweep.spec import parse_sweep

    base = {
        **TINY_SCENARIO,
        "schedule": [{"kind": "radiotherapy", "dose_gy": 2.0, "fractions": 30}],
        "simulation": {**TINY_SCENARIO["simulation"], "days": 12},
    }
    sweep = {**TINY_SWEEP, "base": base, "parameters": [{"path": "simulation.days", "low": 12, "high": 60}]}
    sw = parse_sweep(sweep, "cut.yaml")
    arm = [w for w in sw.warnings if w.startswith("cut.yaml: arms[0]")]
    assert len(arm) == 1 and "20 of 30 fractions" in arm[0], sw.warnings
    ends = [w for w in sw.warnings if "(simulation.days) = 12 in arm" in w]
    assert len(ends) == 1 and "20 of 30 fractions" in ends[0], sw.warnings
    assert not [w for w in sw.warnings if "(simulation.days) = 60 in arm" in w], "60 days hold the whole course"


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["evidence", "crossres", "--n-boot", "1000000000"], id="crossres-n-boot-1e9"),
        pytest.param(["evidence", "crossres", "--n-boot-explain", "1000000000"], id="crossres-n-boot-explain-1e9"),
    ],
)
def test_bootstrap_counts_have_stated_bounds(args):
    """Issue 27: `evidence crossres --n-boot 1e9` was accepted (a 1.8 TiB allocation)."""
    res = _bounded_run(args)
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert res.returncode == 2 and len(lines) == 1 and "10000" in lines[0].replace(",", ""), res.stderr[-2000:]


# --------------------------------------------------------------------------------------- the cache: data, not code
class _Planted:
    """A pickle that, when loaded, creates a folder: proof that a cache entry was executed."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (str(self.marker),))


@pytest.mark.parametrize("planted", ["code", "wrong-object"])
def test_a_crafted_cache_entry_is_rebuilt_never_executed(planted, tmp_path, monkeypatch):
    """Issue 27: cached pickles were unpickled as trusted: a crafted one ran code, a pickle of another object gave a
    traceback. Every entry of the parse is replaced by such a payload; the parse must be run again and its result
    returned."""
    import pickle

    import pandas as pd

    from chemorad.bundle import cache as bundle_cache

    cache = tmp_path / "cache"
    monkeypatch.setenv(bundle_cache.ENV_VAR, str(cache))
    src = tmp_path / "f.csv"
    src.write_text("a\n1\n")
    marker = tmp_path / "ran"
    bundle_cache.cached("t", (), [src], lambda: pd.read_csv(src))
    entries = [p for p in cache.iterdir() if p.name.startswith("t-")]
    assert entries
    payload = pickle.dumps(_Planted(marker) if planted == "code" else {"a": "not a table"})
    for entry in entries:
        entry.write_bytes(payload)
    again = bundle_cache.cached("t", (), [src], lambda: pd.read_csv(src))
    assert not marker.exists(), "a cache entry was executed"
    pd.testing.assert_frame_equal(again, pd.read_csv(src))


def test_verify_rehashes_a_file_changed_in_place(shared_data, tmp_path, monkeypatch):
    """Issue 27: `evidence data --verify` said ok for a file changed in place with its timestamp kept (it trusted a
    memo of size and modification time)."""
    from chemorad.bundle import cache as bundle_cache
    from chemorad.bundle import datasets as ds

    monkeypatch.setenv(bundle_cache.ENV_VAR, str(tmp_path / "cache"))
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    for spec in ds.DATASETS.values():
        (bundle / spec.filename).symlink_to(shared_data / spec.filename)
    victim = bundle / ds.DATASETS["radiogx"].filename
    victim.unlink()
    raw = (shared_data / victim.name).read_bytes()
    victim.write_bytes(raw)
    bundle_cache.file_sha256(victim)  # the memo now knows this size and timestamp
    stat = victim.stat()
    at = raw.index(b"0.992495230670544")
    with open(victim, "r+b") as handle:  # one digit changed, same size, the timestamp put back
        handle.seek(at)
        handle.write(b"0.882495230670544")
    os.utime(victim, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    ds.clear_cache()
    res = runner.invoke(app, ["evidence", "data", "--verify", "--data", str(bundle)])
    _assert_one_line_error(res, victim.name)
    assert "differs" in res.stderr


def test_a_full_cache_disk_leaves_no_partial_entry(tmp_path):
    """Issue 27: a full cache disk left `.tmp` files behind. The child may write at most 4 kB per file."""
    cache = tmp_path / "cache"
    code = (
        "import resource, signal, sys\n"
        "import pandas as pd, numpy as np\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "from chemorad.bundle import cache as bundle_cache\n"
        f"src = {str(tmp_path / 'f.csv')!r}\n"
        "open(src, 'w').write('a\\n1\\n')\n"
        "bundle_cache.file_sha256(src)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))\n"
        "frame = pd.DataFrame(np.arange(20000.0).reshape(-1, 4), columns=list('abcd'))\n"
        "got = bundle_cache.cached('t', (), [src], lambda: frame)\n"
        "assert got is frame\n"
        "print('ok')\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "CHEMORAD_CACHE": str(cache)}
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert res.stdout.strip() == "ok", res.stderr[-2000:]
    assert sorted(p.name for p in cache.iterdir()) == ["file-hashes.json"], sorted(p.name for p in cache.iterdir())


# ------------------------------------------------------------------------------------------- Ctrl-C during a sweep
def test_ctrl_c_during_a_sweep_is_one_line_with_the_resume_hint(tmp_path):
    """Issue 27: Ctrl-C during `sweep` printed 80 lines of worker tracebacks before the right message. The terminal
    sends SIGINT to the whole process group (the workers too); only the last line may be printed."""
    import signal
    import time

    signal.alarm(0)  # a real sweep on a loaded machine may need more than the 30 s guard to start; bounded below
    sweep = {**TINY_SWEEP, "design": {"kind": "lhs", "samples": 400}, "replicates": 20}
    sweep["base"] = {**TINY_SCENARIO, "simulation": {"days": 60, "dt_days": 0.25, "mode": "tau"}}
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(sweep))
    out = tmp_path / "run"
    # A command typed in a terminal starts with Python's KeyboardInterrupt handler; a test run launched in the
    # background of a non-interactive shell has SIGINT ignored, which the child would inherit (and never see the
    # Ctrl-C), so the child installs the handler a terminal-started interpreter has.
    code = (
        "import signal, sys\nsignal.signal(signal.SIGINT, signal.default_int_handler)\n"
        "from chemorad.cli.app import main\n"
        f"sys.argv = ['chemorad', 'sweep', {str(path)!r}, '--out', {str(out)!r}, '--batch-size', '5', '--workers', '1']"
        "\nmain()\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    try:
        t0 = time.monotonic()
        while not (out / "batches.jsonl").exists() and time.monotonic() - t0 < 120 and proc.poll() is None:
            time.sleep(0.2)
        assert proc.poll() is None, proc.communicate()[1][-2000:]
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        _, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert proc.returncode == 130 and len(lines) == 1, stderr[-3000:]
    assert "--resume" in lines[0]
