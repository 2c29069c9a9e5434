"""The tumour page's figures as SVG (`SVG`, a `report.profile_report.Drawing`): the same data as the report's
matplotlib PNGs (predicted percentiles with intervals, the sample's mechanism scores, waterfalls from the tissue
baseline to the prediction), written as SVG text. Measured: the five matplotlib PNGs of one sample took 3-4 s of a
prediction page on a loaded 2-core machine; these take milliseconds (BENCHMARKS.md, web section).

Each figure is an image source (a base64 ``data:image/svg+xml`` URI), so the report's section template shows it as it
shows a PNG.
"""

from __future__ import annotations

import base64
import math
from html import escape

import pandas as pd

from chemorad.report.profile_report import PERCENTILE_AXIS, Drawing, Thresholds, predictions_title, waterfall_steps

RED, BLUE, GREY = "#b00020", "#1565c0", "#999999"
ROW, LEFT, RIGHT, TOP, WIDTH = 18, 230, 20, 24, 680


def uri(svg: str) -> str:
    """An SVG document as a data URI (an ``<img src>``)."""
    return "data:image/svg+xml;base64," + base64.b64encode(str(svg).encode("utf-8")).decode("ascii")


def _frame(n_rows: int, title: str, xlabel: str) -> tuple[list[str], int, int]:
    """The opening of a horizontal chart of `n_rows` rows: (parts, axis y, height)."""
    axis_y = TOP + ROW * n_rows + 4
    height = axis_y + 34
    head = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" '
        f'font-family="sans-serif" role="img" aria-label="{escape(title)}">',
        f'<text x="{WIDTH / 2:.0f}" y="14" text-anchor="middle" font-size="12">{escape(title)}</text>',
        f'<text x="{(LEFT + WIDTH - RIGHT) / 2:.0f}" y="{axis_y + 28}" text-anchor="middle" font-size="11">'
        f"{escape(xlabel)}</text>",
    ]
    return head, axis_y, height


def _x(v: float, lo: float, hi: float) -> float:
    return LEFT + (min(max(v, lo), hi) - lo) / ((hi - lo) or 1.0) * (WIDTH - LEFT - RIGHT)


def _ticks(parts: list[str], axis_y: int, lo: float, hi: float, values) -> None:
    parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{axis_y}" y2="{axis_y}" stroke="#444"/>')
    for v in values:
        parts.append(
            f'<text x="{_x(v, lo, hi):.1f}" y="{axis_y + 13}" text-anchor="middle" font-size="10">{v:.3g}</text>'
        )


def _label(parts: list[str], i: int, text: str) -> None:
    parts.append(
        f'<text x="{LEFT - 6}" y="{TOP + i * ROW + 12}" text-anchor="end" font-size="11">{escape(text)}</text>'
    )


def predictions_svg(table: pd.DataFrame, th: Thresholds) -> str:
    """Predicted percentile among tissue peers (dot) and the interval's percentiles (bar) per therapy, the band
    between the sensitive and resistant cut-offs grey; red at or above the resistant cut-off, blue at or below the
    sensitive one (as `profile_report.predictions_figure`)."""
    lo_cut, hi_cut = th.sensitive_percentile, th.resistant_percentile
    parts, axis_y, _ = _frame(len(table), predictions_title(th), PERCENTILE_AXIS)
    parts.append(
        f'<rect x="{_x(lo_cut, 0, 100):.1f}" y="{TOP}" width="{_x(hi_cut, 0, 100) - _x(lo_cut, 0, 100):.1f}" '
        f'height="{axis_y - TOP}" fill="#eeeeee"/>'
    )
    for i, r in enumerate(table.itertuples()):
        y = TOP + i * ROW + ROW / 2
        colour = RED if r.percentile >= hi_cut else BLUE if r.percentile <= lo_cut else "#000000"
        tip = escape(f"{r.label}: percentile {r.percentile:.0f} [{r.low:.0f}, {r.high:.0f}]")
        _label(parts, i, r.label)
        if math.isfinite(r.low) and math.isfinite(r.high):
            parts.append(
                f'<line x1="{_x(r.low, 0, 100):.1f}" x2="{_x(r.high, 0, 100):.1f}" y1="{y}" y2="{y}" '
                f'stroke="{colour}" stroke-opacity="0.35" stroke-width="6"/>'
            )
        if math.isfinite(r.percentile):
            parts.append(
                f'<circle cx="{_x(r.percentile, 0, 100):.1f}" cy="{y}" r="4" fill="{colour}"><title>{tip}</title>'
                "</circle>"
            )
    _ticks(parts, axis_y, 0, 100, (0, 25, 50, 75, 100))
    return "".join([*parts, "</svg>"])


