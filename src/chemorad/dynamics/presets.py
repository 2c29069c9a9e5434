"""Packaged clinical calibrations (`data/clinical_<name>.yaml`, written by `chemorad calibrate-clinical`) and the
packaged regimens (`data/regimens.yaml`: the standard regimens of `chemorad regimens`, the clinical calibration's
chemotherapy regimens and the spread of each regimen drug's potency, each with its source)."""

from __future__ import annotations

import copy
import functools
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
    stat = path.stat()
    return copy.deepcopy(_parsed(path, stat.st_mtime_ns, stat.st_size))


@functools.lru_cache(maxsize=8)
def _parsed(path: Path, mtime_ns: int, size: int) -> dict:
    """The parsed YAML of `path`, cached per (path, modification time, size) so a file rewritten by
    `chemorad calibrate-clinical` is read again. Measured: one parse of clinical_hnscc.yaml is about 5 ms of CPU,
    and `chemorad regimens` read it three times per regimen (18 parses, about 0.1 s); callers get a deep copy."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@functools.cache
def _regimens_file() -> dict:
    return yaml.safe_load((DATA / "regimens.yaml").read_text(encoding="utf-8"))


def standard_regimens() -> dict[str, list[dict]]:
    """The standard regimens, name -> schedule items (scenario `schedule` format), in the file's order (a copy)."""
    return {name: copy.deepcopy(r["schedule"]) for name, r in _regimens_file()["standard"].items()}


def clinical_regimen(role: str) -> list[dict]:
    """The schedule of the clinical calibration's regimen `role` ('concomitant' or 'induction'), a standard one."""
    return standard_regimens()[_regimens_file()["clinical_calibration"][role]]


def drug_potency_sd() -> dict[str, float]:
    """Drug id -> sd of ln IC50 across the bundle's cell lines, for the drugs of the standard regimens."""
    return {drug: float(v["value"]) for drug, v in _regimens_file()["drug_potency_sd"].items()}
