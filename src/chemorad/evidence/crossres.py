"""Cross-resistance measured directly: tissue-adjusted partial correlation between two therapies' responses.

For responses a and b (oriented so that higher = more resistant, `responses.py`) on the lines where both are measured,
the partial correlation given tissue is the correlation of the within-tissue residuals:

    r = sum_i (a_i - abar_t(i)) (b_i - bbar_t(i)) / sqrt(sum_i (a_i - abar_t(i))^2 * sum_i (b_i - bbar_t(i))^2)

which equals the partial correlation of a and b given tissue dummies (`associations.partial_correlation` with
`covariate_design(tissue)`; tested). p-value: t = r sqrt(df / (1 - r^2)), df = n - n_tissues - 1. r > 0 is
cross-resistance (lines resistant to one are resistant to the other beyond what tissue explains), r < 0 collateral
sensitivity.

Interval: percentile bootstrap over lines, each resample re-centred within tissue. All resamples are computed at once:
with multinomial weights W (n_boot x n) and the tissue indicator T (n x k), the weighted within-tissue sums are matrix
products, e.g. sum_i w_i (a_i - abar_t)(b_i - bbar_t) = W(ab) - sum_t (W T_a)(W T_b) / (W T), T_a = T * a.

Which mechanisms explain the shared part (`mediation.py`): only mechanisms the catalog links to both therapies, each
with the share of r it explains and a bootstrap interval, all of them together, the general-sensitivity component and
proliferation, and the unexplained share.

FDR: Benjamini-Hochberg within each family of pairs (radiation x one drug data set; drug x drug within one data set),
`scipy.stats.false_discovery_control`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy import stats

from chemorad.catalog.load import Catalog
from chemorad.catalog.registry import Modality, ResponseKey
from chemorad.evidence.mediation import explain_pair, general_sensitivity, linked_mechanisms
from chemorad.evidence.responses import label, split
from chemorad.evidence.verdicts import family_fdr

MIN_LINES = 20


def _indicator(tissue: np.ndarray) -> np.ndarray:
    levels, codes = np.unique(tissue, return_inverse=True)
    t = np.zeros((len(tissue), len(levels)))
    t[np.arange(len(tissue)), codes] = 1.0
    return t


def _weighted_pcor(w: np.ndarray, a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Within-tissue weighted correlation of a and b for each row of weights w (n_boot x n)."""
    nt = w @ t
    safe = np.where(nt > 0, nt, 1.0)
    sa, sb = w @ (t * a[:, None]), w @ (t * b[:, None])
    cov = w @ (a * b) - (sa * sb / safe).sum(axis=1)
    va = w @ (a * a) - (sa * sa / safe).sum(axis=1)
    vb = w @ (b * b) - (sb * sb / safe).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return cov / np.sqrt(va * vb)


def tissue_partial_r(a: np.ndarray, b: np.ndarray, tissue: np.ndarray) -> tuple[float, int, int]:
    """(r, n, df) of the within-tissue correlation of complete arrays a, b."""
    t = _indicator(tissue)
    r = float(_weighted_pcor(np.ones((1, len(a))), a, b, t)[0])
    return r, len(a), len(a) - t.shape[1] - 1


def pair(
    a: pd.Series, b: pd.Series, tissue: pd.Series, rng: np.random.Generator | None, n_boot: int, level: float = 0.95
) -> dict[str, float]:
    """Partial r given tissue, its p-value and a bootstrap interval, on lines where a, b and tissue are known."""
    frame = pd.concat({"a": a, "b": b, "t": tissue}, axis=1, join="inner").dropna()
    n = len(frame)
    out = {"n": n, "partial_r": np.nan, "p_value": np.nan, "ci_low": np.nan, "ci_high": np.nan}
    if n < MIN_LINES:
        return out
    av, bv, tv = frame["a"].to_numpy(float), frame["b"].to_numpy(float), frame["t"].to_numpy()
    t = _indicator(tv)
    r = float(_weighted_pcor(np.ones((1, n)), av, bv, t)[0])
    df = n - t.shape[1] - 1
    if not np.isfinite(r) or df < 1:
        return out
    out["partial_r"] = r
    out["p_value"] = 0.0 if abs(r) >= 1 else float(2 * stats.t.sf(abs(r) * np.sqrt(df / (1 - r * r)), df))
    if rng is not None and n_boot > 0:
        w = rng.multinomial(n, np.full(n, 1.0 / n), size=n_boot).astype(float)
        boots = _weighted_pcor(w, av, bv, t)
        boots = boots[np.isfinite(boots)]
        if boots.size:
            out["ci_low"], out["ci_high"] = (float(x) for x in np.quantile(boots, [0.5 - level / 2, 0.5 + level / 2]))
    return out


def primary_columns(cols: pd.Index) -> list[str]:
    """One response per therapy and dataset: Yard AUC, GDSC ln IC50, CTRP AUC."""
    return [c for c in cols if ResponseKey.parse(c).is_primary]


