"""`chemorad simulate` and `chemorad crossres-evolution`."""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from chemorad.catalog.registry import Modality
from chemorad.cli.render import Format, emit, progress_bar
from chemorad.errors import ChemoradError

err = Console(stderr=True)


def _commit(tmp: Path, out: Path) -> list[Path]:
    """Move finished outputs from `tmp` (a staging folder inside `out`) into `out`, each by one atomic rename, so a
    failed run leaves nothing half-written there."""
    written = []
    for f in sorted(tmp.iterdir()):
        dest = out / f.name
        os.replace(f, dest)
        written.append(dest)
    shutil.rmtree(tmp, ignore_errors=True)
    return written


SIMULATE_OUTPUTS = ("simulation.nc", "summary.csv", "summary.json", "simulation.png", "simulation.svg")
CROSSRES_EVOLUTION_OUTPUTS = (
    "crossres_evolution_replicates.csv",
    "crossres_evolution_selection.csv",
    "crossres_evolution_summary.csv",
    "crossres_evolution.png",
    "crossres_evolution.svg",
)


def check_destination(out: Path, names: tuple[str, ...], option: str = "--out", force: bool = False) -> None:
    """Refuse, before any work, an output folder that is a file, holds earlier outputs (unless `force`) or cannot be
    written."""
    if out.exists() and not out.is_dir():
        raise ChemoradError(f"{option} {out}: is an existing file; give a folder for the outputs")
    clash = [n for n in names if (out / n).exists()]
    if clash and not force:
        raise ChemoradError(
            f"{option} {out}: already holds {', '.join(clash)}; choose a new folder, remove them or pass --force"
        )
    probe = out
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK):
        raise ChemoradError(f"{option} {out}: {probe} is not a writable folder")


@contextmanager
def locked(out: Path | None, names: tuple[str, ...], force: bool = False):
    """Hold `out` for this process (`chemorad.io_atomic.folder_lock`) from before the work until its outputs are in
    place, checking again under the lock, so two runs into one folder never silently replace each other's results."""
    if out is None:
        yield
        return
    from chemorad.io_atomic import folder_lock

    with folder_lock(out):
        check_destination(out, names, force=force)
        yield


