"""The chemorad command line: one sub-command per use (catalog, model, evidence, dynamics, profile).

User errors (`ChemoradError`, bad options) print one line on stderr and exit with code 2.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from chemorad.cli.context import set_context
from chemorad.errors import ChemoradError

USER_ERROR = 2


class _OneLineErrors(TyperGroup):
    """Turn user errors into one line on stderr and exit code 2, instead of a traceback or a usage box."""

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
    if catalog_dir is not None and not catalog_dir.is_dir():
        raise ChemoradError(f"--catalog {catalog_dir}: not a folder")
    set_context(catalog_dir)


from chemorad.cli import catalog as _catalog  # noqa: E402
from chemorad.cli.calibrate import calibrate_cmd  # noqa: E402
from chemorad.cli.clinical import calibrate_clinical_cmd  # noqa: E402
from chemorad.cli.dynamics import crossres_evolution_cmd, simulate_cmd  # noqa: E402
from chemorad.cli.evidence import app as evidence_app  # noqa: E402
from chemorad.cli.kb import app as kb_app  # noqa: E402
from chemorad.cli.perturbations import perturbations as perturbations_cmd  # noqa: E402
from chemorad.cli.profile import predict_cmd, report_cmd  # noqa: E402
from chemorad.cli.regimens import regimens_cmd  # noqa: E402
from chemorad.cli.sweep import sweep_cmd, sweep_report_cmd  # noqa: E402
from chemorad.cli.web import serve_cmd  # noqa: E402

for _cmd in (
    _catalog.mechanisms,
    _catalog.mechanism,
    _catalog.gene,
    _catalog.therapies,
    _catalog.references,
    _catalog.specificity,
    _catalog.demo,
):
    app.command()(_cmd)
app.command("perturbations")(perturbations_cmd)
app.add_typer(evidence_app, name="evidence")
app.add_typer(kb_app, name="kb")
app.command("simulate")(simulate_cmd)
app.command("crossres-evolution")(crossres_evolution_cmd)
app.command("calibrate-clinical")(calibrate_clinical_cmd)
app.command("calibrate")(calibrate_cmd)
app.command("predict")(predict_cmd)
app.command("report")(report_cmd)
app.command("regimens")(regimens_cmd)
app.command("sweep")(sweep_cmd)
app.command("sweep-report")(sweep_report_cmd)
app.command("serve")(serve_cmd)


def main() -> None:  # pragma: no cover - the console-script entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
