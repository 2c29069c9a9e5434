"""Option declarations shared by several commands, and `profile_command`, which collects the molecular-input
options of a command into one typed `ProfileInputs`.

This module and `chemorad.cli.render` (and `chemorad.cli.context`) are the only cli modules other cli modules may
import: a command module holds its commands, never logic another command uses (that lives in `chemorad.app`).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, get_type_hints

import typer

from chemorad.app.inputs import ProfileInputs, split_ids

ProfilesOpt = Annotated[
    Path | None, typer.Option("--profiles", help="Folder of molecular files laid out like the data bundle.")
]
MafOpt = Annotated[Path | None, typer.Option("--maf", help="Mutations, GDC/TCGA MAF.")]
ExprOpt = Annotated[Path | None, typer.Option("--expression", help="Expression matrix (TSV/CSV/Parquet).")]
CnOpt = Annotated[Path | None, typer.Option("--copy-number", help="GISTIC-style copy-number calls (-2..2).")]
ProtOpt = Annotated[Path | None, typer.Option("--protein", help="RPPA protein matrix (CCLE antibody names).")]
TissuesOpt = Annotated[Path | None, typer.Option("--tissues", help="Table of sample, tissue.")]
TissueOpt = Annotated[
    str | None, typer.Option("--tissue", help="One tissue for every sample without one (e.g. lung, LUAD).")
]
LineOpt = Annotated[
    list[str] | None, typer.Option("--cell-line", help="A cell line of the data bundle (repeat for several).")
]
ScaleOpt = Annotated[
    str,
    typer.Option(
        "--scale", help="Expression scale: tpm, log (log2) or z; auto detects TPM (values above 50) and z-scores only."
    ),
]
OrientOpt = Annotated[
    str, typer.Option("--orientation", help="Matrix files: auto, genes_x_samples or samples_x_genes.")
]
DataOpt = Annotated[
    Path | None, typer.Option("--data", help="Data folder (default: $CHEMORAD_DATA, else ../shared/data).")
]
TherapyOpt = Annotated[
    str | None, typer.Option("--therapies", help="Comma-separated therapy ids (default: every therapy with data).")
]
LevelOpt = Annotated[float, typer.Option("--level", help="Coverage of the prediction intervals, in (0, 1).")]

#: command-line parameter -> (its declaration, its default); the parameter names of `ProfileInputs`'s options
PROFILE_OPTIONS: dict[str, tuple[Any, Any]] = {
    "profiles": (ProfilesOpt, None),
    "maf": (MafOpt, None),
    "expression": (ExprOpt, None),
    "copy_number": (CnOpt, None),
    "protein": (ProtOpt, None),
    "tissues": (TissuesOpt, None),
    "tissue": (TissueOpt, None),
    "cell_line": (LineOpt, None),
    "scale": (ScaleOpt, "auto"),
    "data": (DataOpt, None),
    "therapies": (TherapyOpt, None),
    "level": (LevelOpt, 0.9),
    "orientation": (OrientOpt, "auto"),
}
#: the molecular inputs every profile command takes, in the order `--help` lists them
MOLECULAR = (
    "profiles",
    "maf",
    "expression",
    "copy_number",
    "protein",
    "tissues",
    "tissue",
    "cell_line",
    "scale",
    "data",
)


def profile_inputs(values: dict[str, Any]) -> ProfileInputs:
    """The typed inputs from the parsed options (`--cell-line` repeated -> a list; `--therapies a,b` -> ids)."""
    fields = {k: v for k, v in values.items() if k not in ("cell_line", "therapies")}
    if "cell_line" in values:
        fields["cell_lines"] = list(values["cell_line"]) if values["cell_line"] else None
    if "therapies" in values:
        fields["therapies"] = split_ids(values["therapies"])
    return ProfileInputs(**fields)


def profile_command(*layout: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a command whose first parameter is ``inputs: ProfileInputs``.

    The command's options are those of `layout` in that order (names of `PROFILE_OPTIONS` and of the command's own
    parameters), then the command's remaining parameters. typer sees one parameter per option, with the declarations
    above, so the flags and `--help` are those of a plain command; the function receives one `ProfileInputs`.
    """

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        hints = get_type_hints(fn, include_extras=True)
        own = {
            p.name: p.replace(annotation=hints[p.name], kind=inspect.Parameter.KEYWORD_ONLY)
            for p in inspect.signature(fn).parameters.values()
            if p.name != "inputs"
        }
        mine = [n for n in layout if n in PROFILE_OPTIONS]
        params = [
            inspect.Parameter(
                n, inspect.Parameter.KEYWORD_ONLY, annotation=PROFILE_OPTIONS[n][0], default=PROFILE_OPTIONS[n][1]
            )
            if n in PROFILE_OPTIONS
            else own.pop(n)
            for n in layout
        ]
        params += list(own.values())

        @functools.wraps(fn)
        def command(**options: Any) -> Any:
            inputs = profile_inputs({n: options.pop(n) for n in mine})
            return fn(inputs, **options)

        command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        command.__annotations__ = {p.name: p.annotation for p in params}
        return command

    return decorate


def holding_out(command):
    """Run `command` holding its --out folder (`chemorad.io_atomic.folder_lock`, as simulate and sweep do), so a second
    chemorad process writing there is refused in one line; the command's own checks of --out then run under the lock."""

    @functools.wraps(command)
    def held(*args, **kwargs):
        out = kwargs.get("out")
        if out is None:
            return command(*args, **kwargs)
        from chemorad.io_atomic import folder_lock

        with folder_lock(out):
            return command(*args, **kwargs)

    return held
