"""Registries: therapy modalities, response data sets, and the typed key of a response column.

One place to extend when a new kind of therapy (protons, a radiopharmaceutical) or a new response data set (a second
radiation screen, PRISM, NCI-60) arrives: every other module asks these objects instead of comparing string literals.

Response columns are named ``dataset|compound|metric`` (e.g. ``gdsc2|Cisplatin|ln_ic50``, ``yard|radiotherapy|auc``);
`ResponseKey` is the only code that builds or splits that string. Every response is oriented so that higher means more
resistant (Yard's alpha is stored negated as ``neg_alpha``), so a positive association always reads "goes with
resistance".
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from chemorad.errors import unknown


class Modality(StrEnum):
    """How a therapy kills: physical energy deposition or a chemical interaction.

    The chain composes survival differently for each (LQ with oxygen fixation vs exposure-response of a drug); a new
    modality (e.g. particles with their own LET-dependent OER) is added here and in `chemorad.chain.survival`.
    """

    radiation = "radiation"
    drug = "drug"


#: The tags of a scenario's schedule items (`kind:` in scenario YAML): a radiation course or a drug administration.
#: A file-format word, kept here so that no module spells it: the course is delivered with `Catalog.radiotherapy`.
SCHEDULE_RADIATION = "radiotherapy"
SCHEDULE_DRUG = "drug"


@dataclass(frozen=True)
class ResponseDataset:
    """A cell-line response data set: what it measures, its metrics and which one is primary.

    Attributes
    ----------
    id : the data set id used in response column names and in `Therapy.datasets`.
    name : display name.
    modality : the kind of therapy it measures.
    metrics : every metric chemorad derives from it, each oriented higher = more resistant.
    primary_metric : the one metric used when a single response per therapy and data set is wanted.
    preference : rank when a therapy has several data sets (0 = preferred).
    source : where the data come from (citation text).
    url : the publication's DOI link, which documents cite for every number taken from the data set.
    """

    id: str
    name: str
    modality: Modality
    metrics: tuple[str, ...]
    primary_metric: str
    preference: int
    source: str
    url: str = ""

    def __post_init__(self) -> None:
        if self.primary_metric not in self.metrics:  # a programming error in the registry itself
            raise ValueError(f"{self.id}: primary metric {self.primary_metric!r} not among {self.metrics}")


#: The response data sets of the bundle, in order of preference. GDSC2 is preferred over GDSC1 (newer assay, same
#: lines); CTRP reports AUC only; Yard et al. 2016 is the radiation screen (9-day clonogenic-proxy survival, 0-10 Gy).
RESPONSE_DATASETS: dict[str, ResponseDataset] = {
    d.id: d
    for d in (
        ResponseDataset(
            "gdsc2",
            "GDSC2",
            Modality.drug,
            ("ln_ic50", "auc"),
            "ln_ic50",
            0,
            "Genomics of Drug Sensitivity in Cancer, release 2 (Iorio et al. 2016, Cell 166:740)",
            "https://doi.org/10.1016/j.cell.2016.06.017",
        ),
        ResponseDataset(
            "gdsc1",
            "GDSC1",
            Modality.drug,
            ("ln_ic50", "auc"),
            "ln_ic50",
            1,
            "Genomics of Drug Sensitivity in Cancer, release 1 (Yang et al. 2013, Nucleic Acids Res 41:D955)",
            "https://doi.org/10.1016/j.cell.2016.06.017",
        ),
        ResponseDataset(
            "ctrp",
            "CTRP v2",
            Modality.drug,
            ("auc",),
            "auc",
            2,
            "Cancer Therapeutics Response Portal v2 (Seashore-Ludlow et al. 2015, Cancer Discov 5:1210)",
            "https://doi.org/10.1158/2159-8290.CD-15-0235",
        ),
        ResponseDataset(
            "yard",
            "Yard 2016",
            Modality.radiation,
            ("auc", "sf2", "neg_alpha"),
            "auc",
            3,
            "Radiation profiling of 533 cell lines (Yard et al. 2016, Nat Commun 7:11428)",
            "https://doi.org/10.1038/ncomms11428",
        ),
        ResponseDataset(  # optional: read in place from the data folder when present (`bundle.pide`)
            "pide",
            "PIDE 3.4",
            Modality.radiation,
            ("sf2", "neg_alpha"),
            "sf2",
            4,
            "Clonogenic photon survival, Particle Irradiation Data Ensemble 3.4 (Friedrich et al. 2021, J Radiat Res "
            "62:645)",
        ),
    )
}


def response_dataset(dataset_id: str) -> ResponseDataset:
    """The registered data set `dataset_id`; an unknown id is a one-line user error naming the known ones."""
    if dataset_id not in RESPONSE_DATASETS:
        raise unknown("response data set", dataset_id, RESPONSE_DATASETS)
    return RESPONSE_DATASETS[dataset_id]


def datasets_for(modality: Modality | str) -> list[ResponseDataset]:
    """The data sets that measure `modality`, in order of preference."""
    return sorted((d for d in RESPONSE_DATASETS.values() if d.modality == modality), key=lambda d: d.preference)


def primary_metric(dataset_id: str) -> str:
    return response_dataset(dataset_id).primary_metric


def preference(dataset_id: str) -> int:
    """Rank of a data set when a therapy has several (0 = preferred); unregistered ids rank last."""
    d = RESPONSE_DATASETS.get(dataset_id)
    return d.preference if d is not None else len(RESPONSE_DATASETS)


@dataclass(frozen=True, order=True)
class ResponseKey:
    """The typed form of a response column name ``dataset|compound|metric``.

    `compound` is the name in the data set (a drug's GDSC/CTRP name, or the catalog id of the radiation therapy for a
    radiation screen); map it to a catalog therapy with `Catalog.therapy_for_response`.
    """

    dataset: str
    compound: str
    metric: str

    SEP = "|"

    @classmethod
    def parse(cls, column: str) -> ResponseKey:
        parts = str(column).split(cls.SEP)
        if len(parts) != 3:
            raise ValueError(f"response column {column!r}: expected dataset{cls.SEP}compound{cls.SEP}metric")
        return cls(*parts)

    @property
    def column(self) -> str:
        return self.SEP.join((self.dataset, self.compound, self.metric))

    @property
    def label(self) -> str:
        """'compound [dataset metric]', for tables and figures."""
        return f"{self.compound} [{self.dataset} {self.metric}]"

    @property
    def is_primary(self) -> bool:
        d = RESPONSE_DATASETS.get(self.dataset)
        return d is not None and d.primary_metric == self.metric

    @property
    def modality(self) -> Modality | None:
        d = RESPONSE_DATASETS.get(self.dataset)
        return d.modality if d is not None else None

    def __str__(self) -> str:
        return self.column
