"""Server-rendered SVG figures of the explorer pages (no script, no external file; each mark has a <title>):
a survival curve on a log axis, a scatter (or strip plot) coloured and shaped by group, and per-group ranges.

Every figure is a complete SVG document (xmlns set), so the same string is inlined in a page and served as a download.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from html import escape

import numpy as np
import pandas as pd
from markupsafe import Markup

#: Okabe & Ito 2008 colour-blind-safe palette (recalled), then darker tones; shapes repeat with a period of 3 so that
#: colour is never the only way to tell groups apart (the legend names each).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
           "#7f3b08", "#2d004b", "#1b7837", "#8c510a")  # fmt: skip
SHAPES = ("circle", "square", "triangle")


@dataclass(frozen=True)
class Frame:
    """Plot area: width, height and margins (pixels)."""

    width: int = 640
    height: int = 380
    left: int = 64
    right: int = 16
    top: int = 16
    bottom: int = 48

    def sx(self, v: float, lo: float, hi: float) -> float:
        return self.left + (v - lo) / ((hi - lo) or 1.0) * (self.width - self.left - self.right)

    def sy(self, v: float, lo: float, hi: float) -> float:
        return self.height - self.bottom - (v - lo) / ((hi - lo) or 1.0) * (self.height - self.top - self.bottom)


def _open(f: Frame, label: str, height: int | None = None) -> list[str]:
    h = height or f.height
    return [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{f.width}" height="{h}" '
        f'viewBox="0 0 {f.width} {h}" role="img" aria-label="{escape(label)}" font-family="sans-serif">'
    ]


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """About `n` round tick values covering [lo, hi] (steps of 1, 2 or 5 times a power of ten)."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo]
    raw = (hi - lo) / max(n, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step) * step
    return [round(first + i * step, 10) for i in range(int((hi - first) / step + 1e-9) + 1)]


def _axes(f: Frame, xlim, ylim, xticks, yticks, xlabel: str, ylabel: str, ylog: bool = False) -> list[str]:
    x0, x1 = f.left, f.width - f.right
    y0, y1 = f.height - f.bottom, f.top
    out = [f'<rect x="{x0}" y="{y1}" width="{x1 - x0}" height="{y0 - y1}" fill="none" stroke="#888"/>']
    for t in xticks:
        x = f.sx(t, *xlim)
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y0}" y2="{y0 + 4}" stroke="#444"/>')
        out.append(f'<text x="{x:.1f}" y="{y0 + 16}" text-anchor="middle" font-size="11">{t:g}</text>')
    for t in yticks:
        y = f.sy(math.log10(t) if ylog else t, *ylim)
        out.append(f'<line x1="{x0 - 4}" x2="{x1}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{x0 - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">{t:g}</text>')
    out.append(
        f'<text x="{(x0 + x1) / 2:.1f}" y="{f.height - 10}" text-anchor="middle" font-size="12">{escape(xlabel)}</text>'
    )
    out.append(
        f'<text transform="translate(14,{(y0 + y1) / 2:.1f}) rotate(-90)" text-anchor="middle" '
        f'font-size="12">{escape(ylabel)}</text>'
    )
    return out


def _mark(
    shape: str, x: float, y: float, colour: str, tip: str, r: float = 4.0, cls: str = "pt", extra: str = ""
) -> str:
    title = f"<title>{escape(tip)}</title>"
    common = f'class="{cls}" fill="{colour}" fill-opacity="0.8" stroke="#222" stroke-width="0.5"{extra}'
    if shape == "square":
        return f'<rect x="{x - r:.1f}" y="{y - r:.1f}" width="{2 * r:.1f}" height="{2 * r:.1f}" {common}>{title}</rect>'
    if shape == "triangle":
        pts = f"{x:.1f},{y - r * 1.2:.1f} {x - r * 1.1:.1f},{y + r * 0.8:.1f} {x + r * 1.1:.1f},{y + r * 0.8:.1f}"
        return f'<polygon points="{pts}" {common}>{title}</polygon>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" {common}>{title}</circle>'


