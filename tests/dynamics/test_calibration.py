"""Clinical calibration: the packaged fit reproduces its targets; the logistic fit recovers known parameters."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from chemorad.cli import app
from chemorad.dynamics import calibration as cal
from chemorad.dynamics.presets import calibration_record

runner = CliRunner()


def test_logistic_fit_recovers_tcd50_and_gamma50() -> None:
    d = np.array([50.0, 60.0, 70.0, 80.0])
    tcp = 1 / (1 + np.exp(4 * 1.8 * (1 - d / 62.0)))
    assert cal.fit_logistic(d, tcp) == pytest.approx((62.0, 1.8), rel=1e-6)


def test_packaged_calibration_reproduces_every_target_with_its_recorded_residual() -> None:
    """`calibrate-clinical --check` re-simulates the packaged parameters on the same virtual patients."""
    res = runner.invoke(app, ["calibrate-clinical", "--agent", "--check", "-f", "json"])
    assert res.exit_code == 0, res.output
    rows = {r["target"]: r for r in json.loads(res.stdout)}
    recorded = {r["target"]: r for r in calibration_record("hnscc")["fit"]["targets"]}
    assert set(rows) == {t.name for t in cal.TARGETS}
    for name, row in rows.items():
        assert row["model"] == pytest.approx(recorded[name]["model"], rel=1e-6, abs=1e-9)
        assert abs(row["residual"]) <= 0.05 * cal.TARGETS[[t.name for t in cal.TARGETS].index(name)].tolerance


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--site", "lung"], "unknown tumour site"),
        (["--agent", "--site", "prostate"], "hnscc only"),
        (["--patients", "3"], "--patients"),
        (["--out", "/nonexistent/x.yaml"], ""),
    ],
)
def test_calibrate_clinical_bad_inputs(args, needle) -> None:
    res = runner.invoke(app, ["calibrate-clinical", *args])
    assert res.exit_code == 2 and needle in res.stderr and len(res.stderr.strip().splitlines()) == 1


def test_unknown_calibration_in_a_scenario_is_one_error() -> None:
    from chemorad.catalog import catalog
    from chemorad.dynamics.scenario import parse_scenario
    from chemorad.errors import ChemoradError

    with pytest.raises(ChemoradError, match="calibration: unknown calibration 'hnsc'; known: hnscc"):
        parse_scenario({"name": "x", "calibration": "hnsc"}, "s.yaml", cat=catalog())


def test_chemo_block_recovers_known_parameters_from_synthetic_targets() -> None:
    """Targets made by the model at known (e, log10 fold) on 40 virtual patients are fitted back from X0."""
    from chemorad.catalog import catalog

    cat = catalog()
    truth = np.r_[cal.X0[:3], 0.05, 1.2]
    tcp_rt = cal.radiotherapy_values(truth, cat, 40, 3)["tcp_70gy_35"]
    made = [
        cal.Target(t.name, cal.hazard_ratio(truth, reg, cat, tcp_rt, 40, 3)[0], 0.01, "", "synthetic")
        for t, reg in zip(cal.TARGETS[3:], (cal.REGIMEN_CONCOMITANT, cal.REGIMEN_INDUCTION), strict=True)
    ]
    fitted = cal.fit_chemo(cat, made, np.r_[truth[:3], cal.X0[3:]], 40, 3, say=lambda _m: None)
    np.testing.assert_allclose(fitted, truth[3:], atol=2e-3)
