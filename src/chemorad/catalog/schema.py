"""Schema of the catalog files: mechanisms, therapies, references.

Every catalog file is validated against these models when it is loaded. The models are the single definition of the
vocabulary (stages, alteration kinds, lesion kinds, chain quantities) that the rest of chemorad uses; `docs/catalog.md`
describes the same fields for curators.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from chemorad.catalog.registry import RESPONSE_DATASETS, Modality

GENE_SYMBOL = re.compile(r"^[A-Z0-9][A-Z0-9\-\.]*$")
ID = re.compile(r"^[a-z0-9][a-z0-9_]*$")


def _check_id(v: str) -> str:
    if not ID.match(v):
        raise ValueError("must be lower-case letters, digits and underscores")
    return v


Id = Annotated[str, AfterValidator(_check_id)]


class Frozen(BaseModel):
    """Immutable, closed model: unknown keys in a catalog file are an error, not silently dropped."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Stage(StrEnum):
    """Stages of the damage chain (DESIGN.md), in the order a lethal event passes them."""

    delivery = "delivery"
    damage = "damage"
    fixation = "fixation"
    repair = "repair"
    death = "death"
    population = "population"


class Alteration(StrEnum):
    overexpression = "overexpression"
    underexpression = "underexpression"
    amplification = "amplification"
    deletion = "deletion"
    loss_of_function_mutation = "loss_of_function_mutation"
    activating_mutation = "activating_mutation"
    promoter_methylation = "promoter_methylation"
    microrna_loss = "microrna_loss"
    protein_overexpression = "protein_overexpression"
    protein_loss = "protein_loss"


class Lesion(StrEnum):
    """What a therapy does to the cell that must be repaired or tolerated."""

    dsb = "dsb"  # double-strand break, ionising radiation or radiomimetics
    ssb_base_damage = "ssb_base_damage"  # single-strand breaks and oxidised bases (BER)
    platinum_adduct = "platinum_adduct"  # intrastrand/interstrand crosslinks (NER, FA/HR, MMR recognition)
    interstrand_crosslink = "interstrand_crosslink"
    o6_alkylguanine = "o6_alkylguanine"  # MGMT reversal; MMR-dependent killing
    n_alkylation = "n_alkylation"  # N7-guanine/N3-adenine (BER)
    top1_cleavage_complex = "top1_cleavage_complex"  # replication-run-off DSB (HR)
    top2_cleavage_complex = "top2_cleavage_complex"  # DSB (NHEJ, HR)
    nucleotide_misincorporation = "nucleotide_misincorporation"  # antimetabolites (BER, MMR)
    replication_stress = "replication_stress"  # dNTP depletion, chain termination
    mitotic_arrest = "mitotic_arrest"  # microtubule poisons: no DNA lesion
    signalling_inhibition = "signalling_inhibition"  # targeted agents: no DNA lesion


class Phase(StrEnum):
    g1 = "G1"
    early_s = "early_S"
    late_s = "late_S"
    g2m = "G2M"


class Specificity(StrEnum):
    """What a source claims about which therapies a mechanism affects."""

    chemotherapy_only = "chemotherapy_only"
    radiotherapy_only = "radiotherapy_only"
    chemotherapy_dominant = "chemotherapy_dominant"
    radiotherapy_dominant = "radiotherapy_dominant"
    shared = "shared"


class Quantity(StrEnum):
    """Model quantities a mechanism can change, one per chain stage or more (see `docs/catalog.md`).

    Each has a fixed functional form in the damage chain; the catalog gives the size at activity 1:
    - uptake: fold change of drug influx (form fold).
    - efflux: pump clearance added to the reference cell's loss, in those units (form clearance: the delivered
      fraction falls by the fold 1 + size at activity 1, log-linearly in activity, since activities come from
      log-scale expression).
    - inactivation: metabolic clearance added to the reference cell's loss, in those units (form clearance).
    - activation: fold change of prodrug activation (form fold).
    - tissue_exposure: fold change of extracellular drug exposure reaching the cell (form fold).
    - target_ec50: fold change of the target-engagement EC50 (form fold).
    - target_emax: fold change of the maximum target-mediated effect (form fold, <= 1 for resistance).
    - radical_scavenging: fold change of the capacity to scavenge radiation-induced radicals (form fold).
    - po2: fold change of the cell's oxygen tension (form fold).
    - lesion_lethality: fold change of lethal events per lesion (repair, tolerance, death competence) (form fold).
    - late_s_fraction: fraction of cells moved into late S phase (form add).
    - repopulation: fold change of the regrowth rate during treatment (form fold).
    - quiescent_fraction: fraction of cells moved into a quiescent, stem-like compartment (form add).
    """

    uptake = "uptake"
    efflux = "efflux"
    inactivation = "inactivation"
    activation = "activation"
    tissue_exposure = "tissue_exposure"
    target_ec50 = "target_ec50"
    target_emax = "target_emax"
    radical_scavenging = "radical_scavenging"
    po2 = "po2"
    lesion_lethality = "lesion_lethality"
    late_s_fraction = "late_s_fraction"
    repopulation = "repopulation"
    quiescent_fraction = "quiescent_fraction"


