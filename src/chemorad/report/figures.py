"""Figures (PNG and SVG side by side), drawn with matplotlib's non-interactive backend."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402


def save(fig: Figure, stem: Path) -> list[Path]:
    """Write `stem`.png (150 dpi) and `stem`.svg; return both paths."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = [stem.with_suffix(".png"), stem.with_suffix(".svg")]
    for p in paths:
        fig.savefig(p, dpi=150, bbox_inches="tight")
    plt.close(fig)
    return paths


def specificity_heatmap(values: pd.DataFrame, ax: plt.Axes, title: str, disputed: pd.DataFrame | None = None,
                        cmap: str = "Purples", vmax: float = 1.0, label: str = "") -> None:
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
    fig, ax = plt.subplots(figsize=(0.28 * values.shape[1] + 4, 0.2 * values.shape[0] + 2))
    specificity_heatmap(values, ax, "Claimed specificity (catalog sources); '?' = sources disagree", disputed,
                        label="claimed: 1 acts, 0.5 secondary, 0 not")
    return save(fig, stem)
