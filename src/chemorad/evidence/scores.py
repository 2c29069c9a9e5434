"""Mechanism activity scores per cell line, from the catalog's markers across the data layers.

Each catalog marker (gene, alteration, sign) is read from the layer that measures that alteration, in order of
preference:

| alteration | layers tried, in order |
| --- | --- |
| overexpression, underexpression | GDSC expression (RMA), CCLE RNA-seq z-scores, CCLE RPPA protein |
| protein_overexpression, protein_loss | CCLE RPPA protein, GDSC expression, CCLE RNA-seq z-scores |
| amplification / deletion | GDSC copy number (call == +1 / == -1) |
| loss_of_function_mutation, activating_mutation | GDSC mutation calls (0/1), then GDSC driver features (`GENE_mut`) |
| promoter_methylation, microrna_loss | none in the bundle: reported as not measurable |

Markers no layer can measure are reported, not approximated: host-tissue markers, in-vivo states (`in_vivo_only`:
HIF1A/CA9 in normoxic culture are not hypoxia, so a line's hypoxia score never moves its oxygen tension), specific
alleles (`allele`: EGFR T790M/C797S, not any EGFR mutation) and genes absent from every layer (`ABSENT_FROM_BUNDLE`:
PRKDC).

A layer is unusable for a marker when the gene is absent, when it is a floor-value column (GDSC expression with sd below
`datasets.FLOOR_SD`), when it does not vary, or, for binary calls, when fewer than `MIN_ALTERED` lines carry the
alteration. Every marker's fate is in the coverage table; nothing unusable is used silently.

Marker value: the layer's value with the alteration's direction (under-/loss -> minus) times the marker sign, centred
within tissue and divided by its pooled within-tissue standard deviation:

    z_l = (x_l - mean_{tissue(l)} x) / sd_pooled,  sd_pooled^2 = sum_t sum_{l in t} (x_l - mean_t)^2 / (n - n_tissues)

Mechanism score: the mean of its usable marker values (NaN where a line has none), standardised the same way.
Tissues with fewer than `MIN_TISSUE_LINES` lines with data are left out of a feature (NaN) since their mean is unstable.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from chemorad.bundle import datasets as ds
from chemorad.catalog.load import Catalog
from chemorad.catalog.schema import Alteration, Marker

MIN_ALTERED = 5
MIN_TISSUE_LINES = 3
#: within-tissue SDs of a score that count as the catalog's activity 1 in the damage chain (the strongly altered model
#: system each effect size was measured in, e.g. ABCB1 in MCF-7/ADM): 3 SD, the top ~0.1% of a normal distribution.
#: A modelling choice, not fitted: it scales the chain's resistance factors, not their direction. Used where scores
#: become chain activities (profile predictions, virtual cohorts).
SD_PER_ACTIVITY = 3.0

# RPPA antibodies measuring a gene's total protein (CCLE; Li et al. 2017). Phospho-specific antibodies are used only
# where no total-protein antibody exists and the phospho-form is the active one (NF-kB p65 pS536).
RPPA_ANTIBODY = {
    "RAD51": "RAD51",
    "ERCC1": "ERCC1_Caution",
    "XRCC5": "Ku80_Caution",
    "ATM": "ATM",
    "BRCA2": "BRCA2_Caution",
    "RELA": "NF-kB-p65_pS536_Caution",
    "BCL2": "Bcl-2",
    "BCL2L1": "Bcl-xL",
    "BAX": "Bax",
    "BAK1": "Bak_Caution",
    "TP53BP1": "53BP1",
    "CHEK1": "Chk1_Caution",
    "CHEK2": "Chk2",
    "XRCC1": "XRCC1_Caution",
    "MSH2": "MSH2",
    "MSH6": "MSH6_Caution",
    "EGFR": "EGFR",
    "ERBB2": "HER2",
    "ESR1": "ER-alpha",
    "MYC": "c-Myc_Caution",
    "PTEN": "PTEN",
    "AKT1": "Akt",
    "CDH1": "E-Cadherin",
    "CDH2": "N-Cadherin",
    "SNAI1": "Snail_Caution",
    "TP53": "p53_Caution",
    "CDKN1A": "p21",
    "MRE11": "Mre11_Caution",
    "RAD50": "Rad50",
    "PIK3CA": "PI3K-p110-alpha_Caution",
    "FN1": "Fibronectin",
    "G6PD": "G6PD",
    "PRDX1": "PRDX1",
}

_EXPR = ("expression", "ccle_expression", "protein")
LAYERS_FOR = {
    Alteration.overexpression: _EXPR,
    Alteration.underexpression: _EXPR,
    Alteration.protein_overexpression: ("protein", "expression", "ccle_expression"),
    Alteration.protein_loss: ("protein", "expression", "ccle_expression"),
    Alteration.amplification: ("copy_number",),
    Alteration.deletion: ("copy_number",),
    Alteration.loss_of_function_mutation: ("mutation", "driver_mutation"),
    Alteration.activating_mutation: ("mutation", "driver_mutation"),
    Alteration.promoter_methylation: (),
    Alteration.microrna_loss: (),
}
_NEGATIVE = {Alteration.underexpression, Alteration.protein_loss}
BINARY_LAYERS = {"copy_number", "mutation", "driver_mutation"}


@dataclass(frozen=True)
class Scores:
    """scores: lines x mechanisms; markers: lines x marker features ('GENE alteration [layer]');
    coverage: one row per (mechanism, marker) with the layer used or why none was; tissue: per line."""

    scores: pd.DataFrame
    markers: pd.DataFrame
    coverage: pd.DataFrame
    tissue: pd.Series


class BundleLayers:
    """The bundle's molecular matrices, loaded on first use."""

    def __init__(self, data: str | os.PathLike[str] | None) -> None:
        self.data = data
        self._cache: dict[str, pd.DataFrame] = {}
        self.floor = set(ds.floor_genes(data))

    def get(self, layer: str) -> pd.DataFrame:
        if layer not in self._cache:
            loader = {
                "expression": lambda: ds.load_expression(data=self.data),
                "ccle_expression": lambda: ds.load_ccle_expression(data=self.data),
                "protein": lambda: ds.load_rppa(data=self.data),
                "copy_number": lambda: ds.load_copy_number(data=self.data),
                "mutation": lambda: ds.load_mutations(data=self.data),
                "driver_mutation": lambda: ds.load_genomic_features(data=self.data),
            }[layer]
            self._cache[layer] = loader()
        return self._cache[layer]

    def column(self, layer: str, gene: str) -> tuple[pd.Series | None, str]:
        """The gene's column in a layer, or None and the reason it is unusable."""
        key = {"protein": RPPA_ANTIBODY.get(gene), "driver_mutation": f"{gene}_mut"}.get(layer, gene)
        if layer == "expression" and gene in self.floor:
            return None, "floor values (missing in GDSC expression)"
        frame = self.get(layer)
        if key is None or key not in frame.columns:
            return None, "absent"
        col = frame[key].astype(float).dropna()
        if col.nunique() < 2:
            return None, "constant"
        return col, ""


