"""`chemorad calibrate` and `chemorad specificity --calibrated` through typer's CliRunner, bad inputs included."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from chemorad.cli import app

pytest.importorskip("numpyro")
runner = CliRunner()


def test_calibrate_rejects_an_unknown_method() -> None:
    res = runner.invoke(app, ["calibrate", "--method", "hmc"])
    assert res.exit_code == 2
    assert "--method" in res.output and "\n" not in res.output.strip()


def test_calibrate_rejects_zero_steps() -> None:
    res = runner.invoke(app, ["calibrate", "--steps", "0"])
    assert res.exit_code == 2 and "--steps" in res.output


def test_specificity_calibrated_json_has_intervals_and_verdict_probabilities() -> None:
    res = runner.invoke(app, ["specificity", "--calibrated", "--long", "--po2", "40", "-f", "json"])
    assert res.exit_code == 0, res.output
    records = json.loads(res.stdout)
    assert records
    for r in records:
        assert set(r) >= {"mechanism", "therapy", "condition", "resistance_factor", "verdict", "rf_low", "rf_high"}
        assert r["rf_low"] <= r["resistance_factor"] <= r["rf_high"]
        assert 0 < r["verdict_probability"] <= 1
        assert r["verdict_probabilities"][r["verdict"]] == pytest.approx(r["verdict_probability"])
    efflux = [r for r in records if r["mechanism"] == "efflux_abcb1" and r["therapy"] == "doxorubicin"]
    assert efflux and efflux[0]["rf_low"] > 1.2  # the pump resists its substrate across the credible interval
    rad = [r for r in records if r["mechanism"] == "efflux_abcb1" and r["therapy"] == "radiotherapy"]
    assert rad[0]["rf_low"] == pytest.approx(1.0) and rad[0]["rf_high"] == pytest.approx(1.0)


def test_specificity_calibrated_with_a_missing_posterior_is_one_line(tmp_path) -> None:
    res = runner.invoke(app, ["specificity", "--calibrated", "--posterior", str(tmp_path / "nope")])
    assert res.exit_code == 2
    assert "not found" in res.output


def test_posterior_without_calibrated_is_a_user_error(tmp_path) -> None:
    res = runner.invoke(app, ["specificity", "--posterior", str(tmp_path)])
    assert res.exit_code == 2 and "--calibrated" in res.output


def test_predict_calibrated_needs_one_input() -> None:
    res = runner.invoke(app, ["predict", "--model", "calibrated"])
    assert res.exit_code == 2 and "--cell-line" in res.output and "\n" not in res.output.strip()


def test_predict_calibrated_from_a_maf_and_expression(shared_data, tmp_path) -> None:
    """A sample outside the bundle (files made from a bundle line's values): posterior predictive with intervals,
    explanations as mechanisms with their stage, the expression covariates stated."""
    from chemorad.bundle import datasets as ds

    expr = ds.load_expression(data=shared_data)
    line = str(expr.index[0])
    table = expr.loc[[line]].T.rename(columns={line: "PATIENT-9"})
    table.index.name = "Hugo_Symbol"
    table.to_csv(tmp_path / "expression.tsv", sep="\t")
    (tmp_path / "m.maf").write_text(
        "Hugo_Symbol\tVariant_Classification\tTumor_Sample_Barcode\nTP53\tNonsense_Mutation\tPATIENT-9\n"
    )
    args = ["predict", "--model", "calibrated", "--maf", str(tmp_path / "m.maf"), "--expression"]
    args += [str(tmp_path / "expression.tsv"), "--scale", "log", "--data", str(shared_data)]
    res = runner.invoke(app, [*args, "--therapies", "cisplatin,radiotherapy", "-f", "json"])
    assert res.exit_code == 0, res.output
    recs = json.loads(res.stdout)
    assert {r["sample"] for r in recs} == {"PATIENT-9"}
    assert {r["therapy"] for r in recs} == {"cisplatin", "radiotherapy"}
    for r in recs:
        assert r["interval_low"] <= r["predicted"] <= r["interval_high"]
        assert all(set(m) == {"mechanism", "stage", "delta_ln_dose"} for m in r["mechanisms"])
    assert "expression covariates from" in " ".join(res.stderr.split())


def test_predict_rejects_an_unknown_model() -> None:
    res = runner.invoke(app, ["predict", "--model", "forest", "--cell-line", "T98G"])
    assert res.exit_code == 2 and "--model" in res.output


def test_perturbations_calibrated_needs_check() -> None:
    res = runner.invoke(app, ["perturbations", "--calibrated"])
    assert res.exit_code == 2 and "--check" in res.output


def test_predict_calibrated_conditioned_on_an_observed_response(shared_data) -> None:
    from chemorad.bundle import datasets as ds

    line = str(ds.load_yard(shared_data).index[0])
    base = ["predict", "--model", "calibrated", "--cell-line", line, "--data", str(shared_data)]
    base += ["--therapies", "doxorubicin,epirubicin", "-f", "json"]
    plain = runner.invoke(app, base)
    cond = runner.invoke(app, [*base, "--observed", "doxorubicin=resistant"])
    assert plain.exit_code == 0 and cond.exit_code == 0, cond.output
    assert "conditioned on doxorubicin=resistant" in " ".join(cond.stderr.split())

    def epi(res):
        recs = json.loads(res.stdout)
        return next(r["predicted"] for r in recs if r["therapy"] == "epirubicin" and r["dataset"] == "gdsc2")

    assert epi(cond) > epi(plain)  # two anthracyclines share the line factors: resistance to one raises the other


def test_predict_calibrated_rejects_a_malformed_observation() -> None:
    res = runner.invoke(app, ["predict", "--model", "calibrated", "--cell-line", "T98G", "--observed", "cisplatin"])
    assert res.exit_code == 2 and "--observed" in res.output and "\n" not in res.output.strip()


def test_perturbations_check_calibrated_leaves_each_entry_out(tmp_path) -> None:
    """Three entries of the catalog's table (two on one mechanism and drug, so each informs the other's fit): each is
    predicted by a fit without it, and the JSON rows are self-consistent."""
    from importlib import resources

    import yaml

    raw = yaml.safe_load((resources.files("chemorad") / "catalog" / "data" / "perturbations.yaml").read_text())
    pick = {"abcb1_kbv200_doxorubicin", "abcb1_mcf7vinc_doxorubicin", "tp53_hct116_ko_ir"}
    (tmp_path / "t.yaml").write_text(yaml.safe_dump([e for e in raw if e["id"] in pick]))
    args = ["perturbations", "--check", "--calibrated", "--table", str(tmp_path / "t.yaml"), "-f", "json"]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    rows = {r["id"]: r for r in out["results"]}
    assert set(rows) == pick
    for r in rows.values():
        assert r["calibrated"] > 0 and r["ratio"] == pytest.approx(r["calibrated"] / r["measured"])
        assert r["within_2_fold"] == (0.5 <= r["ratio"] <= 2.0)
    assert any(line.startswith("radiation") for line in out["summary_lines"])
