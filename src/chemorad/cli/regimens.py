"""`chemorad regimens`: one tumour's profile in, TCP per treatment regimen (and GARD) out."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from chemorad.cli.profile import (
    CnOpt,
    DataOpt,
    ExprOpt,
    LineOpt,
    MafOpt,
    ProfilesOpt,
    ProtOpt,
    ScaleOpt,
    TissueOpt,
    TissuesOpt,
    run_prediction,
)
from chemorad.cli.render import Format, emit
from chemorad.errors import ChemoradError, read_yaml

err = Console(stderr=True)
DRUGS = ["cisplatin", "fluorouracil"]  # the drugs of the standard regimens


def read_regimens(path: Path, cat) -> dict[str, list[dict]]:
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


def regimens_cmd(
    profiles: ProfilesOpt = None,
    maf: MafOpt = None,
    expression: ExprOpt = None,
    copy_number: CnOpt = None,
    protein: ProtOpt = None,
    tissues: TissuesOpt = None,
    tissue: TissueOpt = None,
    cell_line: LineOpt = None,
    scale: ScaleOpt = "auto",
    data: DataOpt = None,
    regimen_file: Annotated[
        Path | None, typer.Option("--regimen-file", help="YAML: regimen name -> schedule items (docs/clinical.md).")
    ] = None,
    standard: Annotated[bool, typer.Option(help="Include the standard regimens.")] = True,
    patients: Annotated[int, typer.Option(help="Virtual patients per regimen.", min=20, max=20000)] = 200,
    seed: Annotated[int, typer.Option(help="Seed of the virtual patients.", min=0, max=2**32 - 1)] = 0,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
) -> None:
    """TCP with intervals for standard head and neck regimens (and yours) for one tumour, next to its GARD.

    The tumour's predicted radiosensitivity and cisplatin/5-FU responses set its patient-level parameters in the
    calibrated HNSCC population (docs/clinical.md); the rest varies over virtual patients.
    """
    from chemorad.cli.context import current_catalog
    from chemorad.profile.inputs import load_profile
    from chemorad.profile.predict import primary_records
    from chemorad.profile.regimens import STANDARD_REGIMENS, regimen_tcp, sample_gard_alpha, tumour_parameters

    cat = current_catalog()
    chosen = dict(STANDARD_REGIMENS) if standard else {}
    if regimen_file is not None:
        chosen.update(read_regimens(regimen_file, cat))
    if not chosen:
        raise ChemoradError("--no-standard: give --regimen-file as well, or there is nothing to simulate")
    prof = load_profile(profiles, maf, expression, copy_number, protein, tissues, tissue, cell_line, scale, data)
    pred = run_prediction(prof, data, [cat.radiotherapy.id, *DRUGS], 0.9)
    primary = primary_records(pred.records)
    tables = []
    with err.status("simulating regimens"):
        for sample in prof.samples:
            params = tumour_parameters(primary, sample, cat.radiotherapy.id)
            rsi_value, alpha, note = sample_gard_alpha(prof, sample)
            if note:
                err.print(f"chemorad: note: {sample}: {note}", highlight=False)
            t = regimen_tcp(cat, params, chosen, patients, seed, gard_per_gy=alpha)
            t.insert(2, "rsi", rsi_value)
            z = params.radiosensitivity_z
            err.print(
                f"{sample}: radiation percentile among tissue peers "
                f"{'-' if params.radiation_percentile is None else f'{params.radiation_percentile:.0f}'}"
                f" (radiosensitivity z {'-' if z is None else f'{z:+.2f}'}); drug potency x "
                + (", ".join(f"{d} {v:.2f}" for d, v in params.drug_potency.items()) or "-"),
                highlight=False,
            )
            tables.append(t)
    import pandas as pd

    out = pd.concat(tables, ignore_index=True)
    emit(out.round(4), out.to_dict("records"), fmt, title=f"TCP per regimen ({patients} virtual patients each)")
