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


def calibrate_chain(ctx: Context, request: CalibrationRequest, progress: Callable[[str], None] | None = None) -> dict:
    """Infer the chain's parameters; returns the summary (`calibration.workflow.summary`: diagnostics, in-sample
    perturbations, posterior quantiles). Fails with a `ChemoradError` when the diagnostics are bad."""
    from chemorad.bundle.datasets import data_dir
    from chemorad.calibration.infer import METHODS, Settings
    from chemorad.calibration.workflow import calibrate

    r = request
    if r.method not in METHODS:
        raise ChemoradError(f"--method must be one of {', '.join(METHODS)} (got {r.method!r})")
    for name, v in (("--steps", r.steps), ("--samples", r.samples), ("--chains", r.chains)):
        if v < 1:
            raise ChemoradError(f"{name} must be a positive integer (got {v})")
    data = data_dir(r.data if r.data is not None else ctx.data)  # a bad --data is refused before any work
    settings = Settings(
        method=r.method, seed=r.seed, steps=r.steps, samples=r.samples, warmup=r.samples, chains=r.chains
    )
    return calibrate(ctx.catalog, data, r.out, settings, ship=r.ship, progress=progress)
