"""Use case: TCP with intervals of treatment regimens for one tumour (or several samples), next to its GARD.

The samples' predicted radiosensitivity and cisplatin/5-FU responses set their patient-level parameters in the
calibrated HNSCC population (`chemorad.profile.regimens`, docs/clinical.md); the rest varies over virtual patients.
Used by `chemorad regimens`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from chemorad.app.inputs import ProfileInputs, Progress
from chemorad.app.predict import PredictionResult, predict
from chemorad.catalog import Catalog
from chemorad.context import Context
from chemorad.errors import ChemoradError, read_yaml

SIMULATING = "simulating regimens"


@dataclass(frozen=True)
class RegimenRequest:
    """Which regimens (the standard ones and/or a YAML file of yours) and how many virtual patients, with which seed."""

    regimen_file: Path | None = None
    standard: bool = True
    patients: int = 200
    seed: int = 0
    site: str | None = None  # a tumour site (dynamics/data/sites): its standard regimens and site model


@dataclass(frozen=True)
class RegimensResult:
    """`table`: one row per sample and regimen (TCP with interval, GARD, RSI); `prediction`: the response
    prediction behind it; `summaries`: one line per sample with its radiation percentile, radiosensitivity z and drug
    potencies; `notes`: aligned with `summaries`, the sample's note (e.g. why it has no RSI) or None."""

    table: pd.DataFrame
    prediction: PredictionResult
    patients: int
    summaries: list[str] = field(default_factory=list)
    notes: list[str | None] = field(default_factory=list)


def read_regimens(path: Path, cat: Catalog) -> dict[str, list[dict]]:
    """A regimen file: a mapping of regimen name -> schedule items (the scenario `schedule` format)."""
    from chemorad.dynamics.scenario import parse_scenario

    raw = read_yaml(path, "regimen file")
    raw = raw.get("regimens", raw) if isinstance(raw, dict) else raw
    if not isinstance(raw, dict) or not raw:
        raise ChemoradError(f"{path}: expected a mapping of regimen name -> list of schedule items")
    for name, schedule in raw.items():
        if not isinstance(schedule, list) or not schedule:
            raise ChemoradError(f"{path}: {name}: expected a non-empty list of schedule items")
        parse_scenario({"name": str(name), "schedule": schedule}, f"{path}: {name}", cat=cat)
    return {str(k): v for k, v in raw.items()}


def regimens(
    ctx: Context, inputs: ProfileInputs, request: RegimenRequest, *, progress: Progress | None = None
) -> RegimensResult:
    """Predict radiotherapy, cisplatin and 5-FU for the samples (90% intervals), then simulate each regimen over
    `request.patients` virtual patients per sample. `progress` is told the fits, then the samples simulated."""
    from chemorad.profile.predict import primary_records
    from chemorad.profile.regimens import (
        LN_IC50_SD,
        STANDARD_REGIMENS,
        regimens_tcp,
        sample_gard_alpha,
        site_regimen_tcp,
        tumour_parameters,
    )

    cat = ctx.catalog
    site = request.site
    if site is not None:
        from chemorad.dynamics.sites import load_site

        load_site(site, "--site")  # an unknown site is refused before the prediction runs
    chosen = dict(STANDARD_REGIMENS) if request.standard and site is None else {}
    if request.regimen_file is not None:
        chosen.update(read_regimens(request.regimen_file, cat))
    if not chosen and site is None:
        raise ChemoradError("--no-standard: give --regimen-file as well, or there is nothing to simulate")
    rt = cat.radiotherapy.id
    result = predict(ctx, inputs.model_copy(update={"therapies": [rt, *LN_IC50_SD], "level": 0.9}), progress=progress)
    primary = primary_records(result.predictions.records)
    samples = list(result.profile.samples)
    params = [tumour_parameters(primary, sample, rt) for sample in samples]
    gards = [sample_gard_alpha(result.profile, sample) for sample in samples]
    if site is None:  # every sample x regimen in one simulation
        if progress is not None:
            progress(SIMULATING, 0, len(samples))
        tables = regimens_tcp(cat, params, chosen, request.patients, request.seed, [a for _, a, _ in gards])
    else:
        tables = []
        for k, p in enumerate(params):
            if progress is not None:
                progress(SIMULATING, k, len(samples))
            alpha = gards[k][1]
            tables.append(site_regimen_tcp(site, p, chosen or None, request.patients, request.seed, gard_per_gy=alpha))
    notes, summaries = [], []
    for sample, p, t, (rsi_value, _, note) in zip(samples, params, tables, gards, strict=True):
        notes.append(f"{sample}: {note}" if note else None)
        t.insert(2, "rsi", rsi_value)
        z, pct = p.radiosensitivity_z, p.radiation_percentile
        summaries.append(
            f"{sample}: radiation percentile among tissue peers {'-' if pct is None else f'{pct:.0f}'}"
            f" (radiosensitivity z {'-' if z is None else f'{z:+.2f}'}); drug potency x "
            + (", ".join(f"{d} {v:.2f}" for d, v in p.drug_potency.items()) or "-")
        )
    return RegimensResult(pd.concat(tables, ignore_index=True), result, request.patients, summaries, notes)
