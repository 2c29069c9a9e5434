"""Each mechanism's cell-line association with each therapy, after the calibration's general-sensitivity factor.

A line that is sensitive to everything is no evidence for any one mechanism (issue 22). The calibration already has a
general factor (`model.py`): the line's log dose modifier for therapy t carries c_t0 r_i0 with a loading c_t0 > 0 on
every therapy, so r_i0 is the line's cross-resistance to all therapies. Its value per line:

    g_i = E[r_i0] = G_i E[b_0] + E[eps_i0]

with G_i the line's expression covariates (`data.ExpressionBasis`, stored in the posterior) and b_0 the general
factor's coefficients (`gs_coef[:, 0]`), eps_i0 the line's own term. The shipped posterior keeps global parameters only
(`posterior.thin_globals`), so with it g_i is the expression-predicted part G_i E[b_0]; a posterior from
`chemorad calibrate --out DIR` also has eps (`gs_eps`) for the lines it saw, and then g_i is the full posterior mean.

Association, per mechanism m and response column y (higher = more resistant, `evidence.responses`), by the exact OLS of
`evidence.associations` (statsmodels' numbers, tested there):

    y = b0 + tissue dummies + gamma g + effect * s_m + error,

s_m the mechanism's activity score per within-tissue SD (`evidence.scores`). By Frisch-Waugh-Lovell, `effect` is the
slope of y on s_m after both are residualised on [1, tissue, g]: what the mechanism does beyond general sensitivity.
Calls per test: Benjamini-Hochberg over all tests of one call (`FDR_ALPHA`) on the two-sided p; `resists` (effect > 0)
or `sensitises` (< 0) when q < FDR_ALPHA, else `open` (no margin is applied, so "no effect" is never concluded here:
`chemorad evidence` does that with the assays' noise margins). A direction's class: for `gain` the call as it is, for
`loss` its mirror (less activity moves the response the other way). Per therapy class (radiation; drugs), a mechanism's
summary is `resists` / `sensitises` when every decided test of the class agrees, `conflict` when they disagree, `open`
when none is decided, `untested` without a test (no usable marker score or too few lines).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chemorad.evidence.associations import associations, bh_fdr

__all__ = ["FDR_ALPHA", "MIN_LINES", "association_summary", "general_factor", "mechanism_associations"]

FDR_ALPHA = 0.1
MIN_LINES = 30
_MIRROR = {"resists": "sensitises", "sensitises": "resists", "open": "open"}


def general_factor(idata, expression: pd.DataFrame) -> pd.Series:
    """g_i per line of `expression` (lines x genes) from a calibration's posterior (module docstring)."""
    from chemorad.calibration.posterior import draws, expression_basis

    G = expression_basis(idata).transform(expression)  # (lines, P)
    b0 = draws(idata, "gs_coef")[:, :, 0].mean(axis=0)  # (P,)
    g = pd.Series(G @ b0, index=expression.index, name="general_factor")
    post = idata.posterior
    if "gs_eps" in post and "line" in post.coords:
        eps = pd.Series(draws(idata, "gs_eps")[:, :, 0].mean(axis=0), index=[str(x) for x in post["line"].values])
        g = g.add(eps.reindex(g.index).fillna(0.0))
    return g


def mechanism_associations(
    scores: pd.DataFrame, resp: pd.DataFrame, tissue: pd.Series, general: pd.Series | None, min_n: int = MIN_LINES
) -> pd.DataFrame:
    """One row per (mechanism, response): n, effect (response units per within-tissue SD of the score), se, CI, p,
    q (BH over all rows), call; covariates tissue dummies and, unless None, the general factor (module docstring)."""
    from chemorad.evidence.associations import covariate_design

    lines = scores.index.intersection(resp.index)
    cov = covariate_design(tissue.reindex(lines), min_lines=5)
    if general is not None:
        cov = cov.join(general.rename("general_factor"), how="left")
    tab = associations(scores.loc[lines], resp.loc[lines], cov, min_n=min_n)
    tab = tab.rename(columns={"feature": "mechanism"})
    tab["q"] = bh_fdr(tab["p_value"].to_numpy(float))
    decided = tab["q"] < FDR_ALPHA
    tab["call"] = np.where(decided, np.where(tab["effect"] > 0, "resists", "sensitises"), "open")
    return tab


def association_summary(
    tab: pd.DataFrame, therapy_of: dict[str, str], radiation: set[str], acts: dict[str, set[str]], mechanisms
) -> pd.DataFrame:
    """Per (mechanism, direction) of `mechanisms`: cell_lines_radiation and cell_lines_drugs, each the class summary of
    the module docstring over the responses of the therapies the mechanism acts on (`acts`: its chain effects'
    selectors), followed by the decided tests' count and effect range as estimated (per SD more activity), e.g.
    'resists (2 of 3 tests, +0.12 to +0.31)'; 'no chain effect' when it acts on no therapy of the class."""
    t = tab.assign(therapy=tab["response"].map(therapy_of)).dropna(subset=["therapy"])
    by_mech = dict(tuple(t.groupby("mechanism", sort=False)))
    rows = []
    for mid in mechanisms:
        grp = by_mech.get(mid, t.iloc[:0])
        on = acts.get(mid, set())
        for d in ("gain", "loss"):
            row = {"mechanism": mid, "direction": d}
            for is_rad, col in ((True, "cell_lines_radiation"), (False, "cell_lines_drugs")):
                mine = {x for x in on if (x in radiation) == is_rad}
                row[col] = _summary(grp[grp["therapy"].isin(mine)], d) if mine else "no chain effect"
            rows.append(row)
    return pd.DataFrame(rows, columns=["mechanism", "direction", "cell_lines_radiation", "cell_lines_drugs"])


def _summary(g: pd.DataFrame, direction: str) -> str:
    if g.empty:
        return "untested"
    calls = g["call"] if direction == "gain" else g["call"].map(_MIRROR)
    dec = calls[calls != "open"]
    if dec.empty:
        return f"open (0 of {len(g)} tests decided)"
    kinds = set(dec)
    cls = kinds.pop() if len(kinds) == 1 else "conflict"
    eff = g.loc[dec.index, "effect"]
    return f"{cls} ({len(dec)} of {len(g)} tests, {eff.min():+.3g} to {eff.max():+.3g})"


def cell_line_basis(cat, idata, data=None) -> pd.DataFrame:
    """`association_summary` of the bundle's lines: mechanism scores against every catalog therapy's primary response
    (`evidence.claims.PRIMARY`), after tissue and the general factor of `idata` (module docstring)."""
    from chemorad.bundle import datasets as ds
    from chemorad.evidence.claims import PRIMARY
    from chemorad.evidence.responses import responses, split, therapy_columns
    from chemorad.evidence.scores import mechanism_scores

    sc = mechanism_scores(cat, data)
    resp = responses(cat, data)
    therapy_of = {
        c: t
        for t, cols in therapy_columns(cat, resp.columns).items()
        for c in cols
        if PRIMARY.get(split(c)[0]) == split(c)[2]
    }
    expr = ds.load_expression(data=data)
    general = general_factor(idata, expr)
    tab = mechanism_associations(sc.scores, resp[list(therapy_of)], sc.tissue, general)
    from chemorad.catalog.load import selector_matches

    radiation = {t.id for t in cat.therapies.values() if t.modality == "radiation"}
    acts = {
        m.id: {t.id for t in cat.therapies.values() if any(selector_matches(e.acts_on, t) for e in m.effects)}
        for m in cat.mechanisms.values()
    }
    return association_summary(tab, therapy_of, radiation, acts, list(cat.mechanisms))
