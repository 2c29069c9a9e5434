"""Drug pages: `/drugs/` lists every therapy; `/drugs/{therapy}` shows its class, the mechanisms the damage chain finds
touching it, its response data sets, its response by tissue (SVG) and its strongest cell-line tests. Every table is a
CSV at `/drugs/{therapy}/{table}.csv`, the figure an SVG at `/drugs/{therapy}/tissues.svg`; `/api/drugs/{therapy}` is
the JSON twin. `?response=<column>` chooses the response shown by tissue (a permalink restores it)."""

from __future__ import annotations

import json

import pandas as pd
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from chemorad.catalog.registry import ResponseKey
from chemorad.errors import ChemoradError
from chemorad.report import drug_view as dv
from chemorad.report.html import table_view
from chemorad.web.routers._explore import bundle, csv_response, error_page, explorer, render, svg_response
from chemorad.web.svg_plots import range_chart

router = APIRouter()

TABLES = ("mechanisms", "datasets", "tissues", "tests")


def _records(df: pd.DataFrame) -> list[dict]:
    return json.loads(df.to_json(orient="records", double_precision=6))


def drug_data(request: Request, therapy: str, response: str = "") -> dict:
    """Everything the page shows for one therapy (raises `ChemoradError` for an unknown drug or response); computed
    once per (therapy, response) and kept (`Bundle.memo`)."""
    tid = dv.resolve_therapy(explorer(request).cat, therapy)
    return bundle(request).memo(("drug", tid, response), lambda: _drug_data(request, tid, response))


def _drug_data(request: Request, tid: str, response: str) -> dict:
    ex = explorer(request)
    t = ex.cat.therapies[tid]
    b = bundle(request)
    resp = b.responses()
    datasets = dv.drug_datasets(ex.cat, resp, tid)
    column = response or dv.default_column(ex.cat, resp.columns, tid)
    if column is not None and column not in set(datasets["column"]):
        choices = ", ".join(datasets["column"]) or "none"
        raise ChemoradError(f"response {response!r}: not a response of {t.name}; choose one of {choices}")
    tissues = (
        dv.tissue_distribution(resp[column], b.tissue())
        if column
        else dv.tissue_distribution(pd.Series(dtype=float), b.tissue())
    )
    return {
        "therapy": t,
        "column": column,
        "mechanisms": dv.drug_mechanisms(ex.cat, ex.resistance_factors(), tid),
        "datasets": datasets,
        "tissues": tissues,
        "tests": dv.drug_tests(ex.cat, ex.claims(), tid),
    }


def _label(column: str | None) -> str:
    return ResponseKey.parse(column).label + " (higher = more resistant)" if column else ""


def _drug_table(request: Request) -> pd.DataFrame:
    ex = explorer(request)
    if not ex.has_data():
        return dv.drug_table(ex.cat, None)
    return bundle(request).memo(("drugs",), lambda: dv.drug_table(ex.cat, bundle(request).responses()))


@router.get("/drugs/", response_class=HTMLResponse, include_in_schema=False)
def drugs_page(request: Request) -> HTMLResponse:
    table = _drug_table(request)
    hrefs = [f"/drugs/{i}" for i in table["id"]]
    return render(request, "drugs.html", title="Drugs and radiation", table=table_view(table), hrefs=hrefs)


@router.get("/drugs.csv", include_in_schema=False)
def drugs_csv(request: Request) -> Response:
    return csv_response(_drug_table(request), "drugs.csv")


@router.get("/drugs/{therapy}", response_class=HTMLResponse, include_in_schema=False)
def drug_page(request: Request, therapy: str, response: str = "") -> HTMLResponse:
    try:
        d = drug_data(request, therapy, response)
    except ChemoradError as exc:
        return error_page(request, str(exc))
    tid = d["therapy"].id
    mech_hrefs = [f"/mechanisms/{m}" for m in d["mechanisms"]["mechanism"]]
    test_hrefs = [f"/mechanisms/{m}" for m in d["tests"]["mechanism"]]
    figure = range_chart(d["tissues"], _label(d["column"])) if len(d["tissues"]) else None
    return render(
        request,
        "drug.html",
        title=d["therapy"].name,
        t=d["therapy"],
        column=d["column"],
        columns=list(d["datasets"]["column"]),
        labels={c: ResponseKey.parse(c).label for c in d["datasets"]["column"]},
        mechanisms=table_view(d["mechanisms"]),
        mech_hrefs=mech_hrefs,
        datasets=table_view(d["datasets"]),
        tissues=table_view(d["tissues"]),
        tests=table_view(d["tests"]),
        test_hrefs=test_hrefs,
        figure=figure,
        query=f"?response={d['column']}" if response else "",
        tid=tid,
    )


@router.get("/drugs/{therapy}/tissues.svg", include_in_schema=False)
def drug_svg(request: Request, therapy: str, response: str = "") -> Response:
    try:
        d = drug_data(request, therapy, response)
    except ChemoradError as exc:
        return error_page(request, str(exc))
    return svg_response(range_chart(d["tissues"], _label(d["column"])), f"{d['therapy'].id}-tissues.svg")


@router.get("/drugs/{therapy}/{table}.csv", include_in_schema=False)
def drug_csv(request: Request, therapy: str, table: str, response: str = "") -> Response:
    if table not in TABLES:
        return error_page(request, f"table {table!r}: expected one of {', '.join(TABLES)}")
    try:
        d = drug_data(request, therapy, response)
    except ChemoradError as exc:
        return error_page(request, str(exc))
    return csv_response(d[table], f"{d['therapy'].id}-{table}.csv")


@router.get("/api/drugs/{therapy}", tags=["catalog"])
def drug_api(request: Request, therapy: str, response: str = "") -> dict:
    """A therapy: class, chain mechanisms (RF), response data sets, response by tissue, strongest cell-line tests."""
    try:
        d = drug_data(request, therapy, response)
    except ChemoradError as exc:
        return JSONResponse({"error": str(exc)}, status_code=404)
    t = d["therapy"]
    return {
        "id": t.id,
        "name": t.name,
        "modality": t.modality.value,
        "class": t.drug_class,
        "mechanism_of_action": t.mechanism_of_action,
        "response": d["column"],
        **{k: _records(d[k]) for k in TABLES},
    }
