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


class Likelihood(StrEnum):
    """How the calibration (`chemorad.calibration.model`) sees a data set's observations.

    The member order is the order of the calibrated data sets (`calibrated_datasets`): drug screens first.
    """

    #: Normal on the ln IC50 (ln uM) itself, with a per-column offset (GDSC)
    ln_ic50 = "ln_ic50"
    #: Normal on the AUC standardised per column, through an affine link a_c + s_c (ln IC50 - ln IC50_t) (CTRP)
    affine_auc = "affine_auc"
    #: Normal on the surviving fraction at each measured dose of a radiation survival curve (Yard)
    survival_curve = "survival_curve"
    #: Normal on the LQ log-kill at 2 Gy of each published clonogenic curve, ln(2 alpha + 4 beta) = ln(-ln SF2), with
    #: one assay offset (PIDE; optional, used only when asked for: `chemorad calibrate --with-optional pide`)
    clonogenic_log_kill = "clonogenic_log_kill"


_INF = float("inf")


@dataclass(frozen=True)
class ResponseDataset:
    """A cell-line response data set: what it measures, how it is read, its metrics and how the calibration sees it.

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
    loader : the name of the function of `chemorad.bundle.datasets` (or `chemorad.bundle.pide`) that reads the table
        as published; the bundle's `RESPONSE_LOADERS` holds it under this data set's id.
    negated : metrics stored as minus the published quantity, so that higher = more resistant (Yard's LQ alpha is
        stored as ``neg_alpha``); every other metric keeps the published direction (higher AUC, IC50 or surviving
        fraction = more resistant).
    ranges : (metric, lowest, highest): the values the metric can physically take (`profile.bounds` clips
        predictions to them); a metric not listed is unbounded (the module docstring's table says why each holds).
    likelihood : how the Bayesian calibration models the primary metric (`Likelihood`); None: not calibrated on.
    noise_scale : scale of the HalfNormal prior of the data set's noise sd in the calibration, on the likelihood's
        scale (ln uM; standardised AUC; surviving fraction): a weakly informative modelling choice, several times the
        replicate scatter, not a measured number.
    survival_curves : the loader's table holds one radiation survival curve per line (`sf_<d>gy` columns, surviving
        fraction at d Gy): the evidence derives the metrics the table does not publish from chemorad's LQ fit of each
        curve (SF2, -alpha, -beta; `evidence.curves.fit_lq`), tests the curve at full resolution (each measured dose,
        -alpha, -beta), and the margins report the curves' scatter around the fit (`sigma_lq`). The published AUC,
        when there is one, is the column `bundle.datasets.AUC_COLUMN` names.
    protocol_comparison : the bundle file (`bundle.datasets.DATASETS`) in which the same lines were measured by a
        second protocol, long: `cell_line`, `metric` (auc, sf2, sf4, ...), one column per protocol (Yard:
        ``clonogenic``, the clonogenic assay vs the 9-day proliferation assay). The evidence margins take the data
        set's test-retest correlation from it (`evidence.margins`); empty: from the replicate releases
        (`bundle.datasets.REPLICATE_RELEASES`), else their median for the metric.
    """

    id: str
    name: str
    modality: Modality
    metrics: tuple[str, ...]
    primary_metric: str
    preference: int
    source: str
    url: str = ""
    loader: str = ""
    negated: tuple[str, ...] = ()
    ranges: tuple[tuple[str, float, float], ...] = ()
    likelihood: Likelihood | None = None
    noise_scale: float | None = None
    survival_curves: bool = False
    protocol_comparison: str = ""

    def __post_init__(self) -> None:  # programming errors in the registry itself
        if self.primary_metric not in self.metrics:
            raise ValueError(f"{self.id}: primary metric {self.primary_metric!r} not among {self.metrics}")
        stray = {m for m, _, _ in self.ranges} | set(self.negated)
        if not stray <= set(self.metrics):
            raise ValueError(f"{self.id}: ranges or negated name metrics {sorted(stray - set(self.metrics))}")
        if (self.likelihood is None) != (self.noise_scale is None):
            raise ValueError(f"{self.id}: a calibrated data set needs both a likelihood and a noise scale")

    def physical_range(self, metric: str) -> tuple[float, float]:
        """(lowest, highest) value `metric` can take; (-inf, inf) when it has no physical bound."""
        return next(((lo, hi) for m, lo, hi in self.ranges if m == metric), (-_INF, _INF))


