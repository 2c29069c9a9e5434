"""The FastAPI application: HTML pages (Jinja2, the report's templates included) and the JSON API under /api/.

`create_app(explorer)` builds it; `chemorad serve` runs it with uvicorn on 127.0.0.1. The routes live in
`chemorad.web.routers`, one module per page group, and call `chemorad.app` for every use case; the server's state (the
`Explorer` with its cached tables, the simulation jobs, the templates) is on ``app.state`` and reaches the routes as
dependencies (`chemorad.web.pages`). Swagger UI and ReDoc are off (they load scripts from a CDN); the OpenAPI schema is
served at /api/openapi.json and listed on the /api page.

Every request first passes `chemorad.web.security.HostOriginGuard` (a Host allow-list and an origin check on POST and
DELETE); the limits of `chemorad.web.limits` are checked by the routes before any work starts. A user error is a 4xx
with one line (400; 404 for an unknown job, run or file; 503 when the server is at a shared limit), never a 500.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from chemorad.context import Context
from chemorad.errors import ChemoradError
from chemorad.report.html import TEMPLATES as REPORT_TEMPLATES
from chemorad.report.html import make_environment
from chemorad.web.jobs import Jobs
from chemorad.web.limits import Busy, Gate, NotFound
from chemorad.web.pages import Pages
from chemorad.web.routers import ROUTERS
from chemorad.web.runs import default_runs_dir
from chemorad.web.security import HostOriginGuard, allowed_hosts
from chemorad.web.services import Explorer

HERE = Path(__file__).parent


def _status(exc: ChemoradError) -> int:
    if isinstance(exc, Busy):
        return 503
    return 404 if isinstance(exc, NotFound) else 400


def create_app(ex: Explorer, hosts: frozenset[str] | None = None, jobs: Jobs | None = None) -> FastAPI:
    """The web explorer over the context and caches of `ex`, answering requests addressed to `hosts` (default: the
    loopback names), its simulations queued in `jobs` (default: a queue writing under ``ex.runs_dir``)."""
    app = FastAPI(
        title="chemorad",
        summary="Chemotherapy and radiotherapy resistance: mechanisms, evidence, one tumour's prediction.",
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.explorer = ex
    app.state.jobs = jobs if jobs is not None else Jobs(ex.ctx, ex.runs_dir)
    app.state.predict_gate = Gate()
    app.state.templates = make_environment(HERE / "templates", REPORT_TEMPLATES)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.exception_handler(ChemoradError)
    async def chemorad_error(request: Request, exc: ChemoradError):
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": str(exc)}, status_code=_status(exc))
        return Pages(app.state.templates, ex).error(str(exc), _status(exc))

    for router in ROUTERS:
        app.include_router(router)
    app.add_middleware(HostOriginGuard, hosts=hosts if hosts is not None else allowed_hosts())
    return app


def server_app(  # noqa: PLR0913 - one argument per serve option
    ctx: Context,
    runs_dir: Path | None = None,
    n_boot: int = 200,
    warm: bool = True,
    allow_hosts: tuple[str, ...] = (),
    bind: str | None = None,
) -> FastAPI:
    """The entry point `chemorad serve` uses: the explorer over `ctx` (its caches filled in the background when
    `warm`), browsing the results folders under `runs_dir` (default `default_runs_dir`, created), with `n_boot`
    bootstrap resamples per cross-resistance pair, answering the loopback names, `bind` and `allow_hosts`."""
    if runs_dir is None:
        runs_dir = default_runs_dir()
        try:
            runs_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ChemoradError(f"--runs: cannot create the default runs folder ({exc.strerror or exc})") from None
    ex = Explorer(ctx, runs_dir, n_boot=n_boot)
    if warm:
        ex.warm()
    return create_app(ex, allowed_hosts(allow_hosts, bind))
