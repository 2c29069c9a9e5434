"""One tumour: molecular files uploaded (or a bundle line chosen) -> predicted responses with intervals and reasons
(`chemorad.app.predict`), as pages and as `/api/predict`."""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import numpy as np
from fastapi import APIRouter, Depends, File, Form, UploadFile
from fastapi.responses import HTMLResponse

from chemorad.app.inputs import ProfileInputs, split_ids
from chemorad.app.predict import PredictionResult, predict
from chemorad.errors import ChemoradError
from chemorad.web.pages import ExplorerDep, PagesDep
from chemorad.web.services import Explorer
from chemorad.web.uploads import save_upload

router = APIRouter()
FIELDS = ("maf", "expression", "copy_number", "protein")
LEVEL = "0.9"
THERAPIES_HELP = "Comma-separated therapy ids (default: radiotherapy, cisplatin and docetaxel)."
SCALE = "auto"


def default_therapies(ex: Explorer) -> str:
    """What the form proposes: radiotherapy (the catalog's id) and two drugs often given with it."""
    return ",".join([ex.cat.radiotherapy.id, "cisplatin", "docetaxel"])


def form_defaults(ex: Explorer) -> dict:
    return {"cell_line": "", "tissue": "", "therapies": default_therapies(ex), "level": LEVEL, "scale": SCALE}


def predict_files(ex: Explorer, form: dict, paths: dict[str, Path | None]) -> PredictionResult:
    """The form and the saved uploads as `ProfileInputs`, predicted by the application layer."""
    line = form["cell_line"].strip()
    inputs = ProfileInputs(
        **paths,
        tissue=form["tissue"].strip() or None,
        cell_lines=[line] if line else None,
        scale=form["scale"],
        data=ex.data(),
        therapies=split_ids(form["therapies"]) or None,
        level=_level(form["level"]),
    )
    return predict(ex.ctx, inputs)


async def predict_upload(ex: Explorer, form: dict, uploads: dict[str, UploadFile | None]) -> PredictionResult:
    """Uploads into a temporary folder (removed afterwards); the prediction in a worker thread."""
    from starlette.concurrency import run_in_threadpool

    with tempfile.TemporaryDirectory(prefix="chemorad-upload-") as tmp:
        paths = {k: await save_upload(uploads[k], Path(tmp), k.replace("_", "-")) for k in FIELDS}
        try:
            return await run_in_threadpool(predict_files, ex, form, paths)
        except ChemoradError as exc:  # name the file as the user knows it, not its temporary copy
            msg = str(exc)
            for k, path in paths.items():
                if path is not None:
                    msg = msg.replace(str(path), uploads[k].filename or k)
            raise ChemoradError(msg) from None


@router.get("/tumour", response_class=HTMLResponse, include_in_schema=False)
def tumour_page(ex: ExplorerDep, pages: PagesDep) -> HTMLResponse:
    return pages.page("tumour.html", title="One tumour", lines=ex.cell_lines(), form=form_defaults(ex), error=None)


@dataclass(frozen=True)
class TumourForm:
    """The tumour form as posted: its text fields and its uploads (each None when not given)."""

    fields: dict[str, str | None]
    uploads: dict[str, UploadFile | None]

    def with_defaults(self, ex: Explorer) -> dict[str, str]:
        """The text fields, the therapies defaulting to the catalog's radiotherapy and two drugs."""
        therapies = self.fields["therapies"]
        return {**self.fields, "therapies": default_therapies(ex) if therapies is None else therapies}


def tumour_form(
    maf: Annotated[UploadFile | None, File()] = None,
    expression: Annotated[UploadFile | None, File()] = None,
    copy_number: Annotated[UploadFile | None, File()] = None,
    protein: Annotated[UploadFile | None, File()] = None,
    cell_line: Annotated[str, Form()] = "",
    tissue: Annotated[str, Form()] = "",
    therapies: Annotated[str | None, Form(description=THERAPIES_HELP)] = None,
    level: Annotated[str, Form()] = LEVEL,
    scale: Annotated[str, Form()] = SCALE,
) -> TumourForm:
    """The form fields of the tumour page and of /api/predict, as one dependency."""
    fields = {"cell_line": cell_line, "tissue": tissue, "therapies": therapies, "level": level, "scale": scale}
    uploads = {"maf": maf, "expression": expression, "copy_number": copy_number, "protein": protein}
    return TumourForm(fields, uploads)


TumourFormDep = Annotated[TumourForm, Depends(tumour_form)]


@router.post("/tumour", response_class=HTMLResponse, include_in_schema=False)
async def tumour_post(ex: ExplorerDep, pages: PagesDep, posted: TumourFormDep) -> HTMLResponse:
    from starlette.concurrency import run_in_threadpool

    from chemorad.report.profile_report import report_view

    form = posted.with_defaults(ex)
    try:
        result = await predict_upload(ex, form, posted.uploads)
        pred, prof, lvl = result.predictions, result.profile, result.level
        views = await run_in_threadpool(
            lambda: [report_view(ex.cat, pred, prof, s, lvl) for s in pred.scores.scores.index]
        )
    except ChemoradError as exc:
        return pages.page("tumour.html", 400, title="One tumour", lines=ex.cell_lines(), form=form, error=str(exc))
    return pages.page("prediction.html", title="Prediction", views=views)


@router.post("/api/predict", tags=["profile"])
async def predict_api(ex: ExplorerDep, posted: TumourFormDep) -> list[dict]:
    """Predicted responses with intervals and reasons (the records of `chemorad predict --format json`)."""
    from chemorad.profile.inputs import records as prediction_records

    result = await predict_upload(ex, posted.with_defaults(ex), posted.uploads)
    return json.loads(json.dumps(prediction_records(result.predictions), default=_jsonable))


@router.get("/api/cell-lines", tags=["profile"])
def cell_lines_api(ex: ExplorerDep) -> list[str]:
    """Bundle cell lines with a known tissue (choosable on the tumour page)."""
    return ex.cell_lines()


def _level(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ChemoradError(f"--level {text!r}: expected a number in (0, 1)") from None


def _jsonable(v):
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, float) and not np.isfinite(v):
        return None
    return str(v)
