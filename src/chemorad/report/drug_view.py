"""What a drug page shows: the therapy's mechanisms (from the damage chain), its response data sets, the response by
tissue and its strongest cell-line tests. Pure functions of tables the caller has already computed.

Sources of every number:
- resistance factor (RF): `chain.specificity.resistance_factors`, RF = D_mechanism(SF*) / D_reference(SF*) with one
  mechanism on alone; a mechanism "touches" the therapy when RF >= `THRESHOLD` or RF <= 1 / `THRESHOLD`
  (`chain.specificity.THRESHOLD`, a 20% dose change);
- responses: `evidence.responses` (GDSC1/GDSC2 ln IC50 and AUC, CTRP AUC, Yard AUC; higher = more resistant);
- tissue: `evidence.datasets.cell_lines` (harmonised tissue);
- tests: `evidence.claims.claim_verdicts` (tissue-adjusted regression of the response on the mechanism score, effect per
  within-tissue SD, Benjamini-Hochberg FDR).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chemorad.catalog.load import Catalog
from chemorad.catalog.registry import RESPONSE_DATASETS, ResponseKey
from chemorad.chain.specificity import THRESHOLD
from chemorad.errors import unknown
from chemorad.evidence.responses import therapy_columns

__all__ = [
    "default_column",
    "resolve_therapy",
    "drug_datasets",
    "drug_mechanisms",
    "drug_tests",
    "drug_table",
    "tissue_distribution",
]


def resolve_therapy(cat: Catalog, text: str) -> str:
    """The catalog id of a therapy given by id, name or its name in a data set (case-insensitive); an unknown one is a
    `ChemoradError` ("unknown drug ...") naming the closest known ids and names."""
    key = str(text).strip().lower()
    for t in cat.therapies.values():
        if key in {t.id.lower(), t.name.lower(), *(n.lower() for n in t.datasets.values())}:
            return t.id
    raise unknown("drug", str(text).strip(), [*cat.therapies, *(t.name for t in cat.therapies.values())])


def default_column(cat: Catalog, resp_columns, therapy: str) -> str | None:
    """The therapy's primary response column in its preferred data set (`ResponseDataset.preference`), or None."""
    cols = [c for c in therapy_columns(cat, resp_columns).get(therapy, []) if ResponseKey.parse(c).is_primary]
    cols.sort(key=lambda c: RESPONSE_DATASETS[ResponseKey.parse(c).dataset].preference)
    return cols[0] if cols else None


def drug_table(cat: Catalog, resp: pd.DataFrame | None) -> pd.DataFrame:
    """One row per catalog therapy: name, id, modality, class, its data sets and the lines measured in any of them."""
    cols = therapy_columns(cat, resp.columns) if resp is not None else {}
    rows = []
    for t in cat.therapies.values():
        mine = cols.get(t.id, [])
        n = int(resp[mine].notna().any(axis=1).sum()) if mine else 0
        rows.append(
            {
                "name": t.name,
                "id": t.id,
                "modality": t.modality.value,
                "class": t.drug_class,
                "datasets": ", ".join(RESPONSE_DATASETS[d].name for d in t.datasets if d in RESPONSE_DATASETS),
                "lines": n,
            }
        )
    return pd.DataFrame(rows)


