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
        "--n-boot-explain",
        "20",
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
    # mediators named only when the catalog links them to both therapies (issue 15: no DHFR for radiation x cisplatin)
    from chemorad.catalog import catalog
    from chemorad.evidence.mediation import linked_mechanisms

    cat = catalog()
    drug_of = {name: t.id for t in cat.therapies.values() for name in t.datasets.values()}
    explained = [r for r in recs if r["explained_by"]]
    assert explained
    for r in explained:
        drug = drug_of[r["therapy_b"].split(" [")[0]]
        named = [part.split(" ")[0] for part in r["explained_by"].split("; ")]
        assert set(named) <= set(linked_mechanisms(cat, "radiotherapy", drug)), (drug, named)
        assert r["unexplained"] is not None and r["share_general"] is not None


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
        (("conditional", "--observed", "cisplatin", "--therapies", "radiotherapy"), "expected THERAPY="),
        (("conditional", "--observed", "cisplatin=maybe", "--therapies", "radiotherapy"), "expected THERAPY="),
        (("conditional", "--observed", "cisplatin=q2", "--therapies", "radiotherapy"), "expected THERAPY="),
        (("conditional", "--observed", "cisplatn=resistant", "--therapies", "radiotherapy"), "closest: cisplatin"),
        (("conditional", "--observed", "cisplatin=resistant", "--therapies", "radiotherap"), "unknown therapy"),
        (("conditional", "--observed", "cisplatin=resistant", "--therapies", ","), "--therapies: empty list"),
    ],
)
def test_user_errors_one_line_exit_2(shared_data: Path, args, needle) -> None:
    full = list(args) if "--data" in args else [*args, "--data", str(shared_data)]
    res = run(*full)
    assert res.exit_code == 2, res.output
    assert needle in res.stderr and len(res.stderr.strip().splitlines()) == 1


def _table(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "curves.csv"
    path.write_text("cell_line,dose_gy,sf\n" + body, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ("X,0,1\nX,2,0.5\nX,4,abc\nX,6,0.1\n", "sf missing or not a number: line 4 (X)"),
        ("X,0,1\nX,2,0.5\nX,4,0\nX,6,0.1\n", "sf <= 0 (cannot take its logarithm): line 4 (X)"),
        ("X,0,1\nX,2,1.4\nX,4,0.2\nX,6,0.1\n", "sf > 1 (a surviving fraction is at most 1): line 3 (X)"),
        ("X,0,1\nX,2,0.5\nX,4,0.2\n", "fewer than 3 doses > 0, too few to fit alpha and beta: X (2)"),
        ("X,0,1\nX,two,0.5\nX,4,0.2\nX,6,0.1\n", "dose_gy missing or not a number: line 3 (X)"),
        ("X,0,1\nX,2,0.5\nX,4,0.2\nX,6,0.1\nY,2,0.5\nY,4", "sf missing or not a number: line 7 (Y)"),
    ],
)
def test_fit_radiation_table_names_unusable_rows(tmp_path: Path, body: str, needle: str) -> None:
    """Rows that cannot be used are named (file line, cell line); two points fit any LQ curve, so they are refused;
    a file cut mid-row (last case) is refused, not fitted on half a row."""
    res = run("fit-radiation", "--table", str(_table(tmp_path, body)))
    assert res.exit_code == 2, res.output
    assert needle in res.stderr and len(res.stderr.strip().splitlines()) == 1


def test_conditional_command(shared_data: Path) -> None:
    res = run(
        "conditional",
        "--observed",
        "cisplatin=resistant",
        "--therapies",
        "radiotherapy,docetaxel",
        "--n-boot",
        "20",
        "--data",
        str(shared_data),
        "--format",
        "json",
    )
    assert res.exit_code == 0, res.output
    recs = {r["target"]: r for r in json.loads(res.stdout)}
    assert set(recs) == {"radiotherapy", "docetaxel"}
    for r in recs.values():
        assert 0 <= r["p_resistant_low"] <= r["p_resistant"] <= r["p_resistant_high"] <= 1
        assert r["pct_low"] < r["pct_median"] < r["pct_high"] and r["baseline"] == 0.25
    assert recs["radiotherapy"]["response_target"].startswith("yard|")


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("export", "--format", "xml", "--out", "KB"), "'xml' is not one of"),
        (("export", "--format", "tsv", "--out", "EXISTING"), "the file exists"),
        (("export", "--format", "json", "--out", "/nonexistent/dir/kb.json"), "does not exist"),
    ],
)
def test_kb_user_errors_one_line_exit_2(tmp_path: Path, args, needle) -> None:
    existing = tmp_path / "kb.tsv"
    existing.write_text("x", encoding="utf-8")
    full = [a.replace("EXISTING", str(existing)).replace("KB", str(tmp_path / "kb.out")) for a in args]
    res = runner.invoke(app, ["kb", *full])
    assert res.exit_code == 2, res.output
    assert needle in res.stderr and len(res.stderr.strip().splitlines()) == 1
    assert existing.read_text(encoding="utf-8") == "x"


def test_kb_schema_command_prints_the_versioned_schema() -> None:
    res = runner.invoke(app, ["kb", "schema"])
    assert res.exit_code == 0, res.output
    schema = json.loads(res.stdout)
    assert schema["version"].count(".") == 2 and "KbRecord" in schema["$defs"]


def test_predict_observed_malformed_is_refused_before_the_work() -> None:
    res = runner.invoke(app, ["predict", "--cell-line", "SK-N-SH", "--observed", "cisplatin:resistant"])
    assert res.exit_code == 2, res.output
    assert "expected THERAPY=" in res.stderr and len(res.stderr.strip().splitlines()) == 1
