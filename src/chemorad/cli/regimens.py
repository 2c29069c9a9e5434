"""`chemorad regimens`: one tumour's profile in, TCP per treatment regimen (and GARD) out."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from chemorad.app.inputs import ProfileInputs
from chemorad.cli.context import current
from chemorad.cli.options import MOLECULAR, profile_command
from chemorad.cli.render import Format, emit, print_messages, task_progress

err = Console(stderr=True)


@profile_command(*MOLECULAR)
def regimens_cmd(
    inputs: ProfileInputs,
    regimen_file: Annotated[
        Path | None, typer.Option("--regimen-file", help="YAML: regimen name -> schedule items (docs/clinical.md).")
    ] = None,
    standard: Annotated[bool, typer.Option(help="Include the standard regimens.")] = True,
    site: Annotated[
        str | None, typer.Option(help="Tumour site of the site model (hnscc, prostate, ...): its standard regimens.")
    ] = None,
    patients: Annotated[int, typer.Option(help="Virtual patients per regimen.", min=20, max=20000)] = 200,
    seed: Annotated[int, typer.Option(help="Seed of the virtual patients.", min=0, max=2**32 - 1)] = 0,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
) -> None:
    """TCP with intervals for standard head and neck regimens (and yours) for one tumour, next to its GARD.

    The tumour's predicted radiosensitivity and cisplatin/5-FU responses set its patient-level parameters in the
    calibrated HNSCC population (docs/clinical.md); the rest varies over virtual patients. With --site S: the site
    model on S's standard regimens, with the tumour's radiosensitivity quantile and drug potency.
    """
    # the science is imported when the command runs, not for --help
    from chemorad.app.regimens import RegimenRequest, regimens

    request = RegimenRequest(regimen_file=regimen_file, standard=standard, patients=patients, seed=seed, site=site)
    with task_progress(err) as progress:
        result = regimens(current(), inputs, request, progress=progress)
    print_messages(err, *result.prediction.messages)
    for note, summary in zip(result.notes, result.summaries, strict=True):
        if note:
            err.print(f"chemorad: note: {note}", highlight=False)
        err.print(summary, highlight=False)
    out = result.table
    emit(out.round(4), out.to_dict("records"), fmt, title=f"TCP per regimen ({patients} virtual patients each)")
