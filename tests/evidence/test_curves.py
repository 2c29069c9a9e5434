"""Linear-quadratic survival fits: closed forms, and agreement with RadioGx (Manem et al. 2019) on Yard 2016 curves."""

import numpy as np
import pandas as pd
import pytest
from scipy.integrate import quad
from scipy.optimize import nnls

from chemorad.bundle import datasets as ds
from chemorad.errors import ChemoradError
from chemorad.evidence.curves import fit_lq, lq_auc, lq_d10, lq_survival, sf_columns

DOSES = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0])


def test_exact_lq_curve_is_recovered():
    sf = lq_survival(DOSES, 0.3, 0.03)
    fit = fit_lq(DOSES, sf).iloc[0]
    assert fit["alpha"] == pytest.approx(0.3, rel=1e-10)
    assert fit["beta"] == pytest.approx(0.03, rel=1e-10)
    assert fit["sf2"] == pytest.approx(np.exp(-0.6 - 0.12), rel=1e-10)
    assert fit["r_squared"] == pytest.approx(1.0, abs=1e-12)
    assert fit["n_points"] == 9  # 8 doses + the (0 Gy, SF 1) point


def test_d10_closed_form():
    # 0.3 D + 0.03 D^2 = ln 10 -> D = (-0.3 + sqrt(0.09 + 0.12 ln 10)) / 0.06
    assert lq_d10(0.3, 0.03) == pytest.approx((-0.3 + np.sqrt(0.09 + 0.12 * np.log(10))) / 0.06, rel=1e-12)
    assert lq_d10(0.5, 0.0) == pytest.approx(np.log(10) / 0.5)
    assert np.isinf(lq_d10(0.0, 0.0))


@pytest.mark.parametrize(
    ("alpha", "beta"), [(0.3, 0.03), (0.0, 0.05), (0.8, 0.0), (0.0, 0.0), (2.0, 1e-9), (1e-6, 1e-12)]
)
def test_auc_matches_numerical_integration(alpha, beta):
    expected = quad(lambda d: np.exp(-alpha * d - beta * d * d), 0.0, 10.0, epsabs=1e-13, epsrel=1e-12)[0]
    assert lq_auc(alpha, beta) == pytest.approx(expected, rel=1e-9)


def test_constraints_and_points_above_one_match_scipy_nnls():
    rng = np.random.default_rng(7)
    sf = np.exp(-(0.2 * DOSES + 0.02 * DOSES**2)) * np.exp(rng.normal(0, 0.3, size=(200, DOSES.size)))
    sf[:, 0] *= 1.5  # many SF > 1 at 1 Gy; kept as measured (ln SF > 0)
    sf[rng.random(sf.shape) < 0.1] = np.nan
    sf[3, 2] = 0.0  # cannot be log-transformed: left out
    fits = fit_lq(DOSES, sf)
    for i in range(sf.shape[0]):
        ok = np.isfinite(sf[i]) & (sf[i] > 0)
        (a, b), _ = nnls(np.c_[DOSES[ok], DOSES[ok] ** 2], -np.log(sf[i, ok]))
        assert fits.at[i, "alpha"] == pytest.approx(a, abs=1e-10)
        assert fits.at[i, "beta"] == pytest.approx(b, abs=1e-10)
        assert fits.at[i, "n_points"] == ok.sum() + 1
    assert (fits[["alpha", "beta"]] >= 0).all().all()


def test_survival_table_input():
    rows = [("A", d, s) for d, s in zip(DOSES, lq_survival(DOSES, 0.2, 0.01), strict=True)]
    rows += [("B", d, s) for d in (0.0, 2.0, 2.0, 4.0, 6.0) for s in [float(lq_survival(d, 0.5, 0.0))]]
    table = pd.DataFrame(rows, columns=["cell_line", "dose_gy", "sf"])
    fits = fit_lq(table)
    assert list(fits.index) == ["A", "B"]
    assert fits.at["A", "alpha"] == pytest.approx(0.2) and fits.at["A", "beta"] == pytest.approx(0.01)
    assert fits.at["B", "alpha"] == pytest.approx(0.5) and fits.at["B", "beta"] == pytest.approx(0.0, abs=1e-12)
    assert fits.at["B", "n_points"] == 5  # its own 0 Gy point is used; none added
    with pytest.raises(ChemoradError, match="dose_gy"):
        fit_lq(table.drop(columns=["dose_gy"]))
    with pytest.raises(ChemoradError, match="dose_gy"):
        fit_lq(table.assign(dose_gy=-1.0))
    with pytest.raises(ChemoradError, match="sf"):
        fit_lq(DOSES, np.ones(3))


def test_agreement_with_radiogx_on_all_358_lines(shared_data):
    yard = ds.load_yard(shared_data)
    rgx = ds.load_radiogx(shared_data)
    fits = fit_lq(yard.loc[rgx.index])
    diff = {
        k: (fits[k] - rgx[r]).abs()
        for k, r in [("alpha", "alpha"), ("beta", "beta"), ("auc", "auc_lq"), ("r_squared", "r_squared")]
    }
    # measured: medians 5.5e-14, 0, 6.5e-7, 2.0e-14; 95th percentiles 1.4e-3, 1.8e-4, 7.3e-3, 3.6e-5
    assert diff["alpha"].median() < 1e-10 and diff["alpha"].quantile(0.95) < 2e-3 and diff["alpha"].max() < 0.035
    assert diff["beta"].median() < 1e-10 and diff["beta"].quantile(0.95) < 2.5e-4 and diff["beta"].max() < 0.0045
    assert diff["auc"].median() < 1e-6 and diff["auc"].quantile(0.95) < 0.008 and diff["auc"].max() < 0.14
    assert diff["r_squared"].median() < 1e-10 and diff["r_squared"].quantile(0.95) < 5e-5
    assert diff["r_squared"].max() < 0.007
    for k, r in [("alpha", "alpha"), ("beta", "beta"), ("auc", "auc_lq"), ("r_squared", "r_squared")]:
        assert np.corrcoef(fits[k], rgx[r])[0, 1] > 0.9995
    # where they differ, this fit is the better least-squares solution
    doses, cols = sf_columns(yard)
    log_sf = np.log(yard.loc[rgx.index, cols].to_numpy())

    def sse(alpha, beta):
        return ((log_sf + alpha[:, None] * doses + beta[:, None] * doses**2) ** 2).sum(axis=1)

    assert (
        sse(fits["alpha"].to_numpy(), fits["beta"].to_numpy())
        <= sse(rgx["alpha"].to_numpy(), rgx["beta"].to_numpy()) + 1e-12
    ).all()
