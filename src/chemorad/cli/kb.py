"""`chemorad kb ...`: the graded cross-resistance knowledge base (export, schema)."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from chemorad.cli.context import current_catalog
from chemorad.cli.render import existing_data_folder
from chemorad.errors import ChemoradError
from chemorad.io_atomic import file_lock, replacing, write_text

app = typer.Typer(
    help="The graded knowledge base of resistance mechanisms and markers per therapy.", no_args_is_help=True
)
err = Console(stderr=True)


class KbFormat(StrEnum):
    tsv = "tsv"
    json = "json"
    jsonld = "jsonld"


def _writable(out: Path, force: bool) -> None:
    if out.exists() and not force:
        raise ChemoradError(f"--out {out}: the file exists; give another name or --force to replace it")
    if not out.parent.is_dir():
        raise ChemoradError(f"--out {out}: folder {out.parent} does not exist")


@app.command("export")
def export_cmd(
    out: Annotated[Path, typer.Option("--out", help="File to write.")],
    fmt: Annotated[KbFormat, typer.Option("--format", "-f", help="tsv, json or jsonld.")] = KbFormat.tsv,
    force: Annotated[bool, typer.Option(help="Replace an existing file.")] = False,
    data: Annotated[
        Path | None,
        typer.Option(
            "--data", help="Data folder (default: $CHEMORAD_DATA, else ../shared/data).", callback=existing_data_folder
        ),
    ] = None,
) -> None:
    """Write every record (mechanism or marker x therapy x direction) with its literature, perturbation and
    cell-line evidence and its grade (docs/kb.md)."""
    from chemorad.evidence.kb import kb_export, kb_jsonld, knowledge_base, records_table

    _writable(out, force)
    with file_lock(out):  # a second export to the same file is refused, not silently replaced
        _writable(out, force)  # again under the lock
        cat = current_catalog()
        with err.status("testing every mechanism and marker on the cell-line data"):
            records = knowledge_base(cat, data)
        doc = kb_export(records)
        if fmt is KbFormat.tsv:
            with replacing(out) as tmp:
                records_table(doc["records"]).to_csv(tmp, sep="\t", index=False)
        else:
            payload = kb_jsonld(doc) if fmt is KbFormat.jsonld else doc
            write_text(out, json.dumps(payload, indent=1, allow_nan=False) + "\n")
    grades = {}
    for r in doc["records"]:
        grades[r["evidence_grade"]] = grades.get(r["evidence_grade"], 0) + 1
    err.print(f"wrote {len(doc['records'])} records to {out} (grades: {dict(sorted(grades.items()))})")


@app.command("schema")
def schema_cmd(
    out: Annotated[Path | None, typer.Option("--out", help="Write the JSON Schema here (default: print it).")] = None,
    force: Annotated[bool, typer.Option(help="Replace an existing file.")] = False,
) -> None:
    """The versioned JSON Schema of the JSON export."""
    from chemorad.evidence.kb_models import json_schema

    if out is not None:
        _writable(out, force)
    text = json.dumps(json_schema(), indent=1, sort_keys=True) + "\n"
    if out is None:
        print(text, end="")
    else:
        write_text(out, text)
        err.print(f"wrote {out}")
