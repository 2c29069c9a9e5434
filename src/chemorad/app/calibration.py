"""Use case: calibrate the damage chain on the data bundle and the perturbation table (`chemorad.calibration`).

Used by `chemorad calibrate`; the settings are checked before any work (a bad --data or method costs nothing).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from chemorad.context import Context
from chemorad.errors import ChemoradError


@dataclass(frozen=True)
class CalibrationRequest:
    """Where to write posterior.nc and the summaries, and the inference settings (`calibration.infer.Settings`)."""

    out: Path
    data: Path | None = None
    method: str = "vi"
    seed: int = 0
    steps: int = 6000
    samples: int = 500
    chains: int = 2
    ship: bool = False
    #: optional data sets the calibration adds (`calibration.data.OPTIONAL_LIKELIHOODS`: PIDE's clonogenic curves)
    optional: tuple[str, ...] = ()


def check_request(r: CalibrationRequest) -> None:
    """The settings' own errors (no data read): --ship with an optional data set, an unknown method, a count < 1."""
    from chemorad.calibration.infer import METHODS
    from chemorad.calibration.workflow import ship_refusal

    if r.ship and r.optional:
        raise ChemoradError(ship_refusal(r.optional))
    if r.method not in METHODS:
        raise ChemoradError(f"--method must be one of {', '.join(METHODS)} (got {r.method!r})")
    for name, v in (("--steps", r.steps), ("--samples", r.samples), ("--chains", r.chains)):
        if v < 1:
            raise ChemoradError(f"{name} must be a positive integer (got {v})")


def calibrate_chain(ctx: Context, request: CalibrationRequest, progress: Callable[[str], None] | None = None) -> dict:
    """Infer the chain's parameters; returns the summary (`calibration.workflow.summary`: diagnostics, in-sample
    perturbations, posterior quantiles). Fails with a `ChemoradError` when the diagnostics are bad."""
    from chemorad.bundle.datasets import data_dir
    from chemorad.calibration.data import missing_optional
    from chemorad.calibration.infer import Settings
    from chemorad.calibration.workflow import calibrate

    r = request
    check_request(r)
    data = data_dir(r.data if r.data is not None else ctx.data)  # a bad --data is refused before any work
    for name in r.optional:  # an unknown or absent optional set too
        if why := missing_optional(name, data):
            raise ChemoradError(f"--with-optional {name}: {why}")
    settings = Settings(
        method=r.method, seed=r.seed, steps=r.steps, samples=r.samples, warmup=r.samples, chains=r.chains
    )
    return calibrate(ctx.catalog, data, r.out, settings, ship=r.ship, progress=progress, optional=r.optional)
