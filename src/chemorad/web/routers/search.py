"""Search over genes, drugs, mechanisms and cell lines (`/search?q=`, JSON at `/api/search?q=`), closest names first
(`report.search`). Catalog genes lead to their gene page; other measured genes to their scatter."""

from __future__ import annotations

import threading

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from chemorad.report.search import Entry, search
from chemorad.web.routers._explore import bundle, explorer, render

router = APIRouter()
_LOCK = threading.Lock()


def _entries(request: Request) -> list[Entry]:
    """The searchable names, built once per server (kept on app.state)."""
    state = request.app.state
    with _LOCK:
        cached = getattr(state, "explore_search", None)
        if cached is None:
            cached = state.explore_search = _build(request)
        return cached


def _build(request: Request) -> list[Entry]:
    ex = explorer(request)
    cat = ex.cat
    out = [Entry("drug", t.id, t.name, tuple(t.datasets.values()), t.drug_class) for t in cat.therapies.values()]
    out += [Entry("mechanism", m.id, m.name) for m in cat.mechanisms.values()]
    genes = set(cat.genes())
    out += [Entry("gene", g, g, note="catalog gene") for g in sorted(genes)]
    if ex.has_data():
        b = bundle(request)
        out += [
            Entry("gene", str(g), str(g), note="measured (scatter)") for g in b.expression().columns if g not in genes
        ]
        lines = b.lines()
        for c, aliases, tissue in zip(lines.index, lines["aliases"], lines["tissue"], strict=True):
            names = tuple(str(aliases).split("; ")) if isinstance(aliases, str) else ()
            out.append(
                Entry("cell line", c, names[0] if names else c, names, tissue if isinstance(tissue, str) else "")
            )
    return out


def _href(e: Entry, catalog_genes: set[str]) -> str:
    if e.kind == "drug":
        return f"/drugs/{e.key}"
    if e.kind == "mechanism":
        return f"/mechanisms/{e.key}"
    if e.kind == "cell line":
        return f"/cell-lines/{e.key}"
    return f"/genes/{e.key}" if e.key in catalog_genes else f"/scatter?gene={e.key}"


def hits(request: Request, q: str) -> list[dict]:
    """The search results for `q`, kept per query (`Bundle.memo`) when the bundle is there."""
    if not explorer(request).has_data():
        return _hits(request, q)
    return bundle(request).memo(("search", q.strip().lower()), lambda: _hits(request, q))


def _hits(request: Request, q: str) -> list[dict]:
    genes = set(explorer(request).cat.genes())
    return [
        {"kind": e.kind, "key": e.key, "label": e.label, "note": e.note, "score": round(s, 3), "href": _href(e, genes)}
        for e, s in search(q, _entries(request))
    ]


@router.get("/search", response_class=HTMLResponse, include_in_schema=False)
def search_page(request: Request, q: str = "") -> HTMLResponse:
    return render(request, "search.html", title="Search", q=q, hits=hits(request, q))


@router.get("/api/search", tags=["catalog"])
def search_api(request: Request, q: str = "") -> list[dict]:
    """Genes, drugs, mechanisms and cell lines whose id, name or alias is closest to q, best first."""
    return hits(request, q)
