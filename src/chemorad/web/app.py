"""The FastAPI application: HTML pages (Jinja2, the report's templates included) and the JSON API under /api/.

`create_app(explorer)` builds it; `chemorad serve` runs it with uvicorn on 127.0.0.1. Swagger UI and ReDoc are off
(they load scripts from a CDN); the OpenAPI schema is served at /api/openapi.json and listed on the /api page.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
from fastapi import FastAPI, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from chemorad.catalog.schema import Stage
from chemorad.errors import ChemoradError
from chemorad.report.answer import AGREEMENTS, EVIDENCE, filter_matrix
from chemorad.report.html import TEMPLATES as REPORT_TEMPLATES
from chemorad.report.html import make_environment, table_view
from chemorad.web import conditional, runs
from chemorad.web.jobs import Jobs
from chemorad.web.routers import cell_lines, drugs, glossary, scatter, search
from chemorad.web.services import Explorer
from chemorad.web.svg import Bar, bar_chart
from chemorad.web.uploads import save_upload

HERE = Path(__file__).parent
FIELDS = ("maf", "expression", "copy_number", "protein")
DEFAULT_THERAPIES = "radiotherapy,cisplatin,docetaxel"


def records(df: pd.DataFrame) -> list[dict]:
    """JSON-ready records: NaN -> null, NumPy scalars -> Python numbers."""
    return json.loads(df.to_json(orient="records", double_precision=6))


def create_app(ex: Explorer) -> FastAPI:
    app = FastAPI(
        title="chemorad",
        summary="Chemotherapy and radiotherapy resistance: mechanisms, evidence, one tumour's prediction.",
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.explorer = ex
    app.state.jobs = Jobs(ex.cat)
    env = make_environment(HERE / "templates", REPORT_TEMPLATES)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    def page(name: str, status: int = 200, **ctx) -> HTMLResponse:
        return HTMLResponse(env.get_template(name).render(has_data=ex.has_data(), **ctx), status_code=status)

    def error_page(message: str, status: int = 400) -> HTMLResponse:
        return page("error.html", status=status, title="Error", message=message)

    @app.exception_handler(ChemoradError)
    async def chemorad_error(request: Request, exc: ChemoradError):
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": str(exc)}, status_code=400)
        return error_page(str(exc))

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return Response(status_code=204)

    # ------------------------------------------------------------------------------------------- the matrix
    def matrix_data(stage: str | None, therapy: str | None, verdict: str | None) -> pd.DataFrame:
        if stage:
            ex.cat.stage(stage)
        if therapy and therapy not in ("drug", "radiation"):
            ex.cat.therapy(therapy)
        if verdict and verdict not in EVIDENCE:
            raise ChemoradError(f"verdict {verdict!r}: expected one of {', '.join(EVIDENCE)}")
        return filter_matrix(ex.answer(), stage or None, therapy or None, verdict or None)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def matrix_page(stage: str = "", therapy: str = "", verdict: str = "") -> HTMLResponse:
        m = matrix_data(stage, therapy, verdict)
        therapies = list(dict.fromkeys(m["therapy"]))
        cells = {(r["mechanism"], r["therapy"]): r for r in m.to_dict("records")}
        mechs = [ex.cat.mechanisms[mid] for mid in dict.fromkeys(m["mechanism"])]
        return page(
            "matrix.html",
            title="The answer at a glance",
            mechanisms=mechs,
            therapies=therapies,
            cells=cells,
            stages=[s.value for s in Stage],
            all_therapies=list(ex.cat.therapies),
            verdicts=EVIDENCE,
            agreements=AGREEMENTS,
            counts=m["agreement"].value_counts().to_dict(),
            chosen={"stage": stage, "therapy": therapy, "verdict": verdict},
            claims_error=ex.error("claims"),
        )

    @app.get("/api/matrix", tags=["answer"])
    def matrix_api(stage: str = "", therapy: str = "", verdict: str = "") -> list[dict]:
        """Mechanism x therapy cells: claim, model resistance factor, evidence verdict, agreement (filterable)."""
        return records(matrix_data(stage, therapy, verdict))

    @app.get("/api/status", tags=["server"])
    def status() -> dict:
        """Which cached tables are ready, how long each took, and whether the data bundle was found."""
        return {"data": ex.has_data(), "tables": ex.status(), "conditional": conditional.provider() is not None}

    # --------------------------------------------------------------------------------- mechanisms and genes
    def mechanism_data(mid: str) -> dict:
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

    @app.get("/mechanisms/{mid}", response_class=HTMLResponse, include_in_schema=False)
    def mechanism_page(mid: str) -> HTMLResponse:
        if mid not in ex.cat.mechanisms:
            return error_page(str(_unknown(lambda: ex.cat.mechanism(mid))), 404)
        d = mechanism_data(mid)
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
        return page(
            "mechanism.html",
            title=d["card"]["name"],
            m=d["card"],
            rf_chart=bar_chart(bars, "log2 resistance factor (damage chain, mechanism alone)", -lim, lim),
            tests=table_view(tests[shown]) if len(tests) else None,
            perturbations=d["perturbations"],
            claims_error=ex.error("claims"),
        )

    @app.get("/api/mechanisms", tags=["catalog"])
    def mechanisms_api() -> list[dict]:
        """Every mechanism: id, name, stages, direction, markers."""
        from chemorad.catalog.views import mechanism_record

        keep = ("id", "name", "stages", "direction", "markers", "therapies")
        return [{k: mechanism_record(ex.cat, m)[k] for k in keep} for m in ex.cat.mechanisms.values()]

    @app.get("/api/mechanisms/{mid}", tags=["catalog"])
    def mechanism_api(mid: str) -> dict:
        """One mechanism: its card, its matrix cells, its evidence tests and perturbation experiments."""
        return mechanism_data(mid)

    def gene_data(symbol: str) -> dict:
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

    @app.get("/genes/", include_in_schema=False)
    def gene_search(q: str = "") -> RedirectResponse:
        return RedirectResponse(f"/genes/{q.strip() or '-'}", status_code=303)

    @app.get("/genes/{symbol}", response_class=HTMLResponse, include_in_schema=False)
    def gene_page(symbol: str) -> HTMLResponse:
        try:
            d = gene_data(symbol)
        except ChemoradError as exc:
            return error_page(str(exc), 404)
        return page("gene.html", title=d["gene"], g=d)

    @app.get("/api/genes/{symbol}", tags=["catalog"])
    def gene_api(symbol: str) -> dict:
        """A gene: the mechanisms it marks (with the alteration) and the therapies that name it."""
        return gene_data(symbol)

    # ------------------------------------------------------------------------------------ cross-resistance
    def crossres_table() -> pd.DataFrame:
        table = ex.crossres()
        if table is None:
            raise ChemoradError(ex.error("crossres") or "cross-resistance needs the data bundle (--data DIR)")
        from chemorad.report.evidence_figures import crossres_labels

        labels = crossres_labels(ex.cat, list(table["response_b"]))
        return table.assign(drug=table["response_b"].map(labels)).sort_values("partial_r", ascending=False)

    @app.get("/crossres", response_class=HTMLResponse, include_in_schema=False)
    def crossres_page(observed: str = "", targets: str = "") -> HTMLResponse:
        table = crossres_table()
        bars = [
            Bar(
                r.drug,
                r.partial_r,
                r.ci_low,
                r.ci_high,
                tooltip=f"radiotherapy vs {r.drug}: partial r {r.partial_r:.3f} [{r.ci_low:.3f}, {r.ci_high:.3f}], "
                f"FDR {r.fdr:.2g}, n {r.n}; mediators: {r.explained_by or '-'}",
            )
            for r in table.itertuples()
        ]
        shown = table[["drug", "n", "partial_r", "ci_low", "ci_high", "fdr", "explained_by"]]
        cond = {
            "available": conditional.provider() is not None,
            "observed": observed,
            "targets": targets,
            "table": None,
            "error": None,
        }
        if observed and cond["available"]:
            tids = [t.strip() for t in (targets or _default_targets(ex, observed)).split(",") if t.strip()]
            try:
                cond["table"] = table_view(conditional.predict(ex, observed, tids))
            except ChemoradError as exc:
                cond["error"] = str(exc)
        return page(
            "crossres.html",
            title="Cross-resistance",
            chart=bar_chart(bars, "partial correlation with radiation response, given tissue (95% CI)", -1, 1),
            table=table_view(shown),
            cond=cond,
            therapies=list(ex.cat.therapies),
        )

    @app.get("/api/crossres", tags=["evidence"])
    def crossres_api() -> list[dict]:
        """Radiation vs each drug response: partial r given tissue, bootstrap CI, FDR, mediating mechanisms."""
        return records(crossres_table().drop(columns=["therapy_a", "therapy_b"]))

    @app.get("/api/conditional", tags=["evidence"])
    def conditional_api(observed: str, targets: str = "") -> list[dict]:
        """Given an observed response (e.g. cisplatin=resistant), predicted percentiles of the other therapies."""
        if conditional.provider() is None:
            raise ChemoradError("conditional: not available in this version (chemorad.evidence.conditional)")
        tids = [t.strip() for t in (targets or _default_targets(ex, observed)).split(",") if t.strip()]
        return records(conditional.predict(ex, observed, tids))

    # ------------------------------------------------------------------------------------------ one tumour
    @app.get("/tumour", response_class=HTMLResponse, include_in_schema=False)
    def tumour_page() -> HTMLResponse:
        return page("tumour.html", title="One tumour", lines=ex.cell_lines(), form=_form_defaults(), error=None)

    def predict_files(form: dict, paths: dict[str, Path | None]):
        from chemorad.profile.inputs import load_profile
        from chemorad.profile.predict import predict_profile

        level = _level(form["level"])
        therapies = [t.strip() for t in form["therapies"].split(",") if t.strip()] or None
        for t in therapies or []:
            ex.cat.therapy(t)
        lines = [form["cell_line"].strip()] if form["cell_line"].strip() else None
        prof = load_profile(
            None, paths["maf"], paths["expression"], paths["copy_number"], paths["protein"], None,
            form["tissue"].strip() or None, lines, form["scale"], ex.data(),
        )  # fmt: skip
        return prof, predict_profile(ex.cat, prof, ex.data(), therapies=therapies, level=level), level

    async def predict_upload(form: dict, uploads: dict[str, UploadFile | None]):
        """Uploads into a temporary folder (removed afterwards); the prediction in a worker thread."""
        from starlette.concurrency import run_in_threadpool

        with tempfile.TemporaryDirectory(prefix="chemorad-upload-") as tmp:
            paths = {k: await save_upload(uploads[k], Path(tmp), k.replace("_", "-")) for k in FIELDS}
            try:
                return await run_in_threadpool(predict_files, form, paths)
            except ChemoradError as exc:  # name the file as the user knows it, not its temporary copy
                msg = str(exc)
                for k, path in paths.items():
                    if path is not None:
                        msg = msg.replace(str(path), uploads[k].filename or k)
                raise ChemoradError(msg) from None

    @app.post("/tumour", response_class=HTMLResponse, include_in_schema=False)
    async def tumour_post(
        maf: Annotated[UploadFile | None, File()] = None,
        expression: Annotated[UploadFile | None, File()] = None,
        copy_number: Annotated[UploadFile | None, File()] = None,
        protein: Annotated[UploadFile | None, File()] = None,
        cell_line: Annotated[str, Form()] = "",
        tissue: Annotated[str, Form()] = "",
        therapies: Annotated[str, Form()] = DEFAULT_THERAPIES,
        level: Annotated[str, Form()] = "0.9",
        scale: Annotated[str, Form()] = "auto",
    ) -> HTMLResponse:
        from starlette.concurrency import run_in_threadpool

        from chemorad.report.profile_report import report_view

        form = {"cell_line": cell_line, "tissue": tissue, "therapies": therapies, "level": level, "scale": scale}
        uploads = {"maf": maf, "expression": expression, "copy_number": copy_number, "protein": protein}
        try:
            prof, pred, lvl = await predict_upload(form, uploads)
            views = await run_in_threadpool(
                lambda: [report_view(ex.cat, pred, prof, s, lvl) for s in pred.scores.scores.index]
            )
        except ChemoradError as exc:
            return page("tumour.html", 400, title="One tumour", lines=ex.cell_lines(), form=form, error=str(exc))
        return page("prediction.html", title="Prediction", views=views)

    @app.post("/api/predict", tags=["profile"])
    async def predict_api(
        maf: Annotated[UploadFile | None, File()] = None,
        expression: Annotated[UploadFile | None, File()] = None,
        copy_number: Annotated[UploadFile | None, File()] = None,
        protein: Annotated[UploadFile | None, File()] = None,
        cell_line: Annotated[str, Form()] = "",
        tissue: Annotated[str, Form()] = "",
        therapies: Annotated[str, Form()] = DEFAULT_THERAPIES,
        level: Annotated[str, Form()] = "0.9",
        scale: Annotated[str, Form()] = "auto",
    ) -> list[dict]:
        """Predicted responses with intervals and reasons (the records of `chemorad predict --format json`)."""
        from chemorad.profile.inputs import records as prediction_records

        form = {"cell_line": cell_line, "tissue": tissue, "therapies": therapies, "level": level, "scale": scale}
        uploads = {"maf": maf, "expression": expression, "copy_number": copy_number, "protein": protein}
        _, pred, _ = await predict_upload(form, uploads)
        return json.loads(json.dumps(prediction_records(pred), default=_jsonable))

    @app.get("/api/cell-lines", tags=["profile"])
    def cell_lines_api() -> list[str]:
        """Bundle cell lines with a known tissue (choosable on the tumour page)."""
        return ex.cell_lines()

    # ------------------------------------------------------------------------------ simulations and runs
    @app.get("/simulations", response_class=HTMLResponse, include_in_schema=False)
    def simulations_page() -> HTMLResponse:
        return page(
            "simulations.html",
            title="Simulations and sweeps",
            examples=runs.examples(),
            found=runs.find_runs(ex.runs_dir),
            runs_dir=ex.runs_dir,
            error=None,
        )

    async def start_job(example: str, upload: UploadFile | None, replicates: str):
        reps = int(replicates) if replicates.strip() else None
        with tempfile.TemporaryDirectory(prefix="chemorad-scenario-") as tmp:
            path = await save_upload(upload, Path(tmp), "scenario", limit=1 << 20)
            if path is None:
                path = runs.example_path(example)
            return app.state.jobs.start(path, reps)

    @app.post("/simulations", include_in_schema=False)
    async def simulations_post(
        example: Annotated[str, Form()] = "",
        scenario: Annotated[UploadFile | None, File()] = None,
        replicates: Annotated[str, Form()] = "",
    ):
        try:
            job = await start_job(example, scenario, replicates)
        except (ChemoradError, ValueError) as exc:
            msg = str(exc) if isinstance(exc, ChemoradError) else f"--replicates {replicates!r}: not a whole number"
            return page(
                "simulations.html",
                400,
                title="Simulations and sweeps",
                examples=runs.examples(),
                found=runs.find_runs(ex.runs_dir),
                runs_dir=ex.runs_dir,
                error=msg,
            )
        return RedirectResponse(f"/simulations/{job.id}", status_code=303)

    @app.get("/simulations/{job_id}", response_class=HTMLResponse, include_in_schema=False)
    def job_page(job_id: str) -> HTMLResponse:
        job = app.state.jobs.get(job_id)
        if job is None:
            return error_page(f"simulation {job_id!r}: no such run on this server", 404)
        summary = table_view(job.summary.round(4)) if job.summary is not None else None
        return page("job.html", title=f"Simulation {job.name}", job=job, summary=summary)

    @app.post("/api/simulations", tags=["dynamics"])
    async def simulations_api(
        example: Annotated[str, Form()] = "",
        scenario: Annotated[UploadFile | None, File()] = None,
        replicates: Annotated[str, Form()] = "",
    ) -> dict:
        """Start a simulation of an example or uploaded scenario; poll /api/simulations/{id} for progress."""
        return (await start_job(example, scenario, replicates)).record()

    @app.get("/api/simulations/{job_id}", tags=["dynamics"])
    def job_api(job_id: str) -> dict:
        """A simulation's state, progress (done of total steps) and, once done, its summary per replicate."""
        job = app.state.jobs.get(job_id)
        if job is None:
            raise ChemoradError(f"simulation {job_id!r}: no such run on this server")
        return job.record()

    @app.get("/api/runs", tags=["dynamics"])
    def runs_api() -> list[dict]:
        """Results folders of earlier `chemorad simulate --out` and `chemorad sweep` runs under the runs folder."""
        return [r.record() for r in runs.find_runs(ex.runs_dir)]

    @app.get("/runs/{rel:path}", response_class=HTMLResponse, include_in_schema=False)
    def run_page(rel: str) -> HTMLResponse:
        run = runs.open_run(ex.runs_dir, rel)
        tables = {name: table_view(df) for name, df in runs.run_tables(run).items()}
        return page("run.html", title=f"Run {run.rel}", run=run, tables=tables)

    @app.get("/files/{rel:path}", include_in_schema=False)
    def run_file(rel: str) -> FileResponse:
        return FileResponse(runs.run_file(ex.runs_dir, rel))

    # --------------------------------------------------------------------------------------------- the API
    @app.get("/api", response_class=HTMLResponse, include_in_schema=False)
    def api_page() -> HTMLResponse:
        schema = app.openapi()
        routes = [
            {"path": p, "method": meth.upper(), "summary": op.get("summary", ""), "doc": op.get("description", "")}
            for p, ops in schema["paths"].items()
            for meth, op in ops.items()
        ]
        return page("api.html", title="JSON API", routes=routes)

    app.include_router(drugs.router)
    app.include_router(cell_lines.router)
    app.include_router(scatter.router)
    app.include_router(search.router)
    app.include_router(glossary.router)
    return app


def _unknown(fn) -> ChemoradError:
    try:
        fn()
    except ChemoradError as exc:
        return exc
    return ChemoradError("not found")


def _default_targets(ex: Explorer, observed: str) -> str:
    """Radiotherapy and the drugs most often given with it, without the observed therapy."""
    first = observed.split("=", 1)[0].strip()
    picks = [ex.cat.radiotherapy.id, "cisplatin", "docetaxel", "doxorubicin", "fluorouracil", "gemcitabine"]
    return ",".join(t for t in picks if t != first and t in ex.cat.therapies)


def _form_defaults() -> dict:
    return {"cell_line": "", "tissue": "", "therapies": DEFAULT_THERAPIES, "level": "0.9", "scale": "auto"}


def _level(text: str) -> float:
    try:
        level = float(text)
    except ValueError:
        raise ChemoradError(f"--level {text!r}: expected a number in (0, 1)") from None
    if not 0.0 < level < 1.0:
        raise ChemoradError(f"--level must be in (0, 1) (got {level})")
    return level


def _jsonable(v):
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, float) and not np.isfinite(v):
        return None
    return str(v)
