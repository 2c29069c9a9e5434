"""Per alteration: its tissue-adjusted effect on radiation and on each drug, an equivalence verdict per therapy, and the
cross-resistance and collateral-sensitivity calls.

Alterations (`alteration_features`), each a 0/1 indicator per line:

- driver mutations (`<GENE>_mut`) and recurrent copy-number regions (`gain_cnaPANCAN...` / `loss_cnaPANCAN...`, with
  the genes of the region in brackets) of the GDSC binary genomic features (v17);
- expression extremes of catalog marker genes: `expr_high:<GENE>` for the top `EXTREME_QUANTILE` of the pan-cancer
  distribution of the gene's expression, `expr_low:<GENE>` for the bottom one (the tissue term of the model then
  compares a line with the others of its tissue);
- `MSI-H` (microsatellite instability) where the bundle gives it.

Model, per alteration x and response y (higher = more resistant, `responses.py`), on lines where both are known:

    y = b0 + tissue dummies [+ MSI] [+ g G_t] + b x + error,

by the OLS of `associations.py` (exact, tested against statsmodels). b is the mean difference in response between
altered and unaltered lines of the same tissue, in the response's units. With `general=True` the general-sensitivity
factor G_t of the therapy t of y is a covariate: a line's mean within-tissue standardised response over the primary
responses of every *other* drug (`general_factor`; radiation is not pooled), so b is what the alteration does to this
therapy beyond making the line sensitive or resistant to everything
(Geeleher et al. 2016, Genome Biol 17:190, recalled).

Margin. delta = MARGIN_PER_NOISE x SEM = SEM / 4 (`binary_margin`), SEM the assay's standard error of measurement
(`margins.py`): the margin the mechanism-score tests use, applied to the altered-minus-unaltered difference. The
stricter reading of the `margins.py` rule for a 0/1 feature (its whole-range shift is b itself, so delta = SEM) decides
none of the textbook associations in the bundle (measured: high SLFN11 vs GDSC2 topotecan -1.94 ln IC50 against an SEM
of 1.49; high ABCB1 vs GDSC1 docetaxel +1.35 against 1.20): a group-mean shift of one single-measurement SEM is far
beyond what a pharmacologist calls an effect. The answer reports the calls under both readings (`margin_per_noise`).

Verdict per test (`verdicts.py`): positive beyond +delta -> `resistant`, negative beyond -delta -> `sensitive`, within
+-delta by TOST -> `no effect`, else `inconclusive`; each family (one response column: therapy x data set x metric) is
Benjamini-Hochberg adjusted on its own at `FDR_ALPHA`. A therapy's call over its data sets: resistant (or sensitive)
when some data set decides it and none decides the opposite, `conflicting` when they disagree, `no effect` when a
data set decides equivalence and none an effect, else `inconclusive` (or `too few lines` when no data set tested it).

Calls per alteration (`alteration_calls`), from the radiation call (Yard AUC) and the drug calls:

| call | radiation | drugs |
| --- | --- | --- |
| cross-resistant | resistant | at least one resistant (named) |
| collaterally sensitive | resistant (sensitive) | at least one sensitive (resistant) |
| cross-sensitive | sensitive | at least one sensitive |
| radiotherapy-only | resistant or sensitive | none decided resistant or sensitive |
| chemotherapy-only | no effect | at least one resistant or sensitive |
| drug effect, radiation undecided | inconclusive | at least one resistant or sensitive |
| no effect | no effect | none resistant or sensitive |
| undecided | inconclusive | none resistant or sensitive |

An alteration with fewer than `MIN_ALTERED` altered lines for a response is not tested there; `altered_needed` gives
the altered lines a test would need: for an inconclusive test, `verdicts.lines_to_decide` (80% power at the family's
next Benjamini-Hochberg level, the observed effect taken as true) times the altered share; for an untested one, the
altered lines that tell an effect of twice the margin from the margin with 80% power at one-sided 5%,
n1 = ((z_0.95 + z_0.80) sd / delta)^2 (two groups, the unaltered group taken as large; sd the response's SD).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from scipy import stats

from chemorad.catalog.registry import ResponseKey
from chemorad.evidence.associations import associations
from chemorad.evidence.margins import MARGIN_PER_NOISE
from chemorad.evidence.verdicts import (
    ALPHA_ONE_SIDED,
    FDR_ALPHA,
    POWER,
    decide,
    family_alpha,
    family_fdr,
    lines_to_decide,
    one_sided_pvalues,
)

__all__ = [
    "CALLS",
    "EXTREME_QUANTILE",
    "MIN_ALTERED",
    "alteration_calls",
    "alteration_features",
    "alteration_tests",
    "binary_margin",
    "general_factor",
    "therapy_calls",
]

MIN_ALTERED = 5
MIN_LINES = 30
EXTREME_QUANTILE = 0.1
MIN_GENERAL_COLUMNS = 3
CALL_OF = {"positive": "resistant", "negative": "sensitive", "equivalent": "no effect", "undecided": "inconclusive"}
CALLS = (
    "cross-resistant",
    "collaterally sensitive",
    "cross-sensitive",
    "radiotherapy-only",
    "chemotherapy-only",
    "drug effect, radiation undecided",
    "no effect",
    "undecided",
)
_CNA = re.compile(r"^(gain|loss)_cna\w*?(?:_\((?P<genes>[^)]*)\))?$")


def _kind_and_genes(name: str) -> tuple[str, list[str]]:
    if name == "MSI-H":
        return "MSI", []
    if name.startswith(("expr_high:", "expr_low:")):
        kind, gene = name.split(":", 1)
        return ("expression high" if kind == "expr_high" else "expression low"), [gene]
    if name.endswith("_mut"):
        return "mutation", [name[: -len("_mut")]]
    hit = _CNA.match(re.split(r",\s+(?=(?:gain|loss)_)", name)[0].strip())  # merged regions: the first
    if hit:
        genes = [g.strip() for g in (hit.group("genes") or "").split(",") if g.strip()]
        return ("copy-number gain" if hit.group(1) == "gain" else "copy-number loss"), genes
    return "other", []


def alteration_features(
    genomic: pd.DataFrame | None,
    expression: pd.DataFrame | None = None,
    genes: list[str] | tuple[str, ...] = (),
    msi: pd.Series | None = None,
    quantile: float = EXTREME_QUANTILE,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(X, meta): 0/1 alteration indicators (lines x alterations, NaN = unknown) and one row per alteration
    (alteration, kind, genes, n_altered, n_known). Columns of `genomic` other than `_mut` and CNA regions are ignored;
    expression extremes only for `genes` present in `expression` (module docstring)."""
    parts = []
    if genomic is not None:
        keep = [c for c in genomic.columns if _kind_and_genes(str(c))[0] != "other"]
        parts.append(genomic[keep].astype(float))
    if expression is not None:
        present = [g for g in dict.fromkeys(genes) if g in expression.columns]
        e = expression[present].astype(float)
        lo, hi = e.quantile(quantile), e.quantile(1 - quantile)
        high = (e >= hi).astype(float).where(e.notna()).add_prefix("expr_high:")
        low = (e <= lo).astype(float).where(e.notna()).add_prefix("expr_low:")
        parts += [high, low]
    if msi is not None:
        m = msi.astype("Float64").astype(float)
        parts.append(m.rename("MSI-H").to_frame())
    if not parts:
        return pd.DataFrame(), pd.DataFrame(columns=["alteration", "kind", "genes", "n_altered", "n_known"])
    X = pd.concat(parts, axis=1)
    X = X.loc[:, ~X.columns.duplicated()]
    info = [_kind_and_genes(str(c)) for c in X.columns]
    meta = pd.DataFrame(
        {
            "alteration": X.columns,
            "kind": [k for k, _ in info],
            "genes": [g for _, g in info],
            "n_altered": (X == 1).sum().to_numpy(),
            "n_known": X.notna().sum().to_numpy(),
        }
    )
    return X, meta


