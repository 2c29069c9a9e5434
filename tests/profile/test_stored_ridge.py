"""The prediction path from stored models: the marker ridge read back as `ridge_terms.StoredRidge` predicts exactly as
the fitted `ResponseModel`, and a prediction from a stored state loads neither scikit-learn nor scipy.stats."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from chemorad.catalog.load import catalog
from chemorad.profile import fitted as pf
from chemorad.profile import predict as pp
from chemorad.profile.fitted_state import from_state, to_state
from chemorad.profile.model_inputs import inputs_of
from chemorad.profile.ridge_terms import StoredRidge
from chemorad.profile.training import ModelSet

FEATURES = ["f1", "f2", "f3", "f4"]
COLUMNS = {"yard|radiotherapy|auc": "radiotherapy", "gdsc2|cisplatin|ln_ic50": "cisplatin"}


def _models(seed: int = 0) -> tuple[ModelSet, pd.DataFrame, pd.Series]:
    """Two `ResponseModel`s on 120 synthetic lines (missingness, three tissues), and five new samples: one of an
    unseen tissue, one without tissue, one with every feature missing."""
    from chemorad.profile.estimators import ResponseModel

    rng = np.random.default_rng(seed)
    n = 120
    X = pd.DataFrame(rng.standard_normal((n, len(FEATURES))), columns=FEATURES)
    X.loc[rng.random(n) < 0.3, "f3"] = np.nan
    X["tissue"] = rng.choice(["lung", "skin", "bone"], n)
    models = ModelSet()
    for k, (col, tid) in enumerate(COLUMNS.items()):
        y = (k + 1) * X["f1"] - X["f2"] + (X["tissue"] == "lung") + rng.standard_normal(n)
        models[col] = ResponseModel().fit(X, y)
        models.therapy[col] = tid
    samples = [f"S{i}" for i in range(5)]
    Xs = pd.DataFrame(rng.standard_normal((5, len(FEATURES))), index=samples, columns=FEATURES)
    Xs.loc["S3"] = np.nan
    tissue = pd.Series(["lung", "brain", None, "skin", "bone"], index=samples, dtype=object)
    return models, Xs, tissue


def _stored(models: ModelSet) -> ModelSet:
    """The set written as `fitted_state` arrays and read back for prediction (the marker ridge as its view)."""
    out = ModelSet()
    strings: dict = {}
    for col, model in models.items():
        arrays, desc = to_state(model, "m.", strings)
        out[col] = from_state(pf.ESTIMATORS, arrays, "m.", desc, list(strings), pf._VIEWS)
        out.therapy[col] = models.therapy[col]
    return out


@pytest.mark.parametrize("seed", [0, 1])
def test_the_stored_view_predicts_exactly_as_the_fitted_model(seed):
    """Same prediction tables (records, mechanism and marker attributions) bit for bit, same percentiles and unseen-
    tissue flags; and the view is what the one-pass path takes."""
    models, Xs, tissue = _models(seed)
    stored = _stored(models)
    assert all(type(m) is StoredRidge for m in stored.values()) and pp._is_linear(stored)
    owners = {"f1": ["m1"], "f2": ["m1", "m2"], "f3": ["m2"]}
    rf = {t: pd.Series(1.0, index=Xs.index) for t in COLUMNS.values()}

    def run(ms):
        ctx = pp._Context(Xs, tissue, {"cisplatin": {"m2"}}, owners, dict(rf), 0.8)
        return pp._predict_linear(ms, list(Xs.index), ctx)

    for a, b in zip(run(models), run(stored), strict=True):
        pd.testing.assert_frame_equal(a, b, check_exact=True)
    for col, model in models.items():
        view = stored[col]
        pred = pd.Series([0.1, -2.0, 5.0])
        labels = pd.Series(["lung", "brain", None], dtype=object)
        pd.testing.assert_frame_equal(
            model.percentile_in_tissue(pred, labels), view.percentile_in_tissue(pred, labels), check_exact=True
        )
        np.testing.assert_array_equal(model.unseen_tissue(labels), view.unseen_tissue(labels))
        assert view.get_params() == model.get_params(deep=False)
        X = Xs.assign(tissue=tissue)  # the estimator's own interface on a table, answered by the rebuilt estimator
        for a, b in zip(model.explain(X, 0.8), view.explain(X, 0.8), strict=True):
            pd.testing.assert_frame_equal(a, b, check_exact=True)
        np.testing.assert_array_equal(model.predict(X), view.predict(X))
        # the same terms and numbers; the stored names come back as an object column (`fitted_state` builds object
        # indexes), the fitted ones as pandas strings
        pd.testing.assert_frame_equal(model.coefficients(), view.coefficients(), check_exact=True, check_dtype=False)


def test_a_view_without_a_rebuild_function_only_predicts():
    view = StoredRidge({}, {"coef_": pd.Series([1.0], index=["f1"])})
    with pytest.raises(TypeError, match="can only predict"):
        view.explain(pd.DataFrame({"f1": [0.0], "tissue": ["lung"]}))


def test_a_stored_set_rebuilds_real_estimators_to_be_stored_again():
    """`_LazySet.build(light=True)` gives views; a later full build (storing) gives `ResponseModel`s again."""
    models, _, _ = _models(2)
    strings: dict = {}
    arrays, entry = {}, {"therapy": dict(models.therapy), "skipped": {}, "models": {}}
    for i, (col, model) in enumerate(models.items()):
        a, desc = to_state(model, f"full.{i}.", strings)
        arrays.update(a)
        entry["models"][col] = {"prefix": f"full.{i}.", **desc}
    lazy = pf._LazySet(entry, arrays, np.array(list(strings), dtype=object))
    lazy.build(light=True)
    assert {type(m).__name__ for m in lazy.values()} == {"StoredRidge"}
    lazy.build()
    assert {type(m).__name__ for m in lazy.values()} == {"ResponseModel"}
    lazy.check()  # a complete archive passes the structural check; one missing an array or a class does not
    del arrays["full.1.coef_.index"]
    with pytest.raises(KeyError, match="full.1.coef_.index"):
        pf._LazySet(entry, arrays, np.array(list(strings), dtype=object)).check()
    entry["models"][next(iter(entry["models"]))]["class"] = "Pickled"
    with pytest.raises(KeyError, match="Pickled"):
        pf._LazySet(entry, arrays, np.array(list(strings), dtype=object)).check()


def test_the_registry_declares_each_class_s_inputs():
    """The inputs the registry declares (read without importing a class) are each class's own `inputs`."""
    for name in pf.ESTIMATORS:
        assert pf.ESTIMATORS.inputs(name) == inputs_of(pf.ESTIMATORS[name]), name
        assert pf.ESTIMATORS.class_named(pf.ESTIMATORS[name].__name__) is pf.ESTIMATORS[name]
    with pytest.raises(KeyError):
        pf.ESTIMATORS.class_named("NotAnEstimator")


