"""Mechanism and gene pages: a mechanism's card, its matrix cells, evidence tests and perturbation experiments; a
gene's mechanisms and the therapies that name it."""

from __future__ import annotations

import numpy as np
import pandas as pd
from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse

from chemorad.errors import ChemoradError
from chemorad.report.html import table_view
from chemorad.web.pages import ExplorerDep, PagesDep, records
from chemorad.web.services import Explorer
from chemorad.web.svg import Bar, bar_chart

router = APIRouter()


def mechanism_data(ex: Explorer, mid: str) -> dict:
    from chemorad.catalog.views import mechanism_record

    m = ex.cat.mechanism(mid)
    cells = ex.answer()
    cells = cells[cells["mechanism"] == mid]
    claims = ex.claims()
    tests = (
        claims[claims["mechanism"] == mid].drop(columns=["sources", "compound"])
        if claims is not None
        else pd.DataFrame()
    )
    return {
        "card": mechanism_record(ex.cat, m),
        "cells": records(cells),
        "tests": records(tests) if len(tests) else [],
        "perturbations": ex.perturbations(mechanism=mid),
    }


@router.get("/mechanisms/{mid}", response_class=HTMLResponse, include_in_schema=False)
def mechanism_page(mid: str, ex: ExplorerDep, pages: PagesDep) -> HTMLResponse:
    return ex.memo(("mechanism", mid), lambda: _mechanism_page(mid, ex, pages))  # once per mechanism (bounded memo)


def _mechanism_page(mid: str, ex: Explorer, pages) -> HTMLResponse:
    if mid not in ex.cat.mechanisms:
        return pages.error(str(_unknown(lambda: ex.cat.mechanism(mid))), 404)
    d = mechanism_data(ex, mid)
    bars = [
        Bar(
            c["therapy"],
            float(np.log2(c["model_rf"])),
            tooltip=f"{c['therapy']}: RF {c['model_rf']:.3g} ({c['model_condition']}); claim {c['claim']}; "
            f"evidence {c['evidence']}",
        )
        for c in d["cells"]
    ]
    lim = max([abs(b.value) for b in bars] + [1.0])
    claims = ex.claims()
    tests = claims[claims["mechanism"] == mid] if claims is not None else pd.DataFrame()
    shown = ["claim", "therapy", "dataset", "metric", "expected", "effect_sd", "fdr", "n", "verdict", "reason"]
    return pages.page(
        "mechanism.html",
        title=d["card"]["name"],
        m=d["card"],
        rf_chart=bar_chart(bars, "log2 resistance factor (damage chain, mechanism alone)", -lim, lim),
        tests=table_view(tests[shown]) if len(tests) else None,
        perturbations=d["perturbations"],
        claims_error=ex.error("claims"),
    )


@router.get("/api/mechanisms", tags=["catalog"])
def mechanisms_api(ex: ExplorerDep) -> list[dict]:
    """Every mechanism: id, name, stages, direction, markers."""
    from chemorad.catalog.views import mechanism_record

    keep = ("id", "name", "stages", "direction", "markers", "therapies")
    return [{k: mechanism_record(ex.cat, m)[k] for k in keep} for m in ex.cat.mechanisms.values()]


@router.get("/api/mechanisms/{mid}", tags=["catalog"])
def mechanism_api(mid: str, ex: ExplorerDep) -> dict:
    """One mechanism: its card, its matrix cells, its evidence tests and perturbation experiments."""
    return mechanism_data(ex, mid)


def gene_data(ex: Explorer, symbol: str) -> dict:
    from chemorad.catalog.views import mechanism_record, therapy_record

    g = ex.cat.gene(symbol)
    return {
        "gene": g,
        "mechanisms": [
            {k: mechanism_record(ex.cat, m)[k] for k in ("id", "name", "stages", "markers")}
            for m in ex.cat.mechanisms_for_gene(g)
        ],
        "therapies": [
            {k: therapy_record(t)[k] for k in ("id", "name", "transporter_substrates", "targets")}
            for t in ex.cat.therapies_for_gene(g)
        ],
        "perturbations": ex.perturbations(gene=g),
    }


@router.get("/genes/", include_in_schema=False)
def gene_search(q: str = "") -> RedirectResponse:
    return RedirectResponse(f"/genes/{q.strip() or '-'}", status_code=303)


@router.get("/genes/{symbol}", response_class=HTMLResponse, include_in_schema=False)
def gene_page(symbol: str, ex: ExplorerDep, pages: PagesDep) -> HTMLResponse:
    return ex.memo(("gene", symbol), lambda: _gene_page(symbol, ex, pages))  # once per gene (bounded memo)


def _gene_page(symbol: str, ex: Explorer, pages) -> HTMLResponse:
    try:
        d = gene_data(ex, symbol)
    except ChemoradError as exc:
        return pages.error(str(exc), 404)
    return pages.page("gene.html", title=d["gene"], g=d)


@router.get("/api/genes/{symbol}", tags=["catalog"])
def gene_api(symbol: str, ex: ExplorerDep) -> dict:
    """A gene: the mechanisms it marks (with the alteration) and the therapies that name it."""
    return gene_data(ex, symbol)


def _unknown(fn) -> ChemoradError:
    try:
        fn()
    except ChemoradError as exc:
        return exc
    return ChemoradError("not found")
