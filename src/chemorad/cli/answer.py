"""`chemorad answer`: the answer as one document (Markdown, HTML or JSON)."""

from __future__ import annotations

import json
import sys
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from chemorad.cli.context import current
from chemorad.cli.options import holding_out
from chemorad.errors import ChemoradError, unknown

err = Console(stderr=True)


class AnswerFormat(StrEnum):
    md = "md"
    html = "html"
    json = "json"


def _therapies(cat, given: list[str] | None) -> list[str] | None:
    if not given:
        return None
    names = [t.strip() for g in given for t in g.split(",") if t.strip()]
    for name in names:
        if name not in cat.therapies:
            raise unknown("therapy", name, cat.therapies)
    return names


def _data(ctx, given: Path | None) -> Path | None:
    """The bundle folder, or None when it is absent (the document then says so on its first line)."""
    if given is not None:
        return given if given.is_dir() else None
    try:
        return ctx.data_dir()
    except ChemoradError:
        return None


def _tissue(data: Path | None, tissue: str | None) -> str | None:
    if tissue is None or data is None:
        return tissue
    from chemorad.bundle import datasets as ds

    known = sorted(str(t) for t in ds.cell_lines(data)["tissue"].dropna().unique())
    if tissue not in known:
        raise unknown("tissue", tissue, known)
    return tissue


@holding_out
def answer_cmd(
    fmt: Annotated[AnswerFormat, typer.Option("--format", "-f", help="md, html or json.")] = AnswerFormat.md,
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder to write answer.<format> into (default: print).")
    ] = None,
    therapies: Annotated[
        list[str] | None, typer.Option("--therapies", help="Catalog therapy ids (repeat or comma-separate).")
    ] = None,
    tissue: Annotated[str | None, typer.Option("--tissue", help="Only lines of this tissue.")] = None,
    data: Annotated[
        Path | None, typer.Option("--data", help="Data folder (default: $CHEMORAD_DATA, else ../shared/data).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an earlier answer.<format> in --out.")] = False,
) -> None:
    """The answer as one document: which mechanisms are unique to chemotherapy or radiotherapy, which alterations
    give cross-resistance, and what is not known.

    Every number links to its source (docs/answer.md). Without the data bundle the document comes from the catalog
    and the model alone and says so on its first line. The computed answer is cached (keyed by the catalog and bundle
    contents), so a second run only renders it.
    """
    from chemorad.io_atomic import write_text
    from chemorad.report.answer_doc import cached_answer
    from chemorad.report.answer_render import answer_html, answer_markdown

    ctx = current()
    cat = ctx.catalog
    if out is not None:  # refused before any work
        if out.exists() and not out.is_dir():
            raise ChemoradError(f"--out {out}: not a folder")
        if (out / f"answer.{fmt.value}").exists() and not force:
            raise ChemoradError(f"--out {out}: already holds answer.{fmt.value}; choose a new folder or pass --force")
    names = _therapies(cat, therapies)
    folder = _data(ctx, data)
    tissue = _tissue(folder, tissue)
    start = time.perf_counter()
    with err.status("computing the answer (cached after the first run)"):
        doc, hit = cached_answer(cat, folder, ctx.cache_dir, names, tissue)
        if fmt is AnswerFormat.json:
            text = json.dumps(_json_export(cat, folder, doc, ctx.cache_dir), indent=1, allow_nan=False) + "\n"
        else:
            text = answer_html(doc) if fmt is AnswerFormat.html else answer_markdown(doc)
    took = time.perf_counter() - start
    if folder is None:
        err.print("note: no data bundle found; the answer rests on the catalog and the model alone")
    if out is None:
        sys.stdout.write(text)
    else:
        out.mkdir(parents=True, exist_ok=True)
        path = write_text(out / f"answer.{fmt.value}", text)  # beside, then renamed: an old answer is never half-lost
        err.print(f"wrote {path}")
    err.print(f"answer {'from the cache' if hit else 'computed'} in {took:.1f} s")


def _json_export(cat, folder: Path | None, doc: dict, cache_dir: Path | None) -> dict:
    """The answer inside the versioned KB export (the same `kb_export` and records as `chemorad kb export`)."""
    from chemorad.evidence.kb import kb_export
    from chemorad.report.answer_doc import cached_kb_records

    return kb_export(cached_kb_records(cat, folder, cache_dir), answer=doc)
