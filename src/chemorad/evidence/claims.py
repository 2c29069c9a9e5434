"""Claim verdicts: does the data bear out what the sources claim about each mechanism?

For every mechanism, every claim recorded for it (specificity + sources) and every therapy with response data, the claim
implies an expectation:

- "acts": the claim's modality weight for the therapy is > 0 (e.g. `shared`, or `chemotherapy_only` for a drug) and the
  therapy is one the mechanism's chain effects select (a pump acts on its substrates only; a mechanism without chain
  effects is taken to act on every therapy of the claimed modality); its sign is the mechanism's direction (resistance
  or sensitisation: collateral sensitivity is a direction, not noise);
- "no effect" otherwise (e.g. ABCB1 on radiation, or on cisplatin, which is no substrate).

The data: the tissue-adjusted association (`associations.py`; response ~ score + tissue + MSI [+ proliferation]) of the
mechanism's activity score (`scores.py`, per within-tissue SD) with the therapy's response in each data set (Yard AUC,
and at full resolution the surviving fraction at every dose and -alpha, -beta of the LQ fit; GDSC1/GDSC2 ln IC50; CTRP
AUC; all oriented so that higher = more resistant).

Decision rule (`verdicts.py`): each test is asked whether the effect is meaningfully positive, meaningfully negative or
equivalent to zero, against a margin derived from the assay's own noise (`margins.py`); each family (one therapy x one
data set x one metric) gets its own Benjamini-Hochberg FDR. One association test answers every claim with the same
expectation, so `unique_tests` counts each (mechanism, response, expectation) once.

`not testable`: the mechanism has no usable marker in the bundle (see the coverage table), or fewer than `MIN_LINES`
lines have both score and response. A marker that measures a mechanism poorly weakens every verdict built on it: the
verdicts test the claims *as operationalised by the catalog's markers*.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np
import pandas as pd

from chemorad.bundle import datasets as ds
from chemorad.catalog.load import Catalog
from chemorad.catalog.registry import RESPONSE_DATASETS, Modality, ResponseKey
from chemorad.catalog.views import CLAIM_WEIGHT
from chemorad.evidence.associations import associations, covariate_design
from chemorad.evidence.margins import MARGIN_PER_NOISE, comparison_tables, noise_table
from chemorad.evidence.responses import curve_tables, radiation_dose_responses, responses, split, therapy_columns
from chemorad.evidence.scores import Scores, mechanism_scores
from chemorad.evidence.verdicts import (
    FDR_ALPHA,
    decide,
    family_alpha,
    family_fdr,
    lines_to_decide,
    one_sided_pvalues,
    verdict,
)

__all__ = [
    "FDR_ALPHA",
    "MIN_LINES",
    "PRIMARY",
    "claim_tests",
    "claim_verdicts",
    "compare_verdicts",
    "evidence_tables",
    "margin_table",
    "strongest",
    "summarise",
    "unique_tests",
    "verdict_counts",
    "verdict_records",
]

MIN_LINES = 30
PRIMARY = {d.id: d.primary_metric for d in RESPONSE_DATASETS.values()}
VERDICTS = ("supported", "contradicted", "inconclusive", "not testable")
_TEST_KEY = ["mechanism", "therapy", "dataset", "compound", "metric", "expected"]
_KEY_PARTS = ["dataset", "compound", "metric"]  # the fields of a `ResponseKey`, as columns


def _expectation(weight: float, touched: bool, direction: str) -> str:
    if weight > 0 and touched:
        return "sensitisation" if direction == "sensitisation" else "resistance"
    return "no effect"


def evidence_tables(
    cat: Catalog, data: str | os.PathLike[str] | None = None
) -> tuple[Scores, pd.DataFrame, pd.DataFrame]:
    """Scores, the response matrix and the tissue/MSI covariate design, all on the bundle's lines."""
    sc = mechanism_scores(cat, data)
    resp = responses(cat, data)
    lines = ds.cell_lines(data)
    cov = covariate_design(lines["tissue"], lines["msi"].astype(float), min_lines=5)
    return sc, resp, cov


