"""The web explorer's routes, one module per page group; `ROUTERS` in the order they are mounted (the order of the
OpenAPI schema and of the /api page)."""

from chemorad.web.routers import (
    answer,
    catalog,
    cell_lines,
    crossres,
    drugs,
    glossary,
    matrix,
    meta,
    scatter,
    search,
    simulations,
    tumour,
)

ROUTERS = [
    answer.router,
    matrix.router,
    catalog.router,
    crossres.router,
    tumour.router,
    simulations.router,
    drugs.router,
    cell_lines.router,
    scatter.router,
    search.router,
    glossary.router,
    meta.router,
]
