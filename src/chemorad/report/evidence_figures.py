"""Figures of the evidence engine: LQ fit of a line, volcano plots, effect heatmap, cross-resistance matrix."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from chemorad.catalog.load import Catalog
from chemorad.catalog.registry import Modality, ResponseKey
from chemorad.report.figures import figure_and_ax, plain, save


def lq_fit_figure(doses: np.ndarray, sf: np.ndarray, fit: pd.Series, line: str, stem: Path) -> list[Path]:
    """`draw_lq_fit` written to `stem`.png and .svg."""
    return save(draw_lq_fit(doses, sf, fit, line), stem)


def draw_lq_fit(doses: np.ndarray, sf: np.ndarray, fit: pd.Series, line: str, ax: Axes | None = None) -> Figure:
    """Measured surviving fractions of one line and its fitted LQ curve, on `ax` (or a new figure)."""
    fig, ax = figure_and_ax(ax, (4.5, 3.6))
    d = np.linspace(0, max(10.0, float(np.nanmax(doses))), 200)
    ax.plot(
        d,
        np.exp(-fit["alpha"] * d - fit["beta"] * d * d),
        label=(f"LQ fit: alpha {fit['alpha']:.3f}/Gy, beta {fit['beta']:.4f}/Gy2, R2 {fit['r_squared']:.3f}"),
    )
    ax.plot(doses, sf, "o", label="measured (Yard et al. 2016)")
    ax.set_yscale("log")
    ax.set_xlabel("dose (Gy)")
    ax.set_ylabel("surviving fraction")
    ax.set_title(f"{plain(line)}: SF2 {fit['sf2']:.2f}, D10 {fit['d10']:.1f} Gy", fontsize=10)
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3, which="both")
    return fig


def volcano_figure(table: pd.DataFrame, title: str, stem: Path, fdr: float = 0.1, label: int = 8) -> list[Path]:
    """`draw_volcano` written to `stem`.png and .svg."""
    return save(draw_volcano(table, title, fdr, label), stem)


def draw_volcano(table: pd.DataFrame, title: str, fdr: float = 0.1, label: int = 8, ax: Axes | None = None) -> Figure:
    """Effect (per SD of feature) against -log10 p; FDR-significant points coloured, the strongest labelled."""
    fig, ax = figure_and_ax(ax, (5, 4))
    sig = table["fdr"] < fdr
    ax.scatter(table["effect"], -np.log10(table["p_value"]), s=8, c=np.where(sig, "crimson", "grey"), alpha=0.7)
    for r in table.nsmallest(label, "p_value").itertuples():
        ax.annotate(str(r.feature), (r.effect, -np.log10(r.p_value)), fontsize=6)
    ax.axvline(0, color="k", lw=0.5)
    ax.set_xlabel("effect on response (higher = more resistant)")
    ax.set_ylabel("-log10 p")
    ax.set_title(f"{title} (red: FDR < {fdr})", fontsize=9)
    return fig


def effect_heatmap_figure(effects: pd.DataFrame, fdrs: pd.DataFrame, stem: Path, fdr: float = 0.1) -> list[Path]:
    """`draw_effect_heatmap` written to `stem`.png and .svg."""
    return save(draw_effect_heatmap(effects, fdrs, fdr), stem)


def draw_effect_heatmap(effects: pd.DataFrame, fdrs: pd.DataFrame, fdr: float = 0.1, ax: Axes | None = None) -> Figure:
    """Mechanism x therapy standardised effects; '*' marks FDR < fdr."""
    fig, ax = figure_and_ax(ax, (0.32 * effects.shape[1] + 4, 0.2 * effects.shape[0] + 2))
    lim = float(np.nanmax(np.abs(effects.to_numpy()))) if effects.size else 1.0
    im = ax.imshow(
        effects.to_numpy(dtype=float), aspect="auto", cmap="RdBu_r", vmin=-lim, vmax=lim, interpolation="nearest"
    )
    ax.set_xticks(range(effects.shape[1]), effects.columns, rotation=90, fontsize=7)
    ax.set_yticks(range(effects.shape[0]), effects.index, fontsize=7)
    for i, j in zip(*np.nonzero(fdrs.to_numpy(dtype=float) < fdr), strict=True):
        ax.text(j, i, "*", ha="center", va="center", fontsize=7)
    ax.set_title(
        f"Mechanism score vs response, tissue-adjusted (SD of response per SD of score); * FDR < {fdr}", fontsize=9
    )
    fig.colorbar(im, ax=ax, fraction=0.03, pad=0.01, label="red: goes with resistance")
    return fig


def crossres_figure(matrix: pd.DataFrame, stars: pd.DataFrame, stem: Path, ax: Axes | None = None) -> list[Path]:
    """Symmetric matrix of tissue-adjusted partial correlations; '*' marks FDR < 0.1; thin lines between datasets."""
    return save(draw_crossres(matrix, stars, ax), stem)


def draw_crossres(matrix: pd.DataFrame, stars: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """Draw the cross-resistance matrix on `ax` (a new figure sized to the matrix when None); return the figure.

    Labels are 'therapy (dataset)' as given by the index; rows and columns are kept in the order given, so the caller
    groups them by dataset (`crossres_labels`) and lines are drawn where the dataset in brackets changes.
    """
    n = matrix.shape[0]
    fig, ax = figure_and_ax(ax, (0.26 * n + 4.5, 0.26 * n + 2.5))
    im = ax.imshow(matrix.to_numpy(dtype=float), cmap="RdBu_r", vmin=-1, vmax=1, interpolation="nearest")
    ax.set_xticks(range(matrix.shape[1]), matrix.columns, rotation=90, fontsize=9)
    ax.set_yticks(range(n), matrix.index, fontsize=9)
    groups = [str(x).rsplit("(", 1)[-1] for x in matrix.index]
    for k in range(1, n):
        if groups[k] != groups[k - 1]:
            ax.axhline(k - 0.5, color="#444444", lw=0.6)
            ax.axvline(k - 0.5, color="#444444", lw=0.6)
    for i, j in zip(*np.nonzero(stars.to_numpy(dtype=bool)), strict=True):
        ax.text(j, i, "*", ha="center", va="center", fontsize=8)
    ax.set_title("Cross-resistance: partial correlation given tissue (* FDR < 0.1)", fontsize=11)
    fig.colorbar(im, ax=ax, fraction=0.03, pad=0.01, label="partial r (red: cross-resistance)")
    return fig


def crossres_labels(cat: Catalog, columns: list[str]) -> dict[str, str]:
    """Response column -> 'therapy (dataset)' with the catalog's therapy id, so that a drug has one short name
    whatever each data set calls it (5-FU, 5-Fluorouracil -> fluorouracil); columns no therapy claims keep their
    compound name, cut to 24 characters."""
    out = {}
    for col in columns:
        key = ResponseKey.parse(col)
        t = cat.therapy_for_response(key)
        name = t.id if t is not None else (key.compound if len(key.compound) <= 24 else key.compound[:21] + "...")
        out[col] = f"{name} ({key.dataset})"
    return out


def crossres_matrix(table: pd.DataFrame, cat: Catalog) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The cross-resistance table (response_a, response_b, partial_r, fdr) as a symmetric matrix with short labels,
    radiation first, then each data set's drugs in alphabetical order, and the matching FDR < 0.1 mask."""
    cols = sorted(set(table["response_a"]) | set(table["response_b"]))
    labels = crossres_labels(cat, cols)

    def is_radiation(col: str) -> bool:
        t = cat.therapy_for_response(col)
        return t is not None and t.modality == Modality.radiation

    order = sorted(cols, key=lambda c: (not is_radiation(c), ResponseKey.parse(c).dataset, labels[c]))
    names = [labels[c] for c in order]
    m = pd.DataFrame(np.nan, names, names)
    s = pd.DataFrame(False, names, names)
    for r in table.itertuples():
        a, b = labels[r.response_a], labels[r.response_b]
        m.loc[a, b] = m.loc[b, a] = r.partial_r
        s.loc[a, b] = s.loc[b, a] = bool(r.fdr < 0.1)
    return m, s


def crossres_matrix_figure(table: pd.DataFrame, stem: Path, cat: Catalog) -> list[Path]:
    """The cross-resistance table as a symmetric matrix figure with short therapy names (`crossres_matrix`)."""
    m, s = crossres_matrix(table, cat)
    return crossres_figure(m, s, stem)


def claims_heatmap_figure(verdicts: pd.DataFrame, stem: Path) -> list[Path]:
    """Claim verdicts as a mechanism x (therapy, dataset) heatmap of standardised effects with FDR marks."""
    one = verdicts.dropna(subset=["effect_sd"]).drop_duplicates(["mechanism", "therapy", "dataset"])
    one = one.assign(column=one["therapy"] + " " + one["dataset"])
    eff = one.pivot(index="mechanism", columns="column", values="effect_sd")
    fdr = one.pivot(index="mechanism", columns="column", values="fdr").reindex_like(eff)
    return effect_heatmap_figure(eff, fdr, stem)
