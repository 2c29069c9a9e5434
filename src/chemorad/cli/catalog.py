"""Catalog and model look-ups: `mechanisms`, `mechanism`, `gene`, `therapies`, `references`, `specificity`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markdown import Markdown

from chemorad.cli.context import current_catalog
from chemorad.cli.render import Format, emit, to_json
from chemorad.errors import ChemoradError

# The catalog views, NumPy and pandas are imported inside the commands that need them, so that `chemorad gene` and
# `chemorad --help` start without them (chemorad.cli.app).

FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]


def mechanisms(
    therapy: Annotated[str | None, typer.Option(help="Only mechanisms that act on this therapy id.")] = None,
    stage: Annotated[str | None, typer.Option(help="Only mechanisms acting at this damage-chain stage.")] = None,
    gene: Annotated[str | None, typer.Option(help="Only mechanisms with this gene among their markers.")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """List resistance mechanisms with stage, markers, therapies touched, claimed specificity and references."""
    from chemorad.catalog import views as cv

    cat = current_catalog()
    selected = list(cat.mechanisms.values())
    if therapy is not None:
        cat.therapy(therapy)
        selected = [m for m in selected if therapy in cat.therapies_for(m)]
    if stage is not None:
        st = cat.stage(stage)
        selected = [m for m in selected if st in m.stages]
    if gene is not None:
        symbol = cat.gene(gene)
        selected = [m for m in selected if any(mk.gene == symbol for mk in m.markers)]
    emit(
        cv.mechanisms_table(cat, selected),
        [cv.mechanism_record(cat, m) for m in selected],
        fmt,
        title=f"{len(selected)} mechanisms",
    )


def mechanism(
    mechanism_id: Annotated[str, typer.Argument(metavar="ID", help="Mechanism id, e.g. efflux_abcb1.")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
) -> None:
    """The full card of one mechanism, with its references."""
    from chemorad.catalog import views as cv

    cat = current_catalog()
    m = cat.mechanism(mechanism_id)
    record = cv.mechanism_record(cat, m)
    if fmt == "json":
        print(to_json([record]))
        return
    if fmt != "text":
        raise ChemoradError(f"--format must be text or json (got {fmt!r})")
    Console().print(Markdown(_card(record)))


def _card(r: dict) -> str:
    from chemorad.catalog import views as cv

    lines = [
        f"# {r['name']} (`{r['id']}`)",
        "",
        r["summary"],
        "",
        f"**Stages:** {', '.join(r['stages'])}. **Direction:** {r['direction']}.",
        "",
        f"**Therapies touched:** {', '.join(r['therapies']) or 'none at the single-cell level'}",
        "",
        "## Markers",
    ]
    lines += [
        f"- {mk['gene']}: {mk['alteration']} ({'raises' if mk['sign'] > 0 else 'lowers'} activity)"
        for mk in r["markers"]
    ]
    lines += ["", "## Claimed specificity"]
    lines += [
        f"- **{c['specificity']}**: {', '.join(c['sources'])}" + (f" ({c['note']})" if c["note"] else "")
        for c in r["claims"]
    ]
    lines += ["", "## Effects in the damage chain"]
    lines += [
        f"- {e['quantity']} x {e['size']:g} on {e['acts_on']} [{e['source']}; {e['provenance']}]: {e['basis']}"
        for e in r["effects"]
    ] or ["- none at the single-cell level"]
    lines += ["", "## Evidence"]
    lines += [f"- {e['model_system']}: {e['effect']} [{e['reference']}]" for e in r["evidence"]]
    lines += ["", "## References"]
    cat = current_catalog()
    lines += [f"- `{ref['id']}` {cv.cite(cat.references[ref['id']])}" for ref in r["references"]]
    return "\n".join(lines)


def gene(
    symbol: Annotated[str, typer.Argument(metavar="SYMBOL", help="HGNC gene symbol, e.g. ABCB1.")],
    fmt: FormatOpt = Format.table,
) -> None:
    """Mechanisms a gene marks and the therapies they touch.

    Every gene the catalog or the perturbation table names is found: a marker, a therapy's transporter, enzyme or
    target, a perturbed gene, or a gene a mechanism's text names; a gene that marks no mechanism says why
    ("named, not a marker, because ...").
    """
    from chemorad.catalog.genes import gene_roles, gene_symbol

    cat = current_catalog()
    symbol = gene_symbol(cat, symbol)
    rows = gene_roles(cat, symbol)
    shown = [
        {
            **{k: "-" if v is None else v for k, v in row.items()},
            "therapies": _abbreviate(row["therapies"], len(cat.therapies)),
        }
        for row in rows
    ]
    emit(shown, rows, fmt, title=f"{symbol}: {len(rows)} links")


def _abbreviate(ids: list[str], total: int) -> str:
    """'all' when every therapy is listed (as `catalog.views.abbreviate`, without importing pandas)."""
    if len(ids) == total:
        return "all"
    return ", ".join(ids) if ids else "-"


def therapies(fmt: FormatOpt = Format.table) -> None:
    """Radiotherapy and the drugs in the catalog, with their resistance-relevant properties."""
    from chemorad.catalog import views as cv

    cat = current_catalog()
    emit(
        cv.therapies_table(cat),
        [cv.therapy_record(t) for t in cat.therapies.values()],
        fmt,
        title=f"{len(cat.therapies)} therapies",
    )


def references(fmt: FormatOpt = Format.table) -> None:
    """The bibliography behind every mechanism, parameter and claim."""
    from chemorad.catalog import views as cv

    cat = current_catalog()
    df = cv.references_table(cat)
    emit(
        df[["id", "authors", "year", "journal", "doi", "pmid"]].fillna("-"),
        df.to_dict("records"),
        fmt,
        title=f"{len(df)} references",
    )


def specificity(
    fmt: FormatOpt = Format.table,
    activity: Annotated[
        float, typer.Option(help="Activity of each mechanism switched on alone (1 = catalog size).")
    ] = 1.0,
    po2: Annotated[
        float | None, typer.Option("--po2", help="One oxygen tension in mmHg instead of the oxic and hypoxic defaults.")
    ] = None,
    long: Annotated[
        bool, typer.Option("--long", help="Table/CSV/MD: every mechanism x therapy x condition row.")
    ] = False,
    calibrated: Annotated[
        bool, typer.Option("--calibrated", help="Use the calibrated posterior: 90% credible intervals, P(verdict).")
    ] = False,
    posterior: Annotated[
        Path | None, typer.Option(help="With --calibrated: a `chemorad calibrate` output (default: the shipped one).")
    ] = None,
    cell_lines: Annotated[
        bool,
        typer.Option(
            "--cell-lines",
            help="With --calibrated: add each mechanism's cell-line associations after tissue and the calibration's "
            "general factor (needs the data bundle).",
        ),
    ] = False,
) -> None:
    """Computed specificity: resistance factor of every mechanism on every therapy, and a verdict per mechanism.

    Resistance factor = dose for the same kill with / without the mechanism, at surviving fraction 0.5 for drugs (fold
    change in IC50) and 0.1 for radiation (dose-modifying factor). A therapy counts as touched at RF >= 1.2 or <= 1/1.2.
    With --calibrated the effect sizes and potencies are posterior draws (docs/calibration.md): RF is the posterior
    median with rf_low/rf_high its 90% credible interval, and verdict_probability the posterior probability of the
    verdict shown.
    """
    import numpy as np

    from chemorad.chain.specificity import (
        THRESHOLD,
        both_directions,
        resistance_factors,
        specificity_records,
        verdicts,
    )

    if not (np.isfinite(activity) and abs(activity) <= 10):
        raise ChemoradError(f"--activity must be a number within [-10, 10] catalog steps (got {activity})")
    if po2 is not None and not (np.isfinite(po2) and po2 >= 0):
        raise ChemoradError(f"--po2 must be a finite pO2 >= 0 mmHg (got {po2})")
    cat = current_catalog()
    if calibrated:  # calibration: the posterior's version of the same table (chemorad.calibration.posterior)
        _calibrated_specificity(cat, fmt, activity, po2, long, posterior, THRESHOLD, cell_lines)
        return
    if posterior is not None or cell_lines:
        raise ChemoradError(f"{'--posterior' if posterior is not None else '--cell-lines'} needs --calibrated")
    rf = resistance_factors(cat, activity=activity, po2_mmhg=po2)
    table = verdicts(cat, rf)
    # both directions: the mechanism gained (+|activity|) and lost (-|activity|), each with its verdict
    rf_g, tab_g, rf_l, tab_l = both_directions(cat, activity, po2)
    table = table.assign(
        gain_verdict=tab_g["verdict"].to_numpy(),
        loss_verdict=tab_l["verdict"].to_numpy(),
        loss_radiation_rf=tab_l["radiation_rf"].to_numpy(),
    )
    df = rf.merge(table[["mechanism", "verdict"]], on="mechanism") if long else table
    emit(
        df,
        specificity_records(rf, table, rf_l, tab_l),
        fmt,
        title=f"Computed specificity at activity {activity:g}; gain/loss verdicts at +-{abs(activity):g} (touched: "
        f"RF >= {THRESHOLD} or <= 1/{THRESHOLD})",
    )


def _calibrated_specificity(cat, fmt, activity, po2, long, posterior, threshold, cell_lines=False) -> None:
    """`specificity --calibrated` (owned by the calibration package; kept apart from the uncalibrated path)."""
    if activity == 0 and not long:
        raise ChemoradError("--activity 0 switches no mechanism on; give a non-zero activity with --calibrated")
    from chemorad.calibration import posterior as post
    from chemorad.calibration.spec import chain_spec

    spec, idata = chain_spec(cat), post.load(posterior)
    added = post.check_matches(spec, idata)
    if added:
        import sys

        sys.stderr.write(
            f"chemorad: note: {len(added)} effect(s) added to the catalog since the calibration take their prior "
            f"({', '.join(added[:3])}); run `chemorad calibrate` to update\n"
        )
    if long:
        rf, table = post.calibrated_specificity(cat, spec, idata, activity, po2)
        emit(
            rf,
            post.specificity_records(rf, table),
            fmt,
            title=f"Calibrated specificity at activity {activity:g} (posterior median, 90% credible interval)",
        )
        return
    from chemorad.calibration.verdicts import mechanism_verdicts, verdict_basis

    table = mechanism_verdicts(cat, spec, idata, threshold, po2_mmhg=po2, activity=activity)
    cells = None
    if cell_lines:
        from chemorad.calibration.association import cell_line_basis

        cells = cell_line_basis(cat, idata)
    table = table.merge(verdict_basis(cat, table, threshold, cells), on=["mechanism", "direction"])
    cols = ["mechanism", "direction", "verdict", "probability", "rf_low_radiation", "rf_high_radiation"]
    cols += ["strongest_drug", "rf_low_drug", "rf_high_drug", "agreement_radiation", "agreement_drugs"]
    cols += ["agreement_cell_lines_radiation", "agreement_cell_lines_drugs"] if cell_lines else []
    cols += ["deciding_measurement"]
    emit(
        table[cols].astype(object).where(table[cols].notna(), "-"),
        table.astype(object).where(table.notna(), None).to_dict("records"),
        fmt,
        title=f"Calibrated verdicts for gain (+{abs(activity):g}) and loss (-{abs(activity):g}): decided only where "
        f"the 90% credible interval excludes no effect (RF {threshold}) on identified sizes, else undetermined "
        f"with the deciding measurement",
    )


# --------------------------------------------------------------------------------------------- chemorad catalog ...
catalog_app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)


@catalog_app.callback()
def _catalog_group() -> None:
    """Views of the catalog as a whole: `chemorad catalog provenance` (how every effect size was obtained)."""


@catalog_app.command("provenance")
def provenance(
    fmt: FormatOpt = Format.table,
    posterior: Annotated[
        Path | None,
        typer.Option(help="A `chemorad calibrate` output whose width ratios decide `data` (default: the shipped one)."),
    ] = None,
    no_posterior: Annotated[
        bool, typer.Option("--no-posterior", help="Typed classes only: no effect is `data`.")
    ] = False,
) -> None:
    """Provenance of every effect size (read, data, bounded, recalled, placeholder): counts, and each placeholder.

    `data`: not read, and the calibrated posterior's 90% interval of the size is less than half as wide as the prior's
    (`chemorad.catalog.provenance`).
    """
    from chemorad.catalog import provenance as pv

    cat = current_catalog()
    ratios = None
    if not no_posterior:
        from chemorad.calibration import posterior as post
        from chemorad.calibration.spec import chain_spec

        spec, idata = chain_spec(cat), post.load(posterior)
        post.check_matches(spec, idata)
        ratios = post.width_ratios(spec, idata)
    elif posterior is not None:
        raise ChemoradError("--posterior and --no-posterior exclude each other")
    table = pv.effect_provenance(cat, ratios)
    counts = pv.provenance_counts(table)
    rule = f"data: not read and posterior/prior 90% width ratio < {pv.DATA_WIDTH_RATIO}"
    if fmt is Format.json:
        print(
            to_json(
                [
                    {
                        "rule": rule,
                        "measured_share": pv.measured_share(table),
                        "counts": counts.to_dict("records"),
                        "effects": table.to_dict("records"),
                    }
                ]
            )
        )
        return
    emit(counts, [], fmt, title=f"Provenance of {len(table)} effect sizes ({rule})")
    ph = table[table["provenance"] == "placeholder"]
    shown = ph[["effect", "acts_on", "size", "width_ratio"]].assign(basis=ph["basis"].str.slice(0, 100))
    emit(shown.fillna("-"), [], fmt, title=f"{len(ph)} placeholders")
