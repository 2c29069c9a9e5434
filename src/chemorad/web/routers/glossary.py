"""The glossary (`/glossary`, CSV at `/glossary.csv`): RF, DMF, TCP, FDR, equivalence margin, SF2, AUC, ln IC50 and
the other terms the pages use, each with its formula and source (`report.glossary`)."""

from __future__ import annotations

from dataclasses import asdict

import pandas as pd
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from chemorad.report.glossary import GLOSSARY
from chemorad.web.routers._explore import csv_response, render

router = APIRouter()


@router.get("/glossary", response_class=HTMLResponse, include_in_schema=False)
def glossary_page(request: Request) -> HTMLResponse:
    return render(request, "glossary.html", title="Glossary", terms=GLOSSARY)


@router.get("/glossary.csv", include_in_schema=False)
def glossary_csv(request: Request) -> Response:
    return csv_response(pd.DataFrame([asdict(t) for t in GLOSSARY]), "glossary.csv")
