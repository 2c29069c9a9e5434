"""A second radiation data set of survival curves, registered in the registry only, flows through every consumer.

The registry (`catalog.registry.RESPONSE_DATASETS`) gets a synthetic data set with Yard's likelihood (survival curves,
a protocol comparison file); the bundle gets its loader (`RESPONSE_LOADERS`), AUC and tissue columns and its files;
the catalog's radiotherapy names it. Nothing in evidence/, profile/ or web/ is edited, and the data set appears in the
responses, the margins, the claim tests, the folder reader and the cell-line view the web renders. Yard itself is
replaced by synthetic curves too, so the two sets are shown side by side without the data bundle.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

from chemorad.bundle import core
from chemorad.bundle import datasets as ds
from chemorad.catalog import catalog
from chemorad.catalog.registry import (
    RESPONSE_DATASETS,
    Likelihood,
    Modality,
    ResponseDataset,
    ResponseKey,
    calibrated_datasets,
    curve_datasets,
    datasets_for,
)
from chemorad.evidence.associations import covariate_design
from chemorad.evidence.claims import claim_tests
from chemorad.evidence.curves import fit_lq
from chemorad.evidence.margins import comparison_tables, noise_table, replicate_rho
from chemorad.evidence.responses import curve_tables, radiation_dose_responses, radiation_responses, therapy_columns
from chemorad.profile.readers import read_profiles_dir
from chemorad.report.line_view import line_responses

FAKE = "fakerad"
DOSES = (1.0, 2.0, 4.0, 6.0, 8.0, 10.0)
TISSUES = ("LUNG", "BREAST", "SKIN")
N = 60


def _curves(seed: int) -> pd.DataFrame:
    """N lines of LQ survival with 5% multiplicative noise, a published AUC (trapezoid, 0-10 Gy) and a tissue."""
    rng = np.random.default_rng(seed)
    alpha, beta = rng.uniform(0.1, 0.5, N), rng.uniform(0.01, 0.05, N)
    dose = np.array(DOSES)
    sf = np.exp(-alpha[:, None] * dose - beta[:, None] * dose**2) * rng.lognormal(0.0, 0.05, (N, dose.size))
    frame = pd.DataFrame(sf, columns=[f"sf_{d:g}gy" for d in DOSES], index=[f"L{i:02d}" for i in range(N)])
    frame.index.name = "cell_line"
    grid, curve = np.r_[0.0, dose], np.c_[np.ones(N), sf]
    frame["auc"] = ((curve[:, 1:] + curve[:, :-1]) / 2 * np.diff(grid)).sum(axis=1)
    frame["tissue"] = [TISSUES[i % len(TISSUES)] for i in range(N)]
    return frame


def _comparison(curves: pd.DataFrame, seed: int) -> pd.DataFrame:
    """12 lines measured again by a second protocol (auc, sf2): the published value plus noise."""
    rng = np.random.default_rng(seed)
    sub = curves.iloc[:12]
    rows = []
    for metric, value in (("auc", sub["auc"]), ("sf2", sub["sf_2gy"])):
        for line, v in value.items():
            rows.append((line, metric, v + rng.normal(0, 0.1 * value.std()), v))
    return pd.DataFrame(rows, columns=["cell_line", "metric", "clonogenic", "proliferative"])


def _table_loader(filename: str, tissue_column: str, auc_column: str):
    def load(data=None) -> pd.DataFrame:
        frame = pd.read_csv(ds.data_dir(data) / filename, index_col="cell_line")
        frame.index = frame.index.astype(object)
        return frame.rename(columns={"tissue": tissue_column, "auc": auc_column})

    return load


def _comparison_loader(filename: str):
    def load(data=None) -> pd.DataFrame:
        return pd.read_csv(ds.data_dir(data) / filename, index_col="cell_line")

    return load


@pytest.fixture
def two_screens(tmp_path, monkeypatch):
    """(catalog, data folder): Yard (synthetic curves) and a second survival-curve set registered beside it."""
    yard_id = next(d.id for d in datasets_for(Modality.radiation) if d.survival_curves)
    spec = ResponseDataset(
        FAKE,
        "Fake 2030",
        Modality.radiation,
        ("auc", "sf2", "neg_alpha"),
        "auc",
        len(RESPONSE_DATASETS) + 1,
        "synthetic LQ curves (this test)",
        negated=("neg_alpha",),
        ranges=(("auc", 0.0, 10.0), ("sf2", 0.0, 1.0), ("neg_alpha", -np.inf, 0.0)),
        likelihood=Likelihood.survival_curve,
        noise_scale=0.2,
        survival_curves=True,
        protocol_comparison=f"{FAKE}_comparison",
    )
    monkeypatch.setitem(RESPONSE_DATASETS, FAKE, spec)
    for dataset, seed in ((yard_id, 1), (FAKE, 2)):
        curves = _curves(seed)
        curves.to_csv(tmp_path / f"{dataset}.csv")
        _comparison(curves, seed + 10).to_csv(tmp_path / f"{dataset}_comparison.csv", index=False)
        compared = RESPONSE_DATASETS[dataset].protocol_comparison
        spec_file = ds.DatasetSpec(dataset, f"{dataset}.csv", "synthetic curves", ("cell_line",), "", "", "", "")
        monkeypatch.setitem(ds.DATASETS, dataset, spec_file)
        monkeypatch.setitem(
            ds.RESPONSE_LOADERS, dataset, _table_loader(f"{dataset}.csv", f"tissue_{dataset}", f"auc_{dataset}")
        )
        monkeypatch.setitem(ds.AUC_COLUMN, dataset, f"auc_{dataset}")
        monkeypatch.setitem(ds.TISSUE_COLUMN, dataset, (f"tissue_{dataset}", "ccle"))
        monkeypatch.setitem(core._LOADERS, compared, _comparison_loader(f"{dataset}_comparison.csv"))
    cat = copy.deepcopy(catalog())
    rt = cat.radiotherapy
    cat.therapies[rt.id] = rt.model_copy(update={"datasets": {**rt.datasets, FAKE: rt.id}})
    return cat, tmp_path


def test_the_registry_lists_the_new_set_with_the_curve_sets_and_the_calibrated_ones(two_screens):
    assert FAKE in [d.id for d in curve_datasets()]
    assert FAKE in [d.id for d in calibrated_datasets() if d.likelihood is Likelihood.survival_curve]


def test_responses_derive_the_registered_metrics_from_each_sets_curves(two_screens):
    cat, data = two_screens
    rt = cat.radiotherapy.id
    resp = radiation_responses(cat, data)
    mine = [c for c in resp.columns if ResponseKey.parse(c).dataset == FAKE]
    assert mine == [ResponseKey(FAKE, rt, m).column for m in ("auc", "sf2", "neg_alpha")]
    table = _curves(2)
    fits = fit_lq(table)
    np.testing.assert_allclose(resp[f"{FAKE}|{rt}|auc"].loc[table.index], table["auc"])
    np.testing.assert_allclose(resp[f"{FAKE}|{rt}|neg_alpha"].loc[table.index], -fits["alpha"])
    assert len(resp.columns) == 6  # Yard's three beside them
    assert set(therapy_columns(cat, resp.columns)[rt]) == set(resp.columns)
    full = radiation_dose_responses(cat, data)
    expected = [f"{FAKE}|{rt}|sf_{d:g}gy" for d in DOSES] + [f"{FAKE}|{rt}|neg_alpha", f"{FAKE}|{rt}|neg_beta"]
    assert [c for c in full.columns if c.startswith(FAKE)] == expected


def test_margins_take_each_sets_own_comparison_file_and_curve_scatter(two_screens):
    cat, data = two_screens
    resp = radiation_responses(cat, data)
    cols = list(resp.columns)
    therapy_of = dict.fromkeys(cols, cat.radiotherapy.id)
    noise = noise_table(cat, resp, cols, therapy_of, curve_tables(cat, cols, data), comparison_tables(cols, data))
    compared = _comparison(_curves(2), 12)
    auc = compared[compared["metric"] == "auc"]
    rho, n = replicate_rho(auc["clonogenic"], auc["proliferative"], min_lines=8)
    row = noise.loc[f"{FAKE}|{cat.radiotherapy.id}|auc"]
    assert row["rho"] == pytest.approx(rho) and n == 12
    assert row["noise_source"].endswith("auc, 12 lines")
    assert np.isfinite(row["sigma_lq"]) and np.isfinite(row["margin"]) and row["margin"] > 0
    # -alpha takes the AUC's rho (no alpha in the file); the other set's rho comes from its own file
    assert noise.loc[f"{FAKE}|{cat.radiotherapy.id}|neg_alpha", "rho"] == row["rho"]
    assert noise["rho"].nunique() == 4


def test_claim_tests_cover_the_new_set_at_full_resolution(two_screens):
    cat, data = two_screens
    resp = radiation_responses(cat, data)
    lines = resp.index
    rng = np.random.default_rng(3)
    features = pd.DataFrame({"feature_x": rng.normal(size=len(lines))}, index=lines)
    tissue = pd.Series([TISSUES[int(x[1:]) % 3].lower() for x in lines], index=lines)
    cov = covariate_design(tissue, pd.Series(0.0, index=lines), min_lines=5)
    tests = claim_tests(cat, data, tables=(None, resp, cov), features=features)
    mine = tests[tests["dataset"] == FAKE]
    assert set(mine["metric"]) == {"auc", "neg_alpha", "neg_beta", *(f"sf_{d:g}gy" for d in DOSES)}
    assert mine.loc[mine["primary"], "metric"].tolist() == ["auc"]
    assert mine["margin"].notna().all() and (mine["therapy"] == cat.radiotherapy.id).all()


def test_the_folder_reader_votes_with_the_new_sets_tissue(two_screens):
    _, data = two_screens
    folder = data / "profile"
    folder.mkdir()
    (folder / f"{FAKE}.csv").write_bytes((data / f"{FAKE}.csv").read_bytes())
    rppa = pd.DataFrame({"cell_line": ["L00", "L01"], "ccle_name": ["L00_LUNG", "L01_BREAST"], "depmap_id": ["a", "b"]})
    rppa["AKT_pS473"] = [0.1, -0.2]
    rppa.to_csv(folder / ds.DATASETS["rppa"].filename, index=False)
    with pytest.warns(UserWarning):  # the lines of the curve file have no protein row
        prof = read_profiles_dir(folder, reference=folder)
    assert prof.tissue.loc["L05", "tissue"] == TISSUES[5 % 3].lower()
    assert prof.tissue.loc["L05", "source"] == FAKE
    assert f"{FAKE}.csv" in prof.sources["tissue"]


def test_the_web_cell_line_view_names_the_new_set(two_screens):
    cat, data = two_screens
    resp = radiation_responses(cat, data)
    tissue = pd.Series("lung", index=resp.index)
    view = line_responses(cat, resp, tissue, "L07")
    assert "Fake 2030" in set(view["dataset"])
    assert set(view.loc[view["dataset"] == "Fake 2030", "id"]) == {cat.radiotherapy.id}
