"""Load and cross-check the catalog: mechanisms, therapies and references from YAML, and the perturbation table.

The shipped catalog is loaded once per process (`catalog()`); `load_catalog(directory)` reads any
directory with the same three files (and, when present, `perturbations.yaml`), which is how tests feed malformed
catalogs.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from chemorad.catalog.perturbations import Perturbation, read_perturbations
from chemorad.catalog.registry import Modality, ResponseKey
from chemorad.catalog.schema import Mechanism, Reference, Selector, Stage, Therapy
from chemorad.errors import ChemoradError, unknown
from chemorad.parsed_yaml import read_yaml_once

FILES = {"references": Reference, "therapies": Therapy, "mechanisms": Mechanism}


@dataclass(frozen=True)
class Catalog:
    mechanisms: dict[str, Mechanism]
    therapies: dict[str, Therapy]
    references: dict[str, Reference]
    #: published perturbation experiments (`perturbations.yaml`), empty when the directory has none
    perturbations: dict[str, Perturbation] = field(default_factory=dict)
    #: derived arrays (e.g. the chain's effect matrices per therapy), computed on first use; not part of equality
    cache: dict = field(default_factory=dict, compare=False, repr=False)

    # -- look-ups that fail with a one-line user error -------------------------------------------------------------
    def mechanism(self, mechanism_id: str) -> Mechanism:
        if mechanism_id not in self.mechanisms:
            raise unknown("mechanism", mechanism_id, self.mechanisms)
        return self.mechanisms[mechanism_id]

    def therapy(self, therapy_id: str) -> Therapy:
        if therapy_id not in self.therapies:
            raise unknown("therapy", therapy_id, self.therapies)
        return self.therapies[therapy_id]

    def stage(self, name: str) -> Stage:
        try:
            return Stage(name)
        except ValueError:
            raise unknown("stage", name, [s.value for s in Stage]) from None

    def gene(self, symbol: str) -> str:
        """The catalog's spelling of a gene symbol (case-insensitive look-up)."""
        by_upper = {g.upper(): g for g in self.genes()}
        if symbol.upper() not in by_upper:
            raise unknown("gene", symbol, by_upper.values())
        return by_upper[symbol.upper()]

    # -- modalities and response data sets (chemorad.catalog.registry) ----------------------------------------------
    def therapies_of(self, modality: Modality | str) -> list[Therapy]:
        """Every therapy of one modality, in catalog order."""
        return [t for t in self.therapies.values() if t.modality == modality]

    @property
    def radiotherapy(self) -> Therapy:
        """The reference radiation therapy: the catalog's first radiation entry (photons; its LQ and OER parameters).

        Code that needs "the" radiation therapy asks for this instead of naming an id, so a catalog whose photon entry
        has another id, or that adds protons after it, needs no code change.
        """
        rads = self.therapies_of(Modality.radiation)
        if not rads:
            raise ChemoradError("catalog: no therapy with modality radiation")
        return rads[0]

    def is_radiation(self, therapy_id: str) -> bool:
        return self.therapy(therapy_id).modality == Modality.radiation

    def therapy_for_response(self, key: ResponseKey | str) -> Therapy | None:
        """The catalog therapy measured by a response column (its `datasets` names the compound), or None."""
        key = key if isinstance(key, ResponseKey) else ResponseKey.parse(key)
        return self._by_response().get((key.dataset, key.compound))

    def _by_response(self) -> dict[tuple[str, str], Therapy]:
        return {(d, name): t for t in self.therapies.values() for d, name in t.datasets.items()}

    # -- derived relations ----------------------------------------------------------------------------------------
    def genes(self) -> list[str]:
        """Every gene symbol the catalog names: mechanism markers and therapy transporters, enzymes and targets."""
        genes = [mk.gene for m in self.mechanisms.values() for mk in m.markers]
        genes += [g for t in self.therapies.values() for g in t.genes()]
        return sorted(set(genes))

    def matches(self, selector: Selector, therapy: Therapy) -> bool:
        return selector_matches(selector, therapy)

    def therapies_for(self, mechanism: Mechanism) -> list[str]:
        """Therapies at least one of the mechanism's effects applies to, in catalog order."""
        return [t.id for t in self.therapies.values() if any(selector_matches(e.acts_on, t) for e in mechanism.effects)]

    def therapies_for_marker(self, mechanism: Mechanism, symbol: str) -> list[str]:
        """Therapies a marker gene links to through its mechanism.

        When some of the mechanism's effects name the gene in their selector (a pump's substrates, an enzyme's drugs, a
        target), the gene links to those effects' therapies only; otherwise to every therapy the mechanism touches.
        """
        named = [e for e in mechanism.effects if _names_gene(e.acts_on, symbol)]
        effects = named or mechanism.effects
        return [t.id for t in self.therapies.values() if any(selector_matches(e.acts_on, t) for e in effects)]

    def mechanisms_for_gene(self, symbol: str) -> list[Mechanism]:
        return [m for m in self.mechanisms.values() if any(mk.gene == symbol for mk in m.markers)]

    def therapies_for_gene(self, symbol: str) -> list[Therapy]:
        """Therapies that name the gene directly (transporter, enzyme, target)."""
        return [t for t in self.therapies.values() if symbol in t.genes()]


def _names_gene(s: Selector, symbol: str) -> bool:
    fields = (s.transporter_substrate, s.uptake_transporter, s.inactivated_by, s.activated_by, s.target)
    return any(f is not None and _gene_in(f, [symbol]) for f in fields)