def drug_mechanisms(cat: Catalog, rf: pd.DataFrame, therapy: str, threshold: float = THRESHOLD) -> pd.DataFrame:
    """Mechanisms whose chain RF for `therapy` passes `threshold` in either oxygen condition, strongest first.

    Columns: name, mechanism (id), one `rf_<condition>` column per condition, strongest (the RF of largest |ln RF|),
    direction ('resistance' if strongest > 1 else 'sensitisation'), selected (whether the mechanism's catalog effects
    name this therapy: `Catalog.therapies_for`).
    """
    sub = rf[rf["therapy"] == therapy]
    wide = sub.pivot_table(index="mechanism", columns="condition", values="resistance_factor", aggfunc="first")
    wide.columns = [f"rf_{c}" for c in wide.columns]
    log = np.log(wide.to_numpy(dtype=float))
    pick = np.nanargmax(np.abs(log), axis=1) if len(wide) else np.array([], dtype=int)
    strongest = wide.to_numpy(dtype=float)[np.arange(len(wide)), pick]
    out = wide.assign(strongest=strongest)
    out = out[(out["strongest"] >= threshold) | (out["strongest"] <= 1.0 / threshold)]
    order = np.argsort(-np.abs(np.log(out["strongest"].to_numpy(dtype=float))), kind="stable")
    out = out.iloc[order]
    names = [cat.mechanisms[m].name if m in cat.mechanisms else m for m in out.index]
    selected = [m in cat.mechanisms and therapy in cat.therapies_for(cat.mechanisms[m]) for m in out.index]
    out = out.reset_index()
    out.insert(0, "name", names)
    out["direction"] = np.where(out["strongest"] > 1.0, "resistance", "sensitisation")
    out["selected"] = selected
    return out


def drug_datasets(cat: Catalog, resp: pd.DataFrame, therapy: str) -> pd.DataFrame:
    """The therapy's response columns: data set, name in it, metric, primary, lines measured, median, IQR."""
    cols = therapy_columns(cat, resp.columns).get(therapy, [])
    rows = []
    for c in cols:
        key = ResponseKey.parse(c)
        v = resp[c].dropna()
        q = v.quantile([0.25, 0.5, 0.75]) if len(v) else pd.Series([np.nan] * 3, index=[0.25, 0.5, 0.75])
        rows.append(
            {
                "dataset": RESPONSE_DATASETS[key.dataset].name if key.dataset in RESPONSE_DATASETS else key.dataset,
                "compound": key.compound,
                "metric": key.metric,
                "primary": key.is_primary,
                "lines": len(v),
                "median": q[0.5],
                "q25": q[0.25],
                "q75": q[0.75],
                "column": c,
            }
        )
    return pd.DataFrame(rows, columns=["dataset", "compound", "metric", "primary", "lines", "median", "q25", "q75",
                                       "column"])  # fmt: skip


def tissue_distribution(values: pd.Series, tissue: pd.Series, min_lines: int = 1) -> pd.DataFrame:
    """A response per tissue: tissue, lines, median, q25, q75, min, max, over lines with a value and a tissue.

    Sorted by median, highest (most resistant) first; tissues with fewer than `min_lines` lines are left out.
    """
    frame = pd.DataFrame({"v": values, "tissue": tissue.reindex(values.index)}).dropna()
    if frame.empty:
        return pd.DataFrame(columns=["tissue", "lines", "median", "q25", "q75", "min", "max"])
    g = frame.groupby("tissue")["v"]
    out = pd.DataFrame(
        {
            "lines": g.size(),
            "median": g.median(),
            "q25": g.quantile(0.25),
            "q75": g.quantile(0.75),
            "min": g.min(),
            "max": g.max(),
        }
    )
    out = out[out["lines"] >= min_lines].sort_values("median", ascending=False)
    return out.rename_axis("tissue").reset_index()


def drug_tests(cat: Catalog, claims: pd.DataFrame | None, therapy: str, n: int = 10) -> pd.DataFrame:
    """The therapy's claim tests on primary metrics with the smallest FDR (at most `n`): mechanism name, data set,
    metric, expectation, effect per within-tissue SD of the mechanism score, FDR, lines, verdict."""
    cols = ["name", "mechanism", "dataset", "metric", "expected", "effect_sd", "fdr", "n", "verdict"]
    if claims is None or claims.empty:
        return pd.DataFrame(columns=cols)
    sub = claims[(claims["therapy"] == therapy) & claims["primary"].astype(bool)]
    sub = sub.sort_values(["fdr", "p_value"], kind="stable").head(n)
    names = [cat.mechanisms[m].name if m in cat.mechanisms else m for m in sub["mechanism"]]
    return sub.assign(name=names)[cols].reset_index(drop=True)
