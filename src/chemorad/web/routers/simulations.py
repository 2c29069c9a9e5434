"""Simulations started from the browser (`chemorad.app.simulation` in a background thread, `chemorad.web.jobs`) and
the results folders of earlier `chemorad simulate --out` and `chemorad sweep` runs."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse

from chemorad.errors import ChemoradError
from chemorad.report.html import table_view
from chemorad.web import runs
from chemorad.web.jobs import Job, Jobs
from chemorad.web.pages import ExplorerDep, JobsDep, Pages, PagesDep
from chemorad.web.services import Explorer
from chemorad.web.uploads import save_upload

router = APIRouter()


def simulations_view(pages: Pages, ex: Explorer, status: int = 200, error: str | None = None):
    return pages.page(
        "simulations.html",
        status,
        title="Simulations and sweeps",
        examples=runs.examples(),
        found=runs.find_runs(ex.runs_dir),
        runs_dir=ex.runs_dir,
        error=error,
    )


@router.get("/simulations", response_class=HTMLResponse, include_in_schema=False)
def simulations_page(ex: ExplorerDep, pages: PagesDep) -> HTMLResponse:
    return simulations_view(pages, ex)


async def start_job(jobs: Jobs, example: str, upload: UploadFile | None, replicates: str) -> Job:
    reps = int(replicates) if replicates.strip() else None
    with tempfile.TemporaryDirectory(prefix="chemorad-scenario-") as tmp:
        path = await save_upload(upload, Path(tmp), "scenario", limit=1 << 20)
        if path is None:
            path = runs.example_path(example)
        return jobs.start(path, reps)


@router.post("/simulations", include_in_schema=False)
async def simulations_post(
    ex: ExplorerDep,
    jobs: JobsDep,
    pages: PagesDep,
    example: Annotated[str, Form()] = "",
    scenario: Annotated[UploadFile | None, File()] = None,
    replicates: Annotated[str, Form()] = "",
):
    try:
        job = await start_job(jobs, example, scenario, replicates)
    except (ChemoradError, ValueError) as exc:
        msg = str(exc) if isinstance(exc, ChemoradError) else f"--replicates {replicates!r}: not a whole number"
        return simulations_view(pages, ex, 400, msg)
    return RedirectResponse(f"/simulations/{job.id}", status_code=303)


@router.get("/simulations/{job_id}", response_class=HTMLResponse, include_in_schema=False)
def job_page(job_id: str, jobs: JobsDep, pages: PagesDep) -> HTMLResponse:
    job = jobs.get(job_id)
    if job is None:
        return pages.error(f"simulation {job_id!r}: no such run on this server", 404)
    summary = table_view(job.summary.round(4)) if job.summary is not None else None
    return pages.page("job.html", title=f"Simulation {job.name}", job=job, summary=summary)


@router.post("/api/simulations", tags=["dynamics"])
async def simulations_api(
    jobs: JobsDep,
    example: Annotated[str, Form()] = "",
    scenario: Annotated[UploadFile | None, File()] = None,
    replicates: Annotated[str, Form()] = "",
) -> dict:
    """Start a simulation of an example or uploaded scenario; poll /api/simulations/{id} for progress."""
    return (await start_job(jobs, example, scenario, replicates)).record()


@router.get("/api/simulations/{job_id}", tags=["dynamics"])
def job_api(job_id: str, jobs: JobsDep) -> dict:
    """A simulation's state, progress (done of total steps) and, once done, its summary per replicate."""
    job = jobs.get(job_id)
    if job is None:
        raise ChemoradError(f"simulation {job_id!r}: no such run on this server")
    return job.record()


@router.get("/api/runs", tags=["dynamics"])
def runs_api(ex: ExplorerDep) -> list[dict]:
    """Results folders of earlier `chemorad simulate --out` and `chemorad sweep` runs under the runs folder."""
    return [r.record() for r in runs.find_runs(ex.runs_dir)]


@router.get("/runs/{rel:path}", response_class=HTMLResponse, include_in_schema=False)
def run_page(rel: str, ex: ExplorerDep, pages: PagesDep) -> HTMLResponse:
    run = runs.open_run(ex.runs_dir, rel)
    tables = {name: table_view(df) for name, df in runs.run_tables(run).items()}
    return pages.page("run.html", title=f"Run {run.rel}", run=run, tables=tables)


@router.get("/files/{rel:path}", include_in_schema=False)
def run_file(rel: str, ex: ExplorerDep) -> FileResponse:
    return FileResponse(runs.run_file(ex.runs_dir, rel))
