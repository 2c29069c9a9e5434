"""`chemorad data`: the data bundle's files with their public source and terms, checksums, and optional sets."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from chemorad.cli.context import current
from chemorad.cli.render import Format, emit, existing_data_folder
from chemorad.context import Context
from chemorad.errors import ChemoradError

err = Console(stderr=True)


def data_cmd(
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            help="Data folder (default: $CHEMORAD_DATA, else ../shared/data, else the repository's data/).",
            callback=existing_data_folder,
        ),
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
) -> None:
    """List the data bundle's files with their public source and terms, verify every checksum, name optional sets.

    Each file is hashed again on every run (no size or date shortcut). A missing or changed file is an error (exit
    code 2) after the table is printed. Optional sets (PIDE) are reported as found, or with the folder to put them in.
    """
    ctx = current()
    bundle = Context(catalog=ctx.catalog, data=data, cache_dir=ctx.cache_dir).bundle if data else ctx.bundle
    from chemorad.bundle import datasets as ds  # pandas: only once the command runs

    checks = {r["dataset"]: r for r in bundle.verify()}
    rows = []
    for name, spec in ds.DATASETS.items():
        r = checks[name]
        state = "ok" if r["ok"] else ("missing" if not r["present"] else f"DIFFERS ({r['sha256'][:12]})")
        rows.append(
            {
                "dataset": name,
                "file": spec.filename,
                "sha256": state,
                "source": spec.source,
                "licence": spec.licence,
                "citation": spec.citation,
            }
        )
    optional = bundle.optional()
    for o in optional:
        state = "present" if o["present"] else "absent"
        rows.append(
            {
                "dataset": f"{o['dataset']} (optional)",
                "file": f"{o['folder']}/ ({state})",
                "sha256": "-",
                "source": o["source"],
                "licence": o["licence"],
                "citation": o["citation"],
            }
        )
    err.print(f"data: {bundle.path} (found by: {bundle.found_by})")
    for o in optional:
        if not o["present"]:
            err.print(f"optional {o['dataset']}: absent; to use it put {o['files']} in {o['folder']}/")
    shown = [{k: v for k, v in r.items() if k != "citation"} for r in rows] if fmt is Format.table else rows
    emit(shown, rows, fmt, title="Data bundle")
    bad = [f"{r['file']} ({'checksum differs' if r['present'] else 'missing'})" for r in checks.values() if not r["ok"]]
    if bad:
        raise ChemoradError(f"data {bundle.path}: {', '.join(bad)}; restore these files from their sources")