@contextmanager
def staging(out: Path):
    """A hidden staging folder inside `out` (same file system: each output is then renamed into place), removed on
    every path out of the block (success moves its files)."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".chemorad-", dir=out))
    except OSError as exc:
        raise ChemoradError(f"--out {out}: cannot write into it ({exc.strerror})") from None
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _population_line(name: str, s, pop: dict) -> str:
    tf = pop.get("time_factor_gy_per_day")
    tail = f"; time factor {tf:.2f} Gy/day (median patient)" if tf is not None else ""
    return (
        f"{name}: {len(s)} patients; population TCP {pop['tcp']:.3f} "
        f"({100 * pop['tcp_level']:.0f}% interval {pop['tcp_low']:.3f}-{pop['tcp_high']:.3f}, {pop['tcp_method']}); "
        f"mean log kill {s['log_kill'].mean():.2f}; median time to progression "
        f"{s['time_to_progression_days'].median():.1f} days{tail}"
    )


def simulate_cmd(
    scenario: Annotated[Path, typer.Argument(metavar="SCENARIO.yaml", help="Scenario file (docs/dynamics.md).")],
    replicates: Annotated[int | None, typer.Option(help="Override the scenario's replicates.", min=1)] = None,
    seed: Annotated[int | None, typer.Option(help="Override the scenario's seed.", min=0, max=2**32 - 1)] = None,
    out: Annotated[Path | None, typer.Option(help="Folder for the NetCDF, the summary and the figures.")] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Summary format.")] = Format.table,
    force: Annotated[bool, typer.Option("--force", help="Replace earlier outputs in --out.")] = False,
) -> None:
    """Simulate a tumour over a treatment course: growth, kill through the damage chain, the 5 Rs, evolution, TCP."""
    import json

    from chemorad.app.simulation import simulation_job
    from chemorad.cli.context import current
    from chemorad.dynamics.tcp_model import calibration_notes, scenario_tcp
    from chemorad.report.dynamics_figures import simulation_figure

    ctx = current()
    job = simulation_job(ctx, scenario, replicates, seed)
    for line in job.warnings:
        err.print(f"[yellow]chemorad: warning:[/yellow] {line}", highlight=False, soft_wrap=True)
    site_pop = scenario_tcp(job.scenario, ctx.catalog)  # the site model, when `calibration:` names a tumour site
    if out is not None:
        check_destination(out, SIMULATE_OUTPUTS, force=force)
    with locked(out, SIMULATE_OUTPUTS, force):
        with progress_bar(err) as bar:
            task = bar.add_task(f"simulating {job.name}", total=None)
            res = job.run(progress=lambda k, n: bar.update(task, completed=k, total=n))
        sc = job.scenario
        s = res.summary
        record = {"scenario": sc.name, "population": res.population, "replicates": s.to_dict("records")}
        if site_pop is not None:
            record["site_model"] = site_pop
        if out is not None:
            with staging(out) as tmp:
                res.dataset.to_netcdf(tmp / "simulation.nc", engine="scipy")
                s.to_csv(tmp / "summary.csv", index=False)
                (tmp / "summary.json").write_text(json.dumps(record, indent=1, default=float) + "\n", encoding="utf-8")
                simulation_figure(res.dataset, tmp / "simulation")
                for p in _commit(tmp, out):
                    err.print(f"wrote {p}")
    for line in calibration_notes(sc, site_pop):
        err.print(line, highlight=False, soft_wrap=True)
    label = sc.name
    if site_pop is not None:
        kind = "uncalibrated cell-level run" if site_pop["default"] else "cell-level run"
        label = f"{sc.name} [{kind}, not the site model]"
    err.print(_population_line(label, s, res.population), markup=False)  # the label's [...] is text, not markup
    emit(s.round(4), record, fmt, title="Simulation summary per replicate (virtual patient)")


def crossres_evolution_cmd(
    drugs: Annotated[str, typer.Option(help="Comma-separated drugs given before or after radiotherapy.")] = (
        "cisplatin,docetaxel,doxorubicin"
    ),
    replicates: Annotated[int, typer.Option(help="Replicates per order (at most 10,000).", min=1, max=10_000)] = 10,
    seed: Annotated[int, typer.Option(help="Seed.", min=0, max=2**32 - 1)] = 0,
    rate: Annotated[float, typer.Option(help="Probability per division of gaining one mechanism step.")] = 1e-6,
    out: Annotated[Path | None, typer.Option(help="Folder for tables and figures.")] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
    force: Annotated[bool, typer.Option("--force", help="Replace earlier outputs in --out.")] = False,
) -> None:
    """Drug then radiotherapy vs the reverse: resistance acquired to the second therapy, and what was selected."""
    from chemorad.cli.context import current_catalog
    from chemorad.dynamics.experiments import crossres_evolution, summarise
    from chemorad.report.dynamics_figures import order_figure

    if not 0 <= rate <= 1:
        raise ChemoradError(f"--rate must be a probability in [0, 1] (got {rate})")
    names = tuple(d.strip() for d in drugs.split(",") if d.strip())
    if not names:
        raise ChemoradError("--drugs: give at least one drug id, e.g. cisplatin,docetaxel")
    cat = current_catalog()
    for d in names:
        t = cat.therapy(d)
        if t.modality != Modality.drug or t.pk is None:
            raise ChemoradError(f"--drugs: {d!r} is not a drug with pharmacokinetics in the catalog")
    if out is not None:
        check_destination(out, CROSSRES_EVOLUTION_OUTPUTS, force=force)
    with locked(out, CROSSRES_EVOLUTION_OUTPUTS, force):
        with err.status("simulating") as status:
            rows, enrich, _ = crossres_evolution(names, replicates, seed, rate, progress=status.update, cat=cat)
        table = summarise(rows, enrich)
        if out is not None:
            with staging(out) as tmp:
                rows.to_csv(tmp / "crossres_evolution_replicates.csv", index=False)
                enrich.to_csv(tmp / "crossres_evolution_selection.csv", index=False)
                table.to_csv(tmp / "crossres_evolution_summary.csv", index=False)
                order_figure(rows, tmp / "crossres_evolution")
                for p in _commit(tmp, out):
                    err.print(f"wrote {p}")
    emit(table.round(4), table.to_dict("records"), fmt, title="Order of therapy: acquired resistance")
