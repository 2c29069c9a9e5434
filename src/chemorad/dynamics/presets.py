"""Packaged clinical calibrations (`data/clinical_<name>.yaml`, written by `chemorad calibrate-clinical`)."""

from __future__ import annotations

from pathlib import Path

import yaml

from chemorad.errors import ChemoradError

DATA = Path(__file__).parent / "data"


def load_calibration(name: str, where: str = "scenario") -> dict:
    """The sections (tumour, patients, chemo) of the packaged calibration `name` (clinical_<name>.yaml).

    A tumour site of the site model (`data/sites/<name>.yaml`) without a cell-level calibration gives no sections:
    its tumour control comes from the site model (`dynamics.tcp_model`), printed by `simulate`.
    """
    if not (DATA / f"clinical_{name}.yaml").exists() and (DATA / "sites" / f"{name}.yaml").exists():
        return {}
    record = calibration_record(name, where)
    return {k: record[k] for k in ("tumour", "patients", "chemo") if k in record}


def calibration_record(name: str, where: str = "scenario") -> dict:
    path = DATA / f"clinical_{name}.yaml"
    if not path.exists():
        known = sorted(p.stem.removeprefix("clinical_") for p in DATA.glob("clinical_*.yaml"))
        sites = sorted(p.stem for p in (DATA / "sites").glob("*.yaml"))
        raise ChemoradError(
            f"{where}: calibration: unknown calibration {name!r}; known: {', '.join(known)}; "
            f"tumour sites: {', '.join(sites)}"
        )
    return yaml.safe_load(path.read_text(encoding="utf-8"))
