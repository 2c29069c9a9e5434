"""A self-contained HTML report per sample: every image is an inline PNG (base64 data URI) and the styles are inline,
so the file opens offline in any browser and can be mailed as one file.

The report is built in three named steps: `report_view` turns the predictions into a view model (`ReportView`: the
numbers as display strings, the figures as data URIs, the interval level and the thresholds it was made with), and
`render_report` fills the Jinja2 template `profile_report.html` with it. The web explorer renders the same view model
with the same section template (`_profile_sections.html`) inside its own page.

Sections (element ids): summary, predictions (predicted percentile among tissue peers with interval, per therapy),
activities (the sample's mechanism scores), attributions (waterfalls from the tissue baseline to the prediction),
crossres (therapies predicted resistant together, and where the damage chain disagrees with the fitted model),
coverage (markers used, substituted, missing, unusable), references (data sources and the catalog's references for
the mechanisms named).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from chemorad.app.defaults import shown_first
from chemorad.catalog import views as cv
from chemorad.catalog.load import Catalog
from chemorad.chain.specificity import TARGET_SF, conditions
from chemorad.errors import ChemoradError
from chemorad.io_atomic import write_text
from chemorad.profile.predict import RESISTANT_PERCENTILE, Predictions, primary_records
from chemorad.profile.readers import Profile
from chemorad.report.figures import figure_and_ax
from chemorad.report.html import TableView, environment, percent, png_uri, table_view

__all__ = ["ReportView", "render_report", "report_view", "write_reports"]

DATA_SOURCES = (
    "Radiation survival: Yard et al. 2016, Nat Commun 7:11428 (doi:10.1038/ncomms11428); LQ fits as RadioGx, "
    "Manem et al. 2019.",
    "Drug response, expression, mutations, copy number: GDSC1/GDSC2, Iorio et al. 2016, Cell 166:740 "
    "(doi:10.1016/j.cell.2016.06.017); Yang et al. 2013, Nucleic Acids Res 41:D955.",
    "CTRP v2: Seashore-Ludlow et al. 2015, Cancer Discov 5:1210 (doi:10.1158/2159-8290.CD-15-0235).",
    "Protein (RPPA): Li et al. 2017, Cancer Cell 31:225 (CCLE). RNA-seq z-scores: Ghandi et al. 2019, Nature 569:503.",
    "Prediction intervals: jackknife, Barber, Candes, Ramdas & Tibshirani 2021, Ann Stat 49:486.",
)
# Shown first when predicted, after the catalog's radiotherapy: the three drugs most often given with it
# (app/data/defaults.yaml).
WATERFALL_DRUGS = shown_first("report_waterfalls")
N_WATERFALLS = 4


@dataclass(frozen=True)
class Thresholds:
    """What the report calls resistant and sensitive, and the damage chain's oxygen conditions, all from their
    sources: percentiles from `profile.predict.RESISTANT_PERCENTILE` (the sensitive cut-off is its mirror image),
    pO2 values from the catalog's radiation entry (`chain.specificity.conditions`)."""

    level: float
    resistant_percentile: float
    sensitive_percentile: float
    hypoxic_po2_mmhg: float
    oxic_po2_mmhg: float
    radiation_target_sf: float

    @classmethod
    def from_catalog(cls, cat: Catalog, level: float) -> Thresholds:
        cond = conditions(cat)
        return cls(
            level=level,
            resistant_percentile=RESISTANT_PERCENTILE,
            sensitive_percentile=100.0 - RESISTANT_PERCENTILE,
            hypoxic_po2_mmhg=cond["hypoxic"],
            oxic_po2_mmhg=cond["oxic"],
            radiation_target_sf=TARGET_SF["radiation"],
        )

    @property
    def level_label(self) -> str:
        return f"{percent(self.level)} interval"


@dataclass(frozen=True)
class Waterfall:
    therapy: str
    title: str
    image: str
    carried: TableView


@dataclass(frozen=True)
class RegimenView:
    """The regimen panel: TCP per standard regimen for virtual patients sharing this tumour's predicted responses."""

    image: str
    table: TableView
    patients: int
    note: str
    site: str = "hnscc"  # the site model's tumour site (`profile.regimens.regimen_panel`)


