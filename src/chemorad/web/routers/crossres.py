"""Cross-resistance: radiation vs each drug response (partial r given tissue), and the conditional view (an observed
response to one therapy -> predicted responses to the others, `chemorad.app.conditional`)."""

from __future__ import annotations

import pandas as pd
from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from chemorad.app.conditional import ConditionalQuery, EvidenceData, conditional
from chemorad.app.inputs import split_ids
from chemorad.errors import ChemoradError
from chemorad.report.html import table_view
from chemorad.web.pages import ExplorerDep, PagesDep, records
from chemorad.web.services import Explorer
from chemorad.web.svg import Bar, bar_chart

router = APIRouter()
N_BOOT = 100  # bootstrap resamples of the conditional view (a page answers in seconds)
MAX_CACHED = 256  # conditional queries kept per server


def crossres_table(ex: Explorer) -> pd.DataFrame:
    table = ex.crossres()
    if table is None:
        raise ChemoradError(ex.error("crossres") or "cross-resistance needs the data bundle (--data DIR)")
    from chemorad.report.evidence_figures import crossres_labels

    labels = crossres_labels(ex.cat, list(table["response_b"]))
    return table.assign(drug=table["response_b"].map(labels)).sort_values("partial_r", ascending=False)


def conditional_table(ex: Explorer, observed: str, targets: str) -> pd.DataFrame:
    """The conditional for the page and the API, on the server's cached tables (targets empty: the defaults),
    computed once per server (the explorer's bundle) and query and kept (at most `MAX_CACHED` queries; a refused
    query is not kept)."""
    cache = vars(ex).setdefault("_conditional_cache", {})
    key = (observed.strip(), tuple(split_ids(targets) or ()))
    if key not in cache:
        if len(cache) >= MAX_CACHED:
            cache.pop(next(iter(cache)))
        cache[key] = _conditional(ex, *key)
    return cache[key]


def _conditional(ex: Explorer, observed: str, targets: tuple[str, ...]) -> pd.DataFrame:
    tables = ex.evidence_tables()
    if tables is None:
        raise ChemoradError(ex.error("evidence_tables") or "the conditional view needs the data bundle (--data DIR)")
    sc, resp, _ = tables
    evidence = EvidenceData(sc.scores, resp, ex.tissue())
    query = ConditionalQuery(observed, list(targets) or None, n_boot=N_BOOT, seed=0)
    return conditional(ex.ctx, query, evidence=evidence).table


@router.get("/crossres", response_class=HTMLResponse, include_in_schema=False)
def crossres_page(ex: ExplorerDep, pages: PagesDep, observed: str = "", targets: str = "") -> HTMLResponse:
    # rendered once per query while the tables last (the explorer's bounded memo)
    return ex.memo(("crossres", observed, targets), lambda: _crossres_page(ex, pages, observed, targets))


def _crossres_page(ex: Explorer, pages, observed: str, targets: str) -> HTMLResponse:
    table = crossres_table(ex)
    bars = [
        Bar(
            r.drug,
            r.partial_r,
            r.ci_low,
            r.ci_high,
            tooltip=f"radiotherapy vs {r.drug}: partial r {r.partial_r:.3f} [{r.ci_low:.3f}, {r.ci_high:.3f}], "
            f"FDR {r.fdr:.2g}, n {r.n}; mediators: {r.explained_by or '-'}",
        )
        for r in table.itertuples()
    ]
    shown = table[["drug", "n", "partial_r", "ci_low", "ci_high", "fdr", "explained_by"]]
    cond = {"available": True, "observed": observed, "targets": targets, "table": None, "error": None}
    if observed:
        try:
            cond["table"] = table_view(conditional_table(ex, observed, targets))
        except ChemoradError as exc:
            cond["error"] = str(exc)
    return pages.page(
        "crossres.html",
        title="Cross-resistance",
        chart=bar_chart(bars, "partial correlation with radiation response, given tissue (95% CI)", -1, 1),
        table=table_view(shown),
        cond=cond,
        therapies=list(ex.cat.therapies),
    )


@router.get("/api/crossres", tags=["evidence"])
def crossres_api(ex: ExplorerDep) -> list[dict]:
    """Radiation vs each drug response: partial r given tissue, bootstrap CI, FDR, mediating mechanisms."""
    return records(crossres_table(ex).drop(columns=["therapy_a", "therapy_b"]))


@router.get("/api/conditional", tags=["evidence"])
def conditional_api(ex: ExplorerDep, observed: str, targets: str = "") -> list[dict]:
    """Given an observed response (e.g. cisplatin=resistant), predicted percentiles of the other therapies."""
    return records(conditional_table(ex, observed, targets))
