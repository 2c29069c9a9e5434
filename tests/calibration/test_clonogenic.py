"""Clonogenic curves (PIDE-like) in the calibration: the log-kill and replicate spread (closed forms), the registry
entry, masks, parameter recovery on a small synthetic problem, and `chemorad calibrate --with-optional`.

Which tests are which: `test_recovers_...` is parameter recovery (data drawn from the model at known values); the
closed-form tests check formulas by hand; nothing here is a validation on measured data (that is
benchmarks/bench_pide_calibration.py, on a split written down before fitting).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

pytest.importorskip("numpyro")

from chemorad.calibration.clonogenic import curve_observations, log_kill, replicate_sd  # noqa: E402
from chemorad.catalog.registry import Likelihood, calibrated_datasets, response_dataset  # noqa: E402
from chemorad.cli import app  # noqa: E402

runner = CliRunner()


def test_log_kill_is_ln_of_minus_ln_sf2() -> None:
    alpha, beta = np.array([0.3, 0.05, 0.0, -0.1]), np.array([0.03, 0.06, 0.0, 0.01])
    y = log_kill(alpha, beta)
    np.testing.assert_allclose(y[:2], np.log(-np.log(np.exp(-2 * alpha[:2] - 4 * beta[:2]))))
    assert np.isnan(y[2:]).all()  # no kill at 2 Gy: not a usable curve


def test_replicate_sd_by_hand() -> None:
    # a: 1, 3 (mean 2: squares 1 + 1); b: 2, 2, 5 (mean 3: 1 + 1 + 4); c: one curve, no replicate; dof 5 - 2 = 3
    sd, dof, groups, n = replicate_sd([1, 3, 2, 2, 5, 7], ["a", "a", "b", "b", "b", "c"])
    assert (dof, groups, n) == (3, 2, 5)
    assert sd == pytest.approx(np.sqrt(8 / 3))
    assert np.isnan(replicate_sd([1.0, 2.0], ["a", "b"])[0])


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(-5, 5), min_size=2, max_size=6), st.floats(-10, 10))
def test_replicate_sd_ignores_where_each_line_sits(values, shift) -> None:
    """Only the spread within a line counts: moving one line's curves together leaves the pooled sd unchanged."""
    groups = ["a"] * len(values) + ["b", "b"]
    y = np.array([*values, 0.0, 1.0])
    moved = y + np.where(np.array(groups) == "a", shift, 0.0)
    assert replicate_sd(moved, groups)[0] == pytest.approx(replicate_sd(y, groups)[0], abs=1e-9)


def test_curves_map_to_the_calibrations_lines() -> None:
    curves = pd.DataFrame(
        {"cell_line": ["B", "A", "X", "A"], "alpha": [0.2, 0.3, 0.3, -1.0], "beta": [0.05, 0.03, 0.03, 0.0]}
    )
    line, y = curve_observations(curves, ("A", "B"))
    np.testing.assert_array_equal(line, [1, 0])  # X is not a line of the calibration; A's second curve kills nothing
    np.testing.assert_allclose(y, np.log([0.6, 0.72]))


def test_pide_is_declared_once_in_the_registry_after_the_bundles_data_sets() -> None:
    pide = response_dataset("pide")
    assert pide.likelihood is Likelihood.clonogenic_log_kill and pide.noise_scale == pytest.approx(0.6)
    ids = [d.id for d in calibrated_datasets()]
    assert ids[-1] == "pide" and ids[:4] == ["gdsc1", "gdsc2", "ctrp", "yard"]  # earlier indices unchanged


@pytest.fixture(scope="module")
def problem():
    from chemorad.calibration.synthetic import synthetic_problem
    from chemorad.catalog import catalog

    return synthetic_problem(catalog(), ["hr_repair"], ["radiotherapy", "cisplatin"], n_lines=30, clonogenic=24)


def test_masks_drop_the_clonogenic_curves_of_lines_and_of_radiation(problem) -> None:
    spec, d, _ = problem
    assert len(d.clono_value) > 24  # some lines have two curves
    drop = np.zeros(d.n_lines, bool)
    drop[:3] = True
    m = d.mask_lines(drop)
    np.testing.assert_array_equal(m.clonogenic, d.clono_line >= 3)
    assert not d.mask_therapy(d.yard_therapy).clonogenic.any()
    assert d.mask_therapy(1 - d.yard_therapy).clonogenic.all()


def test_recovers_the_clonogenic_noise_and_offset_and_a_masked_set_keeps_its_prior(problem) -> None:
    """Parameter recovery: sigma_pide and the assay offset drawn at known values are inside their 99% intervals
    (padded by 5% each way: mean-field VI under-disperses, as in test_inference); with every curve masked the offset
    is back to its N(0, 1) prior."""
    from chemorad.calibration.infer import Calibrator, Settings
    from chemorad.calibration.synthetic import CLONO_OFFSET, TRUE_SIGMA

    spec, d, _ = problem
    cal = Calibrator(spec, d, Settings(steps=1000, draws=300, learning_rate=0.02))
    samples, _, diag = cal.fit(seed=0)
    assert diag["elbo_finite"]
    for site, true in (("sigma_pide", TRUE_SIGMA["pide"]), ("clono_offset", CLONO_OFFSET)):
        lo, hi = np.quantile(samples[site][0], [0.005, 0.995])
        pad = 0.05 * (hi - lo)
        assert lo - pad <= true <= hi + pad, (site, lo, hi)
    off = replace(d.mask(), clonogenic=np.zeros(len(d.clono_value), bool))
    prior, _, _ = cal.fit(off, seed=1)
    assert abs(prior["clono_offset"][0].std() - 1.0) < 0.25


def test_ship_with_pide_is_refused_in_one_line(tmp_path) -> None:
    res = runner.invoke(app, ["calibrate", "--ship", "--with-optional", "pide", "--out", str(tmp_path / "c")])
    assert res.exit_code == 2
    assert "--ship" in res.output and "pide" in res.output and "\n" not in res.output.strip()
    assert not (tmp_path / "c").exists()  # refused before the output folder is touched


def test_an_unknown_optional_set_is_named(tmp_path) -> None:
    res = runner.invoke(app, ["calibrate", "--with-optional", "prism", "--out", str(tmp_path / "c")])
    assert res.exit_code == 2
    assert "prism" in res.output and "pide" in res.output and "\n" not in res.output.strip()


def test_pide_absent_names_the_missing_files_and_where_they_go(tmp_path, monkeypatch) -> None:
    from chemorad.bundle import datasets as ds

    monkeypatch.setattr(ds, "_default_candidates", lambda: [])  # no shared bundle beside the checkout either
    res = runner.invoke(app, ["calibrate", "--with-optional", "pide", "--data", str(tmp_path), "--out", "c"])
    assert res.exit_code == 2
    out = res.output.strip()
    assert "pide34.csv" in out and str(tmp_path / "pide") in out and "\n" not in out