def activities_svg(scores: pd.Series, n_catalog: int) -> str:
    """The sample's mechanism scores as bars from 0 (red above the tissue mean, blue below), lowest first."""
    s = scores.dropna().sort_values()
    top = float(s.abs().max()) if len(s) and s.abs().max() > 0 else 1.0
    title = f"{len(s)} of the catalog's {n_catalog} mechanisms measured for this sample"
    xlabel = "mechanism activity score (within-tissue SD from the tissue mean of the bundle's lines)"
    parts, axis_y, _ = _frame(len(s), title, xlabel)
    for i, (name, v) in enumerate(s.items()):
        x0, x1 = sorted((_x(0.0, -top, top), _x(float(v), -top, top)))
        _label(parts, i, str(name))
        parts.append(
            f'<rect x="{x0:.1f}" y="{TOP + i * ROW + 3}" width="{max(x1 - x0, 1):.1f}" height="{ROW - 6}" '
            f'fill="{RED if v > 0 else BLUE}"><title>{escape(f"{name}: {v:+.3g}")}</title></rect>'
        )
    x0 = _x(0.0, -top, top)
    parts.append(f'<line x1="{x0:.1f}" x2="{x0:.1f}" y1="{TOP}" y2="{axis_y}" stroke="#000" stroke-width="0.8"/>')
    _ticks(parts, axis_y, -top, top, (-top, 0.0, top))
    return "".join([*parts, "</svg>"])


def waterfall_svg(terms: pd.Series, title: str, unit: str) -> str:
    """From the tissue baseline (grey) through the largest contributions (red up, blue down) to the prediction
    (dark), one row each (`profile_report.waterfall_steps`)."""
    base, steps = waterfall_steps(terms)
    rows: list[tuple[str, float, float, str]] = [("tissue baseline", 0.0, base, GREY)]
    level = base
    for name, v in steps:
        rows.append((name, level, level + v, RED if v > 0 else BLUE))
        level += v
    rows.append(("prediction", 0.0, level, "#333333"))
    ends = [e for _, a, b, _ in rows[1:-1] for e in (a, b)] + [base, level]
    lo, hi = min(ends), max(ends)
    pad = 0.15 * (hi - lo) + 1e-9
    lo, hi = lo - pad, hi + pad
    parts, axis_y, _ = _frame(len(rows), title, unit)
    for i, (name, a, b, colour) in enumerate(rows):
        x0, x1 = sorted((_x(a, lo, hi), _x(b, lo, hi)))
        _label(parts, i, name)
        tip = escape(f"{name}: {b - a:+.3g}" if 0 < i < len(rows) - 1 else f"{name}: {b:.3g}")
        parts.append(
            f'<rect x="{x0:.1f}" y="{TOP + i * ROW + 3}" width="{max(x1 - x0, 1):.1f}" height="{ROW - 6}" '
            f'fill="{colour}"><title>{tip}</title></rect>'
        )
    _ticks(parts, axis_y, lo, hi, (lo + pad, (lo + hi) / 2, hi - pad))
    return "".join([*parts, "</svg>"])


SVG = Drawing(
    predictions=lambda table, th: uri(predictions_svg(table, th)),
    activities=lambda scores, n: uri(activities_svg(scores, n)),
    waterfall=lambda terms, title, unit: uri(waterfall_svg(terms, title, unit)),
)
