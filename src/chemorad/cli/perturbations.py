"""`chemorad perturbations`: the published perturbation experiments, and (`--check`) the chain's value next to each."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from chemorad.cli.render import Format, emit, print_table, progress_bar, to_json

LIST_COLUMNS = ["id", "gene", "mechanism", "perturbation", "therapy", "metric", "value", "obtained", "source"]
CHECK_COLUMNS = ["id", "mechanism", "therapy", "metric", "activity", "measured", "model", "ratio", "within_2_fold"]


def perturbations(
    check: Annotated[
        bool, typer.Option("--check", help="Run each entry through the chain and compare with the measured value.")
    ] = False,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
    table: Annotated[
        Path | None,
        typer.Option("--table", help="A perturbation table (YAML) instead of the catalog's perturbations.yaml."),
    ] = None,
    only: Annotated[
        str | None, typer.Option("--obtained", help="Only entries whose value was 'read' or 'recalled'.")
    ] = None,
    calibrated: Annotated[
        bool,
        typer.Option("--calibrated", help="With --check: each entry predicted by a calibration that left it out."),
    ] = False,
) -> None:
    """Published experiments in which one mechanism was changed and the response measured (read vs recalled).

    With --check each entry goes through the damage chain (gain of the gene = activity +1, loss = -1, in the direction
    of the catalog's marker) and the model's value is shown next to the measured one, with a summary per modality:
    how many of N are reproduced within 2-fold. `chemorad --catalog DIR perturbations --check --table FILE` checks
    another catalog (e.g. an older one) against a table.
    """
    from chemorad.catalog.perturbations import as_records, read_perturbations
    from chemorad.cli.context import current_catalog
    from chemorad.errors import ChemoradError

    if only not in (None, "read", "recalled"):
        raise ChemoradError(f"--obtained must be read or recalled (got {only!r})")
    cat = current_catalog()
    entries = read_perturbations(table) if table is not None else cat.perturbations
    if not entries:
        raise ChemoradError("no perturbation table: the catalog has no perturbations.yaml and no --table was given")
    if only is not None:
        entries = {k: p for k, p in entries.items() if p.obtained == only}
    if calibrated:  # calibration: leave-one-experiment-out, kept apart from the uncalibrated check
        if not check:
            raise ChemoradError("--calibrated needs --check")
        _check_calibrated(cat, entries, fmt)
        return
    if not check:
        records = as_records(entries)
        df = pd.DataFrame(
            [
                {
                    **{k: r[k] for k in LIST_COLUMNS[:-1]},
                    "therapy": r["therapy"] or f"({r['therapy_as_published']})",
                    "source": _short_source(r),
                }
                for r in records
            ],
            columns=LIST_COLUMNS,
        )
        n_read = sum(p.obtained == "read" for p in entries.values())
        emit(df, records, fmt, title=f"{len(entries)} perturbations ({n_read} read, {len(entries) - n_read} recalled)")
        return
    from chemorad.chain.perturbations import check as run_check
    from chemorad.chain.perturbations import summary, summary_lines

    result = run_check(cat, entries)
    lines = summary_lines(result)
    if fmt is Format.json:
        records = result.astype(object).where(result.notna(), None).to_dict("records")
        print(to_json({"results": records, "summary": summary(result), "summary_lines": lines}))  # type: ignore[arg-type]
        return
    if fmt is Format.table:
        print_table(result[CHECK_COLUMNS], title="Perturbations: model vs measured (perturbed / control)")
    else:
        emit(result, [], fmt)
    sys.stdout.write("\n".join(lines) + "\n")


def _check_calibrated(cat, entries, fmt: Format) -> None:
    """`perturbations --check --calibrated` (owned by the calibration package): leave-one-experiment-out."""
    from dataclasses import replace

    from chemorad.calibration.loeo import leave_one_out
    from chemorad.calibration.spec import chain_spec
    from chemorad.chain.perturbations import check as run_check

    sub = replace(cat, perturbations=dict(entries), cache={})
    from rich.console import Console

    with progress_bar(Console(stderr=True)) as bar:
        task = bar.add_task("leave-one-experiment-out fits", total=None)
        res = leave_one_out(sub, chain_spec(sub), progress=lambda k, n: bar.update(task, completed=k, total=n))
    unc = run_check(sub, entries).set_index("id")
    res["uncalibrated"] = unc["model"].reindex(res["id"]).to_numpy()
    lines = [
        f"{m}: {int(g['within_2_fold'].sum())} of {len(g)} within 2-fold (leave-one-experiment-out), uncalibrated "
        f"chain {int(unc.loc[g['id'], 'within_2_fold'].astype(bool).sum())}"
        for m, g in res.groupby("modality")
    ]
    if fmt is Format.json:
        print(to_json({"results": res.to_dict("records"), "summary_lines": lines}))  # type: ignore[arg-type]
        return
    emit(res, [], fmt, title="Perturbations: leave-one-experiment-out calibrated chain vs measured")
    sys.stdout.write("\n".join(lines) + "\n")


def _short_source(r: dict) -> str:
    """doi, PMID, or the host the value was read from."""
    if r["source"]["doi"]:
        return f"doi:{r['source']['doi']}"
    if r["source"]["pmid"]:
        return f"PMID:{r['source']['pmid']}"
    return (r["read_from"] or "").split("/")[2] if "//" in (r["read_from"] or "") else r["read_from"] or ""
