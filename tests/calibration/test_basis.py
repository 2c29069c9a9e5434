"""The expression basis of the line factors: PCA checked against scikit-learn, projection of new samples, round trip
through the posterior file; predictions of samples given by covariates equal those of the same rows of the data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("numpyro")

from chemorad.calibration.data import PROLIFERATION_GENES, ExpressionBasis  # noqa: E402


@pytest.fixture(scope="module")
def expr() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    n, g = 120, 60
    latent = rng.normal(size=(n, 3))
    x = latent @ rng.normal(size=(3, g)) + 0.5 * rng.normal(size=(n, g)) + 8.0
    genes = [f"G{i}" for i in range(g - 3)] + list(PROLIFERATION_GENES[:3])
    return pd.DataFrame(x, index=[f"L{i}" for i in range(n)], columns=genes)


@pytest.fixture(scope="module")
def fitted():
    """One small fit shared by the tests below (compilation dominates their cost)."""
    from chemorad.calibration.infer import Calibrator, Settings, to_inference_data
    from chemorad.calibration.synthetic import synthetic_problem
    from chemorad.catalog import catalog

    cat = catalog()
    spec, d, _ = synthetic_problem(cat, ["hr_repair"], ["radiotherapy", "doxorubicin", "cisplatin"], 80, seed=2)
    s = Settings(steps=1500, draws=50, learning_rate=0.02, check=False)
    samples, stats, diag = Calibrator(spec, d, s).fit()
    return cat, spec, d, to_inference_data(spec, d, samples, stats, s, diag), (samples, stats, s, diag)


def test_components_equal_scikit_learn_pca_up_to_sign(expr) -> None:
    from sklearn.decomposition import PCA

    b = ExpressionBasis.fit(expr, n_genes=40, n_components=5)
    x = expr[list(b.genes)].to_numpy()
    z = (x - x.mean(axis=0)) / x.std(axis=0)
    ref = PCA(n_components=5, svd_solver="full").fit(z).components_
    np.testing.assert_allclose(np.abs(np.sum(ref * b.components, axis=1)), 1.0, atol=1e-8)
    G = b.transform(expr)
    np.testing.assert_allclose(G[:, 1:].std(axis=0), 1.0, atol=1e-8)  # each axis scaled to unit variance
    np.testing.assert_allclose(G.mean(axis=0), 0.0, atol=1e-8)
    assert b.prolif.sum() == 3 and abs(G[:, 0].std() - 1.0) < 1e-8


def test_a_new_sample_is_projected_whatever_its_column_order_and_gaps(expr) -> None:
    b = ExpressionBasis.fit(expr, n_genes=40, n_components=5)
    one = expr.iloc[[7]]
    shuffled = one[one.columns[::-1]].assign(EXTRA=1.0)
    np.testing.assert_allclose(b.transform(shuffled), b.transform(one))
    gap = one.copy()
    gap[b.genes[0]] = np.nan  # a missing value counts as the bundle mean (z = 0)
    z_row = ((one[list(b.genes)].to_numpy() - b.mean) / b.sd)[0]
    expected = b.transform(one)[0, 1:] - z_row[0] * b.components[:, 0] / b.pc_sd
    np.testing.assert_allclose(b.transform(gap)[0, 1:], expected, atol=1e-12)
    nothing = pd.DataFrame(np.nan, index=["X"], columns=expr.columns)
    np.testing.assert_allclose(b.transform(nothing), 0.0)  # no expression: the average line


def test_basis_travels_with_the_posterior_file(fitted, tmp_path) -> None:
    from dataclasses import replace

    from chemorad.calibration.infer import to_inference_data
    from chemorad.calibration.posterior import expression_basis, load, save, thin_globals

    _, spec, d, _, (samples, stats, s, diag) = fitted
    g = pd.DataFrame(np.random.default_rng(1).normal(size=(30, 12)), columns=[f"G{i}" for i in range(12)])
    basis = ExpressionBasis.fit(g, n_genes=12, n_components=1)
    idata = to_inference_data(spec, replace(d, basis=basis), samples, stats, s, diag)
    save(thin_globals(idata, 10), tmp_path / "p.nc", compress=True)
    back = expression_basis(load(tmp_path / "p.nc"))
    assert back.genes == basis.genes
    for k in ("mean", "sd", "components", "pc_sd", "prolif"):
        np.testing.assert_allclose(getattr(back, k), getattr(basis, k), rtol=1e-6)


def test_samples_given_by_covariates_predict_as_the_same_rows(fitted) -> None:
    from chemorad.calibration import predict as P

    cat, spec, d, idata, _ = fitted
    rows = np.array([3, 11])
    a, _ = P.ln_dose_draws(spec, d, idata, rows, seed=4)
    tissues = [d.tissues[k] for k in d.tissue[rows]]
    b, _ = P.ln_dose_draws(spec, d, idata, None, seed=4, Z=d.Z[rows], G=d.G[rows], tissues=tissues)
    np.testing.assert_allclose(a, b)
    inputs = P.SampleInputs(["a", "b"], d.Z[rows], d.G[rows], tissues, [])
    pred, expl = P.predict_samples(cat, spec, d, idata, inputs)
    assert set(pred["sample"]) == {"a", "b"}
    assert (pred["interval_low"] <= pred["predicted"]).all() and (pred["predicted"] <= pred["interval_high"]).all()


def test_an_observed_response_moves_the_other_predictions_through_the_line_factors(fitted) -> None:
    """Conditioning on a resistant doxorubicin response (importance sampling over the line terms): the doxorubicin
    prediction moves to the observation and cisplatin, which shares the general factor, moves the same way."""
    from chemorad.calibration import predict as P

    cat, spec, d, idata, _ = fitted
    inputs = P.SampleInputs(["new"], d.Z[:1], d.G[:1], [d.tissues[d.tissue[0]]], [])
    base, _ = P.predict_samples(cat, spec, d, idata, inputs)
    obs = P.observed_response(d, spec, "doxorubicin", "quantile", 0.95, "doxorubicin=q0.95")
    cond, _ = P.predict_samples(cat, spec, d, idata, inputs, observed=obs)
    assert 10 < obs.ess < 50 * P.OBSERVED_REPLICAS

    def pred(frame, therapy):
        return frame[(frame["therapy"] == therapy) & (frame["dataset"] == "gdsc1")]["predicted"].iloc[0]

    assert abs(pred(cond, "doxorubicin") - obs.value) < abs(pred(base, "doxorubicin") - obs.value)
    assert pred(cond, "cisplatin") > pred(base, "cisplatin")


def test_yard_auc_noise_is_the_trapezoid_closed_form() -> None:
    from types import SimpleNamespace

    from chemorad.calibration.predict import yard_auc_noise

    d = SimpleNamespace(yard_dose_gy=np.array([2.0, 4.0, 2.0, 4.0]))
    # doses 0, 2, 4: weights 1 (0 Gy), 2, 1; SF(0) = 1 is exact, so sd = sigma sqrt(2^2 + 1^2)
    assert yard_auc_noise(d, np.array([0.1]))[0] == pytest.approx(0.1 * np.sqrt(5.0))