def _within_tissue_z(resp: pd.DataFrame, tissue: pd.Series) -> pd.DataFrame:
    t = tissue.reindex(resp.index)
    centred = resp - resp.groupby(t).transform("mean")
    return centred / centred.std(ddof=1)


def general_factor(
    resp: pd.DataFrame, therapy_of: dict[str, str], tissue: pd.Series, pool: set[str] | None = None
) -> pd.DataFrame:
    """Lines x therapies: G_t = mean, over the primary responses of the `pool` therapies other than t (default: every
    therapy), of the line's within-tissue z-scored response (higher = more resistant to everything else); NaN with
    fewer than `MIN_GENERAL_COLUMNS` measured columns or no tissue.

    The answer pools the drugs only: radiation is then never part of a drug's factor, so a radiation-and-drug
    cross-resistance is not absorbed into 'general sensitivity' (it would be, in part, were radiation pooled)."""
    cols = [c for c in resp.columns if c in therapy_of]
    pooled = [c for c in cols if pool is None or therapy_of[c] in pool]
    z = _within_tissue_z(resp[pooled], tissue)
    ok = z.notna()
    total, count = z.fillna(0.0).sum(axis=1), ok.sum(axis=1)
    out = {}
    for tid in dict.fromkeys(therapy_of[c] for c in cols):
        own = [c for c in pooled if therapy_of[c] == tid]
        s = total - z[own].fillna(0.0).sum(axis=1)
        n = count - ok[own].sum(axis=1)
        out[tid] = (s / n.where(n >= MIN_GENERAL_COLUMNS)).where(tissue.reindex(resp.index).notna())
    return pd.DataFrame(out, index=resp.index)


