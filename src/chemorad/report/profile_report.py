"""A self-contained HTML report per sample: every image is an inline PNG (base64 data URI) and the styles are inline,
so the file opens offline in any browser and can be mailed as one file.

Sections (element ids): summary, predictions (predicted percentile among tissue peers with interval, per therapy),
activities (the sample's mechanism scores), attributions (waterfalls from the tissue baseline to the prediction),
crossres (therapies predicted resistant together, and where the damage chain disagrees with the fitted model),
coverage (markers used, substituted, missing, unusable), references (data sources and the catalog's references for
the mechanisms named).
"""

from __future__ import annotations

import base64
import html
import io
import re
from collections.abc import Iterable
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from chemorad.catalog import views as cv
from chemorad.catalog.load import Catalog
from chemorad.profile.predict import Predictions, primary_records
from chemorad.profile.readers import Profile
from chemorad.report.figures import plt

__all__ = ["render_report", "write_reports"]

DATA_SOURCES = (
    "Radiation survival: Yard et al. 2016, Nat Commun 7:11428 (doi:10.1038/ncomms11428); LQ fits as RadioGx, "
    "Manem et al. 2019.",
    "Drug response, expression, mutations, copy number: GDSC1/GDSC2, Iorio et al. 2016, Cell 166:740 "
    "(doi:10.1016/j.cell.2016.06.017); Yang et al. 2013, Nucleic Acids Res 41:D955.",
    "CTRP v2: Seashore-Ludlow et al. 2015, Cancer Discov 5:1210 (doi:10.1158/2159-8290.CD-15-0235).",
    "Protein (RPPA): Li et al. 2017, Cancer Cell 31:225 (CCLE). RNA-seq z-scores: Ghandi et al. 2019, Nature 569:503.",
    "Prediction intervals: jackknife, Barber, Candes, Ramdas & Tibshirani 2021, Ann Stat 49:486.",
)
WATERFALL_THERAPIES = ("radiotherapy", "cisplatin", "docetaxel", "doxorubicin")
_CSS = """
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}td,th{border:1px solid #ddd;padding:3px 6px;
text-align:left}th{background:#f3f3f3}img{max-width:100%}.note{color:#555;font-size:.9em}
.warn{color:#8a4b00}.flag{color:#b00020;font-weight:600}
"""
_IMAGES_CHECK = (
    "<script>window.addEventListener('load',function(){var i=Array.from(document.images);"
    "document.body.dataset.images=i.length;document.body.dataset.imagesOk="
    "i.every(function(x){return x.complete&&x.naturalWidth>0});});</script>"
)


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _img(fig, alt: str) -> str:
    return f'<img src="{_png(fig)}" alt="{html.escape(alt)}">'


def _e(x) -> str:
    return html.escape(str(x))