@dataclass(frozen=True)
class ReportView:
    """Everything the templates show for one sample, already formatted."""

    sample: str
    tissue: str
    layers: str
    generated: str
    thresholds: Thresholds
    resistant: list[str]
    sensitive: list[str]
    notes: list[str]
    warnings: list[str]
    predictions_image: str | None
    predictions: TableView
    chain_dmf: str | None
    chain_drivers: str
    activities_image: str
    n_measured: int
    n_catalog: int
    waterfalls: list[Waterfall]
    crossres_therapies: list[str]
    crossres_shared: list[str]
    disagreements: TableView | None
    coverage_counts: str
    coverage: TableView
    references: list[str] = field(default_factory=list)
    regimens: RegimenView | None = None


# ------------------------------------------------------------------------------------------------------ figures
def prediction_percentiles(prim: pd.DataFrame, pred: Predictions) -> pd.DataFrame:
    """Per therapy, lowest percentile first: its label, the prediction's percentile among tissue peers and the
    percentiles of its interval's ends (by the model that predicted it, `percentile_in_tissue`)."""
    prim = prim.sort_values("percentile_in_tissue")
    rows = []
    for row in prim.itertuples():
        model = pred.models[row.sample][row.column]
        lo, hi = model.percentile_in_tissue(
            pd.Series([row.interval_low, row.interval_high]), pd.Series([row.tissue] * 2, dtype=object)
        )["percentile"]
        label = f"{row.therapy} ({row.dataset} {row.metric})"
        rows.append({"label": label, "percentile": row.percentile_in_tissue, "low": lo, "high": hi})
    return pd.DataFrame(rows, columns=["label", "percentile", "low", "high"])


def predictions_title(th: Thresholds) -> str:
    """The predictions figure's title: what the dot, the bar and the grey band are."""
    lo_cut, hi_cut = th.sensitive_percentile, th.resistant_percentile
    return (
        f"Predicted response vs tissue peers (dot), {th.level_label} (bar); grey: percentiles {lo_cut:g} to {hi_cut:g}"
    )


PERCENTILE_AXIS = "percentile among tissue peers (observed responses; higher = more resistant)"


def predictions_figure(table: pd.DataFrame, th: Thresholds, ax: Axes | None = None) -> Figure:
    """Predicted percentile among tissue peers (dot) with the interval's percentiles (bar), per therapy (the rows of
    `prediction_percentiles`)."""
    fig, ax = figure_and_ax(ax, (7.5, 0.28 * len(table) + 1.2))
    lo_cut, hi_cut = th.sensitive_percentile, th.resistant_percentile
    ax.axvspan(lo_cut, hi_cut, color="#eeeeee", zorder=0)
    for i, row in enumerate(table.itertuples()):
        pct = row.percentile
        colour = "#b00020" if pct >= hi_cut else "#1565c0" if pct <= lo_cut else "k"
        ax.plot([row.low, row.high], [i, i], color=colour, alpha=0.35, lw=4, solid_capstyle="butt")
        ax.plot(pct, i, "o", color=colour)
    ax.set_yticks(range(len(table)), list(table["label"]), fontsize=8)
    ax.set_xlim(0, 100)
    ax.set_xlabel(PERCENTILE_AXIS)
    ax.set_title(predictions_title(th), fontsize=9)
    return fig


def activities_figure(scores: pd.Series, n_catalog: int, ax: Axes | None = None) -> Figure:
    """The sample's mechanism activity scores as horizontal bars (red: above the tissue mean)."""
    s = scores.dropna().sort_values()
    fig, ax = figure_and_ax(ax, (7.5, 0.2 * max(len(s), 1) + 1.2))
    ax.barh(range(len(s)), s.to_numpy(), color=["#b00020" if v > 0 else "#1565c0" for v in s])
    ax.set_yticks(range(len(s)), s.index, fontsize=7)
    ax.axvline(0, color="k", lw=0.8)
    ax.set_xlabel("mechanism activity score (within-tissue SD from the tissue mean of the bundle's lines)")
    ax.set_title(f"{len(s)} of the catalog's {n_catalog} mechanisms measured for this sample", fontsize=9)
    return fig