def binary_margin(sem: pd.Series | dict, margin_per_noise: float = MARGIN_PER_NOISE) -> pd.Series:
    """The margin of a 0/1 alteration's effect per response: `margin_per_noise` x SEM (module docstring)."""
    return margin_per_noise * pd.Series(sem, dtype=float)


def _altered_counts(X: pd.DataFrame, Y: pd.DataFrame, cov: pd.DataFrame) -> pd.DataFrame:
    """Altered lines usable per (alteration, response): X == 1, the response and every covariate known."""
    lines = X.index.intersection(Y.index).intersection(cov.index)
    a = (X.loc[lines] == 1).to_numpy(float) * cov.loc[lines].notna().all(axis=1).to_numpy(float)[:, None]
    y = Y.loc[lines].notna().to_numpy(float)
    return pd.DataFrame(a.T @ y, index=X.columns, columns=Y.columns)


def _fit(X: pd.DataFrame, Y: pd.DataFrame, cov: pd.DataFrame) -> pd.DataFrame:
    tab = associations(X, Y, cov, min_n=MIN_LINES)
    counts = _altered_counts(X, Y, cov).stack()
    counts.index.names = ["feature", "response"]
    return tab.join(counts.rename("n_altered"), on=["feature", "response"])


def alteration_tests(
    X: pd.DataFrame,
    resp: pd.DataFrame,
    therapy_of: dict[str, str],
    cov: pd.DataFrame,
    sem: pd.Series,
    general: pd.DataFrame | None = None,
    min_altered: int = MIN_ALTERED,
    alpha: float = FDR_ALPHA,
    margin_per_noise: float = MARGIN_PER_NOISE,
) -> pd.DataFrame:
    """One row per (alteration, response column): effect (altered - unaltered, response units), se, CI, n, n_altered,
    margin, p_pos/p_neg/p_eq and their family q-values, conclusion, call, altered_needed (module docstring).

    `therapy_of`: response column -> therapy id (only these columns are tested); `cov`: tissue (and MSI) design
    (`associations.covariate_design`); `sem`: response column -> the assay's standard error of measurement
    (`margins.noise_table`); `general`: lines x therapy general factor (`general_factor`), a covariate per therapy, or
    None. The MSI-H alteration is tested without the MSI covariate.
    """
    cols = [c for c in resp.columns if c in therapy_of]
    X_main = X.drop(columns=["MSI-H"], errors="ignore")
    frames = []
    if general is None:  # one design for every response: one pass
        if X_main.shape[1]:
            frames.append(_fit(X_main, resp[cols], cov))
        if "MSI-H" in X.columns:
            frames.append(_fit(X[["MSI-H"]], resp[cols], cov.drop(columns=["msi"], errors="ignore")))
    for tid in dict.fromkeys(therapy_of[c] for c in cols) if general is not None else ():
        own = [c for c in cols if therapy_of[c] == tid]
        c_t = cov.join(general[tid].rename("general_factor"), how="left")
        if X_main.shape[1]:
            frames.append(_fit(X_main, resp[own], c_t))
        if "MSI-H" in X.columns:
            frames.append(_fit(X[["MSI-H"]], resp[own], c_t.drop(columns=["msi"], errors="ignore")))
    tab = pd.concat(frames, ignore_index=True).rename(columns={"feature": "alteration"})
    tab["therapy"] = tab["response"].map(therapy_of)
    tab["dataset"] = tab["response"].map(lambda c: ResponseKey.parse(c).dataset)
    tab["margin"] = tab["response"].map(binary_margin(sem, margin_per_noise))
    tab["sd_y"] = tab["response"].map(resp.std(ddof=1))
    tested = tab["n_altered"] >= min_altered
    ps = one_sided_pvalues(tab["effect"], tab["se"], tab["dof"], tab["margin"])
    fam = tab["response"].to_numpy()
    for k in ("p_pos", "p_neg", "p_eq"):
        p = np.where(tested, ps[k], np.nan)
        tab[k] = p
        tab["q" + k[1:]] = family_fdr(p, fam)
    conclusion = decide(tab["q_pos"], tab["q_neg"], tab["q_eq"], alpha)
    tab["call"] = np.where(tested, pd.Series(conclusion).map(CALL_OF).to_numpy(), "too few lines")
    tab["altered_needed"] = _altered_needed(tab, tested, alpha)
    return tab


