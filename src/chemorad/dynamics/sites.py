"""Tumour sites as data: `dynamics/data/sites/<site>.yaml`, validated, every value with its provenance.

A site file holds the population parameters of one tumour site (alpha/beta, radiosensitivity spread, clonogens,
kinetics, hypoxia), its drugs with radiotherapy, its standard regimens, and the split of published trials into
training targets (fitted by `chemorad calibrate-clinical --site S`) and validation trials (never fitted; reproduced
by `--check`). Every value carries `provenance`:

- `read`: read in a paper or abstract through a search; `where` (DOI/PMID/address) and `quote` (the sentence) given;
- `recalled`: from memory, not read; `note` says what it is;
- `derived`: computed from data (e.g. the PIDE in-vitro prior); `method` says how;
- `fitted`: fitted by `calibrate-clinical` to the site's training targets; `method` names them.

A value without provenance, or a provenance without its fields, is refused in one line naming the value.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from chemorad.errors import ChemoradError, closest

SITES = Path(__file__).parent / "data" / "sites"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Sourced(_Strict):
    """A number with its provenance (module docstring)."""

    value: float
    unit: str = ""
    provenance: Literal["read", "recalled", "derived", "fitted"]
    where: str = ""
    quote: str = ""
    note: str = ""
    method: str = ""
    ci95: tuple[float, float] | None = None

    @model_validator(mode="after")
    def _fields(self) -> Sourced:
        need = {"read": ("where", "quote"), "recalled": ("note",), "derived": ("method",), "fitted": ("method",)}
        missing = [f for f in need[self.provenance] if not getattr(self, f)]
        if missing:
            raise ValueError(f"provenance {self.provenance!r} needs {' and '.join(missing)}")
        return self


class Parameters(_Strict):
    alpha_beta_gy: Sourced
    alpha_per_gy: Sourced
    radiosensitivity_sd: Sourced  # sd of ln alpha between patients
    log10_clonogens: Sourced
    clonogens_log10_sd: Sourced
    repair_half_time_h: Sourced
    kickoff_days: Sourced
    repopulation_doubling_days: Sourced
    hypoxic_fraction_chronic: Sourced
    hypoxic_fraction_acute: Sourced
    oer: Sourced
    reoxygenation_per_fraction: Sourced


class DrugEffect(_Strict):
    """A drug given with radiotherapy: its radiation dose-modifying effect while active.

    `radiosensitisation` e multiplies the log kill of every fraction given while the drug is active by 1 + e x
    (cumulative dose / `reference_cumulative_mg_m2`, capped at 1.5); `methylated` / `unmethylated` replace it by MGMT
    status (temozolomide) with `methylated_fraction` of patients methylated.
    """

    reference_cumulative_mg_m2: Sourced
    radiosensitisation: Sourced | None = None
    methylated: Sourced | None = None
    unmethylated: Sourced | None = None
    methylated_fraction: Sourced | None = None


class Target(_Strict):
    """A training target: `control` of a regimen, or the `hazard_ratio` of a regimen against a comparator."""

    name: str
    kind: Literal["control", "hazard_ratio"]
    regimen: str
    comparator: str | None = None
    mgmt: Literal["methylated", "unmethylated"] | None = None
    tolerance: float = Field(gt=0)
    fits: list[str]
    result: Sourced


class Validation(_Strict):
    """A published comparison never used in a fit: the arm against its comparator."""

    name: str
    tests: str
    regimen: str
    comparator: str
    arm: Sourced | None = None  # reported control of the arm
    control: Sourced | None = None  # reported control of the comparator
    hazard_ratio: Sourced | None = None  # reported HR of failure (arm vs comparator), when arms are not given


class Site(_Strict):
    name: str
    title: str
    endpoint: str
    control_mapping: str
    in_vitro_note: str
    parameters: Parameters
    drugs: dict[str, DrugEffect] = Field(default_factory=dict)
    regimens: dict[str, list[dict]]
    reference_regimen: str
    training: list[Target]
    validation: list[Validation]

    @model_validator(mode="after")
    def _regimens(self) -> Site:
        names = set(self.regimens)
        used = [self.reference_regimen]
        used += [t.regimen for t in self.training] + [t.comparator for t in self.training if t.comparator]
        used += [v.regimen for v in self.validation] + [v.comparator for v in self.validation]
        for r in used:
            if r not in names:
                raise ValueError(f"regimen {r!r} is not in regimens")
        overlap = {t.name for t in self.training} & {v.name for v in self.validation}
        if overlap:
            raise ValueError(f"{sorted(overlap)} both training and validation")
        return self


def site_names() -> list[str]:
    """Names of the packaged tumour sites (the files of `data/sites`)."""
    return sorted(p.stem for p in SITES.glob("*.yaml"))


def _loc(loc: tuple) -> str:
    return ".".join(str(p) for p in loc if not str(p).startswith("function-")) or "(top level)"


def parse_site(raw: object, where: str) -> Site:
    """Validate a site mapping; one line naming the value on error."""
    if not isinstance(raw, dict):
        raise ChemoradError(f"{where}: expected a mapping of site fields")
    try:
        return Site.model_validate(raw)
    except ValidationError as exc:
        e = exc.errors()[0]
        raise ChemoradError(f"{where}: {_loc(e['loc'])}: {e['msg']}") from None


def load_site(name: str, where: str = "--site") -> Site:
    """The packaged site `name`; an unknown name is refused with the closest known names."""
    path = SITES / f"{name}.yaml"
    if not path.exists():
        known = site_names()
        hint = closest(name, known)
        raise ChemoradError(
            f"{where}: unknown tumour site {name!r}; "
            + (f"closest: {', '.join(hint)}; " if hint else "")
            + f"known: {', '.join(known)}"
        )
    return parse_site(yaml.safe_load(path.read_text(encoding="utf-8")), str(path.name))
