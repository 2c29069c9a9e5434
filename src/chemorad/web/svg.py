"""Small inline SVG charts with hover values (a <title> per mark): no script, no external file."""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

from markupsafe import Markup


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    low: float | None = None
    high: float | None = None
    tooltip: str = ""
    href: str | None = None


def bar_chart(bars: list[Bar], xlabel: str, lo: float, hi: float, zero: float = 0.0, width: int = 640) -> Markup:
    """Horizontal bars from `zero` to each value on an axis from `lo` to `hi`, with an interval whisker when given;
    red for values above `zero`, blue below. Each bar's <title> is its tooltip."""
    row, left, right, top = 18, 170, 20, 10
    height = top + row * len(bars) + 34
    span = (hi - lo) or 1.0

    def x(v: float) -> float:
        return left + (min(max(v, lo), hi) - lo) / span * (width - left - right)

    out = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(xlabel)}">'
    ]
    for i, b in enumerate(bars):
        y = top + i * row
        if not math.isfinite(b.value):
            continue
        x0, x1 = sorted((x(zero), x(b.value)))
        colour = "#b00020" if b.value > zero else "#1565c0"
        label = escape(b.label)
        if b.href:
            label = f'<a href="{escape(b.href)}">{label}</a>'
        out.append(f'<text x="{left - 6}" y="{y + 12}" text-anchor="end" font-size="11">{label}</text>')
        tip = escape(b.tooltip or f"{b.label}: {b.value:.3g}")
        out.append(
            f'<rect class="bar" x="{x0:.1f}" y="{y + 3}" width="{max(x1 - x0, 1):.1f}" height="{row - 6}" '
            f'fill="{colour}" fill-opacity="0.75"><title>{tip}</title></rect>'
        )
        if b.low is not None and b.high is not None and math.isfinite(b.low) and math.isfinite(b.high):
            out.append(
                f'<line x1="{x(b.low):.1f}" x2="{x(b.high):.1f}" y1="{y + row / 2}" y2="{y + row / 2}" '
                f'stroke="#222" stroke-width="1.2"><title>{tip}</title></line>'
            )
    axis_y = top + row * len(bars) + 4
    out.append(f'<line x1="{x(zero):.1f}" x2="{x(zero):.1f}" y1="{top}" y2="{axis_y}" stroke="#444"/>')
    for v in (lo, zero, hi):
        out.append(f'<text x="{x(v):.1f}" y="{axis_y + 13}" text-anchor="middle" font-size="10">{v:.3g}</text>')
    out.append(
        f'<text x="{(left + width - right) / 2:.1f}" y="{axis_y + 27}" text-anchor="middle" '
        f'font-size="11">{escape(xlabel)}</text></svg>'
    )
    return Markup("".join(out))
