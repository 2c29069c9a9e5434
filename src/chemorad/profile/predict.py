"""Predicted responses of one or more samples, with intervals, reasons, the chain's view and cross-resistance flags.

For every response column the bundle can model (`model.fit_all`: radiation Yard AUC and SF2; each drug's GDSC1 /
GDSC2 ln IC50 and AUC, CTRP AUC; higher = more resistant) a `ResponseModel` is fitted on the bundle's lines, leaving
out every sample that is itself a bundle line, so no prediction has seen its own response. Per sample and column:

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

Cross-resistance flags: a sample's therapies whose primary prediction (`model.PRIMARY_METRIC`; GDSC2 preferred over
GDSC1 over CTRP for drugs, Yard AUC for radiation) lies at or above the `RESISTANT_PERCENTILE`-th percentile of its
tissue peers are predicted resistant together; the shared mechanisms are those pushing at least two of these
predictions towards resistance by at least `SHARED_CONTRIBUTION` SD of the training responses (most therapies
first).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from chemorad.catalog.load import Catalog
from chemorad.chain.specificity import THRESHOLD, conditions
from chemorad.errors import ChemoradError
from chemorad.evidence import datasets as ds
from chemorad.evidence.names import canonical_name
from chemorad.evidence.responses import split
from chemorad.evidence.scores import SD_PER_ACTIVITY
from chemorad.profile.activities import SampleScores, reference, sample_scores
from chemorad.profile.model import PRIMARY_METRIC, ModelSet, chain_prediction, fit_all, line_folds
from chemorad.profile.readers import Profile

__all__ = ["Predictions", "TOP", "predict_profile", "primary_records"]

TOP = 3
MODEL_SHIFT = 0.25
RESISTANT_PERCENTILE = 75.0
SHARED_CONTRIBUTION = 0.05
#: most bundle lines left out of one fit; more are cross-fitted in folds (`_training_groups`)
MAX_HELD_OUT = 100
_DATASET_PREFERENCE = ("gdsc2", "gdsc1", "ctrp", "yard")


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


def _training_groups(samples: list[str], in_bundle: list[str]) -> list[tuple[set[str], list[str]]]:
    """(lines left out of training, samples predicted) per model fit. Up to `MAX_HELD_OUT` bundle lines are all left
    out of one fit; more are cross-fitted: split into folds of at most `MAX_HELD_OUT` lines (`model.line_folds`, seed
    0), each predicted by models fitted without its fold. Samples that are not bundle lines join the first group."""
    new = [s for s in samples if s not in set(in_bundle)]
    if len(in_bundle) <= MAX_HELD_OUT:
        return [({canonical_name(s) for s in in_bundle}, list(samples))]
    k = -(-len(in_bundle) // MAX_HELD_OUT)
    fold = line_folds(in_bundle, k, seed=0)
    groups = []
    for f in range(k):
        members = [s for s in in_bundle if fold[str(s)] == f]
        groups.append(({canonical_name(s) for s in members}, members))
    groups[0][1].extend(new)
    return groups


def _direction(value: float, threshold: float) -> str:
    if not np.isfinite(value) or abs(value) < threshold:
        return "neutral"
    return "resistant" if value > 0 else "sensitive"


def _chain_rf(cat: Catalog, therapy: str, scores: pd.DataFrame) -> np.ndarray:
    """D50(sample phenotype) / D50(reference cell) per sample, activities = scores / `SD_PER_ACTIVITY`; NaN where
    the chain cannot dose the therapy."""
    try:
        sample = chain_prediction(cat, therapy, scores / SD_PER_ACTIVITY).to_numpy()
        ref = chain_prediction(cat, therapy, pd.DataFrame(index=[0])).iloc[0]
    except ChemoradError:
        return np.full(len(scores), np.nan)
    return np.exp(sample - ref)


def hypoxic_dmf(cat: Catalog, activities: dict[str, float]) -> tuple[float, dict[str, float]]:
    """The chain's hypoxic dose-modifying factor D10(hypoxic pO2) / D10(oxic pO2) of one phenotype, and the change in
    ln DMF when each non-zero mechanism is set back to 0 (positive = that mechanism raises the DMF)."""
    from chemorad.chain.phenotype import phenotype
    from chemorad.chain.survival import Environment, dose_for_survival

    cond = conditions(cat)
    nonzero = [m for m, v in activities.items() if v != 0 and np.isfinite(v)]
    rows = [dict(activities)] + [{**activities, m: 0.0} for m in nonzero]
    acts = {m: np.array([r.get(m, 0.0) for r in rows]) for m in activities}
    ph = phenotype(cat, acts, n=len(rows))
    oxic = dose_for_survival(cat, "radiotherapy", 0.1, ph, Environment(po2_mmhg=cond["oxic"]))
    hypoxic = dose_for_survival(cat, "radiotherapy", 0.1, ph, Environment(po2_mmhg=cond["hypoxic"]))
    dmf = hypoxic / oxic
    delta = {m: float(np.log(dmf[0]) - np.log(dmf[1 + k])) for k, m in enumerate(nonzero)}
    return float(dmf[0]), {m: d for m, d in delta.items() if abs(d) > 1e-9}


def _top(contrib: pd.Series, linked: set[str], markers: pd.Series | None = None, owners=None, k: int = TOP) -> list:
    """The k largest |contributions|; `catalog_link` says whether the catalog has the mechanism act on the therapy
    (False: a data association the damage chain does not explain); `markers`: the mechanism's marker features that
    carry its contribution, largest first."""
    c = contrib[contrib.abs() > 0]
    c = c.reindex(c.abs().sort_values(ascending=False).index)[:k]
    out = []
    for m, v in c.items():
        item = {"mechanism": str(m), "contribution": float(v), "catalog_link": str(m) in linked}
        if markers is not None:
            mine = markers[[f for f in markers.index if m in owners.get(f, ())]]
            mine = mine[mine.abs() > 0]
            item["markers"] = [str(f) for f in mine.reindex(mine.abs().sort_values(ascending=False).index)[:k].index]
        out.append(item)
    return out


_REST = ("missingness", "tissue", "intercept")


def _owners(members: dict[str, list[str]]) -> dict[str, list[str]]:
    """marker feature -> the mechanisms it belongs to."""
    out: dict[str, list[str]] = {}
    for mid, names in members.items():
        for name in names:
            out.setdefault(name, []).append(mid)
    return out


def _by_mechanism(parts: pd.DataFrame, features: list[str], owners: dict[str, list[str]]) -> pd.DataFrame:
    """Marker contributions summed per mechanism (a marker shared by several mechanisms is split equally), plus the
    missingness, tissue and intercept columns unchanged: the row sums are still the predictions."""
    cols: dict[str, pd.Series] = {}
    for f in features:
        mids = owners.get(f) or [f]
        for mid in mids:
            cols[mid] = cols.get(mid, 0.0) + parts[f] / len(mids)
    out = pd.DataFrame(cols, index=parts.index)
    for rest in _REST:
        out[rest] = parts[rest]
    return out


def _linked(cat: Catalog) -> dict[str, set[str]]:
    """therapy id -> the mechanisms the catalog has act on it."""
    out: dict[str, set[str]] = {}
    for m in cat.mechanisms.values():
        for tid in cat.therapies_for(m):
            out.setdefault(tid, set()).add(m.id)
    return out


def predict_profile(
    cat: Catalog,
    profile: Profile,
    data: str | os.PathLike[str] | None = None,
    therapies: Iterable[str] | None = None,
    level: float = 0.9,
    progress: Callable[[int, int], None] | None = None,
) -> Predictions:
    """Score `profile`'s samples against the bundle, fit the response models without them, predict (see module doc)."""
    wanted = None if therapies is None else list(therapies)
    ref = reference(cat, data)
    ss = sample_scores(cat, profile, ref)
    bundle = set(ds.cell_lines(data).index)
    in_bundle = [s for s in ss.scores.index if canonical_name(s) in bundle]
    notes = list(ss.notes)
    warnings = list(profile.warnings)
    measured = ss.scores.notna().sum(axis=1)
    if int(measured.max()) == 0 if len(measured) else True:
        raise ChemoradError(
            "profile: no catalog marker could be measured in any sample; nothing to predict from (the coverage table "
            "lists each marker: give expression, mutations, copy number or protein for the catalog's genes)"
        )
    for s in measured.index[measured == 0]:
        warnings.append(f"sample {s!r}: no marker measured; its predictions are the tissue baseline only")
    from chemorad.evidence.responses import responses

    tables = (ref.markers.dropna(how="all"), responses(cat, data), ref.tissue)
    groups = _training_groups(list(ss.scores.index), in_bundle)
    if in_bundle:
        names = sorted(map(canonical_name, in_bundle))
        shown = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
        how = "" if len(groups) == 1 else f", cross-fitted in {len(groups)} folds of at most {MAX_HELD_OUT} lines"
        notes.append(f"left out of training (they are bundle lines{how}): {shown}")
    X = ss.markers
    tissue = ss.tissue.reindex(X.index)
    rows, attr, marker_attr = [], [], []
    linked = _linked(cat)
    owners = _owners(ref.plan.members)
    chain_rf: dict[str, pd.Series] = {}
    models_for: dict[str, ModelSet] = {}
    for g, (exclude, members) in enumerate(groups):
        step = None if progress is None else (lambda k, n, g=g: progress(g * n + k, len(groups) * n))
        models = fit_all(cat, data, therapies=wanted, exclude=exclude, progress=step, tables=tables)
        if not models:
            raise ChemoradError(f"therapies: no response with enough lines to fit among {', '.join(wanted or [])}")
        models_for.update(dict.fromkeys(members, models))
        for tid in set(models.therapy.values()) - set(chain_rf):
            chain_rf[tid] = pd.Series(_chain_rf(cat, tid, ss.scores), index=ss.scores.index)
        Xg, tg = X.loc[members], tissue.loc[members]
        for col, model in models.items():
            tid = models.therapy[col]
            dataset, _, metric = split(col)
            Xm = Xg.reindex(columns=model.feature_names_in_)
            iv = model.predict_interval(Xm, tg, level)
            marker_parts = model.attributions(Xm, tg)
            parts = _by_mechanism(marker_parts, list(model.feature_names_in_), owners)
            pct = model.percentile_in_tissue(iv["prediction"], tg)
            sd = float(np.std(model.y_train_))
            baseline = parts["tissue"] + parts["intercept"]
            for i, sample in enumerate(members):
                mech = parts.loc[sample].drop(labels=list(_REST))
                shift = float(iv["prediction"].iloc[i] - baseline.iloc[i])
                rf = float(chain_rf[tid][sample])
                md = _direction(shift / sd if sd > 0 else np.nan, MODEL_SHIFT)
                cd = _direction(np.log(rf) if rf > 0 else np.nan, np.log(THRESHOLD))
                rows.append(
                    {
                        "sample": sample,
                        "therapy": tid,
                        "dataset": dataset,
                        "metric": metric,
                        "predicted": float(iv["prediction"].iloc[i]),
                        "interval_low": float(iv["lower"].iloc[i]),
                        "interval_high": float(iv["upper"].iloc[i]),
                        "percentile_in_tissue": float(pct["percentile"].iloc[i]),
                        "top_mechanisms": _top(mech, linked.get(tid, set()), marker_parts.loc[sample], owners),
                        "tissue": tg.iloc[i],
                        "unseen_tissue": bool(iv["unseen_tissue"].iloc[i]),
                        "reference": pct["reference"].iloc[i],
                        "n_reference": int(pct["n_reference"].iloc[i]),
                        "n_train": int(model.n_train_),
                        "response_sd": sd,
                        "model_shift": shift,
                        "model_direction": md,
                        "chain_resistance_factor": rf,
                        "chain_direction": cd,
                        "disagreement": {md, cd} == {"resistant", "sensitive"},
                        "column": col,
                    }
                )
                for frame, out in ((parts, attr), (marker_parts, marker_attr)):
                    terms = frame.loc[sample]
                    out.append(
                        pd.DataFrame({"sample": sample, "column": col, "term": terms.index, "contribution": terms})
                    )
    records = pd.DataFrame(rows)
    if "radiotherapy" in chain_rf:
        records = pd.concat([records, _dmf_records(cat, ss.scores, tissue)], ignore_index=True)
    unseen = sorted({str(s) for s, u in zip(records["sample"], records["unseen_tissue"], strict=True) if u})
    for s in unseen:
        t = tissue.get(s)
        what = "no known tissue" if pd.isna(t) else f"tissue {t!r} is not among the training lines'"
        warnings.append(f"sample {s!r}: {what}; predictions use the average tissue effect, with wider intervals")
    attributions = pd.concat(attr, ignore_index=True) if attr else pd.DataFrame()
    marker_attributions = pd.concat(marker_attr, ignore_index=True) if marker_attr else pd.DataFrame()
    records["cross_resistant_with"] = [[] for _ in range(len(records))]
    crossres = _crossres(records, attributions)
    for row in crossres.itertuples():
        for tid in row.therapies:
            mask = (records["sample"] == row.sample) & (records["therapy"] == tid)
            others = [t for t in row.therapies if t != tid]
            for idx in records.index[mask]:
                records.at[idx, "cross_resistant_with"] = others
    return Predictions(records, attributions, marker_attributions, crossres, ss, models_for, notes, warnings)


