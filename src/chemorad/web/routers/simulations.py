"""Simulations started from the browser (`chemorad.app.simulation` queued for a worker, `chemorad.web.jobs`): start,
list, poll, cancel; and the results folders of earlier `chemorad simulate --out` and `chemorad sweep` runs."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse

from chemorad.errors import ChemoradError
from chemorad.report.html import table_view
from chemorad.web import limits, runs
from chemorad.web.jobs import Job, Jobs
from chemorad.web.limits import NotFound
from chemorad.web.pages import ExplorerDep, JobsDep, Pages, PagesDep
from chemorad.web.services import Explorer
from chemorad.web.uploads import save_upload, shown_name

router = APIRouter()


def simulations_view(pages: Pages, ex: Explorer, jobs: Jobs, status: int = 200, error: str | None = None):
    return pages.page(
        "simulations.html",
        status,
        title="Simulations and sweeps",
        examples=runs.examples(),
        found=runs.find_runs(ex.runs_dir),
        runs_dir=ex.runs_dir,
        jobs=jobs.list(),
        error=error,
    )


@router.get("/simulations", response_class=HTMLResponse, include_in_schema=False)
def simulations_page(ex: ExplorerDep, jobs: JobsDep, pages: PagesDep) -> HTMLResponse:
    return simulations_view(pages, ex, jobs)


def _replicates(text: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 6:
        raise ChemoradError(f"replicates {text[:20]!r}: give a whole number from 1 to {limits.MAX_REPLICATES}")
    return int(text)


async def start_job(jobs: Jobs, example: str, upload: UploadFile | None, replicates: str) -> Job:
    """Save the upload (or take the example), validate and queue it; messages name the file as the user chose it."""
    reps = _replicates(replicates)
    with tempfile.TemporaryDirectory(prefix="chemorad-scenario-") as tmp:
        path = await save_upload(upload, Path(tmp), "scenario", limit=limits.MAX_SCENARIO_BYTES)
        if path is None:
            path = runs.example_path(example)
        try:
            return jobs.start(path, reps)
        except ChemoradError as exc:
            if upload is None or path.parent != Path(tmp):
                raise
            msg = str(exc).replace(str(path), shown_name(upload.filename)).replace(tmp, "")
            raise type(exc)(msg) from None


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
    except ChemoradError as exc:
        return simulations_view(pages, ex, jobs, 503 if isinstance(exc, limits.Busy) else 400, str(exc))
    return RedirectResponse(f"/simulations/{job.id}", status_code=303)


@router.get("/simulations/{job_id}", response_class=HTMLResponse, include_in_schema=False)
def job_page(job_id: str, jobs: JobsDep, pages: PagesDep) -> HTMLResponse:
    job = jobs.get(job_id)
    if job is None:
        return pages.error(f"simulation {job_id[:40]!r}: no such run on this server", 404)
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


@router.post("/simulations/{job_id}/cancel", include_in_schema=False)
def job_cancel_form(job_id: str, jobs: JobsDep) -> RedirectResponse:
    jobs.cancel(job_id)
    return RedirectResponse(f"/simulations/{job_id}", status_code=303)


@router.get("/api/simulations", tags=["dynamics"])
def jobs_api(jobs: JobsDep) -> list[dict]:
    """Every simulation of this server and of earlier ones in the runs folder, newest first (without summaries)."""
    return [{**j.record(), "summary": None} for j in jobs.list()]


@router.get("/api/simulations/{job_id}", tags=["dynamics"])
def job_api(job_id: str, jobs: JobsDep) -> dict:
    """A simulation's state, progress (done of total steps) and, once done, its summary per replicate."""
    job = jobs.get(job_id)
    if job is None:
        raise NotFound(f"simulation {job_id[:40]!r}: no such run on this server")
    return job.record()


@router.delete("/api/simulations/{job_id}", tags=["dynamics"])
def job_cancel_api(job_id: str, jobs: JobsDep) -> dict:
    """Cancel a simulation: a queued one at once, a running one by ending its worker process."""
    if jobs.get(job_id) is None:
        raise NotFound(f"simulation {job_id[:40]!r}: no such run on this server")
    return jobs.cancel(job_id).record()


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
