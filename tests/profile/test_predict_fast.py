"""The one-pass prediction from the ridge models' fitted arrays (`predict._predict_linear`) gives exactly what each
model's own `explain`, column by column (`predict._predict_column`), gives: same numbers, rows, order and dtypes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from chemorad.catalog.load import catalog
from chemorad.profile import predict as pp
from chemorad.profile.estimators import ResponseModel
from chemorad.profile.training import ModelSet

#: two radiation columns and a drug column (their physical ranges differ: Yard AUC [0, 10], SF2 [0, 1], ln IC50 free)
COLUMNS = {"yard|radiotherapy|auc": "radiotherapy", "yard|radiotherapy|sf2": "radiotherapy"}
COLUMNS["gdsc2|cisplatin|ln_ic50"] = "cisplatin"
FEATURES = ["f1", "f2", "f3", "f4", "f5"]


def _problem(seed: int = 0):
    """A `ModelSet` of `ResponseModel`s fitted on 150 synthetic lines (a missingness pattern, so indicators can be
    chosen; three tissues) and a `_Context` of six new samples: one with an unseen tissue, one with no tissue, one with
    every feature missing, one far outside the training lines (so its SF2 is clipped)."""
    rng = np.random.default_rng(seed)
    n = 150
    X = pd.DataFrame(rng.standard_normal((n, len(FEATURES))), columns=FEATURES)
    X.loc[rng.random(n) < 0.3, "f3"] = np.nan
    X.loc[rng.random(n) < 0.2, ["f4", "f5"]] = np.nan
    X["tissue"] = rng.choice(["lung", "skin", "bone"], n)
    models = ModelSet()
    for k, (col, tid) in enumerate(COLUMNS.items()):
        y = (k + 1) * X["f1"].fillna(0) - X["f2"].fillna(0) + (X["tissue"] == "lung") + rng.standard_normal(n)
        y = y * 0.05 + 0.5 if col.endswith("sf2") else y
        models[col] = ResponseModel().fit(X, y)
        models.therapy[col] = tid
    samples = [f"S{i}" for i in range(6)]
    Xs = pd.DataFrame(rng.standard_normal((6, len(FEATURES))), index=samples, columns=FEATURES)
    Xs.loc["S2", "f3"] = np.nan
    Xs.loc["S3"] = np.nan
    Xs.loc["S4"] = 60.0
    tissue = pd.Series(["lung", "brain", None, "skin", "bone", "lung"], index=samples, dtype=object)
    owners = {"f1": ["m1"], "f2": ["m1", "m2"], "f3": ["m2"], "f4": ["m3"]}  # f5 stands for itself
    rf = {t: pd.Series(rng.uniform(0.5, 2.0, 6), index=samples) for t in set(COLUMNS.values())}
    linked = {"radiotherapy": {"m1"}, "cisplatin": {"m2", "m3"}}

    def ctx():
        return pp._Context(Xs, tissue, linked, owners, dict(rf), 0.8)

    return models, samples, ctx


def _by_column(models, samples, ctx):
    got = [pp._predict_column(catalog(), c, models.therapy[c], m, samples, ctx) for c, m in models.items()]
    return [pd.concat(frames, ignore_index=True) for frames in zip(*got, strict=True)]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_one_pass_equals_column_by_column(seed):
    models, samples, make_ctx = _problem(seed)
    fast_ctx, slow_ctx = make_ctx(), make_ctx()
    fast = pp._predict_linear(models, samples, fast_ctx)
    slow = _by_column(models, samples, slow_ctx)
    for a, b in zip(fast, slow, strict=True):
        pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert fast_ctx.clipped == slow_ctx.clipped and fast_ctx.clipped  # S4's SF2 lies outside [0, 1]
    assert fast[0]["unseen_tissue"].any() and (fast[0]["n_reference"] == 150).any()


def test_a_subset_of_samples_and_one_sample_alone():
    """The same numbers for a sample predicted alone as among others (no cross-talk between rows)."""
    models, samples, make_ctx = _problem(3)
    every = pp._predict_linear(models, samples, make_ctx())[0].set_index(["sample", "column"])
    alone = pp._predict_linear(models, ["S1"], make_ctx())[0].set_index(["sample", "column"])
    pd.testing.assert_frame_equal(alone, every.loc[alone.index], check_exact=True)


def test_only_plain_ridge_sets_take_the_one_pass_path():
    """A set holding any other estimator (or a subclass that may override the arithmetic) uses each model's own
    `explain`."""
    models, _, _ = _problem(0)
    assert pp._is_linear(models)

    class Tweaked(ResponseModel):
        pass

    other = ModelSet(models)
    other.therapy = dict(models.therapy)
    col = next(iter(other))
    other[col] = Tweaked()
    assert not pp._is_linear(other) and not pp._is_linear(ModelSet())


def test_top_rankings_of_all_rows_equal_row_by_row():
    """`_top_rows` ranks every row as `_descending` does, ties (whose order is the sort algorithm's) and zeros (never
    listed) included."""
    rng = np.random.default_rng(5)
    values = rng.normal(size=(300, 7)).round(1)  # one decimal: many exact ties
    values[rng.random(values.shape) < 0.3] = 0.0
    values[:5] = 0.0
    values[5, :] = 0.5  # a row of one repeated value
    values[6, :2] = [-0.5, 0.5]  # equal in size, opposite in sign
    got = pp._top_rows(values)
    for row, top in zip(values, got, strict=True):
        np.testing.assert_array_equal(top, pp._descending(row)[: pp.TOP])
    assert [len(t) for t in pp._top_rows(np.zeros((3, 0)))] == [0, 0, 0]
