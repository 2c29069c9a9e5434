"""The FastAPI application: HTML pages (Jinja2, the report's templates included) and the JSON API under /api/.

`create_app(explorer)` builds it; `chemorad serve` runs it with uvicorn on 127.0.0.1. The routes live in
`chemorad.web.routers`, one module per page group, and call `chemorad.app` for every use case; the server's state (the
`Explorer` with its cached tables, the simulation jobs, the templates) is on ``app.state`` and reaches the routes as
dependencies (`chemorad.web.pages`). Swagger UI and ReDoc are off (they load scripts from a CDN); the OpenAPI schema is
served at /api/openapi.json and listed on the /api page.
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
from chemorad.web.pages import Pages
from chemorad.web.routers import ROUTERS
from chemorad.web.services import Explorer

HERE = Path(__file__).parent


def create_app(ex: Explorer) -> FastAPI:
    """The web explorer over the context and caches of `ex`."""
    app = FastAPI(
        title="chemorad",
        summary="Chemotherapy and radiotherapy resistance: mechanisms, evidence, one tumour's prediction.",
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.explorer = ex
    app.state.jobs = Jobs(ex.ctx)
    app.state.templates = make_environment(HERE / "templates", REPORT_TEMPLATES)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.exception_handler(ChemoradError)
    async def chemorad_error(request: Request, exc: ChemoradError):
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": str(exc)}, status_code=400)
        return Pages(app.state.templates, ex).error(str(exc))

    for router in ROUTERS:
        app.include_router(router)
    return app


def server_app(ctx: Context, runs_dir: Path | None = None, n_boot: int = 200, warm: bool = True) -> FastAPI:
    """The entry point `chemorad serve` uses: the explorer over `ctx` (its caches filled in the background when
    `warm`), browsing the results folders under `runs_dir`, with `n_boot` bootstrap resamples per cross-resistance
    pair."""
    ex = Explorer(ctx, runs_dir, n_boot=n_boot)
    if warm:
        ex.warm()
    return create_app(ex)