def _value(col: pd.Series, alteration: Alteration, layer: str) -> pd.Series:
    if layer == "copy_number":
        return (col == (1 if alteration is Alteration.amplification else -1)).astype(float)
    return -col if alteration in _NEGATIVE else col


def tissue_reference(x: pd.DataFrame, tissue: pd.Series) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """Per-column reference statistics of the bundle lines: (tissue means, tissues x columns; means over all lines;
    pooled within-tissue sd). A tissue with fewer than `MIN_TISSUE_LINES` lines with data gets NaN means."""
    t = tissue.reindex(x.index)
    counts = x.notna().groupby(t).sum()
    means = x.groupby(t).mean().where(counts >= MIN_TISSUE_LINES)
    centred = x - means.reindex(t.to_numpy()).set_axis(x.index)
    n = centred.notna().sum()
    k = centred.notna().groupby(t).any().sum()
    sd = np.sqrt((centred**2).sum() / (n - k).clip(lower=1))
    return means, x.mean(), sd.replace(0.0, np.nan)


def within_tissue_standardise(x: pd.DataFrame, tissue: pd.Series) -> pd.DataFrame:
    """Centre each column within tissue and divide by the pooled within-tissue sd (formula in the module doc)."""
    means, _, sd = tissue_reference(x, tissue)
    t = tissue.reindex(x.index)
    return (x - means.reindex(t.to_numpy()).set_axis(x.index)) / sd


@dataclass(frozen=True)
class MarkerPlan:
    """Which layer measures each catalog marker in the bundle: raw (sign-applied, unstandardised) values per line as
    `features` ('GENE alteration [layer]' -> Series), the features of each mechanism (`members`) and the coverage
    table (one row per mechanism x marker)."""

    features: dict[str, pd.Series]
    members: dict[str, list[str]]
    coverage: pd.DataFrame


def marker_value(col: pd.Series, alteration: Alteration, layer: str, sign: int) -> pd.Series:
    """A marker's raw value from its layer's column: the alteration's direction times the marker's sign."""
    return _value(col, alteration, layer) * sign


