"""The command line: typer commands, one module per group. The only layer that knows argv, exit codes and rich.

`chemorad.cli.app` is the console-script entry point; domain packages never import this package.
"""

from chemorad.cli.app import app

__all__ = ["app"]