FORM: dict[Quantity, Literal["fold", "add", "clearance"]] = {
    q: (
        "clearance"
        if q in {Quantity.efflux, Quantity.inactivation}
        else "add"
        if q in {Quantity.late_s_fraction, Quantity.quiescent_fraction}
        else "fold"
    )
    for q in Quantity
}


class Reference(Frozen):
    id: Id
    authors: str
    year: int = Field(ge=1800, le=2100)
    title: str
    journal: str | None = None
    doi: str | None = None
    pmid: str | None = None
    url: str | None = None  # where the work was read, when no DOI or PMID was found
    kind: Literal["article", "book", "dataset", "seed"] = "article"

    @field_validator("pmid")
    @classmethod
    def _pmid(cls, v: str | None) -> str | None:
        if v is not None and not v.isdigit():
            raise ValueError("a PMID is digits only")
        return v

    @field_validator("doi")
    @classmethod
    def _doi(cls, v: str | None) -> str | None:
        if v is not None and not v.startswith("10."):
            raise ValueError("a DOI starts with '10.'")
        return v

    @model_validator(mode="after")
    def _traceable(self) -> Reference:
        if self.kind in ("article", "dataset") and not (self.doi or self.pmid or self.url):
            raise ValueError(f"an {self.kind} needs a doi, a pmid or the url where it was read")
        return self


class Param(Frozen):
    """A number with its unit and the reference it comes from."""

    value: float
    unit: str
    source: str
    note: str | None = None


class Selector(Frozen):
    """Which therapies an effect applies to. All given fields must match (logical AND); none given matches all.

    Matching against therapy properties, not names, is what makes specificity computable: an efflux pump touches the
    drugs that are its substrates, whichever they are.
    """

    modality: Modality | None = None
    transporter_substrate: str | None = None  # e.g. ABCB1: drugs that are substrates of the pump
    uptake_transporter: str | None = None  # e.g. SLC31A1 (CTR1): drugs taken up by it
    inactivated_by: str | None = None  # enzyme symbol, e.g. GSTP1, DPYD, CDA, CYP3A4
    activated_by: str | None = None  # enzyme symbol, e.g. CYP2B6, CES2, DCK
    target: str | None = None  # gene symbol of the drug target, e.g. DHFR, TUBB, TOP2A, EGFR
    lesions: list[Lesion] | None = None  # any of these lesions
    oxygen_dependent: bool | None = None  # drugs (and radiation) whose kill needs oxygen
    genotoxic: bool | None = None  # therapies whose lethal events are DNA lesions
    therapies: list[str] | None = None  # explicit therapy ids, when no property expresses the link

    def describe(self) -> str:
        parts = [
            f"{k}={v if not isinstance(v, list) else '|'.join(map(str, v))}"
            for k, v in self.model_dump(exclude_none=True).items()
        ]
        return ", ".join(parts) or "all therapies"


#: How an effect size was obtained, as typed in the catalog: `read` (a sentence quoted from the place it was read),
#: `bounded` (the bundle's association bounds it), `recalled` (from memory, unverified), `placeholder` (an
#: order-of-magnitude choice). The fifth class, `data` (identified by the calibration), is computed from the shipped
#: posterior by `catalog.provenance`, never typed.
TypedProvenance = Literal["read", "bounded", "recalled", "placeholder"]
PROVENANCE_CLASSES: tuple[str, ...] = ("read", "data", "bounded", "recalled", "placeholder")


def _typed_provenance(v: object) -> object:
    if v == "data":
        raise ValueError("'data' is computed from the calibrated posterior (chemorad catalog provenance), not typed")
    return v


