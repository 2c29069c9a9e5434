"""Figures (PNG and SVG side by side), drawn with matplotlib's object-oriented API.

Figures are `matplotlib.figure.Figure` objects made by `subplots` below, never through pyplot: no GUI backend is chosen,
nothing is registered globally (so a web server can draw in several threads), and importing this module does not call
`matplotlib.use`. Drawing functions take an optional `ax` and return the figure they drew on; `save` writes it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from chemorad.io_atomic import replacing


def subplots(nrows: int = 1, ncols: int = 1, figsize: tuple[float, float] | None = None, **kw: Any):
    """(figure, axes) like `pyplot.subplots`, on a standalone `Figure` that needs no backend."""
    fig = Figure(figsize=figsize)
    return fig, fig.subplots(nrows, ncols, **kw)


def plain(text: object) -> str:
    """`text` shown literally by matplotlib: a user's name with `$` in it (a sample id, a cell line, a regimen) is not
    parsed as mathtext (which would fail on `T$1$x` or render it as maths)."""
    return str(text).replace("$", r"\$")


def figure_and_ax(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    """The figure of `ax`, or a new one-panel figure of `figsize` when `ax` is None."""
    if ax is None:
        return subplots(figsize=figsize)
    return ax.figure, ax


def save(fig: Figure, stem: Path) -> list[Path]:
    """Write `stem`.png (150 dpi) and `stem`.svg; return both paths."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = [stem.with_suffix(".png"), stem.with_suffix(".svg")]
    for p in paths:
        with replacing(p) as tmp:  # a full disk keeps the old figure (chemorad.io_atomic)
            fig.savefig(tmp, dpi=150, bbox_inches="tight", format=p.suffix[1:])
    return paths


def __getattr__(name: str):
    # For call sites not yet moved to `subplots` (e.g. a branch that still imports `plt` from here): pyplot on the
    # headless Agg backend, chosen only when first asked for, never at import.
    if name == "plt":
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        return plt
    raise AttributeError(name)


def specificity_heatmap(
    values: pd.DataFrame,
    ax: Axes,
    title: str,
    disputed: pd.DataFrame | None = None,
    cmap: str = "Purples",
    vmax: float = 1.0,
    label: str = "",
) -> None:
    """Mechanism x therapy heatmap; cells where sources disagree are marked '?'."""
    im = ax.imshow(values.to_numpy(), aspect="auto", cmap=cmap, vmin=0, vmax=vmax, interpolation="nearest")
    ax.set_xticks(range(values.shape[1]), values.columns, rotation=90, fontsize=7)
    ax.set_yticks(range(values.shape[0]), values.index, fontsize=7)
    ax.set_title(title, fontsize=10)
    if disputed is not None:
        for i, j in zip(*np.nonzero(disputed.to_numpy()), strict=True):
            ax.text(j, i, "?", ha="center", va="center", fontsize=6, color="darkorange")
    ax.figure.colorbar(im, ax=ax, fraction=0.03, pad=0.01, label=label)


def claimed_specificity_figure(values: pd.DataFrame, disputed: pd.DataFrame, stem: Path) -> list[Path]:
    fig, ax = subplots(figsize=(0.28 * values.shape[1] + 4, 0.2 * values.shape[0] + 2))
    specificity_heatmap(
        values,
        ax,
        "Claimed specificity (catalog sources); '?' = sources disagree",
        disputed,
        label="claimed: 1 acts, 0.5 secondary, 0 not",
    )
    return save(fig, stem)


def specificity_comparison_figure(
    computed_log2: pd.DataFrame, claimed: pd.DataFrame, disputed: pd.DataFrame, stem: Path
) -> list[Path]:
    """Computed log2 resistance factor (strongest condition) beside the claimed specificity, same rows and columns."""
    h = 0.2 * computed_log2.shape[0] + 2
    w = 0.28 * computed_log2.shape[1] + 3
    fig, (ax1, ax2) = subplots(1, 2, figsize=(2 * w + 2, h), sharey=True)
    # Clip at 8-fold so that 1.2-2-fold repair and death effects stay visible next to 100-fold pumps.
    lim = min(float(np.nanmax(np.abs(computed_log2.to_numpy()))) or 1.0, 3.0)
    im = ax1.imshow(
        computed_log2.to_numpy(), aspect="auto", cmap="RdBu_r", vmin=-lim, vmax=lim, interpolation="nearest"
    )
    ax1.set_xticks(range(computed_log2.shape[1]), computed_log2.columns, rotation=90, fontsize=7)
    ax1.set_yticks(range(computed_log2.shape[0]), computed_log2.index, fontsize=7)
    ax1.set_title("Computed: log2 resistance factor (damage chain, activity 1)", fontsize=10)
    fig.colorbar(im, ax=ax1, fraction=0.03, pad=0.01, label="log2 RF (red: resistance; clipped at +-3)")
    specificity_heatmap(claimed, ax2, "Claimed (sources); '?' = sources disagree", disputed, label="claimed")
    fig.tight_layout()
    return save(fig, stem)


def survival_curves_figure(panels: list[dict], stem: Path) -> list[Path]:
    """One panel per dict: {'title', 'xlabel', 'x', 'curves': {label: y}, 'logx': bool}; y is surviving fraction."""
    fig, axes = subplots(1, len(panels), figsize=(4.2 * len(panels), 3.6))
    for ax, p in zip(np.atleast_1d(axes), panels, strict=True):
        for label, y in p["curves"].items():
            ax.plot(p["x"], y, label=label)
        ax.set_yscale("log")
        if p.get("logx"):
            ax.set_xscale("log")
        ax.set_ylim(1e-3, 1.2)
        ax.set_xlabel(p["xlabel"])
        ax.set_ylabel("surviving fraction")
        ax.set_title(p["title"], fontsize=10)
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    return save(fig, stem)
