"""Text renderings of tables: a rich table for the terminal, CSV, JSON records and Markdown.

A table is a pandas DataFrame or a list of row dicts (catalog look-ups use the latter, so they run without importing
pandas). Piped or redirected output is not squeezed to 80 columns: a rich table then takes the width it needs.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

if TYPE_CHECKING:
    import pandas as pd

    Tabular = pd.DataFrame | list[dict[str, Any]]

#: width given to rich when stdout is not a terminal: wide enough that no column is folded
UNBOUNDED_WIDTH = 100_000


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


def _columns_rows(df: Tabular) -> tuple[list[str], list[tuple]]:
    if isinstance(df, list):
        columns = list(dict.fromkeys(k for row in df for k in row))
        return columns, [tuple(row.get(c) for c in columns) for row in df]
    return [str(c) for c in df.columns], list(df.itertuples(index=False, name=None))


def to_markdown(df: Tabular) -> str:
    def cell(v: Any) -> str:
        return str(v).replace("|", "\\|").replace("\n", " ")

    columns, rows = _columns_rows(df)
    head = "| " + " | ".join(map(cell, columns)) + " |"
    rule = "| " + " | ".join("---" for _ in columns) + " |"
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join([head, rule, *body])


def to_csv(df: Tabular) -> str:
    if not isinstance(df, list):
        return df.to_csv(index=False)
    columns, rows = _columns_rows(df)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    return buf.getvalue()


def stdout_console() -> Console:
    """A console on stdout: the terminal's width on a terminal, unbounded when piped or redirected."""
    console = Console()
    if not console.is_terminal:
        console = Console(width=UNBOUNDED_WIDTH)
    return console


def print_table(df: Tabular, title: str | None = None, console: Console | None = None) -> None:
    console = console or stdout_console()
    table = Table(title=title, show_lines=False, header_style="bold")
    columns, rows = _columns_rows(df)
    for col in columns:
        table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(*(_fmt(v) for v in row))
    console.print(table)


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def emit(df: Tabular, records: list[dict[str, Any]], fmt: Format, title: str | None = None) -> None:
    """Print a result in the chosen format: `df` (a DataFrame or row dicts) for table/csv/md, `records` for JSON."""
    if fmt is Format.table:
        print_table(df, title)
    elif fmt is Format.csv:
        print(to_csv(df), end="")
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


@contextmanager
def task_progress(console: Console) -> Iterator[Callable[[str, int, int | None], None]]:
    """A transient progress bar for an application-layer call: the callable it yields is the app's `Progress`
    ``(what, done, total)``; each new `what` becomes a task of its own. The bar starts at the first report, so an
    input refused before any work leaves stderr as it was (its one error line only)."""
    bar = progress_bar(console)
    tasks: dict[str, Any] = {}

    def report(what: str, done: int, total: int | None) -> None:
        if not tasks:
            bar.start()
        if what not in tasks:
            tasks[what] = bar.add_task(what, total=total)
        bar.update(tasks[what], completed=done, total=total)

    try:
        yield report
    finally:
        if tasks:
            bar.stop()


def print_messages(console: Console, warnings: list[str], notes: list[str]) -> None:
    """A result's warnings, then its notes, one line each on `console` (stderr)."""
    for w in warnings:
        console.print(f"[yellow]chemorad: warning:[/yellow] {w}", highlight=False)
    for n in notes:
        console.print(f"chemorad: note: {n}", highlight=False)


def existing_data_folder(value):
    """typer callback for --data: a folder the user names must exist, checked before any work starts."""
    if value is not None and not value.is_dir():
        from chemorad.errors import ChemoradError

        raise ChemoradError(f"--data {str(value)!r}: not a directory; expected the chemorad cell-line data bundle")
    return value
