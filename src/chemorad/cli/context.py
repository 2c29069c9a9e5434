"""The command line's `Context`: made once by the root callback (`chemorad --catalog DIR ...`), read by commands."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from chemorad.context import Context

_current: Context | None = None


def set_context(catalog_dir: Path | None) -> None:
    """Create the context for this invocation (a user catalog folder, or the shipped catalog)."""
    global _current
    _current = Context.create(catalog_dir=catalog_dir)


def current() -> Context:
    """The invocation's context; the shipped catalog when no root callback ran (e.g. a command called directly)."""
    global _current
    if _current is None:
        _current = Context.create()
    return _current


def current_with_data(data: Path | None) -> Context:
    """The invocation's context with the data folder a command was given (`--data`); unchanged when None."""
    ctx = current()
    return ctx if data is None else replace(ctx, data=data)


def current_catalog():
    """Shorthand for ``current().catalog``: what commands pass down as `cat`."""
    return current().catalog