class Effect(Frozen):
    """How mechanism activity changes one damage-chain quantity (PhysiCell-rules style: signal -> behaviour)."""

    quantity: Quantity
    acts_on: Selector = Selector()
    size: float = Field(description="value at activity 1: a fold (form fold) or an increment (form add)")
    loss: float | None = Field(
        None,
        description="value at activity -1 (loss of the mechanism, e.g. a knockdown), in the units of size; default: "
        "the mirror of size (1/size for a fold, -size for an add, -size/(1 + size) for a clearance, which raises the "
        "delivered fraction by the fold 1 + size). 1 (fold) or 0 (add, clearance) says the reference cell has nothing "
        "to lose.",
    )
    source: str
    basis: str = Field(description="the published number the size reproduces, or how it was chosen")
    loss_basis: str | None = Field(None, description="why `loss` differs from the mirror of size, with its source")
    endpoint: Literal["clonogenic", "short_term_viability"] | None = Field(
        None,
        description="the assay the size was measured in: clonogenic survival (what the radiation chain computes) or a "
        "short-term (72-h) viability/apoptosis assay (what the drug screens measure); death-stage effects differ "
        "between the two",
    )
    from_perturbations: list[str] = Field(
        default_factory=list,
        description="ids of perturbations.yaml entries the size was taken from: checking the model against them is a "
        "consistency check, not a test (`chemorad perturbations --check` marks them)",
    )
    provenance: Annotated[TypedProvenance, BeforeValidator(_typed_provenance)] = Field(
        description="how the size was obtained: read, bounded, recalled or placeholder (`TypedProvenance`)"
    )
    quote: str | None = Field(None, description="read: the sentence or table row the size comes from, word for word")
    read_from: str | None = Field(None, description="read: where the quote was read (address, and figure/abstract)")
    loss_provenance: Annotated[TypedProvenance | None, BeforeValidator(_typed_provenance)] = Field(
        None, description="how the explicit `loss` was obtained (required with `loss`)"
    )
    loss_quote: str | None = None
    loss_read_from: str | None = None

    @model_validator(mode="after")
    def _size(self) -> Effect:
        if FORM[self.quantity] == "fold" and self.size <= 0:
            raise ValueError(f"size of a fold quantity ({self.quantity}) must be > 0")
        if FORM[self.quantity] == "clearance" and self.size <= -1:
            raise ValueError(f"size of a clearance ({self.quantity}) must be > -1")
        if self.loss is not None:
            if FORM[self.quantity] == "fold" and self.loss <= 0:
                raise ValueError(f"loss of a fold quantity ({self.quantity}) must be > 0")
            if FORM[self.quantity] == "clearance" and self.loss <= -1:
                raise ValueError(f"loss of a clearance ({self.quantity}) must be > -1 (passive loss remains)")
            if self.loss_basis is None:
                raise ValueError("an explicit loss needs a loss_basis saying where it comes from")
        return self

    def effective_loss(self) -> float:
        """The value at activity -1: `loss` if given, else the mirror of `size`.

        fold: 1/size. Clearance (efflux, inactivation; delivered fraction 1/(1 + x)): -size/(1 + size), so that loss
        raises the delivered fraction by the same fold (1 + size) that gain lowers it. Fractions: -size.
        """
        if self.loss is not None:
            return self.loss
        if FORM[self.quantity] == "fold":
            return 1.0 / self.size
        if FORM[self.quantity] == "clearance":
            return -self.size / (1.0 + self.size)
        return -self.size


class Marker(Frozen):
    gene: str
    alteration: Alteration
    sign: Literal[1, -1] = Field(description="+1 if the alteration raises mechanism activity, -1 if it lowers it")
    tissue: Literal["tumour", "host"] = Field(
        "tumour", description="host: measured in normal tissue (e.g. barrier endothelium), not in tumour cells"
    )
    allele: str | None = Field(
        None,
        description="the protein change that makes the marker (e.g. T790M); gene-level calls cannot measure it, "
        "so a marker with an allele is scored only from allele-level data",
    )
    in_vivo_only: bool = Field(
        False,
        description="true when the marker reports a state of the tumour in the body (e.g. hypoxia) that cells in "
        "normoxic culture do not carry: it is not read from cell-line data",
    )
    note: str | None = None

    @field_validator("gene")
    @classmethod
    def _gene(cls, v: str) -> str:
        if not GENE_SYMBOL.match(v):
            raise ValueError("must be an HGNC-style upper-case symbol")
        return v