def _table(df: pd.DataFrame) -> str:
    head = "".join(f"<th>{_e(c)}</th>" for c in df.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{_e(_fmt(v))}</td>" for v in row) + "</tr>" for row in df.itertuples(index=False)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _fmt(v) -> str:
    if isinstance(v, float):
        return "-" if not np.isfinite(v) else f"{v:.3g}"
    if isinstance(v, list | tuple):
        return ", ".join(map(str, v)) or "-"
    return "-" if v is None else str(v)


# ------------------------------------------------------------------------------------------------------ figures
def _predictions_figure(prim: pd.DataFrame, pred: Predictions):
    """Predicted percentile among tissue peers (dot) with the interval's percentiles (bar), per therapy."""
    prim = prim.sort_values("percentile_in_tissue")
    fig, ax = plt.subplots(figsize=(7.5, 0.28 * len(prim) + 1.2))
    ax.axvspan(25, 75, color="#eeeeee", zorder=0)
    for i, row in enumerate(prim.itertuples()):
        model = pred.models[row.sample][row.column]
        lo, hi = model.percentile_in_tissue(
            pd.Series([row.interval_low, row.interval_high]), pd.Series([row.tissue] * 2, dtype=object)
        )["percentile"]
        colour = "#b00020" if row.percentile_in_tissue >= 75 else "#1565c0" if row.percentile_in_tissue <= 25 else "k"
        ax.plot([lo, hi], [i, i], color=colour, alpha=0.35, lw=4, solid_capstyle="butt")
        ax.plot(row.percentile_in_tissue, i, "o", color=colour)
    ax.set_yticks(
        range(len(prim)),
        [f"{t} ({d} {m})" for t, d, m in zip(prim.therapy, prim.dataset, prim.metric, strict=True)],
        fontsize=8,
    )
    ax.set_xlim(0, 100)
    ax.set_xlabel("percentile among tissue peers (observed responses; higher = more resistant)")
    ax.set_title("Predicted response vs tissue peers (dot), 90% interval (bar); grey: middle half", fontsize=9)
    return fig


def _activities_figure(scores: pd.Series, n_catalog: int):
    s = scores.dropna().sort_values()
    fig, ax = plt.subplots(figsize=(7.5, 0.2 * max(len(s), 1) + 1.2))
    ax.barh(range(len(s)), s.to_numpy(), color=["#b00020" if v > 0 else "#1565c0" for v in s])
    ax.set_yticks(range(len(s)), s.index, fontsize=7)
    ax.axvline(0, color="k", lw=0.8)
    ax.set_xlabel("mechanism activity score (within-tissue SD from the tissue mean of the bundle's lines)")
    ax.set_title(f"{len(s)} of the catalog's {n_catalog} mechanisms measured for this sample", fontsize=9)
    return fig


def _waterfall_figure(terms: pd.Series, title: str, unit: str, k: int = 8):
    """From the tissue baseline (intercept + tissue) through the largest contributions to the prediction."""
    base = float(terms.get("intercept", 0.0) + terms.get("tissue", 0.0))
    contrib = terms.drop(labels=[t for t in ("intercept", "tissue") if t in terms.index])
    contrib = contrib[contrib != 0]
    top = contrib.reindex(contrib.abs().sort_values(ascending=False).index)[:k]
    rest = float(contrib.sum() - top.sum())
    steps = list(top.items()) + ([("all others", rest)] if abs(rest) > 0 else [])
    fig, ax = plt.subplots(figsize=(7.5, 0.32 * (len(steps) + 2) + 1.0))
    level = base
    labels = ["tissue baseline"]
    ax.barh(0, base, color="#999999")
    for i, (name, v) in enumerate(steps, start=1):
        ax.barh(i, v, left=level, color="#b00020" if v > 0 else "#1565c0")
        level += v
        labels.append(str(name))
    ax.barh(len(steps) + 1, level, color="#333333")
    labels.append("prediction")
    lo = min(base, level, *(base + np.cumsum([v for _, v in steps]))) if steps else min(base, level)
    hi = max(base, level, *(base + np.cumsum([v for _, v in steps]))) if steps else max(base, level)
    pad = 0.15 * (hi - lo) + 1e-9
    ax.set_xlim(lo - pad, hi + pad)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel(unit)
    ax.set_title(title, fontsize=9)
    return fig


# ------------------------------------------------------------------------------------------------------- report
def _prediction_table(prim: pd.DataFrame) -> pd.DataFrame:
    def tops(items) -> str:
        return ", ".join(
            f"{t['mechanism']}{'' if t['catalog_link'] else '*'} ({t['contribution']:+.2g})" for t in items
        )

    flags = [
        "; ".join(
            x
            for x in (
                f"chain says {r['chain_direction']}" if r["disagreement"] is True else "",
                "unseen tissue" if r["unseen_tissue"] is True else "",
                ("cross-resistant with " + ", ".join(r["cross_resistant_with"])) if r["cross_resistant_with"] else "",
            )
            if x
        )
        for r in prim.to_dict("records")
    ]
    return pd.DataFrame(
        {
            "therapy": prim["therapy"],
            "response": prim["dataset"] + " " + prim["metric"],
            "predicted [90% interval]": [
                f"{p:.2f} [{lo:.2f}, {hi:.2f}]"
                for p, lo, hi in zip(prim["predicted"], prim["interval_low"], prim["interval_high"], strict=True)
            ],
            "percentile (n peers)": [
                f"{q:.0f} ({int(n)})" for q, n in zip(prim["percentile_in_tissue"], prim["n_reference"], strict=True)
            ],
            "top mechanisms (* no catalog link)": prim["top_mechanisms"].map(tops),
            "chain RF": prim["chain_resistance_factor"],
            "flags": flags,
        }
    )


def render_report(cat: Catalog, pred: Predictions, prof: Profile, sample: str) -> str:
    """The HTML text of one sample's report."""
    rec = pred.records[pred.records["sample"] == sample]
    prim = primary_records(rec)
    chain_rows = rec[rec["dataset"] == "chain"]
    scores = pred.scores.scores.loc[sample]
    tissue = pred.scores.tissue.get(sample)
    parts = [f"<h1>chemorad report: {_e(sample)}</h1>"]

    layers = ", ".join(f"{k} ({v})" for k, v in prof.sources.items()) or "-"
    warn = [w for w in pred.warnings if sample in w or "'" not in w]
    parts.append('<section id="summary"><h2>Summary</h2>')
    parts.append(
        f"<p>Tissue: <b>{_e(tissue or 'unknown')}</b>. Inputs: {_e(layers)}. Generated {date.today().isoformat()} "
        f"by chemorad. Higher values of every response mean more resistant.</p>"
    )
    res = prim[prim["percentile_in_tissue"] >= 75]["therapy"].tolist()
    sen = prim[prim["percentile_in_tissue"] <= 25]["therapy"].tolist()
    parts.append(
        f"<p>Predicted in the most resistant quarter of its tissue: <b>{_e(', '.join(res) or 'none')}</b>. "
        f"In the most sensitive quarter: <b>{_e(', '.join(sen) or 'none')}</b>.</p>"
    )
    for n in (n for n in pred.notes if n.startswith(f"{sample}:") or "left out" in n):
        parts.append(f'<p class="note">{_e(n)}</p>')
    for w in warn:
        parts.append(f'<p class="warn">Warning: {_e(w)}</p>')
    parts.append("</section>")

    parts.append('<section id="predictions"><h2>Predictions against tissue peers</h2>')
    if len(prim):
        parts.append(_img(_predictions_figure(prim, pred), "predicted percentile per therapy"))
    parts.append(_table(_prediction_table(prim)))
    if len(chain_rows):
        row = chain_rows.iloc[0]
        drivers = ", ".join(f"{t['mechanism']} ({t['contribution']:+.3f})" for t in row["top_mechanisms"]) or "none"
        parts.append(
            f"<p>Damage-chain hypoxic dose-modifying factor for radiotherapy (D10 at 0.5 mmHg / at 40 mmHg): "
            f"<b>{row['predicted']:.3f}</b>; mechanisms changing its logarithm most: {_e(drivers)}. "
            "No bundle data measure hypoxic survival, so this is the model alone, without an interval.</p>"
        )
    parts.append(
        '<p class="note">Models: ridge regression of each response on the catalog markers (z-scores within tissue; '
        "contributions summed per mechanism) and tissue, fitted on the data bundle without this sample; interval: "
        "jackknife residual quantiles. Percentile: where the prediction falls among the observed responses of the "
        "training lines of the same tissue. Chain RF: the damage-chain model's dose ratio for 50% survival against "
        "the reference cell (direction only; see docs/profile.md).</p></section>"
    )

    parts.append('<section id="activities"><h2>Mechanism activities</h2>')
    parts.append(_img(_activities_figure(scores, len(cat.mechanisms)), "mechanism activity scores"))
    parts.append("</section>")

    parts.append('<section id="attributions"><h2>Why: attribution waterfalls</h2>')
    chosen = [t for t in WATERFALL_THERAPIES if t in set(prim["therapy"])]
    chosen += [t for t in prim.sort_values("percentile_in_tissue", ascending=False)["therapy"] if t not in chosen][
        : max(0, 4 - len(chosen))
    ]
    for tid in chosen:
        row = prim[prim["therapy"] == tid].iloc[0]
        a = pred.attributions
        terms = a[(a["sample"] == sample) & (a["column"] == row["column"])].set_index("term")["contribution"]
        title = f"{tid}: {row['dataset']} {row['metric']} = {row['predicted']:.3g}"
        parts.append(_img(_waterfall_figure(terms, title, f"{row['dataset']} {row['metric']}"), f"waterfall {tid}"))
        carried = pd.DataFrame(
            {
                "mechanism": [t["mechanism"] for t in row["top_mechanisms"]],
                "contribution": [t["contribution"] for t in row["top_mechanisms"]],
                "catalog link": ["yes" if t["catalog_link"] else "no" for t in row["top_mechanisms"]],
                "markers carrying it": [", ".join(t.get("markers", [])) for t in row["top_mechanisms"]],
            }
        )
        parts.append(_table(carried))
    parts.append("</section>")

    parts.append('<section id="crossres"><h2>Cross-resistance</h2>')
    cr = pred.crossres[pred.crossres["sample"] == sample]
    if len(cr):
        row = cr.iloc[0]
        parts.append(
            f'<p class="flag">Predicted resistant together (at or above the 75th percentile of tissue peers): '
            f"{_e(', '.join(row['therapies']))}.</p><p>Mechanisms pushing two or more of them towards resistance: "
            f"{_e(', '.join(row['shared_mechanisms']) or 'none in common')}.</p>"
        )
    else:
        parts.append("<p>No two therapies are predicted in the resistant quarter of the tissue together.</p>")
    dis = rec[rec["disagreement"].astype(bool, errors="ignore") == True]  # noqa: E712 - object column
    if len(dis):
        parts.append("<p>Where the damage chain and the fitted model point in opposite directions:</p>")
        parts.append(
            _table(
                dis[["therapy", "dataset", "metric", "model_direction", "chain_direction", "chain_resistance_factor"]]
            )
        )
    else:
        parts.append("<p>The damage chain and the fitted model never point in opposite directions here.</p>")
    parts.append("</section>")

    parts.append('<section id="coverage"><h2>Coverage of the catalog markers</h2>')
    cov = pred.scores.coverage[pred.scores.coverage["sample"] == sample]
    counts = cov.groupby("status").size().to_dict()
    parts.append(f"<p>{_e(', '.join(f'{k}: {v}' for k, v in sorted(counts.items())))} markers.</p>")
    parts.append(_table(cov[["mechanism", "gene", "alteration", "layer", "status", "note"]]))
    parts.append("</section>")

    parts.append('<section id="references"><h2>References</h2><ol>')
    for s in DATA_SOURCES:
        parts.append(f"<li>{_e(s)}</li>")
    named = {t["mechanism"] for items in rec["top_mechanisms"] for t in items}
    refs: dict[str, str] = {}
    for mid in sorted(m for m in named if m in cat.mechanisms):
        for ref in cv.mechanism_record(cat, cat.mechanisms[mid])["references"]:
            refs.setdefault(ref["id"], cv.cite(cat.references[ref["id"]]))
    for rid, text in sorted(refs.items()):
        parts.append(f"<li>[{_e(rid)}] {_e(text)}</li>")
    parts.append("</ol></section>")

    body = "\n".join(parts)
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>chemorad report: {_e(sample)}</title>'
        f"<style>{_CSS}</style></head><body>\n{body}\n{_IMAGES_CHECK}</body></html>\n"
    )


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name) or "sample"


def write_reports(cat: Catalog, pred: Predictions, prof: Profile, out: Path, data=None) -> Iterable[Path]:
    """One HTML file per sample: `out` itself when it ends in .html (one sample), else `out`/<sample>.html."""
    samples = list(pred.scores.scores.index)
    if out.suffix.lower() == ".html":
        out.parent.mkdir(parents=True, exist_ok=True)
        targets = {samples[0]: out}
    else:
        out.mkdir(parents=True, exist_ok=True)
        targets = {s: out / f"{_safe(s)}.html" for s in samples}
    for sample, path in targets.items():
        path.write_text(render_report(cat, pred, prof, sample), encoding="utf-8")
        yield path
