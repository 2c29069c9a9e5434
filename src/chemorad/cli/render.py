"""Text renderings of tables: a rich table for the terminal, CSV, JSON records and Markdown."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

import pandas as pd
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    md = "md"


def to_json(records: list[dict[str, Any]]) -> str:
    return json.dumps(records, indent=2, ensure_ascii=False, default=_json_default)


def _json_default(obj: Any) -> Any:
    if hasattr(obj, "item"):  # NumPy scalars
        return obj.item()
    return str(obj)


def to_markdown(df: pd.DataFrame) -> str:
    def cell(v: Any) -> str:
        return str(v).replace("|", "\\|").replace("\n", " ")

    head = "| " + " | ".join(map(cell, df.columns)) + " |"
    rule = "| " + " | ".join("---" for _ in df.columns) + " |"
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join([head, rule, *body])


def print_table(df: pd.DataFrame, title: str | None = None, console: Console | None = None) -> None:
    console = console or Console()
    table = Table(title=title, show_lines=False, header_style="bold")
    for col in df.columns:
        table.add_column(str(col), overflow="fold")
    for row in df.itertuples(index=False):
        table.add_row(*(_fmt(v) for v in row))
    console.print(table)


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def emit(df: pd.DataFrame, records: list[dict[str, Any]], fmt: Format, title: str | None = None) -> None:
    """Print a result in the chosen format: `df` for table/csv/md, `records` for JSON."""
    if fmt is Format.table:
        print_table(df, title)
    elif fmt is Format.csv:
        print(df.to_csv(index=False), end="")
    elif fmt is Format.md:
        print(to_markdown(df))
    else:
        print(to_json(records))


def progress_bar(console: Console) -> Progress:
    """A transient progress bar (description, bar, done/total, elapsed) for long steps, on `console` (stderr)."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
