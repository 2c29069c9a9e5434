"""`chemorad calibrate`: infer the damage chain's parameters from the data bundle and the perturbation table."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from chemorad.errors import ChemoradError


def _check_out(out: Path, force: bool) -> None:
    if out.exists() and not out.is_dir():
        raise ChemoradError(f"--out {out}: exists and is not a folder")
    clash = [n for n in ("posterior.nc", "summary.json", "summary.md") if (out / n).exists()]
    if clash and not force:
        raise ChemoradError(f"--out {out}: already holds {', '.join(clash)}; choose a new folder or pass --force")


def calibrate_cmd(
    data: Annotated[Path | None, typer.Option(help="Cell-line data (default: $CHEMORAD_DATA, ../shared/data).")] = None,
    out: Annotated[Path, typer.Option(help="Folder for posterior.nc, summary.json and summary.md.")] = Path(
        "calibration"
    ),
    method: Annotated[str, typer.Option(help="nuts (MCMC) or vi (variational; the full bundle's default).")] = "vi",
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same posterior).", min=0, max=2**32 - 1)] = 0,
    steps: Annotated[int, typer.Option(help="VI: optimisation steps (at most 1,000,000).", max=1_000_000)] = 6000,
    samples: Annotated[
        int, typer.Option(help="NUTS: draws per chain after as many warm-up steps (at most 100,000).", max=100_000)
    ] = 500,
    chains: Annotated[int, typer.Option(help="NUTS: chains (run one after the other; at most 16).", max=16)] = 2,
    ship: Annotated[
        bool, typer.Option("--ship", help="Also write the thinned posterior the package ships (maintainers).")
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace an earlier calibration in --out.")] = False,
    with_optional: Annotated[
        list[str] | None,
        typer.Option(
            "--with-optional",
            help="Also fit an optional data set found beside the bundle (repeatable): pide (PIDE 3.4 clonogenic "
            "curves). Off by default; refused with --ship.",
        ),
    ] = None,
) -> None:
    """Calibrate the damage chain on the data: posterior of effect sizes, potencies, marker weights and noise.

    The forward model is the chain itself (every mechanism at its stage), priors come from the catalog (narrow where
    a perturbation measured an effect, wide for unsourced order-of-magnitude sizes), and the likelihood has the Yard
    surviving fractions at each dose, GDSC1/GDSC2 ln IC50, CTRP AUC and every perturbation-table entry. Fails (exit 2)
    when the sampler's diagnostics are bad (R-hat, ESS, divergences; for VI a non-converged ELBO). With
    --with-optional pide, each published clonogenic curve of a bundle line (PIDE 3.4, when present) adds its LQ
    log-kill at 2 Gy to the likelihood. See docs/calibration.md.
    """
    from chemorad.app.calibration import CalibrationRequest, calibrate_chain, check_request
    from chemorad.cli.context import current

    optional = tuple(dict.fromkeys(with_optional or ()))
    request = CalibrationRequest(out, data, method, seed, steps, samples, chains, ship, optional)
    check_request(request)  # before the output folder is touched
    _check_out(out, force)

    def say(msg: str) -> None:
        sys.stderr.write(f"calibrate: {msg}\n")

    from chemorad.io_atomic import folder_lock

    with folder_lock(out):  # a second calibration into the same folder is refused, not mixed with this one
        _check_out(out, force)
        summ = calibrate_chain(current(), request, progress=say)
    d = summ["diagnostics"]
    sys.stdout.write(
        f"wrote {out / 'posterior.nc'}, {out / 'summary.md'} ({d['method']}, {d['wall_time_s']:.0f} s); "
        f"perturbations in-sample: {summ['perturbations_in_sample'] or 'none'}\n"
    )