def waterfall_steps(terms: pd.Series, k: int = 8) -> tuple[float, list[tuple[str, float]]]:
    """(tissue baseline = intercept + tissue, the k largest contributions by size then 'all others')."""
    base = float(terms.get("intercept", 0.0) + terms.get("tissue", 0.0))
    contrib = terms.drop(labels=[t for t in ("intercept", "tissue") if t in terms.index])
    contrib = contrib[contrib != 0]
    top = contrib.reindex(contrib.abs().sort_values(ascending=False).index)[:k]
    rest = float(contrib.sum() - top.sum())
    return base, [(str(n), float(v)) for n, v in top.items()] + ([("all others", rest)] if abs(rest) > 0 else [])


def waterfall_figure(terms: pd.Series, title: str, unit: str, k: int = 8, ax: Axes | None = None) -> Figure:
    """From the tissue baseline (intercept + tissue) through the largest contributions to the prediction."""
    base, steps = waterfall_steps(terms, k)
    fig, ax = figure_and_ax(ax, (7.5, 0.32 * (len(steps) + 2) + 1.0))
    level = base
    labels = ["tissue baseline"]
    ax.barh(0, base, color="#999999")
    for i, (name, v) in enumerate(steps, start=1):
        ax.barh(i, v, left=level, color="#b00020" if v > 0 else "#1565c0")
        level += v
        labels.append(name)
    ax.barh(len(steps) + 1, level, color="#333333")
    labels.append("prediction")
    path = base + np.cumsum([v for _, v in steps]) if steps else np.array([base])
    lo, hi = min(base, level, *path), max(base, level, *path)
    pad = 0.15 * (hi - lo) + 1e-9
    ax.set_xlim(lo - pad, hi + pad)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel(unit)
    ax.set_title(title, fontsize=9)
    return fig


@dataclass(frozen=True)
class Drawing:
    """How the report's figures become image sources (``<img src>``): each takes the figure's data and returns a URI.
    `PNG` (the report's) draws them with matplotlib as inline PNGs; the web explorer passes its own SVG drawing
    (`chemorad.web.report_svg.SVG`: the same data, drawn in milliseconds)."""

    predictions: Callable[[pd.DataFrame, Thresholds], str]  # the rows of `prediction_percentiles`
    activities: Callable[[pd.Series, int], str]  # the sample's scores, the catalog's number of mechanisms
    waterfall: Callable[[pd.Series, str, str], str]  # the terms, the title, the unit


PNG = Drawing(
    predictions=lambda table, th: png_uri(predictions_figure(table, th)),
    activities=lambda scores, n: png_uri(activities_figure(scores, n)),
    waterfall=lambda terms, title, unit: png_uri(waterfall_figure(terms, title, unit)),
)


# ---------------------------------------------------------------------------------------------- view, in steps
def prediction_table(prim: pd.DataFrame, th: Thresholds) -> pd.DataFrame:
    """One row per therapy: response, prediction with its interval, percentile, top mechanisms, chain RF, flags."""

    def tops(items) -> str:
        return ", ".join(
            f"{t['mechanism']}{'' if t['catalog_link'] else '*'} ({t['contribution']:+.2g})" for t in items
        )

    def flags(r: dict) -> str:
        parts = (
            f"chain says {r['chain_direction']}" if r["disagreement"] is True else "",
            "unseen tissue" if r["unseen_tissue"] is True else "",
            ("cross-resistant with " + ", ".join(r["cross_resistant_with"])) if r["cross_resistant_with"] else "",
        )
        return "; ".join(x for x in parts if x)

    return pd.DataFrame(
        {
            "therapy": prim["therapy"],
            "response": prim["dataset"] + " " + prim["metric"],
            f"predicted [{th.level_label}]": [
                f"{p:.2f} [{lo:.2f}, {hi:.2f}]"
                for p, lo, hi in zip(prim["predicted"], prim["interval_low"], prim["interval_high"], strict=True)
            ],
            "percentile (n peers)": [
                f"{q:.0f} ({int(n)})" for q, n in zip(prim["percentile_in_tissue"], prim["n_reference"], strict=True)
            ],
            "top mechanisms (* no catalog link)": prim["top_mechanisms"].map(tops),
            "chain RF": prim["chain_resistance_factor"],
            "flags": [flags(r) for r in prim.to_dict("records")],
        }
    )