def survival_plot(measured: pd.DataFrame, curves: list[tuple[str, np.ndarray, np.ndarray]], title: str,
                  f: Frame | None = None) -> Markup:  # fmt: skip
    """Measured surviving fractions (`measured`: dose_gy, sf) as dots and fitted curves (label, doses, SF) as lines,
    on a log10 SF axis from 0 Gy; a legend names every curve (line styles differ, not only colours)."""
    f = f or Frame()
    doses = measured["dose_gy"].to_numpy(dtype=float)
    sf = measured["sf"].to_numpy(dtype=float)
    allv = np.concatenate([sf] + [np.asarray(c[2], dtype=float) for c in curves])
    allv = allv[np.isfinite(allv) & (allv > 0)]
    lo = math.floor(math.log10(max(allv.min(), 1e-4))) if allv.size else -2.0
    hi = math.log10(max(allv.max(), 1.0)) + 0.08 if allv.size else 0.08
    ylim = (float(lo), hi)
    xlim = (0.0, max(10.0, float(np.nanmax(doses)) if doses.size else 10.0))
    yticks = [10.0**k for k in range(int(lo), math.floor(hi) + 1)]
    out = _open(f, title)
    out += _axes(f, xlim, ylim, nice_ticks(*xlim), yticks, "dose (Gy)", "surviving fraction (log scale)", ylog=True)
    dashes = ("", ' stroke-dasharray="6 4"', ' stroke-dasharray="2 3"')
    # legend in the lower left of the plot, where a survival curve (falling from SF 1 at 0 Gy) never is
    legend_x = f.left + 10
    legend_y = f.height - f.bottom - 16 * (len(curves) + 1)
    for i, (label, xs, ys) in enumerate(curves):
        pts = " ".join(
            f"{f.sx(x, *xlim):.1f},{f.sy(math.log10(y), *ylim):.1f}"
            for x, y in zip(np.asarray(xs, dtype=float), np.asarray(ys, dtype=float), strict=True)
            if np.isfinite(y) and y > 0
        )
        out.append(
            f'<polyline class="fit" points="{pts}" fill="none" stroke="{PALETTE[i]}" stroke-width="2"'
            f"{dashes[i % 3]}><title>{escape(label)}</title></polyline>"
        )
        y_leg = legend_y + 16 * i
        out.append(
            f'<line x1="{legend_x}" x2="{legend_x + 24}" y1="{y_leg - 4}" y2="{y_leg - 4}" '
            f'stroke="{PALETTE[i]}" stroke-width="2"{dashes[i % 3]}/>'
            f'<text x="{legend_x + 30}" y="{y_leg}" font-size="11">{escape(label)}</text>'
        )
    for d, s in zip(doses, sf, strict=True):
        if np.isfinite(s) and s > 0:
            out.append(
                _mark("circle", f.sx(d, *xlim), f.sy(math.log10(s), *ylim), "#222", f"{d:g} Gy: SF {s:.3g} (measured)")
            )
    y_leg = legend_y + 16 * len(curves)
    out.append(
        _mark("circle", legend_x + 12, y_leg - 4, "#222", "measured", cls="key")
        + f'<text x="{legend_x + 30}" y="{y_leg}" font-size="11">measured (Yard 2016)</text>'
    )
    out.append("</svg>")
    return Markup("".join(out))