def _gene_in(pattern: str, genes: list[str]) -> bool:
    """`GST*` matches any GST gene; a plain symbol matches itself."""
    if pattern.endswith("*"):
        return any(g.startswith(pattern[:-1]) for g in genes)
    return pattern in genes


def selector_matches(s: Selector, t: Therapy) -> bool:
    """True when every field the selector sets agrees with the therapy (logical AND)."""
    checks = [
        s.modality is None or s.modality == t.modality,
        s.transporter_substrate is None or _gene_in(s.transporter_substrate, t.transporter_substrates),
        s.uptake_transporter is None or _gene_in(s.uptake_transporter, t.uptake_transporters),
        s.inactivated_by is None or _gene_in(s.inactivated_by, t.inactivating_enzymes),
        s.activated_by is None or _gene_in(s.activated_by, t.activating_enzymes),
        s.target is None or _gene_in(s.target, t.targets),
        s.lesions is None or bool(set(s.lesions) & set(t.lesions)),
        s.oxygen_dependent is None
        or s.oxygen_dependent
        == (t.modality == Modality.radiation or (t.oxygen_dependence is not None and t.oxygen_dependence.value > 0)),
        s.genotoxic is None or s.genotoxic == t.genotoxic,
        s.therapies is None or t.id in s.therapies,
    ]
    return all(checks)


def _location(err: dict[str, Any]) -> str:
    return ".".join(str(p) for p in err["loc"]) or "(entry)"


def _read_entries(path: Path, model: type[BaseModel]) -> dict[str, Any]:
    raw = read_yaml_once(path, "catalog file")
    if not isinstance(raw, list):
        raise ChemoradError(f"catalog file {path}: expected a list of entries, got {type(raw).__name__}")
    out: dict[str, Any] = {}
    for i, entry in enumerate(raw):
        name = entry.get("id", f"#{i}") if isinstance(entry, dict) else f"#{i}"
        try:
            item = model.model_validate(entry)
        except ValidationError as exc:
            err = exc.errors()[0]
            raise ChemoradError(
                f"catalog file {path.name}, entry {name!r}, field {_location(err)}: {err['msg']}"
            ) from None
        if item.id in out:
            raise ChemoradError(f"catalog file {path.name}, entry {item.id!r}: duplicate id")
        out[item.id] = item
    return out


def _cross_check(cat: Catalog, directory: Path) -> None:
    for fname, entries in (("mechanisms", cat.mechanisms), ("therapies", cat.therapies)):
        for entry in entries.values():
            for ref in entry.reference_ids():
                if ref not in cat.references:
                    raise ChemoradError(
                        f"catalog file {fname}.yaml, entry {entry.id!r}: reference {ref!r} is not in references.yaml"
                    )
    for m in cat.mechanisms.values():
        for i, e in enumerate(m.effects):
            for tid in e.acts_on.therapies or []:
                if tid not in cat.therapies:
                    raise ChemoradError(
                        f"catalog file mechanisms.yaml, entry {m.id!r}, field effects.{i}.acts_on.therapies: "
                        f"unknown therapy {tid!r}"
                    )


def _check_provenance(cat: Catalog) -> None:
    """Every effect size has a provenance class; `read` needs the sentence and where it was read; an explicit `loss`
    has its own class (`Effect.provenance`)."""
    for m in cat.mechanisms.values():
        for i, e in enumerate(m.effects):
            where = f"catalog file mechanisms.yaml, entry {m.id!r}, field effects.{i}"
            if e.provenance == "read":
                for f in ("quote", "read_from"):
                    if not (getattr(e, f) or "").strip():
                        raise ChemoradError(f"{where}.{f}: an effect with provenance 'read' needs its {f}")
            if e.loss is not None and e.loss_provenance is None:
                raise ChemoradError(f"{where}.loss_provenance: an explicit loss needs its provenance class")
            if e.loss_provenance == "read":
                for f in ("loss_quote", "loss_read_from"):
                    if not (getattr(e, f) or "").strip():
                        raise ChemoradError(f"{where}.{f}: a loss with provenance 'read' needs its {f}")


def _cross_check_perturbations(cat: Catalog) -> None:
    for p in cat.perturbations.values():
        if p.mechanism is not None and p.mechanism not in cat.mechanisms:
            raise ChemoradError(
                f"perturbations.yaml, entry {p.id!r}, field mechanism: unknown mechanism {p.mechanism!r}"
            )
        if p.therapy is not None and p.therapy not in cat.therapies:
            raise ChemoradError(f"perturbations.yaml, entry {p.id!r}, field therapy: unknown therapy {p.therapy!r}")
    if not cat.perturbations:
        return
    for m in cat.mechanisms.values():
        for i, e in enumerate(m.effects):
            for pid in e.from_perturbations:
                if pid not in cat.perturbations:
                    raise ChemoradError(
                        f"catalog file mechanisms.yaml, entry {m.id!r}, field effects.{i}.from_perturbations: "
                        f"{pid!r} is not in perturbations.yaml"
                    )


def load_catalog(directory: Path | str) -> Catalog:
    """Read, validate and cross-check the catalog files in `directory` (perturbations.yaml is optional)."""
    directory = Path(directory)
    parts = {name: _read_entries(directory / f"{name}.yaml", model) for name, model in FILES.items()}
    pert = directory / "perturbations.yaml"
    cat = Catalog(**parts, perturbations=read_perturbations(pert) if pert.exists() else {})
    _cross_check(cat, directory)
    _check_provenance(cat)
    _cross_check_perturbations(cat)
    return cat


@functools.cache
def catalog() -> Catalog:
    """The catalog shipped with chemorad, loaded once."""
    return load_catalog(Path(str(resources.files("chemorad") / "catalog" / "data")))