def _tested_columns(cat: Catalog, resp: pd.DataFrame, resolution: bool) -> dict[str, str]:
    """Response column -> therapy id: the primary metric per data set, plus the dose-resolved radiation metrics."""
    out = {}
    for tid, cols in therapy_columns(cat, resp.columns).items():
        for col in cols:
            key = ResponseKey.parse(col)
            radiation = key.modality == Modality.radiation
            if key.is_primary or (resolution and radiation and key.metric != "sf2"):
                out[col] = tid
    return out


def claim_tests(
    cat: Catalog,
    data: str | os.PathLike[str] | None = None,
    adjust: pd.DataFrame | None = None,
    resolution: bool = True,
    tables: tuple[Scores, pd.DataFrame, pd.DataFrame] | None = None,
    lines: pd.Index | None = None,
    features: pd.DataFrame | None = None,
    margin_per_noise: float = MARGIN_PER_NOISE,
) -> pd.DataFrame:
    """One row per (mechanism, response): effect, interval, margin, family q-values, conclusion, lines to decide.

    `adjust`: extra covariates (lines x columns, e.g. the proliferation score) added to tissue + MSI; lines without
    them are left out. `resolution`: also test Yard SF at every dose and -alpha, -beta (radiation at full resolution).
    `tables`: (scores, responses, covariates) from `evidence_tables`, to reuse them. `lines`: use only these lines
    (e.g. those with a proliferation score, to compare adjusted and unadjusted verdicts on the same lines).
    `features`: test these columns (e.g. `scores.markers`, one per marker) instead of the mechanism scores; the
    `mechanism` column then holds the feature name. `margin_per_noise`: the margin rule's constant (`margins.py`).
    """
    sc, resp, cov = tables if tables is not None else evidence_tables(cat, data)
    if resolution:
        extra = radiation_dose_responses(cat, data)
        resp = resp.join(extra.drop(columns=[c for c in extra.columns if c in resp.columns]), how="outer")
    if adjust is not None:
        cov = cov.join(adjust, how="left")
    if lines is not None:
        cov = cov.copy()
        cov.loc[~cov.index.isin(lines), :] = np.nan
    therapy_of = _tested_columns(cat, resp, resolution)
    cols = list(therapy_of)
    assoc = associations(sc.scores if features is None else features, resp[cols], cov, min_n=MIN_LINES)
    curves, compared = curve_tables(cat, cols, data), comparison_tables(cols, data)
    noise = noise_table(cat, resp, cols, therapy_of, curves, compared, margin_per_noise)
    assoc["therapy"] = assoc["response"].map(therapy_of)
    keys = [ResponseKey.parse(c) for c in assoc["response"]]
    parts = pd.DataFrame([(k.dataset, k.compound, k.metric) for k in keys], index=assoc.index, columns=_KEY_PARTS)
    assoc[_KEY_PARTS] = parts
    assoc["primary"] = [k.is_primary for k in keys]
    assoc["family"] = assoc["therapy"] + "|" + assoc["dataset"] + "|" + assoc["metric"]
    assoc["margin"] = assoc["response"].map(noise["margin"])
    assoc["sd_y"] = assoc["response"].map(noise["sd"])
    for k in ("rho", "sem", "sigma_lq", "noise_source"):
        assoc[k] = assoc["response"].map(noise[k])
    ps = one_sided_pvalues(assoc["effect"], assoc["se"], assoc["dof"], assoc["margin"])
    for k in ("p_pos", "p_neg", "p_eq"):
        assoc[k] = ps[k]
        assoc["q" + k[1:]] = family_fdr(ps[k], assoc["family"])
    assoc["fdr"] = family_fdr(assoc["p_value"], assoc["family"])
    assoc["conclusion"] = decide(assoc["q_pos"], assoc["q_neg"], assoc["q_eq"])
    # The test that would decide a row: superiority in the effect's direction beyond the margin, else equivalence;
    # its level is the next Benjamini-Hochberg step of that test's own family run.
    b, m = assoc["effect"].to_numpy(dtype=float), assoc["margin"].to_numpy(dtype=float)
    kind = np.where(np.abs(b) > m, np.where(b > 0, "q_pos", "q_neg"), "q_eq")
    levels = {k: family_alpha(assoc[k] < FDR_ALPHA, assoc["family"]) for k in ("q_pos", "q_neg", "q_eq")}
    level = np.choose(
        np.searchsorted(["q_eq", "q_neg", "q_pos"], kind), [levels["q_eq"], levels["q_neg"], levels["q_pos"]]
    )
    assoc["n_to_decide"] = lines_to_decide(assoc["effect"], assoc["se"], assoc["n"], assoc["margin"], level)
    assoc.loc[assoc["conclusion"] != "undecided", "n_to_decide"] = np.nan
    return assoc.rename(columns={"feature": "mechanism"})