def _altered_needed(tab: pd.DataFrame, tested: pd.Series, alpha: float) -> np.ndarray:
    b, m = tab["effect"].to_numpy(float), tab["margin"].to_numpy(float)
    kind = np.where(np.abs(b) > m, np.where(b > 0, "q_pos", "q_neg"), "q_eq")
    fam = tab["response"].to_numpy()
    levels = {k: family_alpha(tab[k] < alpha, fam, alpha) for k in ("q_pos", "q_neg", "q_eq")}
    level = np.select([kind == "q_pos", kind == "q_neg"], [levels["q_pos"], levels["q_neg"]], levels["q_eq"])
    total = lines_to_decide(b, tab["se"], tab["n"], m, level)
    share = tab["n_altered"].to_numpy(float) / tab["n"].to_numpy(float)
    z = stats.norm.ppf(1 - ALPHA_ONE_SIDED) + stats.norm.ppf(POWER)
    with np.errstate(divide="ignore", invalid="ignore"):
        untested = np.ceil((z * tab["sd_y"].to_numpy(float) / m) ** 2)
    out = np.where(tab["call"] == "inconclusive", np.ceil(total * share), np.nan)
    return np.where(~tested.to_numpy(), untested, out)


def therapy_calls(tests: pd.DataFrame) -> pd.DataFrame:
    """Per (alteration, therapy): the call over its data sets (module docstring), and the deciding test's row
    (effect, CI, q of the call, data set, n, n_altered) as the evidence."""
    key = ["alteration", "therapy"]
    t = tests.assign(
        _r=tests["call"] == "resistant",
        _s=tests["call"] == "sensitive",
        _e=tests["call"] == "no effect",
        _i=tests["call"] == "inconclusive",
        _q=tests[["q_pos", "q_neg", "q_eq"]].min(axis=1),
        _ds=tests["dataset"] + ": " + tests["call"],
    )
    g = t.groupby(key, sort=False)
    flags = g[["_r", "_s", "_e", "_i"]].any()
    combined = np.select(
        [flags["_r"] & flags["_s"], flags["_r"], flags["_s"], flags["_e"], flags["_i"]],
        ["conflicting", "resistant", "sensitive", "no effect", "inconclusive"],
        "too few lines",
    )
    out = pd.DataFrame({"combined": combined, "datasets": g["_ds"].agg("; ".join)}, index=flags.index)
    t = t.join(out, on=key)
    t["_other"] = t["call"] != t["combined"]
    best = t.sort_values([*key, "_other", "_q"]).drop_duplicates(key).set_index(key).loc[out.index]
    return pd.DataFrame(
        {
            "call": out["combined"],
            "response": best["response"],
            "dataset": best["dataset"],
            "effect": best["effect"],
            "effect_sd": best["effect"] / best["sd_y"],
            "ci_low": best["ci_low"],
            "ci_high": best["ci_high"],
            "margin": best["margin"],
            "q": best["_q"],
            "n": best["n"],
            "n_altered": best["n_altered"],
            "altered_needed": best["altered_needed"],
            "datasets": out["datasets"],
        }
    ).reset_index()


