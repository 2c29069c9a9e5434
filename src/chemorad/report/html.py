"""HTML building blocks shared by the static report and the web explorer: the Jinja2 environment over the report's
templates, tables as display strings, figures as inline PNG data URIs."""

from __future__ import annotations

import base64
import functools
import io
from dataclasses import dataclass
from pathlib import Path

import jinja2
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class TableView:
    """A table as the templates show it: column names and rows of display strings."""

    columns: list[str]
    rows: list[list[str]]


def fmt(v) -> str:
    """Display string of one cell: 3 significant digits for floats, '-' for missing, lists joined by commas."""
    if isinstance(v, float | np.floating):
        return "-" if not np.isfinite(v) else f"{v:.3g}"
    if isinstance(v, list | tuple):
        return ", ".join(map(str, v)) or "-"
    return "-" if v is None or v is pd.NA else str(v)


def table_view(df: pd.DataFrame) -> TableView:
    return TableView([str(c) for c in df.columns], [[fmt(v) for v in row] for row in df.itertuples(index=False)])


def percent(x: float) -> str:
    """0.9 -> '90%', 0.975 -> '97.5%'."""
    return f"{100 * x:.4g}%"


def png_uri(fig: Figure, dpi: int = 110) -> str:
    """The figure as a base64 PNG data URI, so that a page needs no other file."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def make_environment(*directories: Path) -> jinja2.Environment:
    """A Jinja2 environment over `directories` (searched in order) with HTML autoescaping and the `fmt` filter."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in directories]),
        autoescape=jinja2.select_autoescape(["html"], default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["fmt"] = fmt
    env.filters["percent"] = percent
    return env


@functools.cache
def environment() -> jinja2.Environment:
    """The report's own templates."""
    return make_environment(TEMPLATES)