class Claim(Frozen):
    specificity: Specificity
    sources: list[str] = Field(min_length=1)
    note: str | None = None


class Evidence(Frozen):
    reference: str
    model_system: str
    effect: str
    value: float | None = None
    unit: str | None = None


class Mechanism(Frozen):
    id: Id
    name: str
    summary: str
    stages: list[Stage] = Field(min_length=1)
    direction: Literal["resistance", "sensitisation"] = "resistance"
    markers: list[Marker] = Field(min_length=1)
    effects: list[Effect] = Field(default_factory=list)
    claims: list[Claim] = Field(min_length=1)
    evidence: list[Evidence] = Field(min_length=1)
    references: list[str] = Field(default_factory=list)

    def reference_ids(self) -> list[str]:
        """Every reference id the entry cites, in first-use order."""
        ids = list(self.references)
        ids += [s for c in self.claims for s in c.sources]
        ids += [e.reference for e in self.evidence]
        ids += [e.source for e in self.effects]
        return list(dict.fromkeys(ids))


class PK(Frozen):
    """Plasma pharmacokinetics of a typical adult at the standard dose (see `chain/pharmacokinetics.py`).

    one_compartment: clearance_l_h, v_central_l. two_compartment adds q_l_h (inter-compartmental clearance) and
    v_peripheral_l. Doses are per m^2 of body surface; a typical adult is 1.8 m^2.
    """

    model: Literal["one_compartment", "two_compartment"]
    clearance_l_h: Param
    v_central_l: Param
    q_l_h: Param | None = None
    v_peripheral_l: Param | None = None
    dose_mg_m2: Param
    infusion_h: Param
    cycle_days: Param
    molar_mass_g_mol: Param
    active_species: str | None = None  # e.g. SN-38 for irinotecan: what the PK describes

    @model_validator(mode="after")
    def _two(self) -> PK:
        if self.model == "two_compartment" and (self.q_l_h is None or self.v_peripheral_l is None):
            raise ValueError("two_compartment needs q_l_h and v_peripheral_l")
        return self


class Therapy(Frozen):
    id: Id
    name: str
    modality: Modality
    drug_class: str
    mechanism_of_action: str
    lesions: list[Lesion] = Field(min_length=1)
    phase_specificity: list[Phase] = Field(default_factory=list)  # empty: not phase-specific
    transporter_substrates: list[str] = Field(default_factory=list)  # ABCB1, ABCC1, ABCG2 ...
    transporter_non_substrates: list[str] = Field(default_factory=list)  # pumps shown not to carry it
    uptake_transporters: list[str] = Field(default_factory=list)
    inactivating_enzymes: list[str] = Field(default_factory=list)
    activating_enzymes: list[str] = Field(default_factory=list)
    targets: list[str] = Field(default_factory=list)
    oxygen_dependence: Param | None = None  # fraction of kill that needs oxygen (0..1)
    parameters: dict[str, Param] = Field(default_factory=dict)  # model defaults (LQ, OER, PD ...)
    pk: PK | None = None
    datasets: dict[str, str] = Field(default_factory=dict)  # registered response data set id -> name in it
    references: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _datasets_registered(self) -> Therapy:
        for dataset_id in self.datasets:
            spec = RESPONSE_DATASETS.get(dataset_id)
            if spec is None:
                raise ValueError(
                    f"datasets: unknown response data set {dataset_id!r} (known: {', '.join(RESPONSE_DATASETS)})"
                )
            if spec.modality != self.modality:
                raise ValueError(f"datasets: {dataset_id} measures {spec.modality} therapies, not {self.modality}")
        return self

    @property
    def genotoxic(self) -> bool:
        return any(les not in (Lesion.mitotic_arrest, Lesion.signalling_inhibition) for les in self.lesions)

    def genes(self) -> list[str]:
        return list(
            dict.fromkeys(
                self.transporter_substrates
                + self.uptake_transporters
                + self.inactivating_enzymes
                + self.activating_enzymes
                + self.targets
            )
        )

    def reference_ids(self) -> list[str]:
        ids = list(self.references)
        params = list(self.parameters.values())
        if self.oxygen_dependence:
            params.append(self.oxygen_dependence)
        if self.pk:
            params += [p for p in self.pk.__dict__.values() if isinstance(p, Param)]
        ids += [p.source for p in params]
        return list(dict.fromkeys(ids))
