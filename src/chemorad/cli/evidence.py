"""`chemorad evidence ...`: the evidence engine from the command line (fit-radiation, scan, crossres, claims)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console

from chemorad.app.inputs import split_ids
from chemorad.bundle import datasets as ds
from chemorad.cli.context import current_catalog
from chemorad.cli.options import holding_out
from chemorad.cli.render import Format, emit, existing_data_folder, progress_bar
from chemorad.errors import ChemoradError, unknown
from chemorad.evidence.associations import associations
from chemorad.evidence.responses import label as _label
from chemorad.io_atomic import replacing
from chemorad.report.evidence_figures import claims_heatmap_figure, crossres_matrix_figure

app = typer.Typer(help="Test the claims on real cell-line data (Yard 2016, GDSC1/2, CTRP, CCLE).", no_args_is_help=True)
err = Console(stderr=True)

DataOpt = Annotated[
    Path | None,
    typer.Option(
        "--data", help="Data folder (default: $CHEMORAD_DATA, else ../shared/data).", callback=existing_data_folder
    ),
]
OutOpt = Annotated[Path | None, typer.Option("--out", help="Folder for tables and figures (created if absent).")]
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]
#: bootstrap resamples: memory is n_boot x lines x 8 bytes per pair (about 70 MB at the bound for ~900 lines)
MAX_BOOT = 10_000
ForceOpt = Annotated[bool, typer.Option("--force", help="Replace earlier outputs in --out.")]
CITE = (
    "Data: Yard et al. 2016 (doi:10.1038/ncomms11428); GDSC, Iorio et al. 2016 (doi:10.1016/j.cell.2016.06.017); "
    "CTRP, Seashore-Ludlow et al. 2015 (doi:10.1158/2159-8290.CD-15-0235); CCLE RPPA, Li et al. 2017; "
    "DepMap RNA-seq, Ghandi et al. 2019."
)


def _out(out: Path | None) -> Path | None:
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    return out


def _refuse_existing(out: Path | None, patterns: tuple[str, ...], force: bool) -> None:
    """Before any work: --out must be a folder (or absent), and without --force hold none of the outputs (glob
    `patterns`) a command would write."""
    if out is None:
        return
    if out.exists() and not out.is_dir():
        raise ChemoradError(f"--out {out}: exists and is not a folder")
    clash = sorted({p.name for pattern in patterns for p in out.glob(pattern)}) if out.is_dir() else []
    if clash and not force:
        more = f" (and {len(clash) - 1} more)" if len(clash) > 1 else ""
        raise ChemoradError(f"--out {out}: already holds {clash[0]}{more}; choose a new folder or pass --force")


@app.command("data")
def data_cmd(
    verify: Annotated[bool, typer.Option(help="Check every file's SHA-256 against the registry.")] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="List every dropped row and unmatched line.")
    ] = False,
    data: DataOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """The data bundle: where it is, each file's source, checksum and line count, and lines lost in harmonisation."""
    directory = ds.data_dir(data)
    lines = ds.cell_lines(directory)
    rows = []
    for name, spec in ds.DATASETS.items():
        path = directory / spec.filename
        flag = f"in_{name}"
        rows.append(
            {
                "dataset": name,
                "file": spec.filename,
                "present": path.is_file(),
                "sha256": (ds.verify(name, directory)[:12] + " ok") if verify and path.is_file() else "-",
                "lines": int(lines[flag].sum()) if flag in lines else None,
                "source": spec.source,
            }
        )
    df = pd.DataFrame(rows)
    dropped = ds.dropped(data=directory)
    no_tissue = lines.index[lines["tissue"].isna()]
    err.print(
        f"data: {directory}; {len(lines)} distinct lines; {int(dropped['rows'].sum()) if len(dropped) else 0} "
        f"rows dropped in harmonisation; {len(no_tissue)} lines without a harmonised tissue (left out of "
        f"tissue-adjusted tests); {int((lines['tissue_conflict'] != '').sum())} with conflicting tissue labels."
    )
    if verbose:
        if len(dropped):
            emit(dropped, dropped.to_dict("records"), Format.table, title="Dropped rows")
        err.print("Lines without tissue: " + (", ".join(no_tissue) or "none"))
        conflicts = lines[lines["tissue_conflict"] != ""]
        for name, row in conflicts.iterrows():
            err.print(f"  tissue conflict {name}: {row['tissue_conflict']} -> {row['tissue']}")
    emit(df.astype(object).where(df.notna(), "-"), df.to_dict("records"), fmt, title="Data bundle")


