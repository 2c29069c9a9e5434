"""`chemorad predict` and `chemorad report`: one tumour's (or cell line's) molecular data in, predicted responses,
reasons and an HTML report out."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import typer
from rich.console import Console

from chemorad.cli.context import current_catalog
from chemorad.cli.render import Format, emit, progress_bar, to_json
from chemorad.errors import ChemoradError
from chemorad.profile.inputs import RECORD_KEYS, SCALES, load_profile, records  # noqa: F401
from chemorad.profile.predict import Predictions, predict_profile, primary_records
from chemorad.profile.readers import Profile

err = Console(stderr=True)

ProfilesOpt = Annotated[
    Path | None, typer.Option("--profiles", help="Folder of molecular files laid out like the data bundle.")
]
MafOpt = Annotated[Path | None, typer.Option("--maf", help="Mutations, GDC/TCGA MAF.")]
ExprOpt = Annotated[Path | None, typer.Option("--expression", help="Expression matrix (TSV/CSV/Parquet).")]
CnOpt = Annotated[Path | None, typer.Option("--copy-number", help="GISTIC-style copy-number calls (-2..2).")]
ProtOpt = Annotated[Path | None, typer.Option("--protein", help="RPPA protein matrix (CCLE antibody names).")]
TissuesOpt = Annotated[Path | None, typer.Option("--tissues", help="Table of sample, tissue.")]
TissueOpt = Annotated[
    str | None, typer.Option("--tissue", help="One tissue for every sample without one (e.g. lung, LUAD).")
]
LineOpt = Annotated[
    list[str] | None, typer.Option("--cell-line", help="A cell line of the data bundle (repeat for several).")
]
ScaleOpt = Annotated[
    str,
    typer.Option(
        "--scale", help="Expression scale: tpm, log (log2) or z; auto detects TPM (values above 50) and z-scores only."
    ),
]
OrientOpt = Annotated[
    str, typer.Option("--orientation", help="Matrix files: auto, genes_x_samples or samples_x_genes.")
]
DataOpt = Annotated[
    Path | None, typer.Option("--data", help="Data folder (default: $CHEMORAD_DATA, else ../shared/data).")
]
TherapyOpt = Annotated[
    str | None, typer.Option("--therapies", help="Comma-separated therapy ids (default: every therapy with data).")
]
LevelOpt = Annotated[float, typer.Option("--level", help="Coverage of the prediction intervals, in (0, 1).")]
EstimatorOpt = Annotated[
    str,
    typer.Option(
        "--estimator",
        help="The fitted response models (--model ridge): marker (ridge on the catalog markers and tissue). Fitted "
        "once per bundle, catalog and estimator and kept in the cache folder.",
    ),
]


def _therapies(value: str | None) -> list[str] | None:
    if value is None:
        return None
    ids = [t.strip() for t in value.split(",") if t.strip()]
    if not ids:
        raise ChemoradError("--therapies: empty list; give comma-separated therapy ids, e.g. cisplatin,radiotherapy")
    cat = current_catalog()
    for t in ids:
        cat.therapy(t)  # unknown id -> one-line error with the closest ids
    return ids


def run_prediction(
    prof: Profile, data: Path | None, therapies: list[str] | None, level: float, estimator: str = "marker"
) -> Predictions:
    """Predict with a progress bar over the model fits (only when they are not stored yet); warnings and notes go to
    stderr."""
    if not (isinstance(level, float | int) and 0.0 < level < 1.0):
        raise ChemoradError(f"--level must be in (0, 1) (got {level})")
    with progress_bar(err) as bar:
        task = bar.add_task("fitting response models (once per bundle and catalog)", total=None)
        pred = predict_profile(
            current_catalog(),
            prof,
            data,
            therapies=therapies,
            level=level,
            progress=lambda k, n: bar.update(task, completed=k, total=n),
            estimator=estimator,
        )
    for w in pred.warnings:
        err.print(f"[yellow]chemorad: warning:[/yellow] {w}", highlight=False)
    for n in pred.notes:
        err.print(f"chemorad: note: {n}", highlight=False)
    return pred


TITLE = (
    "Predicted responses (higher = more resistant; pct_in_tissue: among tissue peers; "
    "* = a data association with no catalog link to the therapy)"
)


def _table(pred: Predictions, primary: bool) -> pd.DataFrame:
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


def predict_cmd(
    profiles: ProfilesOpt = None,
    maf: MafOpt = None,
    expression: ExprOpt = None,
    copy_number: CnOpt = None,
    protein: ProtOpt = None,
    tissues: TissuesOpt = None,
    tissue: TissueOpt = None,
    cell_line: LineOpt = None,
    scale: ScaleOpt = "auto",
    data: DataOpt = None,
    therapies: TherapyOpt = None,
    level: LevelOpt = 0.9,
    all_metrics: Annotated[
        bool, typer.Option("--all-metrics", help="Table/CSV: every dataset and metric, not one line per therapy.")
    ] = False,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
    orientation: OrientOpt = "auto",
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
    estimator: EstimatorOpt = "marker",
) -> None:
    """Predict each sample's response to radiotherapy and every drug with data, with intervals and reasons.

    Predictions come from ridge models of the catalog markers (grouped into mechanisms) and tissue, fitted on the
    bundle without the samples themselves when they are bundle lines; higher = more resistant. JSON gives every
    dataset and metric. --model calibrated: posterior predictive of the calibrated damage chain (docs/calibration.md),
    explanations as mechanisms at their stage; with --observed it is conditioned on that response.
    """
    if model not in ("ridge", "calibrated"):
        raise ChemoradError(f"--model must be ridge or calibrated (got {model!r})")
    from chemorad.profile.predictor import estimator_class

    try:
        estimator_class(estimator)
    except ChemoradError as exc:
        raise ChemoradError(f"--estimator: {exc}") from None
    if model == "calibrated":  # calibration: kept apart from the ridge path
        if not (isinstance(level, float | int) and 0.0 < level < 1.0):
            raise ChemoradError(f"--level must be in (0, 1) (got {level})")
        if observed is not None:
            from chemorad.evidence.conditional import parse_observed

            parse_observed(observed, current_catalog())  # a malformed text fails before the slow part
        prof = load_profile(
            profiles, maf, expression, copy_number, protein, tissues, tissue, cell_line, scale, data, orientation
        )
        _predict_calibrated(prof, data, _therapies(therapies), level, fmt, observed)
        return
    if observed is not None:  # checked before the slow part; the conditional itself lives in the evidence layer
        from chemorad.evidence.conditional import parse_observed

        parse_observed(observed, current_catalog())
    prof = load_profile(
        profiles, maf, expression, copy_number, protein, tissues, tissue, cell_line, scale, data, orientation
    )
    pred = run_prediction(prof, data, _therapies(therapies), level, estimator)
    given = None
    if observed is not None:
        from chemorad.cli.evidence import GIVEN_KEYS, observed_given

        given = observed_given(observed, _therapies(therapies), pred.scores.scores, data)
        given_records = given.astype(object).where(given.notna(), None).to_dict("records")
    if fmt is Format.json:
        print(
            to_json(records(pred) if given is None else {"predictions": records(pred), "given_observed": given_records})
        )
        return
    table = _table(pred, primary=not all_metrics)
    if fmt is Format.table and len(pred.crossres):
        emit(table, [], fmt, title=TITLE)
        cr = pred.crossres.assign(
            therapies=pred.crossres["therapies"].map(", ".join),
            shared_mechanisms=pred.crossres["shared_mechanisms"].map(lambda m: ", ".join(m) or "-"),
        )
        emit(cr[["sample", "therapies", "shared_mechanisms"]], [], fmt, title="Predicted cross-resistance")
    else:
        emit(table, [], fmt, title=TITLE)
    if given is not None:
        emit(given[GIVEN_KEYS].round(3), [], fmt, title=f"Given {observed}: P(top quarter of its tissue), percentiles")


def _predict_calibrated(prof, data, therapies, level: float, fmt: Format, observed: str | None) -> None:
    """`predict --model calibrated` (owned by the calibration package): files or bundle lines, each predicted as a
    line the calibration never saw; with --observed, conditioned on one observed response."""
    from chemorad.calibration.data import bundle_data
    from chemorad.calibration.posterior import check_matches, expression_basis, load
    from chemorad.calibration.predict import OBSERVED_REPLICAS, observed_response, predict_samples
    from chemorad.calibration.spec import chain_spec
    from chemorad.evidence.conditional import parse_observed
    from chemorad.profile.calibrated import sample_inputs

    cat = current_catalog()
    spec = chain_spec(cat)
    idata = load(None)
    check_matches(spec, idata)
    d = bundle_data(cat, spec, data, basis=expression_basis(idata))
    inputs = sample_inputs(cat, d, prof, data)
    for note in inputs.notes:
        err.print(f"chemorad: note: {note}", highlight=False)
    obs = None
    if observed is not None:
        o = parse_observed(observed, cat)
        obs = observed_response(d, spec, o.therapy, o.kind, o.value, o.text)
    pred, expl = predict_samples(cat, spec, d, idata, inputs, level, observed=obs)
    if obs is not None:
        err.print(
            f"chemorad: note: conditioned on {obs.label}; effective sample size {obs.ess:.0f} of "
            f"{idata.posterior.sizes['draw'] * OBSERVED_REPLICAS} replicated draws",
            highlight=False,
        )
    if therapies:
        pred, expl = pred[pred["therapy"].isin(therapies)], expl[expl["therapy"].isin(therapies)]
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


def report_cmd(
    out: Annotated[Path, typer.Option("--out", help="report.html for one sample; a folder for several.")],
    profiles: ProfilesOpt = None,
    maf: MafOpt = None,
    expression: ExprOpt = None,
    copy_number: CnOpt = None,
    protein: ProtOpt = None,
    tissues: TissuesOpt = None,
    tissue: TissueOpt = None,
    cell_line: LineOpt = None,
    scale: ScaleOpt = "auto",
    data: DataOpt = None,
    therapies: TherapyOpt = None,
    level: LevelOpt = 0.9,
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

    prof = load_profile(profiles, maf, expression, copy_number, protein, tissues, tissue, cell_line, scale, data)
    if out.suffix.lower() == ".html" and len(prof.samples) > 1:
        raise ChemoradError(f"--out {out}: {len(prof.samples)} samples need a folder (one report each), not a file")
    if out.exists() and out.suffix.lower() != ".html" and not out.is_dir():
        raise ChemoradError(f"--out {out}: exists and is not a folder; give a folder or a new .html file")
    # Checked before the models are fitted, so that a refusal costs nothing.
    existing = [p for p in report_targets(list(prof.samples), out).values() if p.exists()]
    if existing and not force:
        more = f" (and {len(existing) - 1} more)" if len(existing) > 1 else ""
        raise ChemoradError(f"--out {out}: {existing[0]} already exists{more}; pass --force to overwrite")
    pred = run_prediction(prof, data, _therapies(therapies), level)
    for path in write_reports(current_catalog(), pred, prof, out, data, level=level, regimens=regimens):
        print(path)
