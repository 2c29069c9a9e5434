"""`chemorad sweep` and `chemorad sweep-report`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.markup import escape

from chemorad.cli.context import current_catalog
from chemorad.cli.render import Format, emit, print_table, progress_bar, to_json
from chemorad.io_atomic import replacing

err = Console(stderr=True)


def sweep_cmd(
    sweep_file: Annotated[Path, typer.Argument(metavar="SWEEP.yaml", help="Sweep file (docs/sweeps.md).")],
    out: Annotated[Path, typer.Option(help="Results folder (manifest, design, one Parquet file per batch).")],
    workers: Annotated[int, typer.Option(help="Local cluster: worker processes.", min=1, max=256)] = 2,
    scheduler: Annotated[
        str | None, typer.Option(help="Address of a running Dask scheduler (tcp://host:port) instead of a local one.")
    ] = None,
    resume: Annotated[
        bool, typer.Option(help="Finish an interrupted sweep in OUT; finished batches are kept.")
    ] = False,
    batch_size: Annotated[
        int | None, typer.Option(help="Points per task (default: about 64 batches).", min=1, max=100_000)
    ] = None,
    data: Annotated[Path | None, typer.Option(help="Cell-line data for cohorts (default: $CHEMORAD_DATA).")] = None,
    connect_timeout: Annotated[float, typer.Option(help="Seconds to wait for --scheduler.", min=0.1)] = 5.0,
) -> None:
    """Run a sweep or virtual cohort on Dask, streaming results to OUT as partitioned Parquet."""
    from chemorad.bundle import datasets as ds
    from chemorad.sweep.run import run_sweep
    from chemorad.sweep.spec import load_sweep

    sw = load_sweep(sweep_file, cat=current_catalog())  # `chemorad --catalog DIR sweep`: the workers simulate with it
    for line in sw.warnings:
        err.print(f"[yellow]chemorad: warning:[/yellow] {escape(line)}", highlight=False, soft_wrap=True)
    directory = ds.data_dir(data) if sw.spec.design.kind == "cohort" else None
    try:
        with progress_bar(err) as bar:
            task = bar.add_task(f"sweep {sw.spec.name} (batches)", total=None)
            info = run_sweep(
                sw,
                out,
                source=sweep_file,
                workers=workers,
                scheduler=scheduler,
                resume=resume,
                batch_size=batch_size,
                data=directory,
                progress=lambda k, n: bar.update(task, completed=k, total=n),
                connect_timeout_s=connect_timeout,
            )
    except KeyboardInterrupt:
        _interrupted(sweep_file, out)
    kept = f"; {len(info.skipped)} finished batches kept" if info.skipped else ""
    if info.recomputed:
        err.print(
            f"[yellow]chemorad: warning:[/yellow] {len(info.recomputed)} damaged batch file(s) recomputed: "
            + ", ".join(str(b) for b in info.recomputed),
            highlight=False,
        )
    err.print(
        f"{sw.spec.name}: {info.n_points} points x {len(sw.arms)} arms x {sw.spec.replicates} replicates; "
        f"{len(info.computed)} batches of {info.batch_size} computed in {info.seconds:.1f} s{kept}"
    )
    print(out / "results")


def _interrupted(sweep_file: Path, out: Path) -> None:
    """Ctrl-C: say what is saved and how to finish; exit 130 (the shell's code for SIGINT)."""
    import json

    from chemorad.sweep.run import MANIFEST

    done = len(list((out / "results").glob("batch-*.parquet"))) if (out / "results").is_dir() else 0
    try:
        total = json.loads((out / MANIFEST).read_text())["n_batches"]
    except (OSError, ValueError, KeyError, TypeError):
        total = None
    if total is None:
        err.print(f"chemorad: interrupted before any result was saved; run the same command again to start {out}")
    else:
        err.print(
            f"chemorad: interrupted; {done} of {total} batches are saved in {out}. Finish with: "
            f"chemorad sweep {sweep_file} --out {out} --resume",
            highlight=False,
            soft_wrap=True,
        )
    raise typer.Exit(130)


def sweep_report_cmd(
    directory: Annotated[Path, typer.Argument(metavar="DIR", help="Results folder written by chemorad sweep.")],
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
    reference: Annotated[str | None, typer.Option(help="Arm the others are compared with (default: first).")] = None,
    figures: Annotated[bool, typer.Option(help="Write PNG/SVG figures to DIR/report.")] = True,
) -> None:
    """Outcome distributions per arm, paired arm comparisons, Sobol indices; tables and figures in DIR/report."""
    from chemorad.report.sweep_figures import arm_comparison_figure, outcome_vs_parameter_figure, tornado_figure
    from chemorad.sweep.analysis import arm_means, compare_arms, distributions, load_results, point_means, sensitivity

    r = load_results(directory)
    tables = {
        "distributions": distributions(r),
        "arm_means": arm_means(r),
        "comparison": compare_arms(r, reference),
        "sensitivity": sensitivity(r),
    }
    report = directory / "report"
    report.mkdir(exist_ok=True)
    for name, df in tables.items():
        with replacing(report / f"{name}.csv") as tmp:
            df.to_csv(tmp, index=False)
    if figures:
        written = arm_comparison_figure(tables["arm_means"], report / "arm_comparison", tables["comparison"])
        if not tables["sensitivity"].empty:
            written += tornado_figure(tables["sensitivity"], "log10_final_cells", report / "tornado")
        if r.parameters:
            written += outcome_vs_parameter_figure(
                point_means(r), r.parameters, "log10_final_cells", report / "outcome_vs_parameter"
            )
        for p in written:
            if p.suffix == ".png":
                err.print(f"wrote {p}")
    if not r.complete:
        err.print(f"note: {r.batches_done} of {r.manifest['n_batches']} batches finished; resume the sweep for all")
    if fmt is Format.json:
        print(to_json([{name: df.to_dict("records") for name, df in tables.items()}]))
    elif fmt is Format.csv:
        long = pd.concat([df.assign(table=name) for name, df in tables.items() if not df.empty], ignore_index=True)
        print(long[["table", *[c for c in long.columns if c != "table"]]].to_csv(index=False), end="")
    else:
        for name, df in tables.items():
            if df.empty:
                continue
            if fmt is Format.table:
                if name == "sensitivity":  # the intervals are in the CSV/JSON output and DIR/report/sensitivity.csv
                    df = df[["arm", "outcome", "parameter", "S1", "ST", "n_base"]]
                print_table(df.round(4), title=f"{r.manifest['name']}: {name}")
            else:
                emit(df.round(4), df.to_dict("records"), fmt)
