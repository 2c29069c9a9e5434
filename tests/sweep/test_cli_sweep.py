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


# ------------------------------------------------------------------------------------------------------ issue 17
def test_sweep_report_on_a_damaged_folder_is_one_line(tmp_path: Path, dask_cluster) -> None:
    f = _write(tmp_path, tiny_sweep())
    out = tmp_path / "run"
    args = ["sweep", str(f), "--out", str(out), "--scheduler", dask_cluster.scheduler_address, "--batch-size", "6"]
    assert runner.invoke(app, args).exit_code == 0
    good = (out / "results" / "batch-000001.parquet").read_bytes()
    (out / "results" / "batch-000001.parquet").write_bytes(good[: len(good) // 3])
    _one_line_error(runner.invoke(app, ["sweep-report", str(out)]), "batch-000001.parquet")
    res = runner.invoke(app, [*args, "--resume"])  # the damaged batch is recomputed, not counted as finished
    assert res.exit_code == 0 and "1 damaged batch file(s) recomputed: 1" in res.stderr
    assert runner.invoke(app, ["sweep-report", str(out), "--no-figures", "-f", "csv"]).exit_code == 0
    (out / "manifest.json").write_bytes(b"\x00\x01 not json")
    _one_line_error(runner.invoke(app, ["sweep-report", str(out)]), "manifest.json")


def test_non_utf8_sweep_file_is_one_line(tmp_path: Path) -> None:
    f = tmp_path / "latin1.yaml"
    f.write_bytes("name: tumeur-\u00e9t\u00e9\n".encode("latin-1"))
    _one_line_error(runner.invoke(app, ["sweep", str(f), "--out", str(tmp_path / "o")]), "not UTF-8")


def test_ctrl_c_says_how_to_resume(tmp_path: Path, monkeypatch) -> None:
    import chemorad.sweep.run as run_mod

    f = _write(tmp_path, tiny_sweep())
    out = tmp_path / "run"

    def interrupted(sweep, out, **kw):  # as if Ctrl-C arrived after the folder and one batch were written
        (out / "results").mkdir(parents=True)
        (out / "manifest.json").write_text(json.dumps({"n_batches": 4}))
        (out / "results" / "batch-000000.parquet").write_bytes(b"")
        raise KeyboardInterrupt

    monkeypatch.setattr(run_mod, "run_sweep", interrupted)
    res = runner.invoke(app, ["sweep", str(f), "--out", str(out)])
    assert res.exit_code == 130
    assert "1 of 4 batches are saved" in res.stderr and f"--out {out} --resume" in res.stderr


def test_billion_point_sobol_is_refused_through_the_cli(tmp_path: Path) -> None:
    f = _write(tmp_path, tiny_sweep(design={"kind": "sobol", "samples": 10**9}))
    _one_line_error(runner.invoke(app, ["sweep", str(f), "--out", str(tmp_path / "o")]), "would fit")
    assert not (tmp_path / "o").exists()


def _user_catalog(tmp_path: Path) -> Path:
    """The shipped catalog with radiotherapy's alpha tripled (0.3 -> 0.9 Gy^-1)."""
    import shutil
    from importlib import resources

    mine = tmp_path / "catalog"
    shutil.copytree(Path(str(resources.files("chemorad") / "catalog" / "data")), mine)
    text = (mine / "therapies.yaml").read_text(encoding="utf-8")
    old = "    alpha_per_gy:\n      value: 0.3\n"
    assert text.count(old) == 1
    (mine / "therapies.yaml").write_text(text.replace(old, "    alpha_per_gy:\n      value: 0.9\n"), encoding="utf-8")
    return mine


def test_a_user_catalog_reaches_the_workers(tmp_path: Path, dask_cluster) -> None:
    """`chemorad --catalog DIR sweep ...` simulates with DIR's catalog on the workers, not the shipped one."""
    f = _write(tmp_path, tiny_sweep(arms=[{"name": "rt"}], design={"kind": "lhs", "samples": 4}))
    sched = ["--scheduler", dask_cluster.scheduler_address]
    kill = {}
    for label, pre in (("shipped", []), ("mine", ["--catalog", str(_user_catalog(tmp_path))])):
        out = tmp_path / label
        res = runner.invoke(app, [*pre, "sweep", str(f), "--out", str(out), *sched])
        assert res.exit_code == 0, res.output
        kill[label] = pd.read_parquet(out / "results").sort_values(["point", "replicate"])["log_kill"].to_numpy()
    # 3 x 2 Gy: alpha 0.9 instead of 0.3 adds (0.9 - 0.3) x 6 Gy / ln 10 = 1.56 log10 of kill before repopulation
    assert (kill["mine"] > kill["shipped"] + 1.0).all(), (kill["mine"], kill["shipped"])
    # the shipped run's folder cannot be resumed with the user catalog: results would mix two models
    mine = ["--catalog", str(tmp_path / "catalog")]
    _one_line_error(
        runner.invoke(app, [*mine, "sweep", str(f), "--out", str(tmp_path / "shipped"), "--resume", *sched]),
        "another catalog",
    )