def _classify(rad: str, drug_calls: dict[str, str]) -> str:
    res = [t for t, c in drug_calls.items() if c == "resistant"]
    sen = [t for t, c in drug_calls.items() if c == "sensitive"]
    if rad == "resistant" and res:
        return "cross-resistant"
    if (rad == "resistant" and sen) or (rad == "sensitive" and res):
        return "collaterally sensitive"
    if rad == "sensitive" and sen:
        return "cross-sensitive"
    if rad in ("resistant", "sensitive"):
        return "radiotherapy-only"
    if res or sen:
        return "chemotherapy-only" if rad == "no effect" else "drug effect, radiation undecided"
    return "no effect" if rad == "no effect" else "undecided"


def alteration_calls(per_therapy: pd.DataFrame, radiation: str) -> pd.DataFrame:
    """One row per alteration: radiation call, drugs resistant / sensitive / no effect / inconclusive (named),
    the call (`CALLS`) and, for undecided radiation, the altered lines needed (module docstring)."""
    rows = []
    for alt, grp in per_therapy.groupby("alteration", sort=False):
        by = dict(zip(grp["therapy"], grp["call"], strict=True))
        rad = by.pop(radiation, "not measured")
        rad_row = grp[grp["therapy"] == radiation]
        rows.append(
            {
                "alteration": alt,
                "radiation": rad,
                "call": _classify(rad, by),
                "drugs_resistant": sorted(t for t, c in by.items() if c == "resistant"),
                "drugs_sensitive": sorted(t for t, c in by.items() if c == "sensitive"),
                "drugs_no_effect": sorted(t for t, c in by.items() if c == "no effect"),
                "drugs_inconclusive": sorted(t for t, c in by.items() if c in ("inconclusive", "conflicting")),
                "radiation_altered_needed": float(rad_row["altered_needed"].iloc[0]) if len(rad_row) else np.nan,
            }
        )
    return pd.DataFrame(rows)


