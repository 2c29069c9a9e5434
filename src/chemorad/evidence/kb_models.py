"""The knowledge-base record types (pydantic): the single source of `kb_schema.json` and of export validation.

`KB_SCHEMA_VERSION` follows semantic versioning: a new optional field is a minor version; a removed or renamed field,
or a changed meaning, a major one. `kb_schema.json` beside this module is `json_schema()` written out
(`chemorad kb schema --out FILE` regenerates it; a test checks they agree).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "KB_SCHEMA_VERSION",
    "AlterationCall",
    "Answer",
    "CellLineTest",
    "KbExport",
    "KbRecord",
    "LiteratureClaim",
    "MechanismVerdict",
    "json_schema",
]

KB_SCHEMA_VERSION = "1.1.0"  # 1.1.0: optional `answer` (the `chemorad answer` document)

Direction = Literal["resistance", "sensitivity", "collateral_sensitivity", "no_effect"]
Grade = Literal["A", "B", "C", "D", "E"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Reference(_Strict):
    id: str
    citation: str
    doi: str | None = None
    pmid: str | None = None
    kind: str


class LiteratureClaim(_Strict):
    specificity: str = Field(description="catalog claim: chemotherapy_only, radiotherapy_only, shared, ...")
    sources: list[str] = Field(description="reference ids (see the record's references)")
    note: str | None = None


class LiteratureEvidence(_Strict):
    reference: str
    model_system: str
    effect: str
    value: float | None = None
    unit: str | None = None
    level: Grade = Field(description="this item's level on the CIViC-modelled scale (docs/kb.md)")
    names_therapy: bool = Field(description="the item's text names this record's therapy")


class CellLineTest(_Strict):
    dataset: str
    compound: str
    metric: str
    primary: bool
    effect: float = Field(description="response units per within-tissue SD of the score (higher = more resistant)")
    ci_low: float
    ci_high: float
    margin: float = Field(description="effects within +-margin are too small to matter (docs/evidence.md)")
    n: int
    fdr: float = Field(description="BH q of effect != 0 within therapy x data set x metric")
    q_effect: float = Field(description="BH q of an effect beyond the margin in the record's direction")
    q_equivalent: float = Field(description="BH q of equivalence (TOST) within +-margin")
    verdict: Literal["supported", "contradicted", "inconclusive"]
    n_to_decide: float | None = Field(None, description="lines that would decide an inconclusive test (80% power)")


class KbRecord(_Strict):
    id: str = Field(description="entity_type:entity|therapy|direction, plus |mechanism for a marker record")
    entity_type: Literal["mechanism", "marker"]
    entity: str
    mechanism: str
    gene: str | None = None
    alteration: str | None = None
    therapy: str
    modality: Literal["radiation", "drug"]
    direction: Direction
    basis: Literal["catalog", "catalog claim", "cell-line data"] = Field(
        description="catalog: a chain effect links the entity to the therapy; catalog claim: a source claims no "
        "effect; cell-line data: decided in the data with no catalog link"
    )
    literature_claims: list[LiteratureClaim]
    literature_evidence: list[LiteratureEvidence]
    references: list[Reference]
    perturbations: list[dict] = Field(description="catalog perturbation measurements for this entity and therapy")
    cell_line_tests: list[CellLineTest]
    cell_line_verdict: Literal["supported", "contradicted", "mixed", "inconclusive", "not testable"]
    evidence_grade: Grade
    evidence_grade_label: str
    grade_basis: str
    amp_tier: Literal["I", "II", "III", "IV"] | None = Field(
        None, description="AMP/ASCO/CAP tier, only where clinical evidence exists (docs/kb.md)"
    )


class MechanismVerdict(_Strict):
    """One row of the answer's part 1 (docs/answer.md)."""

    mechanism: str
    direction: Literal["gain", "loss"]
    verdict: str = Field(description="chemotherapy_only, radiotherapy_only, shared, *_dominant, none or undetermined")
    basis: str
    decidedness: float = Field(description="sort key: 3 + P model and data agree, 1 + P model alone, else below 1")
    model_verdict: str
    chain_verdict: str
    probability: float | None = Field(description="posterior share of draws with the verdict; None without one")
    probability_source: str
    deciding_measurement: str | None = Field(
        None, description="for an undetermined calibrated verdict: the measurement that would decide it"
    )
    radiation_rf: float
    drugs_by_class: dict[str, list[dict]]
    data_verdict: str
    cell_line_tests: dict[str, dict] = Field(description="therapy -> the deciding cell-line test of the score")
    perturbations: list[dict]
    n_read: int
    n_recalled: int
    claims: list[dict]
    marker_genes: list[str]


class AlterationCall(_Strict):
    """One row of the answer's part 2 (docs/answer.md)."""

    alteration: str
    kind: str
    genes: list[str]
    n_altered: int
    radiation: str
    call: str = Field(description="cross-resistant, collaterally sensitive, cross-sensitive, radiotherapy-only, ...")
    call_without_general_factor: str
    drugs_resistant: list[str]
    drugs_sensitive: list[str]
    drugs_no_effect: list[str]
    drugs_inconclusive: list[str]
    radiation_altered_needed: float | None
    tests: dict[str, dict] = Field(description="therapy -> the deciding cell-line test (effect, CI, margin, q, n)")
    explanation: dict | None = None


class Answer(_Strict):
    """The `chemorad answer` document."""

    data_missing: bool
    therapies: list[str] | None
    tissue: str | None
    radiation: str
    fdr_alpha: float
    threshold: float
    decided_p: float
    loss_activity: float
    mechanisms: list[MechanismVerdict]
    alterations: list[AlterationCall]
    unknowns: dict[str, list[dict]]
    robustness: dict | None
    noise: list[dict]
    n_lines: int
    n_alterations_tested: int
    clonogenic: dict | None  # Yard vs clonogenic PIDE curves where lines overlap (None without PIDE)
    references: dict[str, dict]
    counts: dict
    seconds: float


class KbExport(_Strict):
    schema_version: str
    generator: str
    data_sources: list[str]
    grading: dict[str, str]
    records: list[KbRecord]
    answer: Answer | None = Field(
        None,
        description="the `chemorad answer` document: mechanisms (verdict per mechanism and direction with its "
        "evidence), alterations (effect per therapy, cross-resistance calls), unknowns, robustness, counts "
        "(docs/answer.md); absent from a plain `kb export`",
    )


def json_schema() -> dict:
    """JSON Schema (draft 2020-12) of the JSON export, with its version and id."""
    schema = KbExport.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://github.com/chemorad/chemorad/kb_schema/{KB_SCHEMA_VERSION}"
    schema["version"] = KB_SCHEMA_VERSION
    return schema