def cross_resistance(
    resp: pd.DataFrame,
    tissue: pd.Series,
    rng: np.random.Generator,
    n_boot: int = 1000,
    drug_pairs: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Radiation vs every drug response, and (with `drug_pairs`) drug vs drug within each dataset.

    Columns: response_a, response_b, dataset (yard~gdsc2 for radiation pairs), n, partial_r, p_value, ci_low, ci_high,
    fdr. `resp` columns are `dataset|compound|metric` (`responses.responses`).
    """
    cols = primary_columns(resp.columns)
    rad = [c for c in cols if ResponseKey.parse(c).modality == Modality.radiation]
    drugs = [c for c in cols if ResponseKey.parse(c).modality == Modality.drug]
    pairs = [(r, d) for r in rad for d in drugs]
    if drug_pairs:
        for i, d1 in enumerate(drugs):
            pairs += [(d1, d2) for d2 in drugs[i + 1 :] if split(d1)[0] == split(d2)[0]]
    rows = []
    for k, (ca, cb) in enumerate(pairs):
        res = pair(resp[ca], resp[cb], tissue, rng, n_boot)
        da, db = split(ca)[0], split(cb)[0]
        rows.append({"response_a": ca, "response_b": cb, "dataset": da if da == db else f"{da}~{db}", **res})
        if progress:
            progress(k + 1, len(pairs))
    out = pd.DataFrame(rows)
    out["fdr"] = family_fdr(out["p_value"].to_numpy(), out["dataset"].to_numpy())
    return out


def annotate(
    table: pd.DataFrame,
    resp: pd.DataFrame,
    tissue: pd.Series,
    scores: pd.DataFrame,
    explain: int = 3,
    cat: Catalog | None = None,
    therapy_of: dict[str, str] | None = None,
    proliferation: pd.Series | None = None,
    rng: np.random.Generator | None = None,
    n_boot: int = 200,
) -> pd.DataFrame:
    """Readable labels and, for radiation pairs at FDR < 0.1, what explains r (`mediation.explain_pair`).

    `explained_by` lists the `explain` catalog-linked mediators with the largest share (share and interval); the
    columns share_mediators, share_general, share_proliferation and unexplained (each with _low/_high) give the rest.
    Without `cat` (or `therapy_of`, response column -> therapy id) no mediator can be named and only the label columns
    are added.
    """
    table = table.copy()
    table["explained_by"] = ""
    extra = ["n_linked", "share_mediators", "share_general", "share_proliferation", "unexplained"]
    for c in extra:
        table[c] = np.nan
    for c in extra[1:]:
        table[c + "_low"] = np.nan
        table[c + "_high"] = np.nan
    if cat is not None and therapy_of is not None:
        is_rad = [ResponseKey.parse(c).modality == Modality.radiation for c in table["response_a"]]
        rad = pd.Series(is_rad, index=table.index) & (table["fdr"] < 0.1)
        general: dict[tuple[str, str], pd.Series] = {}
        for i in table.index[rad]:
            ca, cb = table.at[i, "response_a"], table.at[i, "response_b"]
            dataset = split(cb)[0]
            if (dataset, cb) not in general:
                others = [c for c in primary_columns(resp.columns) if split(c)[0] == dataset and c != cb]
                general[(dataset, cb)] = general_sensitivity(resp[others], tissue)
            linked = [m for m in linked_mechanisms(cat, therapy_of[ca], therapy_of[cb]) if m in scores.columns]
            cov = scores[linked].join(general[(dataset, cb)], how="outer")
            if proliferation is not None:
                cov = cov.join(proliferation.rename("proliferation"), how="left")
            ex = explain_pair(resp[ca], resp[cb], tissue, cov, linked, rng, n_boot)
            _fill(table, i, ex, explain, len(linked))
    table.insert(0, "therapy_a", table["response_a"].map(label))
    table.insert(1, "therapy_b", table["response_b"].map(label))
    return table


def _fill(table: pd.DataFrame, i, ex: pd.DataFrame, explain: int, n_linked: int) -> None:
    by = ex.set_index("candidate")
    med = ex[ex["kind"] == "mediator"].sort_values("share", ascending=False).head(explain)
    table.at[i, "explained_by"] = "; ".join(
        f"{r.candidate} {r.share:+.2f} [{r.ci_low:+.2f}, {r.ci_high:+.2f}]" for r in med.itertuples()
    )
    table.at[i, "n_linked"] = n_linked
    for col, name in (
        ("share_mediators", "all mediators"),
        ("share_general", "general_sensitivity"),
        ("share_proliferation", "proliferation"),
        ("unexplained", "unexplained"),
    ):
        if name in by.index:
            table.at[i, col] = by.at[name, "share"]
            table.at[i, col + "_low"] = by.at[name, "ci_low"]
            table.at[i, col + "_high"] = by.at[name, "ci_high"]


def explained_cross_resistance(  # noqa: PLR0913 - keyword-only options of the one shared entry point
    cat: Catalog,
    resp: pd.DataFrame,
    tissue: pd.Series,
    scores: pd.DataFrame,
    data=None,
    *,
    seed: int = 0,
    n_boot: int = 200,
    drug_pairs: bool = True,
    explain: int = 3,
    n_boot_explain: int = 200,
    progress=None,
) -> pd.DataFrame:
    """`cross_resistance` then `annotate` with everything the explanation needs: the catalog-linked mediators (each
    response column mapped to its therapy), the general-sensitivity component and the expression proliferation score.

    The one entry point for the command line, the demo and the web explorer, so they show the same table. Bootstrap
    seeds: `seed` for the pair intervals, `seed + 1` for the explained shares.
    """
    from chemorad.evidence.proliferation import proliferation_score
    from chemorad.evidence.responses import therapy_columns

    table = cross_resistance(resp, tissue, np.random.default_rng(seed), n_boot, drug_pairs, progress=progress)
    therapy_of = {c: tid for tid, cols in therapy_columns(cat, resp.columns).items() for c in cols}
    return annotate(
        table,
        resp,
        tissue,
        scores,
        explain,
        cat=cat,
        therapy_of=therapy_of,
        proliferation=proliferation_score(data),
        rng=np.random.default_rng(seed + 1),
        n_boot=n_boot_explain,
    )
