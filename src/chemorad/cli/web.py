"""`chemorad serve`: the local web explorer (FastAPI + uvicorn), bound to this machine by default."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from chemorad.cli.context import current
from chemorad.errors import ChemoradError

err = Console(stderr=True)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve_cmd(
    host: Annotated[str, typer.Option(help="Address to bind (default: this machine only).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.", min=1, max=65535)] = 8000,
    data: Annotated[
        Path | None, typer.Option("--data", help="Data folder (default: $CHEMORAD_DATA, else ../shared/data).")
    ] = None,
    runs: Annotated[
        Path | None,
        typer.Option(
            "--runs",
            help="Folder of simulate/sweep results to browse, where browser simulations are saved "
            "(default: $CHEMORAD_RUNS, else ~/.local/share/chemorad/runs).",
        ),
    ] = None,
    n_boot: Annotated[
        int, typer.Option(help="Bootstrap resamples per cross-resistance pair.", min=0, max=10_000)
    ] = 200,
    warm: Annotated[bool, typer.Option(help="Compute the matrix and cross-resistance at start-up.")] = True,
    allow_host: Annotated[
        list[str] | None,
        typer.Option(
            "--allow-host",
            help="A further host name the server answers to (repeatable; default: localhost, 127.0.0.1, ::1 and "
            "--host). Requests naming any other Host are refused.",
        ),
    ] = None,
) -> None:
    """Start the web explorer: the mechanism x therapy matrix, mechanism and gene pages, cross-resistance, one
    tumour's prediction, simulations, and a JSON API under /api/. Stop with Ctrl-C."""
    import uvicorn

    from chemorad.context import Context
    from chemorad.web.app import server_app  # the one import of the web layer from the command line

    if data is not None and not data.is_dir():
        raise ChemoradError(f"--data {data}: not a folder")
    if runs is not None and not runs.is_dir():
        raise ChemoradError(f"--runs {runs}: not a folder")
    ctx = current()
    if not _is_loopback(host):
        err.print(f"[yellow]chemorad: warning:[/yellow] serving on {host}: other machines can reach this server")
    for name in allow_host or []:
        if not name.strip() or any(c in name for c in "/ \t@"):
            raise ChemoradError(f"--allow-host {name!r}: give a host name or address, e.g. myhost.local")
    context = Context(catalog=ctx.catalog, data=data, cache_dir=ctx.cache_dir)
    web_app = server_app(context, runs, n_boot, warm, tuple(allow_host or ()), host)
    err.print(f"chemorad: serving on http://{host}:{port}/ (Ctrl-C to stop)", highlight=False)
    try:
        uvicorn.run(web_app, host=host, port=port, log_level="warning")
    except OSError as exc:
        raise ChemoradError(f"--port {port}: cannot listen on {host}:{port} ({exc.strerror or exc})") from None
