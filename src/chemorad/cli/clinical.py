"""`chemorad calibrate-clinical`: fit a tumour site on its training trials, or check it against validation trials."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from chemorad.cli.render import Format, emit
from chemorad.errors import ChemoradError

err = Console(stderr=True)


def calibrate_clinical_cmd(
    site: Annotated[
        str, typer.Option(help="Tumour site: a file of dynamics/data/sites (hnscc, prostate, breast, ...).")
    ] = "hnscc",
    patients: Annotated[int, typer.Option(help="Virtual patients per simulated arm.", min=20, max=5000)] = 200,
    seed: Annotated[int, typer.Option(help="Seed of the virtual patients.", min=0, max=2**32 - 1)] = 0,
    check: Annotated[
        bool,
        typer.Option(
            "--check", help="Packaged fit: training residuals and the validation table (trials never fitted)."
        ),
    ] = False,
    agent: Annotated[
        bool, typer.Option("--agent", help="The older hnscc calibration of the cell-level simulator (simulate).")
    ] = False,
    out: Annotated[Path | None, typer.Option(help="Write the fitted site file (YAML) to this new file.")] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
) -> None:
    """Fit a tumour site's population parameters to its training trials; --check predicts its validation trials.

    The split of trials into training and validation is written in the site file before any fit (docs/clinical.md).
    """
    if out is not None and out.exists():
        raise ChemoradError(f"--out {out}: already exists; give a new file name")
    if out is not None and not out.parent.is_dir():
        raise ChemoradError(f"--out {out}: folder {out.parent} does not exist")
    if agent:
        _agent(site, patients, seed, check, out, fmt)
        return
    import yaml

    from chemorad.dynamics import site_calibration as sc
    from chemorad.dynamics import tcp_model as tm
    from chemorad.dynamics.sites import SITES, load_site

    s = load_site(site, "--site")
    if check:
        v = tm.values(s)
        with err.status("refitting at the ends of the training intervals"):
            refits = sc.interval_refits(s, patients, seed)
            sens = sc.mapping_sensitivity(s, patients, seed)
        train = sc.training_table(s, v, tm.cohort(patients, seed))
        val = sc.validate(s, v, max(patients, 1000), seed, refits)
        ok = int(val["agrees"].fillna(False).sum())
        meet = int(val["intervals_overlap"].fillna(False).sum())
        d50, g50 = sc.dose_response(v, max(patients, 1000), seed)
        err.print(
            f"{site}: time factor {tm.time_factor(v):.3f} Gy/day; 2-Gy dose-response D50 {d50:.1f} Gy, gamma50 "
            f"{g50:.2f}; validation: {ok} of {len(val)} trials agree within "
            f"the trial's 95% interval ({meet} of {len(val)} with the model's interval meeting the trial's)",
            highlight=False,
            soft_wrap=True,
        )
        if fmt is Format.json:  # one document: training and validation together
            from chemorad.cli.render import to_json

            doc = {"site": site, "time_factor_gy_per_day": tm.time_factor(v), "agree": ok, "trials": len(val)}
            doc.update(intervals_overlap=meet, d50_gy=d50, gamma50=g50)
            tables = {"training": train, "validation": val, "mapping_sensitivity": sens}
            print(to_json({**doc, **{k: t.to_dict("records") for k, t in tables.items()}}))
            return
        emit(train, train.to_dict("records"), fmt, title=f"{site}: training targets and residuals")
        emit(val, val.to_dict("records"), fmt, title=f"{site}: validation trials (never fitted)")
        if len(sens):
            emit(sens, sens.to_dict("records"), fmt, title=f"{site}: drug benefit vs the mapping HR_control = HR^k")
        return
    with err.status("fitting"):
        fit = sc.fit(s, patients, seed)
    if out is not None:
        raw = yaml.safe_load((SITES / f"{site}.yaml").read_text(encoding="utf-8"))
        method = f"calibrate-clinical --site {site} --patients {patients} --seed {seed}: " + "; ".join(
            t.name for t in s.training
        )
        out.write_text(yaml.safe_dump(sc.record(s, fit.values, raw, method), sort_keys=False), encoding="utf-8")
        err.print(f"wrote {out}")
    emit(fit.table, fit.table.to_dict("records"), fmt, title=f"{site}: training targets and residuals")


def _agent(site: str, patients: int, seed: int, check: bool, out: Path | None, fmt: Format) -> None:
    """The older cell-level calibration (`dynamics.calibration`), used by scenarios with `calibration: hnscc`."""
    import numpy as np

    from chemorad.cli.context import current_catalog
    from chemorad.dynamics import calibration as cal

    if site != "hnscc":
        raise ChemoradError(f"--site {site!r}: the --agent calibration exists for hnscc only")
    cat = current_catalog()
    if check:
        record = cal.calibration_record(site, "--site")
        theta = np.array([record["fit"]["parameters"][p] for p in cal.PARAMS])
        with err.status("evaluating the packaged calibration"):
            values = cal.model_values(theta, cat, patients, seed)
        table = cal.table(values)
    else:
        with err.status("fitting") as status:
            fit = cal.calibrate(cat, patients, seed, progress=status.update)
        table = fit.table
        if out is not None:
            cal.write_record(fit, out, site)
            err.print(f"wrote {out}")
        values = fit.values
    err.print(
        f"{site}: TCP 70 Gy/35 {values['tcp_70gy_35']:.3f}; with weekly cisplatin "
        f"{values['tcp_70gy_35_concomitant']:.3f}; after PF induction {values['tcp_70gy_35_after_induction']:.3f}"
    )
    emit(table, table.to_dict("records"), fmt, title=f"Clinical calibration ({site}): targets and residuals")
