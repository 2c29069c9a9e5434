"""Cell-line pages: `/cell-lines/` lists the bundle's lines; `/cell-lines/{name}` shows a line's tissue, driver
mutations, the expression of the catalog's genes, its responses with the percentile among its tissue, and its radiation
survival curve with the linear-quadratic fits (server-rendered SVG). Any spelling of a name is accepted and redirected
to the canonical one. Tables as CSV at `/cell-lines/{name}/{table}.csv`, the curve as SVG at
`/cell-lines/{name}/survival.svg`; `/api/cell-lines/{name}` is the JSON twin."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from chemorad.errors import ChemoradError
from chemorad.evidence.curves import lq_survival
from chemorad.report import line_view as lv
from chemorad.report.html import table_view
from chemorad.web.routers._explore import bundle, csv_response, error_page, explorer, render, svg_response
from chemorad.web.svg_plots import survival_plot

router = APIRouter()

TABLES = ("responses", "expression", "survival")
FINE_DOSES = np.linspace(0.0, 10.0, 101)


def _records(df: pd.DataFrame) -> list[dict]:
    return json.loads(df.to_json(orient="records", double_precision=6))


def line_data(request: Request, name: str) -> dict:
    """Everything the page shows for one line (raises `ChemoradError` for an unknown line); computed once per line
    and kept (`Bundle.memo`)."""
    line = lv.resolve_line(name, bundle(request).lines())
    return bundle(request).memo(("line", line), lambda: _line_data(request, line))


def _line_data(request: Request, line: str) -> dict:
    ex = explorer(request)
    b = bundle(request)
    lines = b.lines()
    tissue = b.tissue()
    row = lines.loc[line]
    curve = lv.survival_curve(b.yard(), b.radiogx(), line) if line in b.yard().index else None
    return {
        "line": line,
        "display": str(row["aliases"]).split("; ")[0] if isinstance(row["aliases"], str) else line,
        "aliases": row["aliases"],
        "tissue": row["tissue"] if isinstance(row["tissue"], str) else None,
        "msi": None if pd.isna(row["msi"]) else bool(row["msi"]),
        "peers": int((tissue == row["tissue"]).sum()) if isinstance(row["tissue"], str) else 0,
        "datasets": [c.removeprefix("in_") for c in lines.columns if c.startswith("in_") and bool(row[c])],
        "drivers": lv.driver_mutations(b.features(), line),
        "responses": lv.line_responses(ex.cat, b.responses(), tissue, line),
        "expression": lv.gene_expression(b.expression(), tissue, line, ex.cat.genes()),
        "curve": curve,
    }


def _survival_table(curve: lv.SurvivalCurve | None) -> pd.DataFrame:
    return curve.points if curve is not None else pd.DataFrame(columns=["dose_gy", "sf", "sf_lq"])


def _figure(d: dict):
    if "figure" not in d:  # drawn once per line (d is the memoised record)
        d["figure"] = _draw(d)
    return d["figure"]


def _draw(d: dict):
    c = d["curve"]
    if c is None:
        return None
    curves = [(f"LQ fit (chemorad): alpha {c.alpha:.3g}, beta {c.beta:.3g}", FINE_DOSES, c.fitted(FINE_DOSES))]
    if c.radiogx is not None:
        a, b = c.radiogx
        curves.append((f"LQ fit (RadioGx): alpha {a:.3g}, beta {b:.3g}", FINE_DOSES, lq_survival(FINE_DOSES, a, b)))
    return survival_plot(c.points, curves, f"Radiation survival of {d['display']}")


def _unknown(request: Request, exc: ChemoradError) -> HTMLResponse:
    return error_page(request, str(exc))


@router.get("/cell-lines/", response_class=HTMLResponse, include_in_schema=False)
def lines_page(request: Request) -> HTMLResponse:
    table = _line_table(request)
    view = bundle(request).memo(("lines-view",), lambda: table_view(table))
    hrefs = [f"/cell-lines/{c}" for c in table["cell_line"]]
    return render(request, "cell_lines.html", title="Cell lines", table=view, hrefs=hrefs)


def _line_table(request: Request) -> pd.DataFrame:
    return bundle(request).memo(("lines",), lambda: _make_line_table(request))


def _make_line_table(request: Request) -> pd.DataFrame:
    lines = bundle(request).lines()
    names = [str(a).split("; ")[0] if isinstance(a, str) else c for c, a in lines["aliases"].items()]
    return pd.DataFrame(
        {
            "name": names,
            "cell_line": lines.index,
            "tissue": lines["tissue"].to_numpy(),
            "radiation": lines["in_yard"].to_numpy(),
            "gdsc": (lines["in_gdsc1"] | lines["in_gdsc2"]).to_numpy(),
            "in_ctrp": lines["in_ctrp"].to_numpy(),
            "datasets": lines["n_datasets"].to_numpy(),
        }
    )


@router.get("/cell-lines.csv", include_in_schema=False)
def lines_csv(request: Request) -> Response:
    return csv_response(_line_table(request), "cell-lines.csv")


@router.get("/cell-lines/{name}", response_class=HTMLResponse, include_in_schema=False)
def line_page(request: Request, name: str):
    try:
        d = line_data(request, name)
    except ChemoradError as exc:
        return _unknown(request, exc)
    if d["line"] != name:
        return RedirectResponse(f"/cell-lines/{d['line']}", status_code=307)
    resp_hrefs = [f"/drugs/{i}" if i else "" for i in d["responses"]["id"]]
    expr_hrefs = [f"/scatter?gene={g}" for g in d["expression"]["gene"]]
    return render(
        request,
        "cell_line.html",
        title=f"{d['display']} ({d['tissue'] or 'tissue unknown'})",
        d=d,
        responses=table_view(d["responses"].drop(columns=["id"])),
        resp_hrefs=resp_hrefs,
        expression=table_view(d["expression"]),
        expr_hrefs=expr_hrefs,
        survival=table_view(_survival_table(d["curve"])),
        figure=_figure(d),
    )


@router.get("/cell-lines/{name}/survival.svg", include_in_schema=False)
def line_svg(request: Request, name: str) -> Response:
    try:
        d = line_data(request, name)
    except ChemoradError as exc:
        return _unknown(request, exc)
    figure = _figure(d)
    if figure is None:
        return error_page(request, f"cell line {d['display']!r}: not in the radiation screen (Yard et al. 2016)")
    return svg_response(figure, f"{d['line']}-survival.svg")


@router.get("/cell-lines/{name}/{table}.csv", include_in_schema=False)
def line_csv(request: Request, name: str, table: str) -> Response:
    if table not in TABLES:
        return error_page(request, f"table {table!r}: expected one of {', '.join(TABLES)}")
    try:
        d = line_data(request, name)
    except ChemoradError as exc:
        return _unknown(request, exc)
    df = _survival_table(d["curve"]) if table == "survival" else d[table]
    return csv_response(df, f"{d['line']}-{table}.csv")


@router.get("/api/cell-lines/{name}", tags=["profile"])
def line_api(request: Request, name: str):
    """A cell line: tissue, MSI, data sets, driver mutations, responses with tissue percentiles, catalog-gene
    expression, and its radiation survival points with the LQ fits."""
    try:
        d = line_data(request, name)
    except ChemoradError as exc:
        return JSONResponse({"error": str(exc)}, status_code=404)
    c = d["curve"]
    lq = None if c is None else {"alpha": c.alpha, "beta": c.beta, "sf2": c.sf2, "r_squared": c.r_squared}
    if c is not None and c.radiogx is not None:
        lq["radiogx_alpha"], lq["radiogx_beta"] = c.radiogx
    return {
        "cell_line": d["line"],
        "name": d["display"],
        "aliases": d["aliases"],
        "tissue": d["tissue"],
        "msi": d["msi"],
        "datasets": d["datasets"],
        "driver_mutations": d["drivers"],
        "responses": _records(d["responses"]),
        "expression": _records(d["expression"]),
        "survival": _records(_survival_table(c)),
        "lq_fit": lq,
    }