def marker_plan(
    cat: Catalog, data: str | os.PathLike[str] | None = None, layers: BundleLayers | None = None
) -> MarkerPlan:
    """The first usable layer for every tumour marker (order `LAYERS_FOR`), its values over the bundle's lines."""
    layers = layers or BundleLayers(data)
    features: dict[str, pd.Series] = {}
    coverage = []
    members: dict[str, list[str]] = {}
    for m in cat.mechanisms.values():
        members[m.id] = []
        for mk in m.markers:
            tried = _not_measurable(mk)
            used = None
            for layer in LAYERS_FOR[mk.alteration] if not tried else ():
                col, why = layers.column(layer, mk.gene)
                if col is not None:
                    val = marker_value(col, mk.alteration, layer, mk.sign)
                    altered = int((val != 0).sum()) if layer in BINARY_LAYERS else len(val)
                    if layer in BINARY_LAYERS and altered < MIN_ALTERED:
                        why = f"only {altered} lines altered (< {MIN_ALTERED})"
                    else:
                        used = (layer, val)
                        break
                tried.append(f"{layer}: {why}")
            name = feature_name(mk.gene, mk.alteration, used[0]) if used else None
            if used is not None:
                features[name] = used[1]
                members[m.id].append(name)
            coverage.append(
                {
                    "mechanism": m.id,
                    "gene": mk.gene,
                    "alteration": mk.alteration.value,
                    "sign": mk.sign,
                    "layer": used[0] if used else None,
                    "feature": name,
                    "n_lines": int(used[1].notna().sum()) if used else 0,
                    "status": "used" if used else "unusable",
                    "note": "; ".join(tried) if tried else ("" if used else "no data layer measures this alteration"),
                }
            )
    return MarkerPlan(features, members, pd.DataFrame(coverage))


#: Genes whose status no bundle layer records although a catalog mechanism depends on them; the coverage table says
#: so in words, and a line lacking the protein (e.g. the DNA-PKcs-null glioma line M059J) is not detectable.
ABSENT_FROM_BUNDLE = {
    "PRKDC": "DNA-PKcs (PRKDC) is in no bundle layer (not in GDSC expression, mutation or copy-number genes, not in "
    "CCLE RNA-seq census genes, no RPPA antibody): a DNA-PKcs-null line is not detectable and its NHEJ score "
    "comes from Ku70/Ku80 alone",
}


def _not_measurable(mk: Marker) -> list[str]:
    """Why cell-line data cannot measure a marker at all (empty when some layer might)."""
    if mk.tissue != "tumour":
        return ["host-tissue marker: not measured by tumour cell-line data"]
    if mk.in_vivo_only:
        return ["in-vivo state: cell lines in normoxic culture do not carry it, so it is not read from their data"]
    if mk.allele:
        return [f"allele {mk.allele}: the bundle's mutation calls are gene-level and cannot tell this allele apart"]
    if mk.gene in ABSENT_FROM_BUNDLE:
        return [ABSENT_FROM_BUNDLE[mk.gene]]
    return []


def feature_name(gene: str, alteration: Alteration, layer: str) -> str:
    return f"{gene} {alteration.value} [{layer}]"


def mechanism_raw(markers: pd.DataFrame, members: dict[str, list[str]]) -> pd.DataFrame:
    """A mechanism's unstandardised score: the mean of its standardised marker values (NaN where none)."""
    cols = {mid: markers.reindex(columns=names).mean(axis=1) for mid, names in members.items() if names}
    return pd.DataFrame(cols, index=markers.index)


def bundle_markers(
    cat: Catalog, data: str | os.PathLike[str] | None = None, layers: BundleLayers | None = None
) -> tuple[MarkerPlan, pd.Series, pd.DataFrame, pd.DataFrame]:
    """(marker plan, tissue per line, raw marker values, within-tissue standardised markers) over every bundle line
    with a tissue: the common start of `mechanism_scores` and of scoring new samples against the bundle."""
    tissue = ds.cell_lines(data)["tissue"].dropna()
    plan = marker_plan(cat, data, layers)
    raw = pd.DataFrame(plan.features).reindex(tissue.index)
    return plan, tissue, raw, within_tissue_standardise(raw, tissue)


def mechanism_scores(cat: Catalog, data: str | os.PathLike[str] | None = None) -> Scores:
    """Marker features, mechanism scores and the coverage table for every line in the bundle with a tissue."""
    plan, tissue, _, markers = bundle_markers(cat, data)
    scores = within_tissue_standardise(mechanism_raw(markers, plan.members), tissue)
    return Scores(scores.dropna(how="all"), markers, plan.coverage, tissue)
