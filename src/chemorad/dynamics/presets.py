"""Packaged clinical calibrations (`data/clinical_<name>.yaml`, written by `chemorad calibrate-clinical`)."""

from __future__ import annotations

from pathlib import Path

import yaml

from chemorad.errors import ChemoradError

DATA = Path(__file__).parent / "data"


def load_calibration(name: str, where: str = "scenario") -> dict:
    """The sections (tumour, patients, chemo) of the packaged calibration `name` (clinical_<name>.yaml)."""
    record = calibration_record(name, where)
    return {k: record[k] for k in ("tumour", "patients", "chemo") if k in record}


def calibration_record(name: str, where: str = "scenario") -> dict:
    path = DATA / f"clinical_{name}.yaml"
    if not path.exists():
        known = sorted(p.stem.removeprefix("clinical_") for p in DATA.glob("clinical_*.yaml"))
        raise ChemoradError(f"{where}: calibration: unknown calibration {name!r}; known: {', '.join(known)}")
    return yaml.safe_load(path.read_text(encoding="utf-8"))
