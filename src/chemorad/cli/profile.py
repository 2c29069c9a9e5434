"""`chemorad predict` and `chemorad report`: one tumour's (or cell line's) molecular data in, predicted responses,
reasons and an HTML report out."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from chemorad.app.inputs import ProfileInputs
from chemorad.cli.context import current
from chemorad.cli.options import MOLECULAR, profile_command
from chemorad.cli.render import Format, emit, print_messages, task_progress, to_json
from chemorad.errors import ChemoradError

if TYPE_CHECKING:  # the science (pandas, the fitted models, the chain) loads when a command runs, not for --help
    import pandas as pd

    from chemorad.app.calibrated import CalibratedPrediction
    from chemorad.app.predict import PredictionResult
    from chemorad.profile.predict import Predictions

err = Console(stderr=True)
GIVEN_KEYS = ["sample", "target", "model", "r", "p_resistant", "p_resistant_low", "p_resistant_high", "pct_median"]
GIVEN_KEYS += ["pct_low", "pct_high", "empirical_p_resistant"]


def run_prediction(inputs: ProfileInputs, **kwargs) -> PredictionResult:
    """`chemorad.app.predict.predict` with a progress bar over the model fits; warnings and notes go to stderr."""
    from chemorad.app.predict import predict

    with task_progress(err) as progress:
        result = predict(current(), inputs, progress=progress, **kwargs)
    print_messages(err, *result.messages)
    return result


TITLE = (
    "Predicted responses (higher = more resistant; pct_in_tissue: among tissue peers; "
    "* = a data association with no catalog link to the therapy)"
)


def _table(pred: Predictions, primary: bool) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    from chemorad.profile.predict import primary_records

    rec = primary_records(pred.records) if primary else pred.records
    rec = pd.concat([rec, pred.records[pred.records["dataset"] == "chain"]]) if primary else rec

    def tops(items) -> str:
        return (
            ", ".join(f"{t['mechanism']}{'' if t['catalog_link'] else '*'} {t['contribution']:+.2g}" for t in items)
            or "-"
        )

    def flags(row) -> str:
        out = []
        if row.get("disagreement") is True:
            out.append(f"chain disagrees ({row['chain_direction']})")
        if row.get("unseen_tissue") is True:
            out.append("unseen tissue")
        if row.get("cross_resistant_with"):
            out.append("cross-resistant with " + ", ".join(row["cross_resistant_with"]))
        share = row.get("mechanistic_share")
        if isinstance(share, float) and np.isfinite(share):
            out.append(f"chain share {share:.0%}")
        return "; ".join(out)

    return pd.DataFrame(
        {
            "sample": rec["sample"],
            "therapy": rec["therapy"],
            "dataset": rec["dataset"],
            "metric": rec["metric"],
            "predicted": rec["predicted"].round(3),
            "interval": [
                "-" if not np.isfinite(lo) else f"{lo:.2f} to {hi:.2f}"
                for lo, hi in zip(rec["interval_low"], rec["interval_high"], strict=True)
            ],
            "pct_in_tissue": rec["percentile_in_tissue"].round(0),
            "top_mechanisms": rec["top_mechanisms"].map(tops),
            "flags": [flags(r) for r in rec.to_dict("records")],
        }
    ).fillna("-")


@profile_command(*MOLECULAR, "therapies", "level", "all_metrics", "fmt", "orientation")
def predict_cmd(
    inputs: ProfileInputs,
    all_metrics: Annotated[
        bool, typer.Option("--all-metrics", help="Table/CSV: every dataset and metric, not one line per therapy.")
    ] = False,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
    observed: Annotated[
        str | None,
        typer.Option(
            "--observed",
            help="An observed response, e.g. cisplatin=resistant (or sensitive, q0.9, a value): also predict the other "
            "responses given it (chemorad evidence conditional).",
        ),
    ] = None,
    model: Annotated[
        str, typer.Option("--model", help="ridge (marker ridge) or calibrated (the calibrated damage chain).")
    ] = "ridge",
    estimator: Annotated[
        str,
        typer.Option(
            "--estimator",
            help="The fitted response models (--model ridge): marker (default: ridge on the catalog markers and "
            "tissue), gene (ridge on every expression gene), chain (the damage chain calibrated by least squares), "
            "hybrid (chain + gene ridge on its residual), stacked (non-negative stack of chain, marker and gene "
            "ridges), boosted (gradient-boosted trees on the markers), or module:Class (any scikit-learn regressor, "
            "refitted each run). gene, hybrid and stacked need expression on the GDSC log2 scale. Fitted once per "
            "bundle, catalog and estimator and kept in the cache folder (docs/profile.md).",
        ),
    ] = "marker",
) -> None:
    """Predict each sample's response to radiotherapy and every drug with data, with intervals and reasons.

    Predictions come from ridge models of the catalog markers (grouped into mechanisms) and tissue, fitted on the
    bundle without the samples themselves when they are bundle lines; higher = more resistant. JSON gives every
    dataset and metric. --model calibrated: posterior predictive of the calibrated damage chain (docs/calibration.md),
    explanations as mechanisms at their stage; with --observed it is conditioned on that response.
    """
    if model not in ("ridge", "calibrated"):
        raise ChemoradError(f"--model must be ridge or calibrated (got {model!r})")
    from chemorad.profile.fitted import check_estimator

    try:
        check_estimator(estimator)
    except ChemoradError as exc:
        raise ChemoradError(f"--estimator: {exc}") from None
    if model == "calibrated":  # calibration: kept apart from the ridge path
        from chemorad.app.calibrated import predict_calibrated

        result = predict_calibrated(current(), inputs, observed=observed)
        print_messages(err, [], result.notes)
        _show_calibrated(result, fmt)
        return
    result = run_prediction(inputs, observed=observed, estimator=estimator)
    pred, given = result.predictions, result.given
    from chemorad.profile.inputs import records

    if fmt is Format.json:
        if given is None:
            print(to_json(records(pred)))
        else:
            given_records = given.astype(object).where(given.notna(), None).to_dict("records")
            print(to_json({"predictions": records(pred), "given_observed": given_records}))
        return
    table = _table(pred, primary=not all_metrics)
    emit(table, [], fmt, title=TITLE)
    if fmt is Format.table and len(pred.crossres):
        cr = pred.crossres.assign(
            therapies=pred.crossres["therapies"].map(", ".join),
            shared_mechanisms=pred.crossres["shared_mechanisms"].map(lambda m: ", ".join(m) or "-"),
        )
        emit(cr[["sample", "therapies", "shared_mechanisms"]], [], fmt, title="Predicted cross-resistance")
    if given is not None:
        emit(given[GIVEN_KEYS].round(3), [], fmt, title=f"Given {observed}: P(top quarter of its tissue), percentiles")


def _show_calibrated(result: CalibratedPrediction, fmt: Format) -> None:
    """`predict --model calibrated` (owned by the calibration package): the posterior predictive per sample and
    therapy, with the mechanisms that moved it most."""
    pred, expl, level = result.predictions, result.explanations, result.level
    if fmt is Format.json:
        recs = []
        for r in pred.to_dict("records"):
            e = expl[(expl["sample"] == r["sample"]) & (expl["therapy"] == r["therapy"])]
            e = e.reindex(e["delta_ln_dose"].abs().sort_values(ascending=False).index)
            r["mechanisms"] = e[["mechanism", "stage", "delta_ln_dose"]].to_dict("records")
            recs.append(r)
        print(to_json(recs))
        return
    tops = (
        expl.assign(a=expl["delta_ln_dose"].abs())
        .sort_values("a", ascending=False)
        .groupby(["sample", "therapy"])
        .head(3)
        .groupby(["sample", "therapy"])
        .apply(
            lambda g: ", ".join(f"{m} ({s}) {x:+.2g}" for m, s, x in g[["mechanism", "stage", "delta_ln_dose"]].values)
        )
        .rename("top_mechanisms (stage) d ln dose")
        .reset_index()
    )
    table = pred.merge(tops, on=["sample", "therapy"], how="left").fillna("-")
    emit(table, [], fmt, title=f"Calibrated chain: posterior predictive median and {level:.0%} interval")


@profile_command("out", *MOLECULAR, "therapies", "level")
def report_cmd(
    inputs: ProfileInputs,
    out: Annotated[Path, typer.Option("--out", help="report.html for one sample; a folder for several.")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite reports that already exist.")] = False,
    regimens: Annotated[
        bool,
        typer.Option(
            "--regimens/--no-regimens",
            help="Add the regimen panel (TCP per standard regimen) when radiotherapy is predicted.",
        ),
    ] = True,
) -> None:
    """Write a self-contained HTML report per sample (images inline, readable offline).

    Sections: predictions against tissue peers, mechanism activities, attribution waterfalls, cross-resistance,
    regimens (TCP of standard regimens for virtual patients sharing the tumour's predictions), coverage of the catalog
    markers, references. An existing report file is never overwritten without --force.
    """
    from chemorad.report.profile_report import report_targets, write_reports

    def refuse(prof) -> None:  # checked before the models are fitted, so that a refusal costs nothing
        if out.suffix.lower() == ".html" and len(prof.samples) > 1:
            raise ChemoradError(f"--out {out}: {len(prof.samples)} samples need a folder (one report each), not a file")
        if out.exists() and out.suffix.lower() != ".html" and not out.is_dir():
            raise ChemoradError(f"--out {out}: exists and is not a folder; give a folder or a new .html file")
        existing = [p for p in report_targets(list(prof.samples), out).values() if p.exists()]
        if existing and not force:
            more = f" (and {len(existing) - 1} more)" if len(existing) > 1 else ""
            raise ChemoradError(f"--out {out}: {existing[0]} already exists{more}; pass --force to overwrite")

    from chemorad.io_atomic import file_lock, folder_lock

    # held from before the fits until the reports are in place: a second chemorad writing there is refused
    with file_lock(out, mkdir=True) if out.suffix.lower() == ".html" else folder_lock(out):
        result = run_prediction(inputs, check=refuse)
        cat, level = current().catalog, result.level
        paths = write_reports(cat, result.predictions, result.profile, out, inputs.data, level=level, regimens=regimens)
    for path in paths:
        print(path)