def _dmf_records(cat: Catalog, X: pd.DataFrame, tissue: pd.Series) -> pd.DataFrame:
    rows = []
    for sample in X.index:
        row = X.loc[sample]
        acts = {m: float(v) / SD_PER_ACTIVITY for m, v in row.items() if m in cat.mechanisms and np.isfinite(v)}
        dmf, delta = hypoxic_dmf(cat, acts)
        rows.append(
            {
                "sample": sample,
                "therapy": "radiotherapy",
                "dataset": "chain",
                "metric": "hypoxic_dmf",
                "predicted": dmf,
                "interval_low": np.nan,
                "interval_high": np.nan,
                "percentile_in_tissue": np.nan,
                "top_mechanisms": _top(pd.Series(delta, dtype=float), set(delta)),
                "tissue": tissue.get(sample),
                "unseen_tissue": False,
                "reference": "damage-chain model (no data fit)",
                "column": "chain|radiotherapy|hypoxic_dmf",
            }
        )
    return pd.DataFrame(rows)


def primary_records(records: pd.DataFrame) -> pd.DataFrame:
    """One record per sample x therapy: the primary metric of the preferred dataset (GDSC2, GDSC1, CTRP, Yard)."""
    prim = records[[PRIMARY_METRIC.get(d) == m for d, m in zip(records["dataset"], records["metric"], strict=True)]]
    rank = prim["dataset"].map({d: i for i, d in enumerate(_DATASET_PREFERENCE)})
    prim = prim.assign(_rank=rank).sort_values(["sample", "therapy", "_rank"])
    return prim.drop_duplicates(["sample", "therapy"]).drop(columns="_rank").reset_index(drop=True)


def _crossres(records: pd.DataFrame, attributions: pd.DataFrame) -> pd.DataFrame:
    prim = primary_records(records)
    out = []
    for sample, grp in prim.groupby("sample", sort=True):
        hit = grp[grp["percentile_in_tissue"] >= RESISTANT_PERCENTILE]
        if len(hit) < 2:
            continue
        pushing = []
        for row in hit.itertuples():
            a = attributions[(attributions["sample"] == sample) & (attributions["column"] == row.column)]
            a = a[~a["term"].isin(["missingness", "tissue", "intercept"])]
            pushing.append(set(a.loc[a["contribution"] >= SHARED_CONTRIBUTION * row.response_sd, "term"]))
        counts = Counter(m for terms in pushing for m in terms)
        shared = [m for m, c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if c >= 2]
        out.append(
            {
                "sample": sample,
                "therapies": list(hit["therapy"]),
                "percentiles": [round(float(p), 1) for p in hit["percentile_in_tissue"]],
                "shared_mechanisms": shared,
                "includes_radiotherapy": "radiotherapy" in set(hit["therapy"]),
            }
        )
    cols = ["sample", "therapies", "percentiles", "shared_mechanisms", "includes_radiotherapy"]
    return pd.DataFrame(out, columns=cols)
