"""`chemorad calibrate`: infer the damage chain's parameters from the data bundle and the perturbation table."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer


def calibrate_cmd(
    data: Annotated[Path | None, typer.Option(help="Cell-line data (default: $CHEMORAD_DATA, ../shared/data).")] = None,
    out: Annotated[Path, typer.Option(help="Folder for posterior.nc, summary.json and summary.md.")] = Path(
        "calibration"
    ),
    method: Annotated[str, typer.Option(help="nuts (MCMC) or vi (variational; the full bundle's default).")] = "vi",
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same posterior).")] = 0,
    steps: Annotated[int, typer.Option(help="VI: optimisation steps.")] = 6000,
    samples: Annotated[int, typer.Option(help="NUTS: draws per chain after as many warm-up steps.")] = 500,
    chains: Annotated[int, typer.Option(help="NUTS: chains (run one after the other).")] = 2,
    ship: Annotated[
        bool, typer.Option("--ship", help="Also write the thinned posterior the package ships (maintainers).")
    ] = False,
) -> None:
    """Calibrate the damage chain on the data: posterior of effect sizes, potencies, marker weights and noise.

    The forward model is the chain itself (every mechanism at its stage), priors come from the catalog (narrow where
    a perturbation measured an effect, wide for unsourced order-of-magnitude sizes), and the likelihood has the Yard
    surviving fractions at each dose, GDSC1/GDSC2 ln IC50, CTRP AUC and every perturbation-table entry. Fails (exit 2)
    when the sampler's diagnostics are bad (R-hat, ESS, divergences; for VI a non-converged ELBO). See
    docs/calibration.md.
    """
    from chemorad.app.calibration import CalibrationRequest, calibrate_chain
    from chemorad.cli.context import current

    request = CalibrationRequest(out, data, method, seed, steps, samples, chains, ship)

    def say(msg: str) -> None:
        sys.stderr.write(f"calibrate: {msg}\n")

    summ = calibrate_chain(current(), request, progress=say)
    d = summ["diagnostics"]
    sys.stdout.write(
        f"wrote {out / 'posterior.nc'}, {out / 'summary.md'} ({d['method']}, {d['wall_time_s']:.0f} s); "
        f"perturbations in-sample: {summ['perturbations_in_sample'] or 'none'}\n"
    )
