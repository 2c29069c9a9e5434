"""The regimen panel's figure: TCP with its interval per regimen for one tumour, GARD beside it when known."""

from __future__ import annotations

import numpy as np

from chemorad.report.figures import figure_and_ax, plain


def regimen_figure(panel: dict, ax=None):
    """Horizontal bars of TCP per regimen with the interval as error bars; returns the figure.

    `panel` is `chemorad.profile.regimens.regimen_panel(...)` (keys table, sample, patients, gard_alpha). GARD per
    regimen is written at the bar's end when the sample's RSI was computable.
    """
    rows = panel["table"]
    fig, ax = figure_and_ax(ax, (7.5, 0.45 * len(rows) + 1.2))
    names = [plain(r["regimen"]) for r in rows]
    tcp = np.array([r["tcp"] for r in rows])
    lo = np.array([r["tcp_low"] for r in rows])
    hi = np.array([r["tcp_high"] for r in rows])
    y = np.arange(len(rows))[::-1]
    ax.barh(y, tcp, color="C0", alpha=0.7)
    ax.errorbar(tcp, y, xerr=[tcp - lo, hi - tcp], fmt="none", ecolor="k", capsize=3, lw=1)
    for yi, r in zip(y, rows, strict=True):
        gard = r.get("gard")
        if gard is not None and np.isfinite(gard):
            ax.text(min(r["tcp_high"] + 0.02, 0.98), yi, f"GARD {gard:.0f}", va="center", fontsize=7)
    ax.set_yticks(y, names, fontsize=8)
    ax.set_xlim(0, 1)
    ax.set_xlabel(f"tumour control probability ({panel.get('patients', '?')} virtual patients, 95% interval)")
    ax.set_title(f"{plain(panel.get('sample', ''))}: TCP per regimen", fontsize=10)
    fig.tight_layout()
    return fig