def _summary(pred: Predictions, prof: Profile, sample: str, prim: pd.DataFrame, th: Thresholds) -> dict:
    return {
        "sample": sample,
        "tissue": str(pred.scores.tissue.get(sample) or "unknown"),
        "layers": ", ".join(f"{k} ({v})" for k, v in prof.sources.items()) or "-",
        "generated": date.today().isoformat(),
        "resistant": prim[prim["percentile_in_tissue"] >= th.resistant_percentile]["therapy"].tolist(),
        "sensitive": prim[prim["percentile_in_tissue"] <= th.sensitive_percentile]["therapy"].tolist(),
        "notes": [n for n in pred.notes if n.startswith(f"{sample}:") or "left out" in n],
        "warnings": [w for w in pred.warnings if sample in w or "'" not in w],
    }


def _predictions(pred: Predictions, rec: pd.DataFrame, prim: pd.DataFrame, th: Thresholds, drawing: Drawing) -> dict:
    chain_rows = rec[rec["dataset"] == "chain"]
    out = {
        "predictions_image": drawing.predictions(prediction_percentiles(prim, pred), th) if len(prim) else None,
        "predictions": table_view(prediction_table(prim, th)),
        "chain_dmf": None,
        "chain_drivers": "",
    }
    if len(chain_rows):
        row = chain_rows.iloc[0]
        out["chain_dmf"] = f"{row['predicted']:.3f}"
        out["chain_drivers"] = (
            ", ".join(f"{t['mechanism']} ({t['contribution']:+.3f})" for t in row["top_mechanisms"]) or "none"
        )
    return out


def _waterfalls(cat: Catalog, pred: Predictions, sample: str, prim: pd.DataFrame, drawing: Drawing) -> list[Waterfall]:
    chosen = [t for t in (cat.radiotherapy.id, *WATERFALL_DRUGS) if t in set(prim["therapy"])]
    by_pct = prim.sort_values("percentile_in_tissue", ascending=False)["therapy"]
    chosen += [t for t in by_pct if t not in chosen][: max(0, N_WATERFALLS - len(chosen))]
    a = pred.attributions
    out = []
    for tid in chosen:
        row = prim[prim["therapy"] == tid].iloc[0]
        terms = a[(a["sample"] == sample) & (a["column"] == row["column"])].set_index("term")["contribution"]
        title = f"{tid}: {row['dataset']} {row['metric']} = {row['predicted']:.3g}"
        image = drawing.waterfall(terms, title, f"{row['dataset']} {row['metric']}")
        carried = pd.DataFrame(
            {
                "mechanism": [t["mechanism"] for t in row["top_mechanisms"]],
                "contribution": [t["contribution"] for t in row["top_mechanisms"]],
                "catalog link": ["yes" if t["catalog_link"] else "no" for t in row["top_mechanisms"]],
                "markers carrying it": [", ".join(t.get("markers", [])) for t in row["top_mechanisms"]],
            }
        )
        out.append(Waterfall(tid, title, image, table_view(carried)))
    return out


def _crossres(pred: Predictions, sample: str, rec: pd.DataFrame) -> dict:
    cr = pred.crossres[pred.crossres["sample"] == sample]
    dis = rec[rec["disagreement"].astype(bool, errors="ignore") == True]  # noqa: E712 - object column
    cols = ["therapy", "dataset", "metric", "model_direction", "chain_direction", "chain_resistance_factor"]
    return {
        "crossres_therapies": list(cr.iloc[0]["therapies"]) if len(cr) else [],
        "crossres_shared": list(cr.iloc[0]["shared_mechanisms"]) if len(cr) else [],
        "disagreements": table_view(dis[cols]) if len(dis) else None,
    }


def _coverage(pred: Predictions, sample: str) -> dict:
    cov = pred.scores.coverage[pred.scores.coverage["sample"] == sample]
    counts = cov.groupby("status").size().to_dict()
    return {
        "coverage_counts": ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())),
        "coverage": table_view(cov[["mechanism", "gene", "alteration", "layer", "status", "note"]]),
    }


