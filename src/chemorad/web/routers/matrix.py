"""The claims matrix (/matrix): mechanism x therapy (claim, model, evidence, agreement), and the server's status."""

from __future__ import annotations

import pandas as pd
from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from chemorad.catalog.schema import Stage
from chemorad.errors import ChemoradError
from chemorad.report.answer import AGREEMENTS, EVIDENCE, filter_matrix
from chemorad.web.pages import ExplorerDep, PagesDep, records
from chemorad.web.services import Explorer

router = APIRouter()

#: a symbol per agreement (`report.answer.AGREEMENTS` order), so that a cell is not told by its colour alone
AGREEMENT_SYMBOLS = ("✓✓", "✓", "≠", "✗", "!")


def matrix_data(ex: Explorer, stage: str | None, therapy: str | None, verdict: str | None) -> pd.DataFrame:
    if stage:
        ex.cat.stage(stage)
    if therapy and therapy not in ("drug", "radiation"):
        ex.cat.therapy(therapy)
    if verdict and verdict not in EVIDENCE:
        raise ChemoradError(f"verdict {verdict!r}: expected one of {', '.join(EVIDENCE)}")
    return filter_matrix(ex.answer(), stage or None, therapy or None, verdict or None)


@router.get("/matrix", response_class=HTMLResponse, include_in_schema=False)
def matrix_page(
    ex: ExplorerDep, pages: PagesDep, stage: str = "", therapy: str = "", verdict: str = ""
) -> HTMLResponse:
    # rendered once per query while the tables last (the explorer's bounded memo)
    return ex.memo(("matrix", stage, therapy, verdict), lambda: _matrix_page(ex, pages, stage, therapy, verdict))


def _matrix_page(ex: Explorer, pages, stage: str, therapy: str, verdict: str) -> HTMLResponse:
    m = matrix_data(ex, stage, therapy, verdict)
    therapies = list(dict.fromkeys(m["therapy"]))
    cells = {(r["mechanism"], r["therapy"]): r for r in m.to_dict("records")}
    mechs = [ex.cat.mechanisms[mid] for mid in dict.fromkeys(m["mechanism"])]
    return pages.page(
        "matrix.html",
        title="Claims, model and data per therapy",
        mechanisms=mechs,
        therapies=therapies,
        cells=cells,
        stages=[s.value for s in Stage],
        all_therapies=list(ex.cat.therapies),
        verdicts=EVIDENCE,
        agreements=AGREEMENTS,
        agreement_symbols=AGREEMENT_SYMBOLS,
        counts=m["agreement"].value_counts().to_dict(),
        chosen={"stage": stage, "therapy": therapy, "verdict": verdict},
        claims_error=ex.error("claims"),
    )


@router.get("/api/matrix", tags=["answer"])
def matrix_api(ex: ExplorerDep, stage: str = "", therapy: str = "", verdict: str = "") -> list[dict]:
    """Mechanism x therapy cells: claim, model resistance factor, evidence verdict, agreement (filterable)."""
    return records(matrix_data(ex, stage, therapy, verdict))


@router.get("/api/status", tags=["server"])
def status(ex: ExplorerDep) -> dict:
    """Which cached tables are ready, how long each took, and whether the data bundle was found."""
    # "conditional": the conditional view (chemorad.app.conditional) is part of every version since it was added
    return {"data": ex.has_data(), "tables": ex.status(), "conditional": True}
