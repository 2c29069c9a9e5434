"""Figures of a sweep: arms compared with 95% intervals, a Sobol tornado, outcomes against each parameter."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from chemorad.report.figures import plain, save, subplots

LABELS = {
    "log_kill": "log10 cell kill (N0 / nadir)",
    "log10_final_cells": "log10 final viable cells",
    "ttp_restricted_days": "time to progression (days, censored at horizon)",
    "progressed": "share progressed",
    "eradicated": "share eradicated",
    "resistant_fraction": "acquired-resistant share at end",
}


def arm_comparison_figure(means: pd.DataFrame, stem: Path, paired: pd.DataFrame | None = None) -> list[Path]:
    """One panel per outcome: mean over points per arm with its 95% interval (from `analysis.arm_means`); with
    `paired` (from `analysis.compare_arms`) each panel also states the paired difference to the reference arm, whose
    interval is much narrower than the per-arm ones when members vary a lot (same members, same seeds)."""
    outcomes = list(dict.fromkeys(means["outcome"]))
    arms = list(dict.fromkeys(means["arm"]))
    ncol = 3
    nrow = int(np.ceil(len(outcomes) / ncol))
    fig, axes = subplots(nrow, ncol, figsize=(4 * ncol, 3.2 * nrow), squeeze=False)
    for ax, outcome in zip(axes.ravel(), outcomes, strict=False):
        sub = means[means["outcome"] == outcome].set_index("arm").loc[arms]
        x = np.arange(len(arms))
        err = np.vstack([sub["mean"] - sub["ci_low"], sub["ci_high"] - sub["mean"]])
        ax.errorbar(x, sub["mean"], yerr=np.nan_to_num(err), fmt="o", capsize=4, color="C0")
        ax.set_xticks(x, [plain(a) for a in arms], rotation=20, fontsize=8)
        ax.set_title(LABELS.get(outcome, outcome), fontsize=9)
        if paired is not None and not paired.empty:
            lines = [
                f"{d.arm} - {d.reference}: {d.mean_difference:+.3g} [{d.ci_low:+.3g}, {d.ci_high:+.3g}]"
                for d in paired[paired["outcome"] == outcome].itertuples()
            ]
            ax.text(0.02, 0.98, plain("\n".join(lines)), transform=ax.transAxes, va="top", fontsize=6.5)
    for ax in axes.ravel()[len(outcomes) :]:
        ax.axis("off")
    fig.suptitle("Arms on the same points: mean and 95% interval (text: paired difference, 95% interval)", fontsize=11)
    fig.tight_layout()
    return save(fig, stem)


def tornado_figure(indices: pd.DataFrame, outcome: str, stem: Path) -> list[Path]:
    """Total-order (bar) and first-order (dot) Sobol indices per parameter, sorted, one panel per arm."""
    sub = indices[indices["outcome"] == outcome]
    arms = list(dict.fromkeys(sub["arm"]))
    fig, axes = subplots(1, len(arms), figsize=(5 * len(arms), 0.5 * sub["parameter"].nunique() + 1.8), squeeze=False)
    for ax, arm in zip(axes[0], arms, strict=True):
        a = sub[sub["arm"] == arm].sort_values("ST")
        y = np.arange(len(a))
        st_err = np.vstack([a["ST"] - a["ST_low"], a["ST_high"] - a["ST"]]).clip(min=0)
        ax.barh(y, a["ST"], xerr=np.nan_to_num(st_err), color="C1", alpha=0.7, label="total order ST", capsize=3)
        s1_err = np.vstack([a["S1"] - a["S1_low"], a["S1_high"] - a["S1"]]).clip(min=0)
        ax.errorbar(a["S1"], y, xerr=np.nan_to_num(s1_err), fmt="o", color="C0", label="first order S1", capsize=3)
        ax.set_yticks(y, a["parameter"], fontsize=8)
        ax.axvline(0, color="k", lw=0.5)
        ax.set_xlim(-0.3, 1.3)  # indices are shares of variance; wide small-N intervals are clipped, not rescaled
        ax.set_xlabel("share of output variance")
        ax.set_title(f"{plain(arm)}: {LABELS.get(outcome, outcome)}", fontsize=9)
        ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return save(fig, stem)


def outcome_vs_parameter_figure(points: pd.DataFrame, parameters: list[str], outcome: str, stem: Path) -> list[Path]:
    """One scatter panel per parameter: the point outcome (replicate mean) against the parameter, per arm."""
    ncol = min(3, len(parameters))
    nrow = int(np.ceil(len(parameters) / ncol))
    fig, axes = subplots(nrow, ncol, figsize=(4 * ncol, 3.2 * nrow), squeeze=False)
    arms = list(dict.fromkeys(points["arm"]))
    for ax, p in zip(axes.ravel(), parameters, strict=False):
        for i, arm in enumerate(arms):
            sub = points[points["arm"] == arm]
            ax.scatter(sub[p], sub[outcome], s=8, alpha=0.6, color=f"C{i}", label=plain(arm))
        ax.set_xlabel(p, fontsize=8)
        ax.set_ylabel(LABELS.get(outcome, outcome), fontsize=8)
        ax.legend(fontsize=7)
    for ax in axes.ravel()[len(parameters) :]:
        ax.axis("off")
    fig.tight_layout()
    return save(fig, stem)