def _references(cat: Catalog, rec: pd.DataFrame) -> list[str]:
    named = {t["mechanism"] for items in rec["top_mechanisms"] for t in items}
    refs: dict[str, str] = {}
    for mid in sorted(m for m in named if m in cat.mechanisms):
        for ref in cv.mechanism_record(cat, cat.mechanisms[mid])["references"]:
            refs.setdefault(ref["id"], cv.cite(cat.references[ref["id"]]))
    return list(DATA_SOURCES) + [f"[{rid}] {text}" for rid, text in sorted(refs.items())]


def _regimens(cat: Catalog, pred: Predictions, prof: Profile, sample: str, rec: pd.DataFrame) -> RegimenView | None:
    """The regimen panel (`profile.regimens.regimen_panel`), when the sample has a radiotherapy prediction."""
    from chemorad.profile.regimens import regimen_panel
    from chemorad.report.regimen_figures import regimen_figure

    if not (rec["therapy"] == cat.radiotherapy.id).any():
        return None
    panel = regimen_panel(cat, pred, prof, sample)
    table = pd.DataFrame(panel["table"])
    table["tcp"] = [
        f"{t:.2f} ({lo:.2f}-{hi:.2f})"
        for t, lo, hi in zip(table["tcp"], table["tcp_low"], table["tcp_high"], strict=True)
    ]
    table = table.drop(columns=["tcp_low", "tcp_high"])
    return RegimenView(
        image=png_uri(regimen_figure(panel)),
        table=table_view(table),
        patients=int(panel["patients"]),
        note=str(panel["note"] or ""),
        site=str(panel["calibration"]),
    )


def report_view(
    cat: Catalog,
    pred: Predictions,
    prof: Profile,
    sample: str,
    level: float = 0.9,
    regimens: bool = False,
    drawing: Drawing | None = None,
) -> ReportView:
    """The view model of one sample's report; `level` is the coverage the intervals were computed at; `regimens`
    adds the regimen panel (TCP per standard regimen, `chemorad.profile.regimens`); `drawing` makes the figures'
    image sources (`Drawing`; None: `PNG`, inline PNGs)."""
    drawing = drawing or PNG
    th = Thresholds.from_catalog(cat, level)
    rec = pred.records[pred.records["sample"] == sample]
    prim = primary_records(rec)
    scores = pred.scores.scores.loc[sample]
    return ReportView(
        thresholds=th,
        **_summary(pred, prof, sample, prim, th),
        **_predictions(pred, rec, prim, th, drawing),
        activities_image=drawing.activities(scores, len(cat.mechanisms)),
        n_measured=int(scores.notna().sum()),
        n_catalog=len(cat.mechanisms),
        waterfalls=_waterfalls(cat, pred, sample, prim, drawing),
        **_crossres(pred, sample, rec),
        **_coverage(pred, sample),
        references=_references(cat, rec),
        regimens=_regimens(cat, pred, prof, sample, rec) if regimens else None,
    )


def render_report(
    cat: Catalog, pred: Predictions, prof: Profile, sample: str, level: float = 0.9, regimens: bool = False
) -> str:
    """The HTML text of one sample's report (template `profile_report.html`)."""
    view = report_view(cat, pred, prof, sample, level, regimens=regimens)
    return environment().get_template("profile_report.html").render(v=view)


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name) or "sample"


def report_targets(samples: list[str], out: Path) -> dict[str, Path]:
    """Where each sample's report goes: `out` itself when it ends in .html (one sample), else `out`/<sample>.html."""
    if out.suffix.lower() == ".html":
        return {samples[0]: out}
    targets: dict[str, Path] = {}
    seen: dict[str, str] = {}
    for s in samples:
        name = f"{_safe(s)}.html"
        # compared without case too: on a case-insensitive file system (macOS, Windows) T1 and t1 are one file
        other = seen.setdefault(name.lower(), s)
        if other != s:
            raise ChemoradError(
                f"samples {other!r} and {s!r} would both be reported in {out / name}; rename one of them"
            )
        targets[s] = out / name
    return targets


def write_reports(
    cat: Catalog,
    pred: Predictions,
    prof: Profile,
    out: Path,
    data=None,
    level: float = 0.9,
    regimens: bool = False,
) -> Iterable[Path]:
    """One HTML file per sample (`report_targets`); yields each path once written."""
    targets = report_targets(list(pred.scores.scores.index), out)
    for sample, path in targets.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text(path, render_report(cat, pred, prof, sample, level, regimens=regimens))
        yield path