_REASON = {
    ("resistance", "positive"): "effect > +margin (family q < 0.1)",
    ("resistance", "negative"): "effect < -margin: the opposite direction",
    ("resistance", "equivalent"): "effect shown to lie within +-margin (negligible)",
    ("sensitisation", "negative"): "effect < -margin (family q < 0.1)",
    ("sensitisation", "positive"): "effect > +margin: the opposite direction",
    ("sensitisation", "equivalent"): "effect shown to lie within +-margin (negligible)",
    ("no effect", "equivalent"): "equivalence (TOST) within +-margin (family q < 0.1)",
    ("no effect", "positive"): "effect > +margin",
    ("no effect", "negative"): "effect < -margin",
}


def claim_verdicts(
    cat: Catalog,
    data: str | os.PathLike[str] | None = None,
    progress: Callable[[str], None] | None = None,
    adjust: pd.DataFrame | None = None,
    resolution: bool = True,
    tests: pd.DataFrame | None = None,
    lines: pd.Index | None = None,
) -> pd.DataFrame:
    """One row per mechanism x claim x therapy x tested response: expectation, effect, CI, margin, q, verdict, reason.

    `primary` marks the data set's primary metric (Yard AUC, GDSC ln IC50, CTRP AUC); the other rows are radiation at
    full resolution. `n_to_decide` (inconclusive rows): lines a test would need (`verdicts.lines_to_decide`).
    """
    say = progress or (lambda _msg: None)
    if tests is None:
        say("scoring mechanisms and fitting associations")
        tests = claim_tests(cat, data, adjust=adjust, resolution=resolution, lines=lines)
    by_key = tests.set_index(["mechanism", "response"])
    responses_of: dict[str, list[str]] = {}
    for col, tid in zip(tests["response"], tests["therapy"], strict=True):
        responses_of.setdefault(tid, [])
        if col not in responses_of[tid]:
            responses_of[tid].append(col)
    all_cols = sorted(set(tests["response"]))
    therapy_cols = therapy_columns(cat, pd.Index(all_cols))
    scored = set(tests["mechanism"])
    rows = []
    say("deciding verdicts")
    for m in cat.mechanisms.values():
        touched = set(cat.therapies_for(m)) if m.effects else set(cat.therapies)
        for claim in m.claims:
            for tid, tcols in therapy_cols.items():
                t = cat.therapies[tid]
                expect = _expectation(CLAIM_WEIGHT[claim.specificity][t.modality], tid in touched, m.direction)
                for col in tcols:
                    dataset, compound, metric = split(col)
                    base = {
                        "mechanism": m.id,
                        "claim": claim.specificity.value,
                        "sources": ", ".join(claim.sources),
                        "therapy": tid,
                        "dataset": dataset,
                        "compound": compound,
                        "metric": metric,
                        "primary": ResponseKey(dataset, compound, metric).is_primary,
                        "expected": expect,
                    }
                    key = (m.id, col)
                    if key not in by_key.index:
                        reason = "no usable marker" if m.id not in scored else f"fewer than {MIN_LINES} lines"
                        rows.append({**base, "verdict": "not testable", "reason": reason})
                        continue
                    a = by_key.loc[key]
                    rows.append({**base, **_test_fields(a, expect)})
    out = pd.DataFrame(rows).reindex(columns=_OUT_COLUMNS)
    out["n"] = out["n"].astype("Int64")
    out["n_to_decide"] = out["n_to_decide"].astype("Int64")
    return out


