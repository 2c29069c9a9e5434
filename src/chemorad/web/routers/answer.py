"""The landing page: the answer at a glance. A verdict grid (mechanisms x chemotherapy / radiotherapy, gain and loss,
with the probability or `undetermined`), the alterations x therapies cross-resistance panel, and the evidence panel of
one cell (`?open=MECHANISM/DIRECTION`, or its own page `/answer/MECHANISM/DIRECTION`).

The tables are the `Explorer`'s cached ones: the `chemorad answer` document and the calibrated verdicts
(`app.answer.calibrated_verdicts`); `report.answer_view` only rearranges them. Rendered pages are kept per query in
the explorer's bounded memo.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from chemorad.catalog.schema import Stage
from chemorad.errors import ChemoradError
from chemorad.report import answer_view as av
from chemorad.web.pages import ExplorerDep, PagesDep, records
from chemorad.web.routers._explore import csv_response
from chemorad.web.services import Explorer

router = APIRouter()

#: alteration rows shown per page of the panel (the CSV has them all)
ALTERATION_PAGE = 100
KINDS = ("mutation", "copy-number gain", "copy-number loss", "expression high", "expression low", "MSI")


def _tables(ex: Explorer) -> tuple[dict, object]:
    doc, cal = ex.answer_doc(), ex.calibrated()
    if doc is None or cal is None:
        why = ex.error("answer_doc") or ex.error("calibrated_verdicts") or "not computed"
        raise ChemoradError(f"the answer is not available: {why}")
    return doc, cal


def _grid(ex: Explorer, verdict: str, stage: str, q: str) -> list[dict]:
    if verdict and verdict not in av.VERDICTS:
        raise ChemoradError(f"verdict {verdict!r}: expected one of {', '.join(av.VERDICTS)}")
    if stage:
        ex.cat.stage(stage)
    doc, cal = _tables(ex)
    return av.filter_grid(av.verdict_grid(ex.cat, doc, cal), verdict, stage, q)


def _alterations(ex: Explorer, gene: str, kind: str, show: str) -> tuple[list[str], list[dict]]:
    if kind and kind not in KINDS:
        raise ChemoradError(f"kind {kind!r}: expected one of {', '.join(KINDS)}")
    if show not in ("", "called", "all"):
        raise ChemoradError(f"show {show!r}: expected called or all")
    doc, _ = _tables(ex)
    return av.alteration_grid(ex.cat, doc, gene, kind, show or "called")


def alteration_href(alteration: str) -> str:
    return "/alterations/" + quote(alteration, safe="")


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def landing(  # noqa: PLR0913 - one argument per filter of the two panels
    ex: ExplorerDep,
    pages: PagesDep,
    verdict: str = "",
    stage: str = "",
    q: str = "",
    gene: str = "",
    kind: str = "",
    show: str = "",
    page: int = 1,
    open: str = "",
) -> HTMLResponse:
    key = ("landing", verdict, stage, q, gene, kind, show, page, open)

    def render() -> HTMLResponse:
        rows = _grid(ex, verdict, stage, q)
        therapies, alts = _alterations(ex, gene, kind, show)
        n_pages = max(1, -(-len(alts) // ALTERATION_PAGE))
        p = min(max(page, 1), n_pages)
        panel = None
        if open:
            mid, _, direction = open.partition("/")
            panel = av.mechanism_evidence(ex.cat, *_tables(ex), mid, direction)
            if panel is None:
                raise ChemoradError(f"open {open!r}: expected MECHANISM/gain or MECHANISM/loss")
        doc, _ = _tables(ex)
        state = {"verdict": verdict, "stage": stage, "q": q, "gene": gene, "kind": kind, "show": show}
        query = urlencode({k: v for k, v in state.items() if v})
        return pages.page(
            "answer.html",
            title="The answer at a glance",
            rows=rows,
            counts=av.verdict_counts(rows),
            verdicts=av.VERDICTS,
            states=av.STATES,
            calls=av.CALLS,
            stages=[s.value for s in Stage],
            kinds=KINDS,
            chosen=state,
            query=query,
            therapies=therapies,
            alterations=alts[(p - 1) * ALTERATION_PAGE : p * ALTERATION_PAGE],
            n_alterations=len(alts),
            alt_page=p,
            alt_pages=n_pages,
            alteration_href=alteration_href,
            panel=panel,
            doc=doc,
            names={t: ex.cat.therapies[t].name for t in therapies},
        )

    return ex.memo(key, render)


@router.get("/answer/{mid}/{direction}", response_class=HTMLResponse, include_in_schema=False)
def evidence_page(mid: str, direction: str, ex: ExplorerDep, pages: PagesDep, partial: int = 0) -> HTMLResponse:
    """One cell's evidence panel as a page (`partial=1`: the panel alone, for the landing page's script)."""
    if direction not in av.DIRECTIONS:
        return pages.error(f"direction {direction!r}: expected gain or loss", 404)
    if mid not in ex.cat.mechanisms:
        try:
            ex.cat.mechanism(mid)
        except ChemoradError as exc:
            return pages.error(str(exc), 404)
    panel = av.mechanism_evidence(ex.cat, *_tables(ex), mid, direction)
    if panel is None:
        return pages.error(f"no verdict for {mid} ({direction})", 404)
    if partial:
        html = pages.env.get_template("_evidence_panel.html").render(panel=panel, calls=av.CALLS, states=av.STATES)
        return HTMLResponse(html)
    return pages.page(
        "evidence.html", title=f"{panel['name']} ({direction}): evidence", panel=panel, calls=av.CALLS, states=av.STATES
    )


@router.get("/answer.csv", include_in_schema=False)
def grid_csv(ex: ExplorerDep, verdict: str = "", stage: str = "", q: str = "") -> Response:
    return csv_response(av.grid_table(_grid(ex, verdict, stage, q)), "answer-verdicts.csv")


@router.get("/alterations.csv", include_in_schema=False)
def alterations_csv(ex: ExplorerDep, gene: str = "", kind: str = "", show: str = "") -> Response:
    therapies, rows = _alterations(ex, gene, kind, show)
    return csv_response(av.alteration_table(therapies, rows), "answer-alterations.csv")


@router.get("/alterations/{alteration}", response_class=HTMLResponse, include_in_schema=False)
def alteration_page(alteration: str, ex: ExplorerDep, pages: PagesDep) -> HTMLResponse:
    doc, _ = _tables(ex)
    row = av.alteration_row(ex.cat, doc, alteration)
    if row is None:
        import difflib

        close = difflib.get_close_matches(alteration, [a["alteration"] for a in doc["alterations"]], n=3)
        hint = f"; closest: {', '.join(close)}" if close else ""
        return pages.error(f"unknown alteration {alteration!r}{hint}", 404)
    return pages.page("alteration.html", title=f"{row['label']}: cross-resistance", row=row, calls=av.CALLS, doc=doc)


@router.get("/api/answer", tags=["answer"])
def answer_api(ex: ExplorerDep, verdict: str = "", stage: str = "", q: str = "") -> list[dict]:
    """The verdict grid: per mechanism and direction the answer's verdict, probability (null when undetermined),
    basis, and per therapy class the calibrated state and 90% interval of the resistance factor."""
    return records(av.grid_table(_grid(ex, verdict, stage, q)))


@router.get("/api/alterations", tags=["answer"])
def alterations_api(ex: ExplorerDep, gene: str = "", kind: str = "", show: str = "") -> list[dict]:
    """Alterations x therapies: the cell-line call per therapy and the cross-resistance call (`show=all` for the
    undecided ones too)."""
    therapies, rows = _alterations(ex, gene, kind, show)
    return records(av.alteration_table(therapies, rows))
