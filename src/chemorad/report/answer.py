"""The answer at a glance: one row per mechanism x therapy, joining what the sources claim, what the damage chain
computes and what the cell-line data say, with how far they agree. A view model for the web explorer's matrix page
and its JSON API; it only rearranges the outputs of the domain functions.

Per cell:

- claim: `acts` when the catalog's claimed weight for the therapy is > 0 (`catalog.views.claimed_matrix`: the mean over
  the mechanism's claims of the claimed specificity's weight for the therapy's modality, restricted to the therapies its
  effects select), else `no effect`; `claim_disputed` when the sources give different weights;
- model: the damage chain's resistance factor with the mechanism alone at activity 1, in the oxygen condition where it
  is largest in size (`chain.specificity.resistance_factors`); `acts` when RF >= THRESHOLD or RF <= 1/THRESHOLD
  (`chain.specificity.THRESHOLD`);
- evidence: the claim verdicts of the tissue-adjusted association tests on the cell-line data
  (`evidence.claims.claim_verdicts`), over the mechanism's claims and the therapy's data sets: `mixed` when some
  support and some contradict, else `contradicted`, `supported`, `inconclusive` or `not testable` in that order;
  `no data` when the data bundle is absent; with the test of smallest FDR (effect per SD of score, FDR, data set);
- agreement: `agree, data support` (claim = model, evidence supported), `agree` (claim = model, evidence silent),
  `model differs` (claim != model, evidence not contradicting the claim), `data differ` (claim = model, evidence
  contradicted), `claim alone` (both the model and the evidence go against the claim).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chemorad.catalog.load import Catalog
from chemorad.catalog.views import claimed_matrix
from chemorad.chain.specificity import THRESHOLD

AGREEMENTS = ("agree, data support", "agree", "model differs", "data differ", "claim alone")
EVIDENCE = ("supported", "contradicted", "mixed", "inconclusive", "not testable", "no data")


def strongest_rf(rf: pd.DataFrame) -> pd.DataFrame:
    """Per mechanism and therapy, the condition with the largest |ln RF| (columns resistance_factor, condition)."""
    return (
        rf.assign(_abs=np.abs(np.log(rf["resistance_factor"])))
        .sort_values("_abs")
        .groupby(["mechanism", "therapy"], sort=False)
        .tail(1)
        .set_index(["mechanism", "therapy"])[["resistance_factor", "condition"]]
    )


def _evidence_summary(verdicts: list[str]) -> str:
    v = set(verdicts)
    if {"supported", "contradicted"} <= v:
        return "mixed"
    for name in ("contradicted", "supported", "inconclusive"):
        if name in v:
            return name
    return "not testable"


def evidence_cells(claims: pd.DataFrame | None) -> pd.DataFrame:
    """Per mechanism and therapy: evidence summary, the best test's effect_sd, fdr and dataset, and the test count."""
    cols = ["evidence", "effect_sd", "fdr", "dataset", "n_tests"]
    if claims is None or claims.empty:
        return pd.DataFrame(columns=cols, index=pd.MultiIndex.from_tuples([], names=["mechanism", "therapy"]))
    rows = {}
    for key, grp in claims.groupby(["mechanism", "therapy"], sort=False):
        tested = grp.dropna(subset=["fdr"])
        best = tested.loc[tested["fdr"].idxmin()] if len(tested) else None
        rows[key] = {
            "evidence": _evidence_summary(list(grp["verdict"])),
            "effect_sd": float(best["effect_sd"]) if best is not None else np.nan,
            "fdr": float(best["fdr"]) if best is not None else np.nan,
            "dataset": str(best["dataset"]) if best is not None else "",
            "n_tests": int(len(tested.drop_duplicates(["dataset", "metric"]))),
        }
    out = pd.DataFrame.from_dict(rows, orient="index", columns=cols)
    out.index = pd.MultiIndex.from_tuples(out.index, names=["mechanism", "therapy"])
    return out


def agreement(claim_acts: bool, model_acts: bool, evidence: str) -> str:
    """The agreement category of one cell (rules in the module docstring)."""
    same = claim_acts == model_acts
    if evidence == "contradicted":
        return "data differ" if same else "claim alone"
    if not same:
        return "model differs"
    return "agree, data support" if evidence == "supported" else "agree"


def answer_matrix(cat: Catalog, rf: pd.DataFrame, claims: pd.DataFrame | None) -> pd.DataFrame:
    """Long table, one row per mechanism x therapy in catalog order (columns in the module docstring)."""
    claimed, disputed = claimed_matrix(cat)
    model = strongest_rf(rf)
    ev = evidence_cells(claims)
    lt = np.log(THRESHOLD)
    rows = []
    for m in cat.mechanisms.values():
        for t in cat.therapies.values():
            weight = float(claimed.loc[m.id, t.id])
            r = float(model.loc[(m.id, t.id), "resistance_factor"]) if (m.id, t.id) in model.index else 1.0
            e = ev.loc[(m.id, t.id)] if (m.id, t.id) in ev.index else None
            evidence = "no data" if claims is None else (str(e["evidence"]) if e is not None else "not testable")
            claim_acts, model_acts = weight > 0, bool(abs(np.log(r)) >= lt)
            rows.append(
                {
                    "mechanism": m.id,
                    "therapy": t.id,
                    "modality": str(t.modality),
                    "stages": [s.value for s in m.stages],
                    "claim": "acts" if claim_acts else "no effect",
                    "claimed_weight": weight,
                    "claim_disputed": bool(disputed.loc[m.id, t.id]),
                    "model_rf": r,
                    "model_condition": str(model.loc[(m.id, t.id), "condition"]) if (m.id, t.id) in model.index else "",
                    "model": "acts" if model_acts else "no effect",
                    "evidence": evidence,
                    "evidence_effect_sd": float(e["effect_sd"]) if e is not None else np.nan,
                    "evidence_fdr": float(e["fdr"]) if e is not None else np.nan,
                    "evidence_dataset": str(e["dataset"]) if e is not None else "",
                    "evidence_tests": int(e["n_tests"]) if e is not None else 0,
                    "agreement": agreement(claim_acts, model_acts, evidence),
                }
            )
    return pd.DataFrame(rows)


def filter_matrix(
    matrix: pd.DataFrame, stage: str | None = None, therapy: str | None = None, verdict: str | None = None
) -> pd.DataFrame:
    """Rows of mechanisms acting at `stage`, columns of `therapy` (an id or a modality), cells of evidence `verdict`
    (a mechanism is kept when at least one of its cells has that verdict)."""
    out = matrix
    if stage:
        out = out[out["stages"].map(lambda s: stage in s)]
    if therapy:
        out = out[(out["therapy"] == therapy) | (out["modality"] == therapy)]
    if verdict:
        keep = set(out.loc[out["evidence"] == verdict, "mechanism"])
        out = out[out["mechanism"].isin(keep)]
    return out
