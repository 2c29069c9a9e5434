"""The scatter page: a gene's expression (or its mutation status, as a strip plot) against a response over the cell
lines, coloured and shaped by tissue, with Spearman's rho. The query string is the state (a permalink):
`/scatter?gene=ABCB1&response=gdsc2|Docetaxel|ln_ic50&tissue=lung&tissue=breast&kind=expression`; `response` may also be
a therapy (its preferred primary response). The tissue filter is a form applied with its button (choosing with the
arrow keys does not reload). `/scatter.csv` and `/scatter.svg` take the same query."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import pandas as pd
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from chemorad.catalog.registry import ResponseKey
from chemorad.errors import ChemoradError, unknown
from chemorad.report import drug_view as dv
from chemorad.report.html import table_view
from chemorad.report.scatter_view import Correlation, scatter_table, spearman
from chemorad.web.routers._explore import bundle, csv_response, error_page, explorer, render, svg_response
from chemorad.web.svg_plots import scatter_plot

router = APIRouter()
KINDS = ("expression", "mutation")
#: a repeated query parameter (?tissue=lung&tissue=breast)
Tissues = Annotated[list[str] | None, Query()]


@dataclass(frozen=True)
class View:
    gene: str
    kind: str
    response: str
    tissues: tuple[str, ...]
    table: pd.DataFrame
    corr: Correlation

    @property
    def xlabel(self) -> str:
        return f"{self.gene} mutation" if self.kind == "mutation" else f"{self.gene} expression (GDSC RMA)"

    @property
    def ylabel(self) -> str:
        return ResponseKey.parse(self.response).label

    def query(self) -> str:
        from urllib.parse import urlencode

        pairs = [("gene", self.gene), ("kind", self.kind), ("response", self.response)]
        return urlencode(pairs + [("tissue", t) for t in self.tissues])


def _response_column(request: Request, text: str) -> str:
    ex = explorer(request)
    cols = bundle(request).responses().columns
    text = text.strip() or ex.cat.radiotherapy.id  # radiation is the default response
    if text in cols:
        return text
    try:
        tid = dv.resolve_therapy(ex.cat, text)
    except ChemoradError:
        raise unknown("response", text, list(cols)) from None
    col = dv.default_column(ex.cat, cols, tid)
    if col is None:
        raise ChemoradError(f"response {text!r}: no response data for {ex.cat.therapies[tid].name} in this bundle")
    return col


def _feature(request: Request, gene: str, kind: str) -> tuple[str, pd.Series]:
    b = bundle(request)
    if kind not in KINDS:
        raise ChemoradError(f"kind {kind!r}: expected one of {', '.join(KINDS)}")
    matrix = b.expression() if kind == "expression" else b.mutations()
    by_upper = {str(c).upper(): c for c in matrix.columns}
    key = by_upper.get(gene.strip().upper())
    if key is None and kind == "mutation":  # a driver called only in the GDSC genomic features (`<GENE>_mut`)
        drivers = {str(c).removesuffix("_mut").upper(): c for c in b.features().columns if str(c).endswith("_mut")}
        col = drivers.get(gene.strip().upper())
        if col is not None:
            return str(col).removesuffix("_mut"), pd.to_numeric(b.features()[col], errors="coerce")
    if key is None:
        what = "GDSC expression (measured, not floor)" if kind == "expression" else "GDSC mutation calls or drivers"
        hint = unknown("gene", gene.strip(), matrix.columns)
        raise ChemoradError(f"{hint} (not in the {what})")
    return str(key), matrix[key].astype(float)


def make_view(request: Request, gene: str, response: str, tissue: list[str] | None, kind: str) -> View:
    """The view of one query (raises `ChemoradError` for an unknown gene, response or tissue), kept per query."""
    key = ("scatter", gene.strip().upper(), response.strip(), tuple(tissue or ()), kind)
    return bundle(request).memo(key, lambda: _make_view(request, gene, response, tissue or [], kind))


def figure(request: Request, view: View):
    key = ("scatter-svg", view.query())
    return bundle(request).memo(
        key, lambda: scatter_plot(view.table, view.xlabel, view.ylabel, view.kind == "mutation")
    )


def _make_view(request: Request, gene: str, response: str, tissue: list[str], kind: str) -> View:
    column = _response_column(request, response)
    symbol, feature = _feature(request, gene, kind)
    known = set(bundle(request).tissue().dropna()) | {"unknown"}
    bad = [t for t in tissue if t and t not in known]
    if bad:
        raise unknown("tissue", bad[0], sorted(known))
    tissues = tuple(t for t in tissue if t)
    table = scatter_table(feature, bundle(request).responses()[column], bundle(request).tissue(), tissues)
    return View(symbol, kind, column, tissues, table, spearman(table["x"], table["y"]))


@router.get("/scatter", response_class=HTMLResponse, include_in_schema=False)
def scatter_page(
    request: Request,
    gene: str = "",
    response: str = "",
    tissue: Tissues = None,
    kind: str = "expression",
) -> HTMLResponse:
    b = bundle(request)
    ctx = {
        "tissues": sorted(b.tissue().dropna().unique()),
        "columns": list(b.responses().columns),
        "labels": {c: ResponseKey.parse(c).label for c in b.responses().columns},
        "form": {"gene": gene, "response": response, "tissue": tissue or [], "kind": kind},
        "kinds": KINDS,
        "view": None,
        "error": None,
    }
    if not gene.strip():
        return render(request, "scatter.html", title="Scatter: a gene against a response", **ctx)
    try:
        view = make_view(request, gene, response, tissue, kind)
    except ChemoradError as exc:
        return render(
            request, "scatter.html", 404, title="Scatter: a gene against a response", **{**ctx, "error": str(exc)}
        )
    ctx.pop("view")  # given below
    ctx["form"] = {"gene": view.gene, "response": view.response, "tissue": list(view.tissues), "kind": view.kind}
    return render(
        request,
        "scatter.html",
        title=f"{view.gene} against {view.ylabel}",
        **ctx,
        view=view,
        figure=figure(request, view),
        table=table_view(view.table),
        line_hrefs=[f"/cell-lines/{c}" for c in view.table["cell_line"]],
        query=view.query(),
    )


@router.get("/scatter.csv", include_in_schema=False)
def scatter_csv(
    request: Request,
    gene: str = "",
    response: str = "",
    tissue: Tissues = None,
    kind: str = "expression",
) -> Response:
    try:
        view = make_view(request, gene, response, tissue, kind)
    except ChemoradError as exc:
        return error_page(request, str(exc))
    return csv_response(view.table, f"scatter-{view.gene}-{view.kind}.csv")


@router.get("/scatter.svg", include_in_schema=False)
def scatter_svg(
    request: Request,
    gene: str = "",
    response: str = "",
    tissue: Tissues = None,
    kind: str = "expression",
) -> Response:
    try:
        view = make_view(request, gene, response, tissue, kind)
    except ChemoradError as exc:
        return error_page(request, str(exc))
    return svg_response(figure(request, view), "scatter.svg")
