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
    res = runner.invoke(app, ["specificity", "--calibrated", "--po2", "40", "-f", "json"])
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


def test_predict_calibrated_needs_a_cell_line() -> None:
    res = runner.invoke(app, ["predict", "--model", "calibrated"])
    assert res.exit_code == 2 and "--cell-line" in res.output


def test_predict_rejects_an_unknown_model() -> None:
    res = runner.invoke(app, ["predict", "--model", "forest", "--cell-line", "T98G"])
    assert res.exit_code == 2 and "--model" in res.output


def test_perturbations_calibrated_needs_check() -> None:
    res = runner.invoke(app, ["perturbations", "--calibrated"])
    assert res.exit_code == 2 and "--check" in res.output
