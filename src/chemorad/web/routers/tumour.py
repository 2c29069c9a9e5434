"""One tumour: molecular files uploaded (or a bundle line chosen) -> predicted responses with intervals and reasons
(`chemorad.app.predict`), as pages and as `/api/predict`.

Each sample has its own tissue: from an uploaded tissues table (sample, tissue), else the tissue chosen on the form
from the bundle's tissues. A tissue that does not map to one of the bundle's is refused with the closest ones, never
silently predicted without a tissue. Before any model is fitted, the samples are counted (`limits.MAX_SAMPLES`), and
at most `limits.PREDICT_SLOTS` predictions run at once (`limits.PREDICT_WAITING` more wait; others get 503). Errors
are in the page's words: the command-line options of the shared messages are renamed as the form's fields, and a
temporary path is replaced by the file's own name.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import numpy as np
from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse

from chemorad.app.defaults import shown_first
from chemorad.app.inputs import ProfileInputs, split_ids
from chemorad.app.predict import PredictionResult, predict
from chemorad.errors import ChemoradError
from chemorad.web import limits
from chemorad.web.pages import ExplorerDep, PagesDep
from chemorad.web.services import Explorer
from chemorad.web.uploads import save_upload, shown_name

router = APIRouter()
FIELDS = ("maf", "expression", "copy_number", "protein", "tissues")
#: the command line's words in the shared messages -> the form's (longest first, so --tissues before --tissue)
WORDING = (
    (
        "give exactly one of --profiles DIR, molecular files (--maf/--expression/--copy-number/--protein), "
        "or --cell-line NAME",
        "upload molecular files or choose a bundle cell line, not both",
    ),
    ("--profiles DIR", "a profiles folder"),
    ("--cell-line NAME", "a bundle cell line"),
    ("--copy-number", "the copy-number file"),
    ("--expression", "the expression file"),
    ("--therapies", "Therapies"),
    ("--cell-line", "Cell line"),
    ("--protein", "the protein file"),
    ("--tissues", "the tissues file"),
    ("--tissue", "Tissue"),
    ("--level", "Interval level"),
    ("--scale", "Expression scale"),
    ("--data DIR", "the data bundle"),
    ("--maf", "the mutations (MAF) file"),
)
LEVEL = "0.9"
THERAPIES_HELP = "Comma-separated therapy ids (default: radiotherapy, cisplatin and docetaxel)."
SCALE = "auto"


def default_therapies(ex: Explorer) -> str:
    """What the form proposes: radiotherapy (the catalog's id) and two drugs often given with it."""
    return ",".join([ex.cat.radiotherapy.id, *shown_first("tumour_form")])


def bundle_tissues(ex: Explorer) -> list[str]:
    """The tissues of the bundle's lines (those a prediction can be compared within)."""
    tissue = ex.tissue()
    return [] if tissue is None else sorted({str(t) for t in tissue.dropna()})


def page_words(msg: str, renames: dict[str, str]) -> str:
    """A shared message in the page's words: option names -> field names, temporary paths -> the user's names."""
    for path, name in renames.items():
        msg = msg.replace(path, name)
    for cli, page in WORDING:
        msg = msg.replace(cli, page)
    return msg


def check_samples(prof, tissues: list[str]) -> None:
    """Refuse, before any fit, too many samples or a sample whose given tissue is not one of the bundle's."""
    n = len(prof.samples)
    if n > limits.MAX_SAMPLES:
        raise ChemoradError(
            f"{n:,} samples: the web page predicts at most {limits.MAX_SAMPLES} at once "
            "(use `chemorad predict` for more)"
        )
    if prof.tissue is None or not tissues:
        return
    bad = []
    for sample, row in prof.tissue.iterrows():
        label = row.get("tissue_given", row["tissue"])
        if label is None or (isinstance(label, float) and label != label) or not str(label).strip():
            continue  # no tissue given: predicted without a tissue adjustment, as the prediction notes say
        if not bool(row.get("known", True)) or str(row["tissue"]) not in tissues:
            bad.append((str(sample), str(label)))
    if not bad:
        return
    parts = []
    for sample, label in bad[:5]:
        words = set(label.lower().replace("_", " ").split())
        close = [t for t in tissues if words & set(t.split("_"))]  # "lung adenocarcinoma" -> lung
        hint = f"closest: {', '.join(close)}" if close else f"choose one of: {', '.join(tissues)}"
        parts.append(f"sample {sample}: tissue {label!r} is not one of the bundle's tissues ({hint})")
    more = f" (and {len(bad) - 5} more)" if len(bad) > 5 else ""
    raise ChemoradError("; ".join(parts) + more)


def form_defaults(ex: Explorer) -> dict:
    return {"cell_line": "", "tissue": "", "therapies": default_therapies(ex), "level": LEVEL, "scale": SCALE}


def predict_files(ex: Explorer, form: dict, paths: dict[str, Path | None]) -> PredictionResult:
    """The form and the saved uploads as `ProfileInputs`, checked (`check_samples`) and predicted by the application
    layer."""
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
    tissues = bundle_tissues(ex)
    return predict(ex.ctx, inputs, check=lambda prof: check_samples(prof, tissues))


async def predict_upload(
    ex: Explorer, form: dict, uploads: dict[str, UploadFile | None], gate: limits.Gate
) -> PredictionResult:
    """Admitted by `gate`, uploads into a temporary folder (removed afterwards); the prediction in a worker thread."""
    from starlette.concurrency import run_in_threadpool

    async with gate:
        with tempfile.TemporaryDirectory(prefix="chemorad-upload-") as tmp:
            renames = {tmp: ""}
            try:
                paths = {k: await save_upload(uploads.get(k), Path(tmp), k.replace("_", "-")) for k in FIELDS}
                renames = {**{str(p): shown_name(uploads[k].filename) for k, p in paths.items() if p}, **renames}
                return await run_in_threadpool(predict_files, ex, form, paths)
            except ChemoradError as exc:  # the page's words; the file as the user knows it, not its temporary copy
                raise type(exc)(page_words(str(exc), renames)) from None


@router.get("/tumour", response_class=HTMLResponse, include_in_schema=False)
def tumour_page(ex: ExplorerDep, pages: PagesDep) -> HTMLResponse:
    return pages.page(
        "tumour.html",
        title="One tumour",
        lines=ex.cell_lines(),
        tissues=bundle_tissues(ex),
        form=form_defaults(ex),
        error=None,
    )


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
    tissues: Annotated[UploadFile | None, File(description="A table of sample, tissue (CSV/TSV).")] = None,
    cell_line: Annotated[str, Form()] = "",
    tissue: Annotated[str, Form()] = "",
    therapies: Annotated[str | None, Form(description=THERAPIES_HELP)] = None,
    level: Annotated[str, Form()] = LEVEL,
    scale: Annotated[str, Form()] = SCALE,
) -> TumourForm:
    """The form fields of the tumour page and of /api/predict, as one dependency."""
    fields = {"cell_line": cell_line, "tissue": tissue, "therapies": therapies, "level": level, "scale": scale}
    uploads = {"maf": maf, "expression": expression, "copy_number": copy_number, "protein": protein, "tissues": tissues}
    return TumourForm(fields, uploads)


