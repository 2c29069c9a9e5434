"""`chemorad calibrate-clinical`: fit (or check) the clinical population parameters the scenarios use."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from chemorad.cli.render import Format, emit
from chemorad.errors import ChemoradError

err = Console(stderr=True)


def calibrate_clinical_cmd(
    site: Annotated[str, typer.Option(help="Tumour site: hnscc (head and neck squamous cell carcinoma).")] = "hnscc",
    patients: Annotated[int, typer.Option(help="Virtual patients per simulated arm.", min=20, max=5000)] = 200,
    seed: Annotated[int, typer.Option(help="Seed of the virtual patients.", min=0, max=2**32 - 1)] = 0,
    check: Annotated[
        bool, typer.Option("--check", help="Only evaluate the packaged fit against the targets (seconds).")
    ] = False,
    out: Annotated[Path | None, typer.Option(help="Write the fitted calibration (YAML) to this new file.")] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
) -> None:
    """Fit the population parameters (clonogens, radiosensitivity spread, repopulation, cisplatin) to clinical targets.

    Targets, sources and residuals: docs/clinical.md. Without --check the full fit runs (about a minute on 2 cores)
    and reproduces the packaged src/chemorad/dynamics/data/clinical_hnscc.yaml.
    """
    import numpy as np

    from chemorad.cli.context import current_catalog
    from chemorad.dynamics import calibration as cal

    if site != "hnscc":
        raise ChemoradError(f"--site {site!r}: only hnscc has clinical targets so far")
    if out is not None and out.exists():
        raise ChemoradError(f"--out {out}: already exists; give a new file name")
    if out is not None and not out.parent.is_dir():
        raise ChemoradError(f"--out {out}: folder {out.parent} does not exist")
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
