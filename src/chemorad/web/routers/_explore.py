"""What the explorer's routers share: the page environment, error pages in the page's own words, CSV and SVG
downloads, and the bundle's tables kept once per data folder on `app.state` (so pages after the first are fast).

The tables come from the server's `Explorer` where it already caches them (response matrix, tissue) and are otherwise
loaded once per data folder here (expression, mutations, driver features, the radiation screen and its fits).
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from chemorad.errors import ChemoradError
from chemorad.report.html import TEMPLATES as REPORT_TEMPLATES
from chemorad.report.html import make_environment
from chemorad.web.services import Explorer

TEMPLATES = Path(__file__).parents[1] / "templates"


@functools.cache
def environment():
    return make_environment(TEMPLATES, REPORT_TEMPLATES)


def explorer(request: Request) -> Explorer:
    return request.app.state.explorer


def render(request: Request, name: str, status: int = 200, **ctx) -> HTMLResponse:
    html = environment().get_template(name).render(has_data=explorer(request).has_data(), **ctx)
    return HTMLResponse(html, status_code=status)


def error_page(request: Request, message: str, status: int = 404, title: str = "Not found") -> HTMLResponse:
    """The site's error page with a one-line message (never a server path: messages name what the user typed)."""
    return render(request, "error.html", status=status, title=title, message=message)


def csv_response(df: pd.DataFrame, filename: str) -> Response:
    """A table as a CSV download (UTF-8, header row, no index)."""
    return Response(
        df.to_csv(index=False, float_format="%.6g"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def svg_response(svg: Markup | str, filename: str) -> Response:
    """A figure as a standalone SVG file (the same markup as inlined in the page)."""
    return Response(
        '<?xml version="1.0" encoding="UTF-8"?>\n' + str(svg),
        media_type="image/svg+xml",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )


@dataclass
class Bundle:
    """Tables of one data folder, loaded on first use and kept (thread-safe)."""

    ex: Explorer
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _tables: dict = field(default_factory=dict)
    _memo: OrderedDict = field(default_factory=OrderedDict)

    MEMO_SIZE = 64  # results of page computations kept (least recently used dropped): memory stays bounded

    def memo(self, key: tuple, compute):
        """`compute()` once per `key` (a page's query), kept in a bounded LRU. Errors are not kept."""
        with self._lock:
            if key in self._memo:
                self._memo.move_to_end(key)
                return self._memo[key]
        value = compute()
        with self._lock:
            self._memo[key] = value
            while len(self._memo) > self.MEMO_SIZE:
                self._memo.popitem(last=False)
        return value

    def _get(self, name: str, load):
        with self._lock:
            if name not in self._tables:
                self._tables[name] = load()
            return self._tables[name]

    def lines(self) -> pd.DataFrame:
        from chemorad.bundle import datasets as ds

        return self._get("lines", lambda: ds.cell_lines(self.ex.data()))

    def tissue(self) -> pd.Series:
        return self.lines()["tissue"]

    def responses(self) -> pd.DataFrame:
        tables = self.ex.evidence_tables()
        if tables is None:
            raise ChemoradError(self.ex.error("evidence_tables") or "this page needs the cell-line data bundle")
        return tables[1]

    def expression(self) -> pd.DataFrame:
        from chemorad.bundle import datasets as ds

        return self._get("expression", lambda: ds.load_expression(data=self.ex.data()))

    def mutations(self) -> pd.DataFrame:
        from chemorad.bundle import datasets as ds

        return self._get("mutations", lambda: ds.load_mutations(data=self.ex.data()))

    def features(self) -> pd.DataFrame:
        from chemorad.bundle import datasets as ds

        return self._get("features", lambda: ds.load_genomic_features(self.ex.data()))

    def yard(self) -> pd.DataFrame:
        """The survival curves of the preferred data set of radiation survival curves (`registry.curve_datasets`)."""
        from chemorad.bundle import datasets as ds
        from chemorad.catalog.registry import curve_datasets

        dataset = curve_datasets()[0].id
        return self._get(dataset, lambda: ds.load_response(dataset, self.ex.data()))

    def radiogx(self) -> pd.DataFrame:
        from chemorad.bundle import datasets as ds

        return self._get("radiogx", lambda: ds.load_radiogx(self.ex.data()))


_GUARD = threading.Lock()


def bundle(request: Request) -> Bundle:
    """The `Bundle` of the server's data folder (one per folder, kept on app.state)."""
    ex = explorer(request)
    state = request.app.state
    with _GUARD:
        bundles = getattr(state, "explore_bundles", None)
        if bundles is None:
            bundles = state.explore_bundles = {}
        key = str(ex.data())
        if key not in bundles:
            bundles[key] = Bundle(ex)
        return bundles[key]