TumourFormDep = Annotated[TumourForm, Depends(tumour_form)]


@router.post("/tumour", response_class=HTMLResponse, include_in_schema=False)
async def tumour_post(request: Request, ex: ExplorerDep, pages: PagesDep, posted: TumourFormDep) -> HTMLResponse:
    from starlette.concurrency import run_in_threadpool

    from chemorad.report.profile_report import report_view
    from chemorad.web.report_svg import SVG

    form = posted.with_defaults(ex)
    try:
        result = await predict_upload(ex, form, posted.uploads, request.app.state.predict_gate)
        pred, prof, lvl = result.predictions, result.profile, result.level
        views = await run_in_threadpool(
            lambda: [report_view(ex.cat, pred, prof, s, lvl, drawing=SVG) for s in pred.scores.scores.index]
        )
    except ChemoradError as exc:
        return pages.page(
            "tumour.html",
            503 if isinstance(exc, limits.Busy) else 400,
            title="One tumour",
            lines=ex.cell_lines(),
            tissues=bundle_tissues(ex),
            form=form,
            error=str(exc),
        )
    return pages.page("prediction.html", title="Prediction", views=views)


@router.post("/api/predict", tags=["profile"])
async def predict_api(request: Request, ex: ExplorerDep, posted: TumourFormDep) -> list[dict]:
    """Predicted responses with intervals and reasons (the records of `chemorad predict --format json`)."""
    from chemorad.profile.inputs import records as prediction_records

    result = await predict_upload(ex, posted.with_defaults(ex), posted.uploads, request.app.state.predict_gate)
    return json.loads(json.dumps(prediction_records(result.predictions), default=_jsonable))


@router.get("/api/cell-lines", tags=["profile"])
def cell_lines_api(ex: ExplorerDep) -> list[str]:
    """Bundle cell lines with a known tissue (choosable on the tumour page)."""
    return ex.cell_lines()


def _level(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ChemoradError(f"Interval level {text[:20]!r}: expected a number in (0, 1)") from None


def _jsonable(v):
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, float) and not np.isfinite(v):
        return None
    return str(v)
