"""The server's own pages: the favicon (none) and /api, which lists the JSON API from the OpenAPI schema (a GET is
linked when it needs no path or query parameter)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from chemorad.web.pages import PagesDep

router = APIRouter()


@router.get("/favicon.ico", include_in_schema=False)
def favicon() -> Response:
    return Response(status_code=204)


@router.get("/api", response_class=HTMLResponse, include_in_schema=False)
def api_page(request: Request, pages: PagesDep) -> HTMLResponse:
    schema = request.app.openapi()
    routes = [
        {
            "path": p,
            "method": meth.upper(),
            "summary": op.get("summary", ""),
            "doc": op.get("description", ""),
            # a GET that needs a query parameter (e.g. /api/conditional?observed=...) is shown, not linked: a bare link
            # to it answers 422
            "required": [q["name"] for q in op.get("parameters", []) if q.get("required") and q.get("in") == "query"],
        }
        for p, ops in schema["paths"].items()
        for meth, op in ops.items()
    ]
    return pages.page("api.html", title="JSON API", routes=routes)