def group_style(groups: list[str]) -> dict[str, tuple[str, str]]:
    """Colour and shape per group, in the given order (colour cycles every 12, shape every 3)."""
    return {g: (PALETTE[i % len(PALETTE)], SHAPES[(i // len(PALETTE) + i) % len(SHAPES)]) for i, g in enumerate(groups)}


def _jitter(key: str, width: float) -> float:
    """A deterministic horizontal offset in [-width/2, width/2] from the name (same point, same place, every time)."""
    return (zlib.crc32(key.encode("utf-8")) % 1000 / 999 - 0.5) * width


def scatter_plot(table: pd.DataFrame, xlabel: str, ylabel: str, strip: bool = False, f: Frame | None = None) -> Markup:
    """Points of `table` (cell_line, tissue, x, y), coloured and shaped by tissue, with a legend naming each tissue.

    `strip`: x is a 0/1 status (wild type / mutant), drawn as two jittered columns.
    """
    f = f or Frame(width=820, height=420, right=260)
    groups = sorted(table["tissue"].unique())
    style = group_style(groups)
    y = table["y"].to_numpy(dtype=float)
    ypad = (np.ptp(y) if y.size else 1.0) * 0.05 or 0.5
    ylim = (float(y.min()) - ypad, float(y.max()) + ypad) if y.size else (0.0, 1.0)
    if strip:
        xlim, xticks = (-0.6, 1.6), []
    else:
        x = table["x"].to_numpy(dtype=float)
        xpad = (np.ptp(x) if x.size else 1.0) * 0.05 or 0.5
        xlim = (float(x.min()) - xpad, float(x.max()) + xpad) if x.size else (0.0, 1.0)
        xticks = nice_ticks(*xlim)
    height = max(f.height, f.top + 16 * len(groups) + 20)
    out = _open(f, f"{ylabel} against {xlabel}", height)
    out += _axes(f, xlim, ylim, xticks, nice_ticks(*ylim), xlabel, ylabel)
    if strip:
        for v, name in ((0, "wild type"), (1, "mutant")):
            n = int((table["x"] == v).sum())
            out.append(
                f'<text x="{f.sx(v, *xlim):.1f}" y="{f.height - f.bottom + 16}" text-anchor="middle" '
                f'font-size="11">{name} (n={n})</text>'
            )
    for r in table.itertuples(index=False):
        xv = float(r.x) + (_jitter(str(r.cell_line), 0.5) if strip else 0.0)
        colour, shape = style[r.tissue]
        tip = f"{r.cell_line} ({r.tissue}): {xlabel} {r.x:.3g}, {ylabel} {r.y:.3g}"
        extra = f' data-tissue="{escape(str(r.tissue))}" data-line="{escape(str(r.cell_line))}"'
        out.append(_mark(shape, f.sx(xv, *xlim), f.sy(float(r.y), *ylim), colour, tip, 3.5, "pt", extra))
    lx = f.width - f.right + 14
    for i, g in enumerate(groups):
        colour, shape = style[g]
        yy = f.top + 10 + 16 * i
        n = int((table["tissue"] == g).sum())
        out.append(_mark(shape, lx, yy - 4, colour, g, 4.0, "key"))
        out.append(f'<text x="{lx + 10}" y="{yy}" font-size="11">{escape(g)} ({n})</text>')
    out.append("</svg>")
    return Markup("".join(out))


def range_chart(rows: pd.DataFrame, xlabel: str, f: Frame | None = None) -> Markup:
    """One row per group (`rows`: tissue, lines, median, q25, q75, min, max): a thin line from min to max, a thick
    bar over the interquartile range and a tick at the median, with the group's name and line count as text."""
    n = len(rows)
    f = f or Frame(width=720, height=0, left=230, right=20, top=10, bottom=44)
    height = f.top + 18 * n + f.bottom
    f = Frame(f.width, height, f.left, f.right, f.top, f.bottom)
    lo = float(rows["min"].min()) if n else 0.0
    hi = float(rows["max"].max()) if n else 1.0
    pad = (hi - lo) * 0.03 or 0.5
    xlim = (lo - pad, hi + pad)
    out = _open(f, xlabel)
    for t in nice_ticks(*xlim, n=8):
        x = f.sx(t, *xlim)
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{f.top}" y2="{height - f.bottom}" stroke="#eee"/>')
        out.append(f'<text x="{x:.1f}" y="{height - f.bottom + 14}" text-anchor="middle" font-size="10">{t:g}</text>')
    for i, r in enumerate(rows.itertuples(index=False)):
        yy = f.top + 18 * i + 9
        tip = (
            f"{r.tissue}: median {r.median:.3g}, IQR {r.q25:.3g} to {r.q75:.3g}, range {r.min:.3g} to {r.max:.3g}, "
            f"{r.lines} lines"
        )
        out.append(
            f'<text x="{f.left - 6}" y="{yy + 4}" text-anchor="end" font-size="11">{escape(str(r.tissue))} '
            f"({r.lines})</text>"
            f'<line x1="{f.sx(r.min, *xlim):.1f}" x2="{f.sx(r.max, *xlim):.1f}" y1="{yy}" y2="{yy}" stroke="#777">'
            f"<title>{escape(tip)}</title></line>"
            f'<rect class="iqr" x="{f.sx(r.q25, *xlim):.1f}" y="{yy - 5}" '
            f'width="{max(f.sx(r.q75, *xlim) - f.sx(r.q25, *xlim), 1):.1f}" height="10" fill="#0072B2" '
            f'fill-opacity="0.6"><title>{escape(tip)}</title></rect>'
            f'<line x1="{f.sx(r.median, *xlim):.1f}" x2="{f.sx(r.median, *xlim):.1f}" y1="{yy - 7}" y2="{yy + 7}" '
            f'stroke="#000" stroke-width="2"><title>{escape(tip)}</title></line>'
        )
    out.append(
        f'<text x="{(f.left + f.width - f.right) / 2:.1f}" y="{height - 12}" text-anchor="middle" '
        f'font-size="12">{escape(xlabel)}</text></svg>'
    )
    return Markup("".join(out))