#: The response data sets of the bundle, in order of preference. GDSC2 is preferred over GDSC1 (newer assay, same
#: lines); CTRP reports AUC only; Yard et al. 2016 is the radiation screen (9-day clonogenic-proxy survival, 0-10 Gy).
#:
#: Physical ranges (`ResponseDataset.ranges`), from the data bundle's README and each metric's definition:
#:
#: | data set, metric | range | why |
#: | --- | --- | --- |
#: | yard auc | [0, 10] | area under the surviving fraction over 0-10 Gy (Yard et al. 2016, Nat Commun 7:11428) |
#: | yard sf2 | [0, 1] | LQ surviving fraction at 2 Gy (chemorad's `fit_lq`) |
#: | yard neg_alpha | (-inf, 0] | -alpha, alpha >= 0 |
#: | gdsc1 / gdsc2 auc | [0, 1] | area under the fitted dose-response curve as a fraction of the tested range (GDSC) |
#: | ctrp auc | [0, inf) | area under the viability curve over the tested doses (upper end: the compound's range) |
#: | gdsc ln_ic50 | unbounded | natural log of an IC50 in uM: any real number |
#:
#: Noise scales (`ResponseDataset.noise_scale`, the calibration's HalfNormal prior of each data set's noise sd): 2 ln uM
#: for GDSC ln IC50, 1 for CTRP's standardised AUC, 0.2 for a Yard surviving fraction (modelling choices, stated in
#: `chemorad.calibration.model`'s docstring). PIDE's, 0.6 on the log-kill ln(-ln SF2), is derived from PIDE's own
#: replicate spread: the pooled within-line sd of ln(2 alpha + 4 beta) over the human tumour lines with two or more
#: photon curves is 0.28 (17 lines, 43 curves, 26 degrees of freedom; `calibration.clonogenic.replicate_sd`,
#: reproduced by benchmarks/bench_pide_calibration.py), and the scale is about twice it, so that the replicate spread
#: sits near the prior's median (0.67 x 0.6 = 0.40) and the misfit of the chain on top of it stays in the prior's bulk.
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
            loader="load_gdsc_response",
            ranges=(("auc", 0.0, 1.0),),
            likelihood=Likelihood.ln_ic50,
            noise_scale=2.0,
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
            loader="load_gdsc_response",
            ranges=(("auc", 0.0, 1.0),),
            likelihood=Likelihood.ln_ic50,
            noise_scale=2.0,
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
            loader="load_ctrp",
            ranges=(("auc", 0.0, _INF),),
            likelihood=Likelihood.affine_auc,
            noise_scale=1.0,
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
            loader="load_yard",
            negated=("neg_alpha",),
            ranges=(("auc", 0.0, 10.0), ("sf2", 0.0, 1.0), ("neg_alpha", -_INF, 0.0)),
            likelihood=Likelihood.survival_curve,
            noise_scale=0.2,
            survival_curves=True,
            protocol_comparison="clonogenic",
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
            loader="pide_lines",
            negated=("neg_alpha",),
            likelihood=Likelihood.clonogenic_log_kill,
            noise_scale=0.6,
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


def curve_datasets() -> list[ResponseDataset]:
    """The data sets that hold radiation survival curves (`ResponseDataset.survival_curves`), in order of preference."""
    return sorted((d for d in RESPONSE_DATASETS.values() if d.survival_curves), key=lambda d: d.preference)


def calibrated_datasets() -> tuple[ResponseDataset, ...]:
    """The data sets the Bayesian calibration fits (those with a `likelihood`), ordered by likelihood kind (the order
    of `Likelihood`: drug screens first) and then by id. The calibration indexes its data sets in this order."""
    kinds = list(Likelihood)
    calibrated = (d for d in RESPONSE_DATASETS.values() if d.likelihood is not None)
    return tuple(sorted(calibrated, key=lambda d: (kinds.index(d.likelihood), d.id)))


def physical_range(key: ResponseKey | str) -> tuple[float, float]:
    """(lowest, highest) value a response column's metric can take; (-inf, inf) when it has no physical bound or its
    data set is not registered."""
    key = key if isinstance(key, ResponseKey) else ResponseKey.parse(key)
    d = RESPONSE_DATASETS.get(key.dataset)
    return d.physical_range(key.metric) if d is not None else (-_INF, _INF)


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