@app.command("fit-radiation")
@holding_out
def fit_radiation(
    cell_line: Annotated[
        str | None, typer.Option(help="Only this line (any spelling); with --out, its fit figure.")
    ] = None,
    table: Annotated[
        Path | None, typer.Option(help="Your own survival table: CSV with cell_line, dose_gy, sf.")
    ] = None,
    data: DataOpt = None,
    out: OutOpt = None,
    fmt: FormatOpt = Format.table,
    force: ForceOpt = False,
) -> None:
    """Linear-quadratic fits (alpha, beta >= 0) of radiation survival curves, compared with RadioGx."""
    from chemorad.bundle.names import canonical_name
    from chemorad.evidence.curves import check_survival_table, fit_lq, sf_columns

    _refuse_existing(out, ("lq_fits.csv", "lq_fit_*.png", "lq_fit_*.svg"), force)
    if table is not None:
        try:
            curves = pd.read_csv(table)
        except (OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
            raise ChemoradError(f"--table {table}: cannot read as CSV ({exc.__class__.__name__})") from None
        fits = fit_lq(check_survival_table(curves, f"--table {table}"))
        measured = None
    else:
        yard = ds.load_yard(data)
        fits = fit_lq(yard)
        rgx = ds.load_radiogx(data)
        fits = fits.join(rgx[["alpha", "beta", "auc_lq", "r_squared"]].add_prefix("radiogx_"), how="left")
        measured = yard
        doses, cols = sf_columns(yard)
        partial = fits.index[fits["n_points"] < len(doses) + 1]
        if len(partial):
            shown = ", ".join(map(str, partial[:5])) + (f" and {len(partial) - 5} more" if len(partial) > 5 else "")
            err.print(
                f"warning: {len(partial)} curve(s) miss some of the {len(doses)} doses (fitted on the rest): {shown}"
            )
    fits.index.name = "cell_line"
    if cell_line is not None:
        name = canonical_name(cell_line)
        if name not in fits.index:
            raise unknown("cell line", cell_line, fits.index)
        fits = fits.loc[[name]]
        if out is not None and measured is not None:
            from chemorad.report.evidence_figures import lq_fit_figure

            doses, cols = sf_columns(measured)
            for p in lq_fit_figure(
                doses, measured.loc[name, cols].to_numpy(float), fits.loc[name], name, _out(out) / f"lq_fit_{name}"
            ):
                err.print(f"wrote {p}")
    df = fits.reset_index()
    if out is not None:
        path = _out(out) / "lq_fits.csv"
        with replacing(path) as tmp:
            df.to_csv(tmp, index=False)
        err.print(f"wrote {path}")
    if measured is not None and cell_line is None:
        both = fits.dropna(subset=["radiogx_alpha"])
        err.print(
            f"{len(fits)} curves fitted; vs RadioGx on {len(both)}: median |d alpha| "
            f"{(both['alpha'] - both['radiogx_alpha']).abs().median():.2g}, median |d auc| "
            f"{(both['auc'] - both['radiogx_auc_lq']).abs().median():.2g}. {CITE}"
        )
    emit(df.round(6), df.to_dict("records"), fmt, title="LQ fits")


FEATURE_SETS = ("scores", "markers", "expression", "protein", "mutations", "all")


def _features(kind: str, data) -> pd.DataFrame:
    from chemorad.evidence.scores import MIN_ALTERED, mechanism_scores

    if kind not in FEATURE_SETS:
        raise ChemoradError(f"--features must be one of {', '.join(FEATURE_SETS)} (got {kind!r})")
    if kind in ("scores", "markers"):
        sc = mechanism_scores(current_catalog(), data)
        return sc.scores if kind == "scores" else sc.markers
    parts = []
    if kind in ("expression", "all"):
        parts.append(ds.load_expression(data=data).add_prefix("expr:"))
    if kind in ("protein", "all"):
        parts.append(ds.load_rppa(data=data).add_prefix("prot:"))
    if kind in ("mutations", "all"):
        mut = ds.load_mutations(data=data)
        parts.append(mut.loc[:, mut.sum() >= MIN_ALTERED].add_prefix("mut:"))
    return pd.concat(parts, axis=1)


@app.command()
@holding_out
def scan(
    features: Annotated[str, typer.Option(help=f"Feature set: {', '.join(FEATURE_SETS)}.")] = "scores",
    all_compounds: Annotated[
        bool, typer.Option(help="Every compound in GDSC1/2 and CTRP, not only the catalog's.")
    ] = False,
    top: Annotated[int, typer.Option(help="Rows to print (smallest p first).", min=1, max=1_000_000)] = 30,
    data: DataOpt = None,
    out: OutOpt = None,
    fmt: FormatOpt = Format.table,
    force: ForceOpt = False,
) -> None:
    """Tissue-adjusted association of every feature with every response (OLS, BH-FDR), all pairs at once."""
    from chemorad.evidence.claims import evidence_tables

    _refuse_existing(out, ("scan.parquet", "volcano_*.png", "volcano_*.svg"), force)
    cat = current_catalog()
    with err.status("loading data"):
        _, resp, cov = evidence_tables(cat, data)
        if all_compounds:
            from chemorad.evidence.responses import responses

            resp = responses(cat, data, all_compounds=True)
        X = _features(features, data)
    with err.status(f"fitting {X.shape[1]} features x {resp.shape[1]} responses"):
        table = associations(X, resp, cov)
    err.print(
        f"{len(table)} tests, {table.attrs['n_dropped']} pairs not testable; "
        f"{int((table['fdr'] < 0.1).sum())} at FDR < 0.1. {CITE}"
    )
    if out is not None:
        path = _out(out) / "scan.parquet"
        with replacing(path) as tmp:
            table.to_parquet(tmp, index=False)
        err.print(f"wrote {path}")
        from chemorad.evidence.responses import therapy_columns
        from chemorad.report.evidence_figures import volcano_figure

        for tid, cols in therapy_columns(cat, resp.columns).items():
            primary = [c for c in cols if c.endswith("|ln_ic50") or c.startswith("yard|") and c.endswith("|auc")]
            if primary:
                sub = table[table["response"] == primary[0]]
                if len(sub):
                    volcano_figure(sub, f"{tid}: {_label(primary[0])}", out / f"volcano_{tid}")
        err.print(f"wrote volcano plots to {out}")
    head = table.head(top)
    emit(head, head.to_dict("records"), fmt, title=f"Top {len(head)} associations ({features})")


@app.command()
@holding_out
def crossres(
    n_boot: Annotated[
        int, typer.Option(help="Bootstrap resamples per pair (at most 10,000).", min=0, max=MAX_BOOT)
    ] = 1000,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap.", min=0, max=2**32 - 1)] = 0,
    drug_pairs: Annotated[bool, typer.Option(help="Also drug vs drug within each dataset.")] = True,
    explain: Annotated[
        int,
        typer.Option(
            help="Catalog-linked mediators listed per radiation pair (largest share of r first).", min=0, max=50
        ),
    ] = 3,
    n_boot_explain: Annotated[
        int,
        typer.Option(
            help="Bootstrap resamples for the explained shares (radiation pairs at FDR < 0.1).", min=0, max=MAX_BOOT
        ),
    ] = 200,
    data: DataOpt = None,
    out: OutOpt = None,
    fmt: FormatOpt = Format.table,
    force: ForceOpt = False,
) -> None:
    """Cross-resistance: tissue-adjusted partial correlation of radiation and drug responses, with bootstrap CI."""
    from chemorad.evidence.claims import evidence_tables
    from chemorad.evidence.crossres import explained_cross_resistance

    _refuse_existing(out, ("crossres.csv", "crossres_matrix.png", "crossres_matrix.svg"), force)
    cat = current_catalog()
    with err.status("loading data"):
        sc, resp, _ = evidence_tables(cat, data)
        tissue = ds.cell_lines(data)["tissue"]
    with progress_bar(err) as bar:
        task = bar.add_task("pairs, then the explained shares of the radiation pairs", total=None)
        table = explained_cross_resistance(
            cat,
            resp,
            tissue,
            sc.scores,
            data,
            seed=seed,
            n_boot=n_boot,
            drug_pairs=drug_pairs,
            explain=explain,
            n_boot_explain=n_boot_explain,
            progress=lambda k, n: bar.update(task, completed=k, total=n),
        )
    err.print(
        f"{len(table)} pairs; {int((table['fdr'] < 0.1).sum())} at FDR < 0.1 within each family "
        f"(partial r given tissue; r > 0 = cross-resistance). Shares of r: only mechanisms the catalog links to both "
        f"therapies, general sensitivity (PC1 of the other drugs), proliferation; unexplained = r after all / r. {CITE}"
    )
    if out is not None:
        path = _out(out) / "crossres.csv"
        with replacing(path) as tmp:
            table.to_csv(tmp, index=False)
        crossres_matrix_figure(table, out / "crossres_matrix", cat)
        err.print(f"wrote {path} and crossres_matrix.png/.svg")
    keys = ["therapy_a", "therapy_b", "dataset", "partial_r", "ci_low", "ci_high", "fdr", "n", "explained_by"]
    keys += ["share_mediators", "share_general", "share_proliferation", "unexplained"]
    shown = table[keys]
    wide = table[keys + [c for c in table.columns if c.endswith(("_low", "_high")) and c.startswith(("share", "unex"))]]
    records = wide.astype(object).where(wide.notna(), None)
    emit(shown.round(3), records.to_dict("records"), fmt, title="Cross-resistance")


@app.command()
@holding_out
def claims(
    summary: Annotated[bool, typer.Option(help="One row per mechanism and claim: counts of verdicts.")] = False,
    mechanism: Annotated[str | None, typer.Option(help="Only this mechanism id.")] = None,
    adjust_proliferation: Annotated[
        bool, typer.Option(help="Add the expression proliferation score to the covariates; list the changed verdicts.")
    ] = False,
    resolution: Annotated[
        bool, typer.Option(help="Also test radiation at every dose (SF) and -alpha, -beta of the LQ fit.")
    ] = True,
    data: DataOpt = None,
    out: OutOpt = None,
    fmt: FormatOpt = Format.table,
    force: ForceOpt = False,
) -> None:
    """For each mechanism's claimed specificity: the data verdict per therapy (supported, contradicted, ...)."""
    from chemorad.evidence.claims import claim_verdicts, compare_verdicts, summarise, verdict_counts, verdict_records
    from chemorad.evidence.margins import MARGIN_PER_NOISE

    _refuse_existing(out, ("claims.csv", "claims_effects.*", "claims_changed_by_proliferation.csv"), force)
    cat = current_catalog()
    if mechanism is not None:
        cat.mechanism(mechanism)
    changed = None
    with err.status("scoring mechanisms and fitting associations") as status:
        if adjust_proliferation:
            from chemorad.evidence.proliferation import proliferation_score

            prolif = proliferation_score(data).dropna()
            before = claim_verdicts(cat, data, resolution=resolution, lines=prolif.index)
            table = claim_verdicts(cat, data, resolution=resolution, adjust=prolif.to_frame())
            changed = compare_verdicts(before, table)
        else:
            table = claim_verdicts(cat, data, progress=lambda msg: status.update(msg), resolution=resolution)
    if mechanism is not None:
        table = table[table["mechanism"] == mechanism]
    counts = verdict_counts(table, cat)
    err.print(
        f"{len(table)} claim x therapy x response rows; unique primary-metric tests by modality and expectation:\n"
        f"{counts.to_string()}\nRule: effect beyond +-margin or equivalence within it (TOST), BH FDR < 0.1 per "
        f"therapy x data set x metric; margin = {MARGIN_PER_NOISE:g} x the assay's standard error of measurement "
        f"(docs/evidence.md). {CITE}"
    )
    if out is not None:
        path = _out(out) / "claims.csv"
        with replacing(path) as tmp:
            table.to_csv(tmp, index=False)
        claims_heatmap_figure(table[table["primary"]], out / "claims_effects")
        err.print(f"wrote {path} and claims_effects.png/.svg")
        if changed is not None:
            with replacing(out / "claims_changed_by_proliferation.csv") as tmp:
                changed.to_csv(tmp, index=False)
    if changed is not None:
        err.print(f"{len(changed)} unique tests change verdict when adjusted for proliferation (same lines).")
        if not summary:
            show = changed.round(4)
            emit(show, show.astype(object).where(show.notna(), None).to_dict("records"), fmt, title="Changed verdicts")
            return
    if summary:
        df = summarise(table)
        emit(df, df.to_dict("records"), fmt, title="Claim verdicts per mechanism and claim")
        return
    show = table.drop(columns=["sources", "compound", "p_value", "q_pos", "q_neg", "q_eq", "family"]).round(4)
    emit(show.astype(object).where(show.notna(), "-"), verdict_records(table), fmt, title="Claim verdicts")


@app.command()
def conditional(
    observed: Annotated[
        str,
        typer.Option(
            help="Observed response: THERAPY=resistant, THERAPY=sensitive, THERAPY=q0.9 (within-tissue quantile) or "
            "THERAPY=2.3 (a value of its primary metric)."
        ),
    ],
    therapies: Annotated[str, typer.Option(help="Comma-separated target therapy ids, e.g. radiotherapy,docetaxel.")],
    cell_line: Annotated[
        str | None, typer.Option(help="Also condition on this bundle line's molecular profile (mechanism scores).")
    ] = None,
    n_boot: Annotated[
        int, typer.Option(help="Bootstrap resamples over lines for the intervals.", min=0, max=MAX_BOOT)
    ] = 200,
    seed: Annotated[
        int, typer.Option(help="Seed of the bootstrap and the Monte Carlo draws.", min=0, max=2**32 - 1)
    ] = 0,
    data: DataOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Given an observed response to one therapy, the predicted response to others (within-tissue joint data)."""
    from chemorad.app.conditional import ConditionalQuery
    from chemorad.app.conditional import conditional as conditional_use_case
    from chemorad.cli.context import current_with_data

    query = ConditionalQuery(observed, split_ids(therapies), cell_line, n_boot, seed)
    with err.status("loading data and conditioning"):
        result = conditional_use_case(current_with_data(data), query)
    table = result.table
    err.print(
        f"Given {result.observed}: P(target in its tissue's top quarter) vs 0.25 without the observation; percentiles "
        f"within tissue (median, 10-90%); 95% bootstrap intervals; empirical share among lines like it. {CITE}"
    )
    keys = ["target", "model", "n", "r", "p_resistant", "p_resistant_low", "p_resistant_high", "pct_median"]
    keys += ["pct_low", "pct_high", "empirical_n", "empirical_p_resistant", "rho_profile", "response_target"]
    shown = table[keys]
    emit(
        shown.round(3).astype(object).where(shown.notna(), "-"),
        table.astype(object).where(table.notna(), None).to_dict("records"),
        fmt,
        title=f"Predicted responses given {result.observed}",
    )