def _test_fields(a: pd.Series, expect: str) -> dict:
    v = str(verdict([expect], [a.conclusion])[0])
    reason = _REASON.get((expect, a.conclusion), "neither an effect beyond the margin nor equivalence established")
    return {
        "effect": a.effect,
        "effect_sd": a.effect / a.sd_y,
        "ci_low": a.ci_low,
        "ci_high": a.ci_high,
        "margin": a.margin,
        "margin_sd": a.margin / a.sd_y,
        "p_value": a.p_value,
        "fdr": a.fdr,
        "q_pos": a.q_pos,
        "q_neg": a.q_neg,
        "q_eq": a.q_eq,
        "n": int(a.n),
        "family": a.family,
        "verdict": v,
        "reason": reason,
        "n_to_decide": a.n_to_decide if v == "inconclusive" else np.nan,
    }


_OUT_COLUMNS = [
    "mechanism",
    "claim",
    "sources",
    "therapy",
    "dataset",
    "compound",
    "metric",
    "primary",
    "expected",
    "effect",
    "effect_sd",
    "ci_low",
    "ci_high",
    "margin",
    "margin_sd",
    "p_value",
    "fdr",
    "q_pos",
    "q_neg",
    "q_eq",
    "n",
    "family",
    "verdict",
    "reason",
    "n_to_decide",
]


def margin_table(tests: pd.DataFrame) -> pd.DataFrame:
    """One row per tested response: therapy, rho and its source, SD, SEM, margin (`margins.py`), sigma_lq."""
    cols = ["response", "therapy", "rho", "noise_source", "sd_y", "sem", "margin", "sigma_lq"]
    return tests.drop_duplicates("response")[cols].sort_values("response").reset_index(drop=True)


def unique_tests(verdicts: pd.DataFrame, primary_only: bool = True) -> pd.DataFrame:
    """Each (mechanism, therapy, data set, compound, metric, expectation) once: claims that share a test count once."""
    v = verdicts[verdicts["primary"]] if primary_only and "primary" in verdicts else verdicts
    return v.drop_duplicates(subset=_TEST_KEY).reset_index(drop=True)


def verdict_counts(verdicts: pd.DataFrame, cat: Catalog) -> pd.DataFrame:
    """Unique tests by modality (radiation / drug), expectation and verdict (primary metrics)."""
    u = unique_tests(verdicts)
    modality = u["therapy"].map(lambda t: cat.therapies[t].modality)
    table = pd.crosstab([modality.rename("modality"), u["expected"]], u["verdict"])
    return table.reindex(columns=list(VERDICTS), fill_value=0)


def compare_verdicts(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Unique tests whose verdict differs between two runs, with both verdicts, effects and reasons."""
    key = _TEST_KEY
    keep = [*key, "effect_sd", "ci_low", "ci_high", "n", "verdict", "reason"]
    b = unique_tests(before, primary_only=False)[keep]
    a = unique_tests(after, primary_only=False)[keep]
    both = b.merge(a, on=key, suffixes=("_before", "_after"))
    return both[both["verdict_before"] != both["verdict_after"]].reset_index(drop=True)


def summarise(verdicts: pd.DataFrame) -> pd.DataFrame:
    """Per mechanism and claim: how many therapy x dataset tests (primary metric) support, contradict, cannot decide."""
    v = verdicts[verdicts["primary"]] if "primary" in verdicts else verdicts
    counts = v.pivot_table(
        index=["mechanism", "claim", "sources"], columns="verdict", values="therapy", aggfunc="count", fill_value=0
    )
    for name in VERDICTS:
        if name not in counts.columns:
            counts[name] = 0
    return counts[list(VERDICTS)].reset_index()


def strongest(verdicts: pd.DataFrame, n: int = 20) -> pd.DataFrame:
    """The n tests with the smallest FDR, for a quick read."""
    return verdicts.dropna(subset=["fdr"]).sort_values("fdr").head(n)


def verdict_records(verdicts: pd.DataFrame) -> list[dict]:
    """JSON records with the documented keys."""
    keep = [
        "mechanism",
        "claim",
        "sources",
        "therapy",
        "dataset",
        "metric",
        "primary",
        "expected",
        "effect",
        "ci_low",
        "ci_high",
        "margin",
        "fdr",
        "q_pos",
        "q_neg",
        "q_eq",
        "n",
        "verdict",
        "reason",
        "n_to_decide",
    ]
    frame = verdicts[keep].astype(object).where(verdicts[keep].notna(), None)
    return frame.to_dict("records")
