"""Figures of a simulated treatment course and of the order-of-therapy comparison."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.figure import Figure

from chemorad.report.figures import plain, save, subplots


def simulation_figure(ds: xr.Dataset, stem: Path, top_clones: int = 6) -> list[Path]:
    """`draw_simulation` written to `stem`.png and .svg."""
    return save(draw_simulation(ds, top_clones), stem)


def draw_simulation(ds: xr.Dataset, top_clones: int = 6) -> Figure:
    """Burden with treatment marks, clone composition, hypoxic fraction and replicate spread, one panel each."""
    t = ds["time"].to_numpy()
    viable = ds["viable"].to_numpy()
    total = viable + ds["dead"].to_numpy()
    fig, axes = subplots(2, 2, figsize=(10, 7))
    ax = axes[0, 0]
    med = np.median(viable, axis=0)
    ax.fill_between(
        t, np.percentile(viable, 10, axis=0), np.percentile(viable, 90, axis=0), alpha=0.3, label="viable, 10-90%"
    )
    ax.plot(t, med, label="viable, median")
    ax.plot(t, np.median(total, axis=0), "--", label="viable + dead (burden)")
    marks = [e.split(":") for e in ds.attrs.get("events", "").split("; ") if e]
    colours = {}
    for time, therapy, _dose in marks:
        c = colours.setdefault(therapy, f"C{len(colours) + 3}")
        ax.axvline(float(time), color=c, lw=0.4, alpha=0.6)
    for therapy, c in colours.items():
        ax.plot([], [], color=c, label=therapy)
    ax.set_yscale("log")
    ax.set_xlabel("day")
    ax.set_ylabel("cells")
    ax.set_title("Tumour burden (treatment marks)", fontsize=10)
    ax.legend(fontsize=7)
    ax = axes[0, 1]
    cells = ds["cells"].sum("compartment").mean("replicate")
    frac = cells / cells.sum("clone")
    order = frac.isel(time=-1).to_series().sort_values(ascending=False).index[:top_clones]
    bottom = np.zeros(len(t))
    for clone in order:
        y = np.nan_to_num(frac.sel(clone=clone).to_numpy())
        ax.fill_between(t, bottom, bottom + y, label=plain(clone), alpha=0.8)
        bottom += y
    ax.set_ylim(0, 1)
    ax.set_xlabel("day")
    ax.set_ylabel("share of viable cells")
    ax.set_title("Clone composition (mean over replicates)", fontsize=10)
    ax.legend(fontsize=6)
    ax = axes[1, 0]
    hf = ds["hypoxic_fraction"].to_numpy()
    ax.plot(t, np.nanmedian(hf, axis=0))
    ax.set_xlabel("day")
    ax.set_ylabel("hypoxic fraction")
    ax.set_title("Reoxygenation", fontsize=10)
    ax = axes[1, 1]
    for r in range(min(len(viable), 50)):
        ax.plot(t, np.maximum(viable[r], 0.5), lw=0.5, alpha=0.5)
    ax.set_yscale("log")
    ax.set_xlabel("day")
    ax.set_ylabel("viable cells")
    ax.set_title(f"Replicates ({len(viable)})", fontsize=10)
    fig.suptitle(plain(ds.attrs.get("scenario", "")), fontsize=11)
    fig.tight_layout()
    return fig


def order_figure(rows: pd.DataFrame, stem: Path) -> list[Path]:
    """Acquired resistance factor to the second therapy, per drug and order (one box per order)."""
    labels = list(dict.fromkeys(rows["order"]))
    fig, axes = subplots(1, 2, figsize=(10, 4))
    axes[0].boxplot([rows.loc[rows["order"] == o, "rf_second"] for o in labels], tick_labels=labels)
    axes[0].axhline(1.0, color="k", lw=0.5)
    axes[0].set_ylabel("acquired RF to the second therapy")
    axes[0].tick_params(axis="x", rotation=45, labelsize=7)
    axes[0].set_title("Resistance left by the first therapy", fontsize=10)
    axes[1].boxplot([rows.loc[rows["order"] == o, "log_kill"] for o in labels], tick_labels=labels)
    axes[1].set_ylabel("log10 kill over the course")
    axes[1].tick_params(axis="x", rotation=45, labelsize=7)
    axes[1].set_title("Outcome by order", fontsize=10)
    fig.tight_layout()
    return save(fig, stem)
