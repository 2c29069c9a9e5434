"""The chemorad command line: one sub-command per use (catalog, model, evidence, dynamics, profile, sweeps).

User errors (`ChemoradError`, bad options) print one line on stderr and exit with code 2.

Commands are loaded lazily: `COMMANDS` maps each name to the module attribute that implements it and to the one-line
help `chemorad --help` shows, so listing the commands or running a catalog look-up does not import NumPy's heavy
neighbours (pandas, SciPy, matplotlib, scikit-learn, Dask: about 3 s before). A command's module is imported only when
that command runs or its own `--help` is asked for. `tests/test_cli_app.py` checks that each listed help line is the
first paragraph of the command's docstring, so the two cannot drift apart.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Annotated, Any

import click
import typer
from typer.core import TyperGroup

from chemorad.errors import ChemoradError

USER_ERROR = 2

#: name -> ("module:attribute", one-line help); the attribute is a command function or a typer.Typer group
COMMANDS: dict[str, tuple[str, str]] = {
    "answer": (
        "chemorad.cli.answer:answer_cmd",
        "The answer as one document: which mechanisms are unique to chemotherapy or radiotherapy, which alterations "
        "give cross-resistance, and what is not known.",
    ),
    "mechanisms": (
        "chemorad.cli.catalog:mechanisms",
        "List resistance mechanisms with stage, markers, therapies touched, claimed specificity and references.",
    ),
    "mechanism": ("chemorad.cli.catalog:mechanism", "The full card of one mechanism, with its references."),
    "gene": ("chemorad.cli.catalog:gene", "Mechanisms a gene marks and the therapies they touch."),
    "therapies": (
        "chemorad.cli.catalog:therapies",
        "Radiotherapy and the drugs in the catalog, with their resistance-relevant properties.",
    ),
    "references": ("chemorad.cli.catalog:references", "The bibliography behind every mechanism, parameter and claim."),
    "catalog": (
        "chemorad.cli.catalog:catalog_app",
        "Views of the catalog as a whole: `chemorad catalog provenance` (how every effect size was obtained).",
    ),
    "specificity": (
        "chemorad.cli.catalog:specificity",
        "Computed specificity: resistance factor of every mechanism on every therapy, and a verdict per mechanism.",
    ),
    "demo": (
        "chemorad.cli.demo:demo_cmd",
        "Run the main job on the shipped defaults and write tables and figures to OUT.",
    ),
    "data": (
        "chemorad.cli.data:data_cmd",
        "List the data bundle's files with their public source and terms, verify every checksum, name optional sets.",
    ),
    "evidence": (
        "chemorad.cli.evidence:app",
        "Test the claims on real cell-line data (Yard 2016, GDSC1/2, CTRP, CCLE).",
    ),
    "kb": (
        "chemorad.cli.kb:app",
        "The graded knowledge base of resistance mechanisms and markers per therapy.",
    ),
    "simulate": (
        "chemorad.cli.dynamics:simulate_cmd",
        "Simulate a tumour over a treatment course: growth, kill through the damage chain, the 5 Rs, evolution, TCP.",
    ),
    "crossres-evolution": (
        "chemorad.cli.dynamics:crossres_evolution_cmd",
        "Drug then radiotherapy vs the reverse: resistance acquired to the second therapy, and what was selected.",
    ),
    "perturbations": (
        "chemorad.cli.perturbations:perturbations",
        "Published experiments in which one mechanism was changed and the response measured (read vs recalled).",
    ),
    "calibrate": (
        "chemorad.cli.calibrate:calibrate_cmd",
        "Calibrate the damage chain on the data: posterior of effect sizes, potencies, marker weights and noise.",
    ),
    "calibrate-clinical": (
        "chemorad.cli.clinical:calibrate_clinical_cmd",
        "Fit a tumour site's population parameters to its training trials; --check predicts its validation trials.",
    ),
    "predict": (
        "chemorad.cli.profile:predict_cmd",
        "Predict each sample's response to radiotherapy and every drug with data, with intervals and reasons.",
    ),
    "report": (
        "chemorad.cli.profile:report_cmd",
        "Write a self-contained HTML report per sample (images inline, readable offline).",
    ),
    "regimens": (
        "chemorad.cli.regimens:regimens_cmd",
        "TCP with intervals for standard head and neck regimens (and yours) for one tumour, next to its GARD.",
    ),
    "sweep": (
        "chemorad.cli.sweep:sweep_cmd",
        "Run a sweep or virtual cohort on Dask, streaming results to OUT as partitioned Parquet.",
    ),
    "sweep-report": (
        "chemorad.cli.sweep:sweep_report_cmd",
        "Outcome distributions per arm, paired arm comparisons, Sobol indices; tables and figures in DIR/report.",
    ),
    "serve": (
        "chemorad.cli.web:serve_cmd",
        "Start the web explorer: the mechanism x therapy matrix, mechanism and gene pages, cross-resistance, one "
        "tumour's prediction, simulations, and a JSON API under /api/. Stop with Ctrl-C.",
    ),
}


def load_command(name: str) -> click.Command:
    """Import the module behind command `name` and build its click command (a group for `evidence`)."""
    target, _ = COMMANDS[name]
    module, attr = target.split(":")
    obj = getattr(importlib.import_module(module), attr)
    if isinstance(obj, typer.Typer):
        cmd = typer.main.get_command(obj)
    else:
        single = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
        single.command(name)(obj)
        cmd = typer.main.get_command(single)
    cmd.name = name
    return cmd


class _Unloaded(click.Command):
    """What `chemorad --help` lists for a command not yet imported: its name and one-line help."""


class _OneLineErrors(TyperGroup):
    """Turn user errors into one line on stderr and exit code 2, instead of a traceback or a usage box; load the
    commands of `COMMANDS` on first use."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._listing = False
        for name, (_, short) in COMMANDS.items():
            self.commands.setdefault(name, _Unloaded(name, help=short))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        cmd = self.commands.get(cmd_name)
        if isinstance(cmd, _Unloaded) and not self._listing:
            cmd = self.commands[cmd_name] = load_command(cmd_name)
        return cmd

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self._listing = True  # list the unloaded commands' help lines; import nothing
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        try:
            rv = super().main(*args, standalone_mode=False, **kwargs)
        except ChemoradError as exc:
            _fail(str(exc))
        except OSError as exc:  # a path the user gave cannot be read or written
            where = f"{exc.filename}: " if exc.filename else ""
            _fail(f"{where}{exc.strerror or exc}")
        except typer.Abort:
            _fail("aborted", code=1)
        except typer.TyperException as exc:  # click usage errors: bad option, missing argument, bad choice
            message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
            _fail(message, code=getattr(exc, "exit_code", USER_ERROR))
        if standalone_mode:
            sys.exit(rv if isinstance(rv, int) else 0)
        return rv


def _fail(message: str, code: int = USER_ERROR) -> None:
    sys.stderr.write(f"chemorad: error: {' '.join(message.split())}\n")
    sys.exit(code)


app = typer.Typer(
    cls=_OneLineErrors,
    help="Chemotherapy and radiotherapy resistance: catalog, damage-chain model, evidence, dynamics, profiles.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(
    catalog_dir: Annotated[
        Path | None,
        typer.Option(
            "--catalog",
            help="A catalog folder (mechanisms.yaml, therapies.yaml, references.yaml) used instead of the shipped one.",
        ),
    ] = None,
) -> None:
    """Chemotherapy and radiotherapy resistance: catalog, damage-chain model, evidence, dynamics, profiles."""
    from chemorad.cli.context import set_context  # loads the catalog: not needed to list the commands

    if catalog_dir is not None and not catalog_dir.is_dir():
        raise ChemoradError(f"--catalog {catalog_dir}: not a folder")
    set_context(catalog_dir)


def main() -> None:  # pragma: no cover - the console-script entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
