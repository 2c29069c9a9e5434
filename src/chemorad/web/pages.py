"""What every router shares: the server's state as FastAPI dependencies, and the page renderer.

The state lives on ``app.state`` (set once by `chemorad.web.app.create_app`): the `Explorer` (context and cached
tables), the simulation `Jobs` and the Jinja2 environment. Routers take them as dependencies, never as globals.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import pandas as pd
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment

from chemorad.web.jobs import Jobs
from chemorad.web.services import Explorer


def records(df: pd.DataFrame) -> list[dict]:
    """JSON-ready records: NaN -> null, NumPy scalars -> Python numbers."""
    return json.loads(df.to_json(orient="records", double_precision=6))


class Pages:
    """Renders a template of the web explorer (or the report's shared ones) with the layout's context."""

    def __init__(self, env: Environment, ex: Explorer) -> None:
        self.env, self.ex = env, ex

    def page(self, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
        return HTMLResponse(self.env.get_template(name).render(has_data=self.ex.has_data(), **ctx), status_code=status)

    def error(self, message: str, status: int = 400) -> HTMLResponse:
        return self.page("error.html", status=status, title="Error", message=message)


def explorer(request: Request) -> Explorer:
    return request.app.state.explorer


def jobs(request: Request) -> Jobs:
    return request.app.state.jobs


def pages(request: Request) -> Pages:
    return Pages(request.app.state.templates, request.app.state.explorer)


ExplorerDep = Annotated[Explorer, Depends(explorer)]
JobsDep = Annotated[Jobs, Depends(jobs)]
PagesDep = Annotated[Pages, Depends(pages)]