def bundle_inputs(cat, data=None, therapies: list[str] | None = None, tissue: str | None = None) -> dict:
    """What the answer's cell-line part needs, from the bundle: alteration indicators X and their meta table, the
    primary response matrix, response column -> therapy id, the tissue/MSI design, the SEM per response, the drugs'
    general factor per therapy, the mechanism scores (per within-tissue SD) and the noise table.

    `therapies`: keep only these catalog therapies (radiotherapy is always kept: every call is against it; the general
    factor still pools every catalog drug);
    `tissue`: keep only lines of this harmonised tissue (the tissue term then drops out).
    """
    from chemorad.bundle import datasets as ds
    from chemorad.evidence.associations import covariate_design
    from chemorad.evidence.margins import comparison_tables, noise_table
    from chemorad.evidence.responses import curve_tables, responses, therapy_columns
    from chemorad.evidence.scores import mechanism_scores

    lines = ds.cell_lines(data)
    if tissue is not None:
        lines = lines[lines["tissue"] == tissue]
    resp = responses(cat, data).reindex(lines.index)
    keep = None if therapies is None else {*therapies, cat.radiotherapy.id}
    primary = {
        c: t for t, cols in therapy_columns(cat, resp.columns).items() for c in cols if ResponseKey.parse(c).is_primary
    }
    therapy_of = {c: t for c, t in primary.items() if keep is None or t in keep}
    # the general factor always pools every catalog drug, whatever `therapies` keeps
    general = general_factor(
        resp, primary, lines["tissue"], pool={t for t in primary.values() if t != cat.radiotherapy.id}
    )
    cov = covariate_design(lines["tissue"], lines["msi"].astype(float), min_lines=5)
    genes = sorted({mk.gene for m in cat.mechanisms.values() for mk in m.markers})
    expr = ds.load_expression(data=data)
    X, meta = alteration_features(
        ds.load_genomic_features(data).reindex(lines.index),
        expr[[g for g in genes if g in expr.columns]].reindex(lines.index),
        genes,
        lines["msi"],
    )
    cols = list(therapy_of)
    noise = noise_table(cat, resp, cols, therapy_of, curve_tables(cat, cols, data), comparison_tables(cols, data))
    scores = mechanism_scores(cat, data).scores.reindex(lines.index)
    from chemorad.bundle.pide import pide_lines

    clonogenic = pide_lines(data)
    rad_cols = [c for c, t in therapy_of.items() if t == cat.radiotherapy.id]
    return {
        "clonogenic": (
            pide_comparison(clonogenic["sf2"], resp[rad_cols[0]], X) if clonogenic is not None and rad_cols else None
        ),
        "X": X,
        "meta": meta,
        "resp": resp[list(therapy_of)],
        "therapy_of": therapy_of,
        "cov": cov,
        "sem": noise["sem"],
        "noise": noise,
        "general": general,
        "scores": scores,
        "n_lines": int(len(lines)),
    }


PIDE_HREF = "https://www.ncbi.nlm.nih.gov/pmc/articles/PMC8273790/"


def pide_comparison(pide_sf2: pd.Series, yard_auc: pd.Series, X: pd.DataFrame) -> dict:
    """Yard vs PIDE where lines overlap: lines with a PIDE SF2 (per line, `bundle.pide.pide_lines`), of which in
    Yard, the Spearman rho of Yard AUC and PIDE SF2 (both higher = radioresistant) with its p-value, and the largest
    number of altered lines any alteration has among the PIDE lines (`MIN_ALTERED` are needed to test one)."""
    sf2 = pide_sf2[pide_sf2.index.isin(X.index.union(yard_auc.index))].rename("pide_sf2")
    both = pd.concat([yard_auc.rename("radiation_auc"), sf2], axis=1, join="inner").dropna()
    rho, p = stats.spearmanr(both["radiation_auc"], both["pide_sf2"]) if len(both) >= 5 else (np.nan, np.nan)
    altered = X.reindex(sf2.index).eq(1).sum()
    return {
        "n_pide_lines": int(len(sf2)),
        "n_overlap_yard": int(len(both)),
        "spearman_rho": float(rho),
        "p_value": float(p),
        "max_altered_lines": int(altered.max()) if len(altered) else 0,
        "min_altered": MIN_ALTERED,
        "href": PIDE_HREF,
    }
