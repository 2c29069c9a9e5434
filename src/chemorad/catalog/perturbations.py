"""The perturbation table: published experiments in which one mechanism was changed and the response measured.

One entry per (perturbation, therapy, metric) measurement, validated at load like the rest of the catalog
(`perturbations.yaml`; `docs/catalog.md` says how to add one). Values are never adjusted towards the model: they are
what the source reports (or what the curator recalled, marked as such). The same biological perturbation measured on
several therapies shares a `pair` id, which is how radiation/drug cross-resistance experiments are found.

Orientation: every metric is perturbed / control. Dose ratios (`ic50_fold`, `dmf_sf10`, `dmf_sf50`, `ser`,
`d10_ratio`, `d0_ratio`) are > 1 for resistance; `sf2_ratio` (surviving fraction at 2 Gy) is also > 1 for resistance.
A sensitiser enhancement ratio SER is stored as 1/SER.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, model_validator

from chemorad.catalog.schema import Alteration, Frozen, Id
from chemorad.errors import ChemoradError
from chemorad.parsed_yaml import read_yaml_once


class PerturbationKind(StrEnum):
    knockdown = "knockdown"
    knockout = "knockout"
    overexpression = "overexpression"
    isogenic_pair = "isogenic_pair"
    selected_resistant = "selected_resistant"
    mutant_line = "mutant_line"
    inhibitor = "inhibitor"


class Metric(StrEnum):
    """How the response was compared, always perturbed / control (module doc)."""

    ic50_fold = "ic50_fold"  # IC50 (or GI50, equitoxic concentration) ratio
    dmf_sf10 = "dmf_sf10"  # dose ratio at 10% survival
    dmf_sf50 = "dmf_sf50"  # dose ratio at 50% survival
    ser = "ser"  # 1 / sensitiser enhancement ratio (dose ratio; survival level often unstated: read as 10%)
    d10_ratio = "d10_ratio"  # dose ratio at 10% survival
    d0_ratio = "d0_ratio"  # ratio of D0, the dose per e-fold kill on the exponential part (read at 1% survival)
    sf2_ratio = "sf2_ratio"  # surviving fraction at 2 Gy, perturbed / control


#: the surviving fraction at which a dose-ratio metric compares doses (None: not a dose ratio)
TARGET_SF: dict[Metric, float | None] = {
    Metric.ic50_fold: 0.5,
    Metric.dmf_sf10: 0.1,
    Metric.dmf_sf50: 0.5,
    Metric.ser: 0.1,
    Metric.d10_ratio: 0.1,
    Metric.d0_ratio: 0.01,
    Metric.sf2_ratio: None,
}


class Uncertainty(Frozen):
    kind: Literal["none", "range", "sd", "se", "ci95"]
    low: float | None = None
    high: float | None = None
    text: str | None = None


class Source(Frozen):
    doi: str | None = None
    pmid: str | None = None
    citation: str
    where: str | None = Field(None, description="figure, table or abstract where the value is")


class Perturbation(Frozen):
    id: Id
    pair: str | None = Field(None, description="shared by entries measuring the same perturbation on other therapies")
    perturbation: PerturbationKind
    gene: str | None = Field(None, description="HGNC symbol; None for a selected line with no characterised gene")
    mechanism: str | None = Field(None, description="catalog mechanism id; None when no catalog mechanism fits")
    proposed_mechanism: str | None = Field(None, description="the curator's name when no catalog mechanism fitted")
    activity_change: Literal["gain", "loss"] = Field(description="of the gene (its product), as the source reports")
    cell_line: str
    species: str
    therapy: str | None = Field(None, description="catalog therapy id; None when the drug is not in the catalog")
    therapy_as_published: str
    therapy_mapping: Literal["exact", "active_species", "unmapped"]
    assay: str
    metric: Metric
    value: float = Field(gt=0)
    uncertainty: Uncertainty
    source: Source
    obtained: Literal["read", "recalled"]
    read_from: str | None = Field(None, description="address of the copy of the paper or abstract that was read")
    quote: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _traceable(self) -> Perturbation:
        if self.obtained == "read" and not (self.read_from and self.quote):
            raise ValueError("a value that was read needs read_from (where) and quote (the sentence or table row)")
        if not (self.source.doi or self.source.pmid or self.read_from):
            raise ValueError("the source needs a doi, a pmid or the address it was read from")
        if (self.therapy is None) != (self.therapy_mapping == "unmapped"):
            raise ValueError("therapy is None exactly when therapy_mapping is 'unmapped'")
        return self


GAIN_ALTERATIONS = frozenset(
    {
        Alteration.overexpression,
        Alteration.amplification,
        Alteration.activating_mutation,
        Alteration.protein_overexpression,
    }
)


def read_perturbations(path: Path | str) -> dict[str, Perturbation]:
    """Read and validate a perturbation table (a YAML list); one-line ChemoradError naming the entry and field."""
    path = Path(path)
    raw = read_yaml_once(path, "perturbation table")
    if not isinstance(raw, list):
        raise ChemoradError(f"perturbation table {path.name}: expected a list of entries, got {type(raw).__name__}")
    out: dict[str, Perturbation] = {}
    for i, entry in enumerate(raw):
        name = entry.get("id", f"#{i}") if isinstance(entry, dict) else f"#{i}"
        try:
            item = Perturbation.model_validate(entry)
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"]) or "(entry)"
            raise ChemoradError(
                f"perturbation table {path.name}, entry {name!r}, field {where}: {err['msg']}"
            ) from None
        if item.id in out:
            raise ChemoradError(f"perturbation table {path.name}, entry {item.id!r}: duplicate id")
        out[item.id] = item
    return out


def as_records(table: dict[str, Perturbation] | list[Perturbation]) -> list[dict]:
    items = table.values() if isinstance(table, dict) else table
    return [p.model_dump(mode="json") for p in items]
