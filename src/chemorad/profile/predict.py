"""Predicted responses of one or more samples, with intervals, reasons, the chain's view and cross-resistance flags.

For every response column the bundle can model (`model.fit_all`: radiation Yard AUC and SF2; each drug's GDSC1 /
GDSC2 ln IC50 and AUC, CTRP AUC; higher = more resistant) a model (`fitted.ESTIMATORS`, default the marker ridge
`ResponseModel`) is fitted once on the bundle's lines and stored (`fitted.FittedModels`); a sample that is
itself a bundle line is predicted by the models fitted without its cross-fitting fold, so no prediction has seen its
own response. Per sample and column:

- predicted, interval_low / interval_high: the model's prediction and its jackknife interval (`level`, default 90%);
- percentile_in_tissue: where the prediction falls among the observed responses of the training lines of the sample's
  tissue (all lines when the tissue is unknown or unseen; `unseen_tissue` says so);
- top_mechanisms: the mechanisms with the largest |contribution| beta_j z_j to the prediction (response units), at most
  `TOP` of them, largest first, each with `catalog_link` (does the catalog have the mechanism act on this therapy?
  The model uses every score for every response, so a contribution can be a data association the chain lacks);
- the damage chain's mechanistic view of the same phenotype (activity = score / `SD_PER_ACTIVITY`, 3 within-tissue
  SD; see `evidence.scores`; no fitting): chain_resistance_factor = D50(sample) / D50(reference cell), D50 the
  dose (Gy or uM) for 50% survival;
- model_direction / chain_direction: 'resistant', 'sensitive' or 'neutral'. The model's shift is the prediction
  minus its tissue baseline (intercept + tissue effect), called resistant / sensitive beyond +- `MODEL_SHIFT` SD of the
  training responses; the chain's beyond a resistance factor of `specificity.THRESHOLD` (1.2) or 1/1.2;
  `disagreement` is True when one says resistant and the other sensitive.

Radiation adds the chain's hypoxic dose-modifying factor (dataset 'chain', metric 'hypoxic_dmf'): D10 at the hypoxic
pO2 / D10 at the oxic pO2 of `specificity.conditions` (the bundle has no hypoxic survival data, so no fitted model
and no interval); its top_mechanisms are the changes in ln DMF when each mechanism is set back to 0.

Cross-resistance flags: a sample's therapies whose primary prediction (the registry's primary metric and data set
preference: GDSC2 over GDSC1 over CTRP for drugs, Yard AUC for radiation) lies at or above the
`RESISTANT_PERCENTILE`-th percentile of its tissue peers are predicted resistant together; the shared mechanisms are
those pushing at least two of these predictions towards resistance by at least `SHARED_CONTRIBUTION` SD of the
training responses (most therapies first).

Physical ranges: a prediction (and its interval) outside the range its metric can take (`bounds.RANGES`: Yard AUC in
[0, 10], SF2 and GDSC AUC in [0, 1], ...) is clipped to it, flagged `clipped` and reported in the warnings.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from chemorad.bundle import datasets as ds
from chemorad.bundle.names import canonical_name
from chemorad.catalog.load import Catalog
from chemorad.catalog.registry import ResponseKey, preference
from chemorad.chain.specificity import THRESHOLD, conditions
from chemorad.errors import ChemoradError
from chemorad.evidence.scores import SD_PER_ACTIVITY
from chemorad.profile.activities import SampleScores, reference, sample_scores
from chemorad.profile.bounds import bounds_text, check_finite_features, clip_to_range, physical_range
from chemorad.profile.model_inputs import for_therapy, has_chain, sample_table
from chemorad.profile.readers import Profile
from chemorad.profile.ridge_terms import CHAIN_TERM, StoredRidge, check_level, tissue_labels, tissue_quantiles
from chemorad.profile.training import ModelSet, with_tissue

__all__ = ["Predictions", "TOP", "predict_profile", "predict_with", "primary_records"]

TOP = 3
MODEL_SHIFT = 0.25
RESISTANT_PERCENTILE = 75.0
SHARED_CONTRIBUTION = 0.05


@dataclass
class Predictions:
    """records: one row per sample x response (the JSON records); attributions: long table (sample, column,
    term, contribution) by mechanism (plus missingness, tissue, intercept) whose contributions sum to `predicted` per
    (sample, column); marker_attributions: the same by marker feature; crossres: one row per sample and group of
    therapies predicted resistant together; scores: the samples' mechanism scores and coverage; models: sample -> the
    fitted models that predicted it; notes and warnings: what the user should know."""

    records: pd.DataFrame
    attributions: pd.DataFrame
    marker_attributions: pd.DataFrame
    crossres: pd.DataFrame
    scores: SampleScores
    models: dict[str, ModelSet]
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _direction(value: float, threshold: float) -> str:
    if not np.isfinite(value) or abs(value) < threshold:
        return "neutral"
    return "resistant" if value > 0 else "sensitive"


def _chain_rf(cat: Catalog, therapies: list[str], scores: pd.DataFrame) -> np.ndarray:
    """D50(sample phenotype) / D50(reference cell), samples x therapies, activities = scores / `SD_PER_ACTIVITY`; NaN
    where the chain cannot dose the therapy. One phenotype and one bisection for every therapy
    (`selection.chain_predictions`)."""
    from chemorad.profile.selection import chain_predictions

    # the reference cell (every activity 0: a row of NaN) rides in the same call as the samples
    reference_row = pd.DataFrame(np.nan, index=[0], columns=scores.columns)
    both = pd.concat([scores / SD_PER_ACTIVITY, reference_row], ignore_index=True)
    ln_d50 = chain_predictions(cat, therapies, both).to_numpy()
    return np.exp(ln_d50[:-1] - ln_d50[-1])


def hypoxic_dmf(cat: Catalog, activities: dict[str, float]) -> tuple[float, dict[str, float]]:
    """The chain's hypoxic dose-modifying factor D10(hypoxic pO2) / D10(oxic pO2) of one phenotype, and the change in
    ln DMF when each non-zero mechanism is set back to 0 (positive = that mechanism raises the DMF).

    The chain's radiation survival depends on the effective dose k D only (`chain.survival.radiation_dose_factor`),
    so D10(pO2) = c / k(pO2) with the same c at both pO2s and

        DMF = D10(hypoxic) / D10(oxic) = k(oxic) / k(hypoxic)

    exactly. The ratio of k is used, not of two bisected doses: it is defined for a cell that no dose within the
    bisection's bracket brings to 10% survival (both D10 infinite: a ratio of doses is inf / inf, NaN) or that is
    below 10% at the bracket's smallest dose (both D10 at the bracket's floor: a ratio of 1), where the true doses,
    outside the bracket, still stand in the ratio of k; elsewhere it equals the ratio of the bisected doses to
    rounding (the tests check both). One phenotype holds the cell (row 0) and each knock-back (row 1 + k), and one call
    gives k at both pO2s (a pO2 axis against the cells)."""
    from chemorad.chain.phenotype import Phenotype, phenotype
    from chemorad.chain.survival import Environment, radiation_dose_factor

    cond = conditions(cat)
    nonzero = [m for m, v in activities.items() if v != 0 and np.isfinite(v)]
    cell = phenotype(cat, activities)
    a = np.repeat(cell.activities, 1 + len(nonzero), axis=0)
    a[1 + np.arange(len(nonzero)), [cell.mechanisms.index(m) for m in nonzero]] = 0.0
    po2 = np.array([[cond["oxic"]], [cond["hypoxic"]]])
    oxic, hypoxic = radiation_dose_factor(cat, cat.radiotherapy.id, Phenotype(a, cell.mechanisms), Environment(po2))
    dmf = oxic / hypoxic
    delta = {m: float(np.log(dmf[0]) - np.log(dmf[1 + k])) for k, m in enumerate(nonzero)}
    return float(dmf[0]), {m: d for m, d in delta.items() if abs(d) > 1e-9}


def _descending(values: np.ndarray) -> np.ndarray:
    """Positions of the non-zero |values|, largest first, ties in the order pandas' sort_values(ascending=False) gives
    (the same algorithm, on a NumPy array: reverse, quicksort, reverse)."""
    nz = np.flatnonzero(np.abs(values) > 0)
    a = np.abs(values[nz])[::-1]
    return nz[::-1][a.argsort(kind="quicksort")][::-1]


def _top_items(names, values, linked: set[str], marker_names=None, marker_values=None, owned=None, k: int = TOP):
    """The k largest |contributions| (arrays: one sample's row), each with `catalog_link` and, with marker rows and
    `owned` (mechanism -> positions of its marker features), the markers that carry it, largest first."""
    out = []
    for j in _descending(values)[:k]:
        m = str(names[j])
        item = {"mechanism": m, "contribution": float(values[j]), "catalog_link": m in linked}
        if marker_values is not None:
            pos = np.asarray(owned.get(m, []), dtype=int)
            item["markers"] = [str(marker_names[pos[q]]) for q in _descending(marker_values[pos])[:k]]
        out.append(item)
    return out


def _top_rows(values: np.ndarray, k: int = TOP) -> list[np.ndarray]:
    """`_descending(row)[:k]` of every row of a 2-D array, from one sort of all rows. Where the order is decided by
    distinct |values| any sort gives it; a row whose non-zero top k + 1 hold a tie (where `_descending`'s algorithm
    decides) goes through `_descending` itself, so every row's answer is the same as row by row."""
    n, p = values.shape
    if p == 0:
        return [np.empty(0, dtype=int)] * n
    a = np.abs(values)
    order = np.argsort(-a, axis=1, kind="stable")[:, : k + 1]
    top = np.take_along_axis(a, order, axis=1)
    head = top[:, : min(k, p)]
    tied = ((top[:, :-1] == top[:, 1:]) & (top[:, 1:] > 0))[:, :k].any(axis=1)
    counts = (head > 0).sum(axis=1)
    return [_descending(values[i])[:k] if tied[i] else order[i, : counts[i]] for i in range(n)]


def _top_table(names, values: np.ndarray, linked: set[str], marker_names, marker_values: np.ndarray, owned) -> list:
    """`_top_items` of every row (samples x mechanisms `values`, samples x markers `marker_values`), the rankings of
    all rows computed together (`_top_rows`); the same lists as row by row."""
    names = [str(x) for x in names]
    marker_names = [str(x) for x in marker_names]
    firsts = _top_rows(values)
    by_mechanism: dict[str, list[np.ndarray]] = {}
    out = []
    for i, first in enumerate(firsts):
        items = []
        for j in first:
            m = names[j]
            if m not in by_mechanism:
                pos = np.asarray(owned.get(m, []), dtype=int)
                by_mechanism[m] = [pos[q] for q in _top_rows(marker_values[:, pos])]
            items.append(
                {
                    "mechanism": m,
                    "contribution": float(values[i, j]),
                    "catalog_link": m in linked,
                    "markers": [marker_names[q] for q in by_mechanism[m][i]],
                }
            )
        out.append(items)
    return out


def _owned_positions(mechanisms, marker_names, owners: dict[str, list[str]]) -> dict[str, list[int]]:
    """mechanism -> positions in `marker_names` of the marker features that belong to it."""
    out: dict[str, list[int]] = {str(m): [] for m in mechanisms}
    for i, f in enumerate(marker_names):
        for m in owners.get(f, ()):
            out.setdefault(m, []).append(i)
    return out


def _top(contrib: pd.Series, linked: set[str], markers: pd.Series | None = None, owners=None, k: int = TOP) -> list:
    """The k largest |contributions|; `catalog_link` says whether the catalog has the mechanism act on the therapy
    (False: a data association the damage chain does not explain); `markers`: the mechanism's marker features that
    carry its contribution, largest first."""
    names, values = contrib.index.to_numpy(), contrib.to_numpy(dtype=float)
    if markers is None:
        return _top_items(names, values, linked, k=k)
    owned = _owned_positions(names, markers.index, owners)
    return _top_items(names, values, linked, markers.index.to_numpy(), markers.to_numpy(dtype=float), owned, k)


_REST = ("missingness", "tissue", "intercept")


def _owners(members: dict[str, list[str]]) -> dict[str, list[str]]:
    """marker feature -> the mechanisms it belongs to."""
    out: dict[str, list[str]] = {}
    for mid, names in members.items():
        for name in names:
            out.setdefault(name, []).append(mid)
    return out


def _by_mechanism(
    parts: pd.DataFrame, features: list[str], owners: dict[str, list[str]], memo: dict | None = None
) -> pd.DataFrame:
    """Marker contributions summed per mechanism (a marker shared by several mechanisms is split equally), plus the
    missingness, tissue and intercept columns unchanged: the row sums are still the predictions. One matrix product:
    parts (samples x features) @ W (features x mechanisms), W_fm = 1 / (number of mechanisms of f) when f is in m; a
    feature no mechanism owns stands for itself. `memo` keeps W per feature list (every model of a prediction has the
    same features)."""
    key = tuple(features)
    if memo is not None and key in memo:
        W, names = memo[key]
    else:
        W, names = _mechanism_weights(features, owners)
        if memo is not None:
            memo[key] = (W, names)
    # one NumPy block, one DataFrame: a pandas concat per model cost more than the product itself
    values = parts[features].to_numpy(dtype=float) @ W
    rest = parts[list(_REST)].to_numpy(dtype=float)
    return pd.DataFrame(np.hstack([values, rest]), index=parts.index, columns=[*names, *_REST])


def _mechanism_weights(features: list[str], owners: dict[str, list[str]]) -> tuple[np.ndarray, list[str]]:
    """W (features x mechanisms) of `_by_mechanism` and the mechanisms' names."""
    mechs: dict[str, int] = {}
    rows, cols, vals = [], [], []
    for i, f in enumerate(features):
        mids = owners.get(f) or [f]
        for mid in mids:
            rows.append(i)
            cols.append(mechs.setdefault(mid, len(mechs)))
            vals.append(1.0 / len(mids))
    W = np.zeros((len(features), len(mechs)))
    np.add.at(W, (np.array(rows, dtype=int), np.array(cols, dtype=int)), vals)
    return W, list(mechs)


def _linked(cat: Catalog) -> dict[str, set[str]]:
    """therapy id -> the mechanisms the catalog has act on it, and the damage chain's term (`gene_models.CHAIN_TERM`
    of the chain, hybrid and stack estimators: the catalog's mechanisms acting through the chain)."""
    out: dict[str, set[str]] = {}
    for m in cat.mechanisms.values():
        for tid in cat.therapies_for(m):
            out.setdefault(tid, set()).add(m.id)
    for tid in cat.therapies:
        out.setdefault(tid, set()).add(CHAIN_TERM)
    return out


def _check_measured(ss: SampleScores) -> list[str]:
    """Warnings for samples with no marker measured; an error when no sample has any."""
    measured = ss.scores.notna().sum(axis=1)
    if int(measured.max()) == 0 if len(measured) else True:
        raise ChemoradError(
            "profile: no catalog marker could be measured in any sample; nothing to predict from (the coverage table "
            "lists each marker: give expression, mutations, copy number or protein for the catalog's genes)"
        )
    return [
        f"sample {s!r}: no marker measured; its predictions are the tissue baseline only"
        for s in measured.index[measured == 0]
    ]


def _held_out_note(in_bundle: list[str]) -> str:
    from chemorad.profile.fitted import N_FOLDS

    names = sorted(map(canonical_name, in_bundle))
    shown = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
    return (
        f"left out of training (they are bundle lines): {shown}; each is predicted by the models fitted without its "
        f"cross-fitting fold ({N_FOLDS} folds of the bundle's lines), which never saw its response"
    )


@dataclass
class _Context:
    """What every model's predictions need besides the model: the samples' features and tissue, the catalog links,
    marker owners, the chain's resistance factors per therapy, the interval level and the clipping log."""

    X: pd.DataFrame
    tissue: pd.Series
    linked: dict[str, set[str]]
    owners: dict[str, list[str]]
    chain_rf: dict[str, pd.Series]
    level: float
    clipped: list[str] = field(default_factory=list)
    #: the current group's (tissue, model input) and the marker -> mechanism weights per feature list (built once)
    inputs: dict = field(default_factory=dict)
    weights: dict = field(default_factory=dict)
    #: X carries one chain column per therapy (estimators reading the chain: `model_inputs`)
    per_therapy: bool = False


def _predict_column(cat: Catalog, col: str, tid: str, model, members: list[str], ctx: _Context):
    """(records, mechanism attributions, marker attributions) of one fitted model for the samples `members`."""
    key = ResponseKey.parse(col)
    group = tuple(members)
    if group not in ctx.inputs:  # the same rows and tissue for every model of a group: built once
        tg = ctx.tissue.loc[members]
        ctx.inputs = {group: (tg, with_tissue(ctx.X.loc[members], tg))}
    tg, Xg = ctx.inputs[group]
    Xg = for_therapy(Xg, tid) if ctx.per_therapy else Xg  # the chain column of this therapy (`model_inputs`)
    names = model.feature_names_in_
    Xm = Xg if len(names) == Xg.shape[1] and (Xg.columns == names).all() else Xg.reindex(columns=names)
    iv, marker_parts = model.explain(Xm, ctx.level)
    parts = _by_mechanism(marker_parts, list(model.score_names_), ctx.owners, ctx.weights)
    bounds = physical_range(key)
    clipped = clip_to_range(iv, bounds)
    for sample, raw in zip(members, iv["prediction"], strict=True):
        if clipped.loc[sample] if sample in clipped.index else False:
            ctx.clipped.append(f"{sample} {tid} ({key.dataset} {key.metric}) {raw:.3g} -> {bounds_text(bounds)}")
    # NumPy, not pandas, for the per-model arithmetic: 86 models x a few Series operations was ~0.5 s of overhead
    pred, lower, upper = (np.clip(iv[c].to_numpy(dtype=float), *bounds) for c in ("prediction", "lower", "upper"))
    pct = model.percentile_in_tissue(pd.Series(pred, index=iv.index), tg)
    sd = float(np.std(model.y_train_))
    shift = pred - parts["tissue"].to_numpy(dtype=float) - parts["intercept"].to_numpy(dtype=float)
    rf = ctx.chain_rf[tid].reindex(members).to_numpy(dtype=float)
    md = [_direction(v / sd if sd > 0 else np.nan, MODEL_SHIFT) for v in shift]
    cd = [_direction(np.log(v) if v > 0 else np.nan, np.log(THRESHOLD)) for v in rf]
    mech = parts.iloc[:, : parts.shape[1] - len(_REST)]
    linked = ctx.linked.get(tid, set())
    records = pd.DataFrame(
        {
            "sample": members,
            "therapy": tid,
            "dataset": key.dataset,
            "metric": key.metric,
            "predicted": pred,
            "interval_low": lower,
            "interval_high": upper,
            "clipped": clipped.to_numpy(dtype=bool),
            "percentile_in_tissue": pct["percentile"].to_numpy(dtype=float),
            "top_mechanisms": _tops(mech, marker_parts, linked, ctx.owners),
            "tissue": tg.to_numpy(dtype=object),
            "unseen_tissue": iv["unseen_tissue"].to_numpy(dtype=bool),
            "reference": pct["reference"].to_numpy(),
            "n_reference": pct["n_reference"].to_numpy(dtype=int),
            "n_train": int(model.n_train_),
            "response_sd": sd,
            "model_shift": shift,
            "model_direction": md,
            "chain_resistance_factor": rf,
            "chain_direction": cd,
            "disagreement": [{a, b} == {"resistant", "sensitive"} for a, b in zip(md, cd, strict=True)],
            "column": col,
        }
    )
    if "mechanistic_share" in iv.columns:  # the chain's share of the prediction (chain, hybrid, stacked)
        records["mechanistic_share"] = iv["mechanistic_share"].to_numpy(dtype=float)
    return records, _long(parts, col), _long(marker_parts, col)


def _is_linear(models: ModelSet) -> bool:
    """True when every model of the set is exactly a `ResponseModel` or its stored stand-in `StoredRidge` (their
    fitted arrays give the prediction and the attributions directly: `_predict_linear`); any other estimator goes
    through its own `explain`."""
    linear = {StoredRidge}
    estimators = sys.modules.get("chemorad.profile.estimators")  # not loaded: no model can be a ResponseModel
    if estimators is not None:
        linear.add(estimators.ResponseModel)
    return len(models) > 0 and all(type(m) in linear for m in models.values())


def _linear_parts(model, arr: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """`ResponseModel`'s terms from its fitted arrays (samples x [features, missingness, tissue, intercept]; row sums
    are the predictions), without its input validation or DataFrames (`tests/profile/test_predict_fast.py` checks the
    numbers are identical to `ResponseModel.predict`)."""
    return model._combine(*model._parts(arr, labels))


def _percentiles(y_train: np.ndarray, tissue_train: np.ndarray, pred: np.ndarray, labels: np.ndarray):
    """`estimators.tissue_percentiles` by sorted search, one pass per distinct tissue: percentile = 100 (#{y < p} +
    #{y == p} / 2) / n_t among the training lines of the tissue (all lines when it is unknown or unseen)."""
    pct = np.empty(len(pred))
    n_ref = np.empty(len(pred), dtype=int)
    where = np.empty(len(pred), dtype=object)
    for lab in dict.fromkeys(labels):
        rows = np.array([x == lab for x in labels]) if lab is not None else np.array([x is None for x in labels])
        ref = y_train[tissue_train == lab] if lab is not None else y_train[:0]
        name = lab
        if len(ref) == 0:
            ref, name = y_train, "all lines (unseen tissue)"
        ref = np.sort(ref)
        less = np.searchsorted(ref, pred[rows], side="left")
        equal = np.searchsorted(ref, pred[rows], side="right") - less
        pct[rows] = 100.0 * (less + 0.5 * equal) / len(ref)
        n_ref[rows], where[rows] = len(ref), name
    return pct, n_ref, where


def _predict_linear(models: ModelSet, members: list[str], ctx: _Context):
    """(records, mechanism attributions, marker attributions) of every `ResponseModel` of the set for the samples
    `members`, from the models' fitted arrays: per column a few NumPy operations on all samples at once, and each table
    built once for all columns. The same numbers, rows and order as `_predict_column` column by column (the tests
    compare the two)."""
    level = check_level(ctx.level)
    tg = ctx.tissue.loc[members]
    tissue = tg.to_numpy(dtype=object)
    labels = tissue_labels(tissue, len(members))
    X = ctx.X.loc[members]
    arrays: dict[tuple, np.ndarray] = {}
    cols = list(models)
    n, k = len(members), len(cols)
    out: dict[str, list] = {name: [] for name in _LINEAR_FIELDS_ALL}
    mech_blocks, marker_blocks, mech_terms, marker_terms = [], [], [], []
    rf_of: dict[str, np.ndarray] = {}
    for col in cols:
        model, tid = models[col], models.therapy[col]
        key = ResponseKey.parse(col)
        names = tuple(model.score_names_)
        if names not in arrays:  # every model of a bundle has the same features: one array
            arrays[names] = X.reindex(columns=list(names)).to_numpy(dtype=float, na_value=np.nan)
        parts = _linear_parts(model, arrays[names], labels)
        raw = parts.sum(axis=1)
        unseen = np.array([t is None or t not in model.tissue_effects_.index for t in labels], dtype=bool)
        q = np.where(unseen, *reversed(tissue_quantiles(model, level)))  # (seen, unseen) -> where unseen
        W, mech_names = _weights(list(model.score_names_), ctx)
        mech = np.hstack([parts[:, : len(names)] @ W, parts[:, len(names) :]])
        bounds = physical_range(key)
        clipped = (raw < bounds[0]) | (raw > bounds[1])
        for sample, value, c in zip(members, raw, clipped, strict=True):
            if c:
                ctx.clipped.append(f"{sample} {tid} ({key.dataset} {key.metric}) {value:.3g} -> {bounds_text(bounds)}")
        pred, lower, upper = (np.clip(v, *bounds) for v in (raw, raw - q, raw + q))
        pct, n_ref, where = _percentiles(model.y_train_, model.tissue_train_, pred, labels)
        sd = float(np.std(model.y_train_))
        shift = pred - mech[:, -2] - mech[:, -1]
        rf = rf_of.get(tid)
        if rf is None:  # one reindex per therapy, not per response column
            rf = rf_of[tid] = ctx.chain_rf[tid].reindex(members).to_numpy(dtype=float)
        md = [_direction(v / sd if sd > 0 else np.nan, MODEL_SHIFT) for v in shift]
        cd = [_direction(np.log(v) if v > 0 else np.nan, np.log(THRESHOLD)) for v in rf]
        marker_names, owned = _marker_owners(names, mech_names, ctx)
        linked = ctx.linked.get(tid, set())
        n_mech = len(mech_names)
        tops = _top_table(mech_names, mech[:, :n_mech], linked, marker_names, parts, owned)
        for name, value in zip(
            _LINEAR_FIELDS,
            (tid, key.dataset, key.metric, pred, lower, upper, clipped, pct, tops, unseen, where, n_ref),
            strict=True,
        ):
            out[name].append(value)
        out["n_train"].append(int(model.n_train_))
        out["response_sd"].append(sd)
        out["model_shift"].append(shift)
        out["model_direction"].append(md)
        out["chain_resistance_factor"].append(rf)
        out["chain_direction"].append(cd)
        out["column"].append(col)
        mech_blocks.append(mech)
        marker_blocks.append(parts)
        mech_terms.append([*mech_names, *_REST])
        marker_terms.append(marker_names)
    records = _linear_records(out, members, tissue, n, k)
    return (
        records,
        _long_all(mech_blocks, mech_terms, members, cols),
        _long_all(marker_blocks, marker_terms, members, cols),
    )


#: the per-column values `_predict_linear` collects (one entry per response column), in records order
_LINEAR_FIELDS = (
    "therapy",
    "dataset",
    "metric",
    "predicted",
    "interval_low",
    "interval_high",
    "clipped",
    "percentile_in_tissue",
    "top_mechanisms",
    "unseen_tissue",
    "reference",
    "n_reference",
)
_LINEAR_FIELDS_ALL = (
    *_LINEAR_FIELDS,
    "n_train",
    "response_sd",
    "model_shift",
    "model_direction",
    "chain_resistance_factor",
    "chain_direction",
    "column",
)


def _weights(features: list[str], ctx: _Context) -> tuple[np.ndarray, list[str]]:
    """`_mechanism_weights` of a feature list, built once per prediction (`ctx.weights`, as `_by_mechanism`)."""
    key = tuple(features)
    if key not in ctx.weights:
        ctx.weights[key] = _mechanism_weights(features, ctx.owners)
    return ctx.weights[key]


def _marker_owners(names: tuple, mech_names: list[str], ctx: _Context) -> tuple[np.ndarray, dict[str, list[int]]]:
    """(the attribution columns' names: features then `_REST`; mechanism -> positions of its features among them),
    built once per feature list (`ctx.weights`, beside `_weights`)."""
    key = ("owners", names)
    if key not in ctx.weights:
        marker_names = np.array([*names, *_REST], dtype=object)
        ctx.weights[key] = (marker_names, _owned_positions(mech_names, marker_names, ctx.owners))
    return ctx.weights[key]


def _linear_records(out: dict[str, list], members: list[str], tissue: np.ndarray, n: int, k: int) -> pd.DataFrame:
    """The records table of `_predict_linear`: column by column, sample by sample (the rows of `_predict_column`)."""

    def per_row(name: str, dtype=None) -> np.ndarray:  # one value per column -> one per row
        return np.repeat(np.asarray(out[name], dtype=dtype), n)

    def stacked(name: str, dtype=None) -> np.ndarray:  # one array of n per column -> all rows
        return np.concatenate([np.asarray(v, dtype=dtype) for v in out[name]]) if k else np.empty(0, dtype=dtype)

    tops = [t for block in out["top_mechanisms"] for t in block]
    md = [d for block in out["model_direction"] for d in block]
    cd = [d for block in out["chain_direction"] for d in block]
    return pd.DataFrame(
        {
            "sample": list(members) * k,
            "therapy": per_row("therapy", object),
            "dataset": per_row("dataset", object),
            "metric": per_row("metric", object),
            "predicted": stacked("predicted", float),
            "interval_low": stacked("interval_low", float),
            "interval_high": stacked("interval_high", float),
            "clipped": stacked("clipped", bool),
            "percentile_in_tissue": stacked("percentile_in_tissue", float),
            "top_mechanisms": tops,
            "tissue": np.tile(tissue, k),
            "unseen_tissue": stacked("unseen_tissue", bool),
            "reference": stacked("reference", object),
            "n_reference": stacked("n_reference", int),
            "n_train": per_row("n_train", int),
            "response_sd": per_row("response_sd", float),
            "model_shift": stacked("model_shift", float),
            "model_direction": md,
            "chain_resistance_factor": stacked("chain_resistance_factor", float),
            "chain_direction": cd,
            "disagreement": [{a, b} == {"resistant", "sensitive"} for a, b in zip(md, cd, strict=True)],
            "column": per_row("column", object),
        }
    )


def _long_all(blocks: list[np.ndarray], terms: list, members: list[str], cols: list[str]) -> pd.DataFrame:
    """`_long` of every column's (samples x terms) block as one table: column by column, sample by sample, terms in
    order."""
    sizes = [b.shape[1] for b in blocks]
    n = len(members)
    return pd.DataFrame(
        {
            "sample": np.concatenate([np.repeat(np.asarray(members, dtype=object), s) for s in sizes])
            if blocks
            else np.empty(0, dtype=object),
            "column": np.repeat(np.asarray(cols, dtype=object), [n * s for s in sizes]),
            "term": np.concatenate([np.tile(np.asarray(t, dtype=object), n) for t in terms])
            if blocks
            else np.empty(0, dtype=object),
            "contribution": np.concatenate([b.ravel() for b in blocks]) if blocks else np.empty(0),
        }
    )


def _tops(mech: pd.DataFrame, marker_parts: pd.DataFrame, linked: set[str], owners) -> list[list[dict]]:
    """`_top` of every row, with the marker ownership worked out once for the table."""
    names, values = mech.columns.to_numpy(), mech.to_numpy(dtype=float)
    marker_names, marker_values = marker_parts.columns.to_numpy(), marker_parts.to_numpy(dtype=float)
    owned = _owned_positions(names, marker_names, owners)
    return [_top_items(names, values[i], linked, marker_names, marker_values[i], owned) for i in range(len(values))]


def _long(parts: pd.DataFrame, col: str) -> pd.DataFrame:
    """samples x terms -> rows (sample, column, term, contribution), sample by sample, terms in column order."""
    n, k = parts.shape
    return pd.DataFrame(
        {
            "sample": np.repeat(parts.index.to_numpy(), k),
            "column": col,
            "term": np.tile(parts.columns.to_numpy(dtype=object), n),
            "contribution": parts.to_numpy(dtype=float).ravel(),
        }
    )


def predict_profile(
    cat: Catalog,
    profile: Profile,
    data: str | os.PathLike[str] | None = None,
    therapies: Iterable[str] | None = None,
    level: float = 0.9,
    progress: Callable[[int, int], None] | None = None,
    estimator: str = "marker",
) -> Predictions:
    """Score `profile`'s samples against the bundle and predict them with the fitted predictor of this bundle, catalog
    and estimator (`fitted.fitted_models`: fitted once, then read from the cache folder; a stored predictor of every
    therapy serves a request for some, otherwise only the wanted `therapies` are fitted; see module doc)."""
    from chemorad.profile.fitted import estimator_inputs, fitted_models

    wanted = None if therapies is None else list(therapies)
    if wanted is not None:
        unknown_ids = sorted(set(wanted) - set(cat.therapies))
        if unknown_ids:
            raise ChemoradError(f"therapies: unknown id(s) {', '.join(unknown_ids)}")
    # the samples are scored (and refused when nothing of the catalog was measured) before any model is fitted
    ref = reference(cat, data)
    ss = sample_scores(cat, profile, ref)
    check_finite_features(ss.markers, profile.sources)
    _check_measured(ss)
    sample_table(cat, profile, ss, estimator_inputs(estimator), [])  # refuses missing inputs before a fit
    fitted = fitted_models(cat, data, estimator, therapies=wanted, progress=progress)
    return predict_with(fitted, profile, data, wanted, level, scores=(ref, ss))


def _only(models: ModelSet, wanted: list[str] | None) -> ModelSet:
    """The models of the wanted therapies (all when None)."""
    out = ModelSet()
    for col, model in models.items():
        if wanted is None or models.therapy[col] in wanted:
            out[col] = model
            out.therapy[col] = models.therapy[col]
    out.skipped = dict(models.skipped)
    return out


def predict_with(
    fitted,
    profile: Profile,
    data=None,
    therapies: Iterable[str] | None = None,
    level: float = 0.9,
    scores: tuple | None = None,
):
    """Predictions of `profile`'s samples by `fitted.FittedModels` (module doc): a bundle line by the
    models of its cross-fitting fold, any other sample by the models fitted on every line. `scores`: (the bundle's
    `activities.reference`, the profile's `activities.sample_scores`) when already computed."""
    cat = fitted.cat
    wanted = None if therapies is None else list(therapies)
    ref, ss = scores if scores is not None else (None, None)
    if ss is None:
        ref = reference(cat, data)
        ss = sample_scores(cat, profile, ref)
    check_finite_features(ss.markers, profile.sources)
    bundle = set(ds.cell_lines(data).index)
    samples = list(ss.scores.index)
    canon = [canonical_name(s) if canonical_name(s) in bundle else None for s in samples]
    in_bundle = [s for s, c in zip(samples, canon, strict=True) if c is not None]
    notes = list(profile.notes) + list(ss.notes)
    warnings = list(profile.warnings) + _check_measured(ss)
    sets = fitted.models_for(canon)
    groups: dict[int, tuple[ModelSet, list[str]]] = {}
    for s, models in zip(samples, sets, strict=True):
        groups.setdefault(id(models), (_only(models, wanted), []))[1].append(s)
    if in_bundle:
        notes.append(_held_out_note(in_bundle))
    from chemorad.profile.fitted import estimator_inputs

    X, input_notes = sample_table(cat, profile, ss, estimator_inputs(fitted.estimator), fitted.therapies)
    notes += input_notes
    ctx = _Context(X, ss.tissue.reindex(ss.markers.index), _linked(cat), _owners(ref.plan.members), {}, level)
    ctx.per_therapy = has_chain(X)
    records, attr, marker_attr = [], [], []
    models_for: dict[str, ModelSet] = {}
    for models, members in groups.values():
        if not models:
            raise ChemoradError(f"--therapies: no response with enough lines to fit among {', '.join(wanted or [])}")
        models_for.update(dict.fromkeys(members, models))
        needed = sorted(set(models.therapy.values()) - set(ctx.chain_rf))
        if needed:
            rf = _chain_rf(cat, needed, ss.scores)
            ctx.chain_rf.update({tid: pd.Series(rf[:, j], index=ss.scores.index) for j, tid in enumerate(needed)})
        if _is_linear(models):
            frames = [_predict_linear(models, members, ctx)]
        else:  # any other estimator: its own `explain`, one response column at a time
            frames = [_predict_column(cat, col, models.therapy[col], m, members, ctx) for col, m in models.items()]
        for got in frames:
            for out, frame in zip((records, attr, marker_attr), got, strict=True):
                out.append(frame)
    records = pd.concat(records, ignore_index=True)
    radiation = cat.radiotherapy.id
    if radiation in ctx.chain_rf:
        records = pd.concat([records, _dmf_records(cat, ss.scores, ctx.tissue)], ignore_index=True)
    warnings += _unseen_warnings(records, ctx.tissue)
    if ctx.clipped:
        warnings.append(
            f"{len(ctx.clipped)} prediction(s) outside their metric's physical range were clipped to it (the sample "
            f"lies far outside the training lines; attributions sum to the unclipped value): {_listed(ctx.clipped)}"
        )
    attributions = pd.concat(attr, ignore_index=True)
    marker_attributions = pd.concat(marker_attr, ignore_index=True)
    crossres = _crossres(records, attributions, radiation)
    records["cross_resistant_with"] = _cross_resistant_with(records, crossres)
    return Predictions(records, attributions, marker_attributions, crossres, ss, models_for, notes, warnings)


def _listed(items: list[str], n: int = 5) -> str:
    return "; ".join(items[:n]) + (f"; and {len(items) - n} more" if len(items) > n else "")


def _unseen_warnings(records: pd.DataFrame, tissue: pd.Series) -> list[str]:
    out = []
    for s in sorted({str(s) for s, u in zip(records["sample"], records["unseen_tissue"], strict=True) if u}):
        t = tissue.get(s)
        what = "no known tissue" if pd.isna(t) else f"tissue {t!r} is not among the training lines'"
        out.append(f"sample {s!r}: {what}; predictions use the average tissue effect, with wider intervals")
    return out


def _cross_resistant_with(records: pd.DataFrame, crossres: pd.DataFrame) -> list[list[str]]:
    """Per record: the other therapies its sample is predicted cross-resistant with (one pass over each table)."""
    others: dict[tuple[str, str], list[str]] = {}
    for sample, group in zip(crossres["sample"], crossres["therapies"], strict=True):
        for tid in group:
            others[(sample, tid)] = [t for t in group if t != tid]
    return [list(others.get((s, t), [])) for s, t in zip(records["sample"], records["therapy"], strict=True)]


def _dmf_records(cat: Catalog, X: pd.DataFrame, tissue: pd.Series) -> pd.DataFrame:
    radiation = cat.radiotherapy.id
    at = [j for j, m in enumerate(X.columns) if m in cat.mechanisms]
    mechanisms = [X.columns[j] for j in at]
    activities = X.iloc[:, at].to_numpy(dtype=float) / SD_PER_ACTIVITY  # the scores read once, not row by row
    rows = []
    for sample, values in zip(X.index, activities, strict=True):
        acts = {m: float(v) for m, v in zip(mechanisms, values, strict=True) if np.isfinite(v)}
        dmf, delta = hypoxic_dmf(cat, acts)
        rows.append(
            {
                "sample": sample,
                "therapy": radiation,
                "dataset": "chain",
                "metric": "hypoxic_dmf",
                "predicted": dmf,
                "interval_low": np.nan,
                "interval_high": np.nan,
                "clipped": False,
                "percentile_in_tissue": np.nan,
                "top_mechanisms": _top(pd.Series(delta, dtype=float), set(delta)),
                "tissue": tissue.get(sample),
                "unseen_tissue": False,
                "reference": "damage-chain model (no data fit)",
                "column": ResponseKey("chain", radiation, "hypoxic_dmf").column,
            }
        )
    return pd.DataFrame(rows)


def primary_records(records: pd.DataFrame) -> pd.DataFrame:
    """One record per sample x therapy: the primary metric of the preferred dataset (GDSC2, GDSC1, CTRP, Yard)."""
    prim = records[
        [ResponseKey(d, "", m).is_primary for d, m in zip(records["dataset"], records["metric"], strict=True)]
    ]
    rank = prim["dataset"].map(preference)
    prim = prim.assign(_rank=rank).sort_values(["sample", "therapy", "_rank"])
    return prim.drop_duplicates(["sample", "therapy"]).drop(columns="_rank").reset_index(drop=True)


def _crossres(records: pd.DataFrame, attributions: pd.DataFrame, radiation: str) -> pd.DataFrame:
    """One row per sample with at least two therapies predicted resistant together (module doc).

    Linear in the size of the tables: the attribution rows of the resistant (sample, column) pairs are picked by one
    join, not by filtering the whole table once per sample and therapy.
    """
    cols = ["sample", "therapies", "percentiles", "shared_mechanisms", "includes_radiotherapy"]
    prim = primary_records(records)
    hit = prim[prim["percentile_in_tissue"] >= RESISTANT_PERCENTILE]
    hit = hit[hit.groupby("sample")["therapy"].transform("size") >= 2].sort_values("sample", kind="stable")
    if hit.empty:
        return pd.DataFrame(columns=cols)
    a = attributions[~attributions["term"].isin(_REST)]
    a = a.merge(hit[["sample", "column", "response_sd"]], on=["sample", "column"])
    a = a[a["contribution"] >= SHARED_CONTRIBUTION * a["response_sd"]]
    counts = a.drop_duplicates(["sample", "column", "term"]).groupby(["sample", "term"]).size()
    out = []
    for sample, grp in hit.groupby("sample", sort=True):
        c = counts.loc[sample] if sample in counts.index.get_level_values(0) else pd.Series(dtype=int)
        shared = [m for m, k in sorted(c.items(), key=lambda kv: (-kv[1], kv[0])) if k >= 2]
        out.append(
            {
                "sample": sample,
                "therapies": list(grp["therapy"]),
                "percentiles": [round(float(p), 1) for p in grp["percentile_in_tissue"]],
                "shared_mechanisms": shared,
                "includes_radiotherapy": radiation in set(grp["therapy"]),
            }
        )
    return pd.DataFrame(out, columns=cols)