PROBE = """
import json, sys
sys.argv = ["chemorad", "predict", "--cell-line", sys.argv[1], "--therapies", "radiotherapy", "-f", "json"]
from chemorad.cli.app import main
try:
    main()
except SystemExit as exc:
    code = exc.code
heavy = sorted(m for m in sys.modules if m.split(".")[0] == "sklearn" or m.startswith("scipy.stats"))
print(json.dumps({"code": code, "heavy": heavy}), file=sys.stderr)
"""


def test_a_prediction_from_a_stored_state_loads_no_scikit_learn(shared_data, tmp_path):
    """`chemorad predict` of a bundle line, served by a stored marker-ridge state, imports neither scikit-learn nor
    scipy.stats (they were half a second of every warm prediction), and prints what this process predicts from the
    freshly fitted models. The check can fail: the same probe after importing the estimators lists them."""
    from chemorad.evidence.responses import responses
    from chemorad.profile.readers import from_cell_line

    cat = catalog()
    line = str(responses(cat, shared_data)["yard|radiotherapy|auc"].dropna().index[0])
    pf._MEMO.clear()
    fitted = pf.fitted_models(cat, shared_data, therapies=["radiotherapy"], cache_dir=tmp_path)
    expected = pp.predict_with(fitted, from_cell_line(line, shared_data), shared_data, ["radiotherapy"]).records
    env = {**os.environ, "CHEMORAD_CACHE": str(tmp_path), "CHEMORAD_DATA": str(shared_data)}
    src = str(Path(__file__).resolve().parents[2] / "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")

    def probe(code: str):
        run = subprocess.run([sys.executable, "-c", code, line], capture_output=True, text=True, env=env, timeout=300)
        return run, json.loads(run.stderr.strip().splitlines()[-1])

    run, info = probe(PROBE)
    assert info == {"code": 0, "heavy": []}, run.stderr[-2000:]
    assert "refitting" not in run.stderr and "is stale" not in run.stderr
    got = pd.DataFrame(json.loads(run.stdout))  # one record per sample x response, as predict_with's records
    keys, values = ["dataset", "metric"], ["predicted", "interval_low", "interval_high"]
    want = expected.sort_values(keys)[values].to_numpy()
    np.testing.assert_array_equal(got.sort_values(keys)[values].to_numpy(), want)
    _, loaded = probe("import chemorad.profile.estimators\n" + PROBE)
    assert any(m.startswith("sklearn") for m in loaded["heavy"])
