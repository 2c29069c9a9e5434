"""The MAF reader: GDC/TCGA Mutation Annotation Format -> 0/1 call matrices per alteration class.

Variant classes (`Variant_Classification`, MAF specification of the GDC) map to three alteration classes by
`VARIANT_CLASS` (table in the docstring of `chemorad.profile.readers`)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from chemorad.errors import ChemoradError, closest
from chemorad.profile.readers.tables import _MAX_LISTED, SAMPLE, _listed, _load_table, _warn, sample_id
from chemorad.profile.readers.vocabulary import known_genes

LOF = "loss_of_function"
MISSENSE = "missense_or_inframe"
ANY = "any_nonsilent"
SILENT = "silent"
#: the alteration classes of `MafResult.calls`
CLASSES = (LOF, MISSENSE, ANY)

#: MAF Variant_Classification -> alteration class (table in the module docstring)
VARIANT_CLASS: dict[str, str] = {
    "Nonsense_Mutation": LOF,
    "Frame_Shift_Del": LOF,
    "Frame_Shift_Ins": LOF,
    "Splice_Site": LOF,
    "Translation_Start_Site": LOF,
    "Nonstop_Mutation": LOF,
    "Missense_Mutation": MISSENSE,
    "In_Frame_Del": MISSENSE,
    "In_Frame_Ins": MISSENSE,
    "Silent": SILENT,
    "Intron": SILENT,
    "3'UTR": SILENT,
    "5'UTR": SILENT,
    "RNA": SILENT,
    "IGR": SILENT,
    "Flank": SILENT,
    "3'Flank": SILENT,
    "5'Flank": SILENT,
    "Splice_Region": SILENT,
    "Targeted_Region": SILENT,
    "De_novo_Start_InFrame": SILENT,
    "De_novo_Start_OutOfFrame": SILENT,
}

MAF_REQUIRED = ("Hugo_Symbol", "Variant_Classification", "Tumor_Sample_Barcode")
#: optional MAF columns kept in `MafResult.variants` when present
MAF_KEPT = (
    "HGVSp_Short",
    "HGVSp",
    "HGVSc",
    "Protein_Change",
    "Variant_Type",
    "Chromosome",
    "Start_Position",
    "End_Position",
    "Reference_Allele",
    "Tumor_Seq_Allele2",
    "t_alt_count",
    "t_ref_count",
)


@dataclass(frozen=True)
class MafResult:
    """Mutation calls from a MAF.

    calls: {'loss_of_function', 'missense_or_inframe', 'any_nonsilent'} -> samples x genes int8 0/1 matrices, all
    with the same index (every sample in the MAF, plus `samples` given to `read_maf`) and columns (every gene with a
    classified variant, silent included); a gene absent from the MAF is wild-type for every sample (MAFs list variants,
    not coverage). variants: the classified rows (sample, gene, Variant_Classification, class, HGVS columns if present).
    """

    calls: dict[str, pd.DataFrame]
    variants: pd.DataFrame
    unknown_classes: tuple[str, ...]
    unknown_genes: tuple[str, ...]
    source_ids: dict[str, str]
    path: str
    warnings: tuple[str, ...] = ()

    @property
    def loss_of_function(self) -> pd.DataFrame:
        return self.calls[LOF]

    @property
    def missense_or_inframe(self) -> pd.DataFrame:
        return self.calls[MISSENSE]

    @property
    def any_nonsilent(self) -> pd.DataFrame:
        return self.calls[ANY]

    @property
    def samples(self) -> list[str]:
        return list(self.calls[ANY].index)


def read_maf(
    path: str | os.PathLike[str],
    samples: Iterable[str] | None = None,
    data: str | os.PathLike[str] | None = None,
) -> MafResult:
    """Read a GDC/TCGA MAF (tab-separated, leading '#' lines skipped, `.gz` accepted) into 0/1 call matrices.

    Required columns: Hugo_Symbol, Variant_Classification, Tumor_Sample_Barcode. `HGVSp_Short`, `HGVSc` and the other
    `MAF_KEPT` columns are kept in `.variants` when present. `Variant_Classification` maps to a class by
    `VARIANT_CLASS` (table in the module docstring); other values are ignored with a warning.
    `samples`: ids of sequenced samples to include even without any variant row (wild-type for every gene).
    Genes not in `known_genes(data)` are reported, not dropped.
    """
    path, labels, body = _load_table(path, allow_empty=True)
    body.columns = labels
    where = str(path)
    messages: list[str] = []
    rows, source = _maf_rows(body, labels, where, messages)
    classified, unknown_classes = _classify(rows, where, messages)
    extra = [] if samples is None else [sample_id(s) for s in samples]
    index = pd.Index(list(dict.fromkeys([*rows[SAMPLE], *extra])), name=SAMPLE, dtype=object)
    if len(index) == 0:
        raise ChemoradError(
            f"{where}: no variant rows; expected at least one (pass samples=[...] to record sequenced samples "
            "without variants)"
        )
    calls = _calls(classified, index)
    known = known_genes(data)
    nonsilent = sorted(set(classified.loc[classified["class"] != SILENT, "gene"]))
    unknown = [g for g in nonsilent if g not in known]
    if unknown:
        _warn(
            messages,
            f"{where}: {len(unknown)} of {len(nonsilent)} mutated genes are not known to the catalog or the data "
            f"bundle (kept, but no marker reads them): {_listed(unknown)}",
        )
    variants = classified.rename(columns={"Variant_Classification": "variant_classification"}).reset_index(drop=True)
    return MafResult(
        calls=calls,
        variants=variants,
        unknown_classes=tuple(unknown_classes),
        unknown_genes=tuple(unknown),
        source_ids={k: "; ".join(v) for k, v in source.items()},
        path=where,
        warnings=tuple(messages),
    )


def _maf_rows(
    body: pd.DataFrame, labels: list[str], where: str, messages: list[str]
) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """The required and kept columns with a `sample` column first, and sample id -> barcodes as written."""
    missing = [c for c in MAF_REQUIRED if c not in labels]
    if missing:
        hint = closest(missing[0], labels)
        tail = f" (closest: {', '.join(hint)})" if hint else ""
        raise ChemoradError(f"{where}: no column {missing[0]!r}{tail}; expected a MAF with {', '.join(MAF_REQUIRED)}")
    rows = body.loc[:, [c for c in (*MAF_REQUIRED, *MAF_KEPT) if c in labels]].copy()
    if rows["Tumor_Sample_Barcode"].isna().any():
        first = int(np.flatnonzero(rows["Tumor_Sample_Barcode"].isna().to_numpy())[0])
        raise ChemoradError(f"{where}: empty Tumor_Sample_Barcode in variant row {first + 1}; expected a sample id")
    source: dict[str, list[str]] = {}
    for raw in rows["Tumor_Sample_Barcode"].unique():
        source.setdefault(sample_id(raw), []).append(str(raw))
    merged = {k: v for k, v in source.items() if len(v) > 1}
    if merged:
        _warn(
            messages,
            f"{where}: Tumor_Sample_Barcode values merged at the TCGA sample level: "
            + "; ".join(f"{k} <- {', '.join(v)}" for k, v in list(merged.items())[:_MAX_LISTED]),
        )
    rows.insert(0, SAMPLE, [sample_id(s) for s in rows["Tumor_Sample_Barcode"]])
    return rows, source


def _classify(rows: pd.DataFrame, where: str, messages: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """The rows with a known Variant_Classification and a gene, with their `class` and the gene as `gene`; and the
    unknown classes (ignored with a warning)."""
    rows["Hugo_Symbol"] = rows["Hugo_Symbol"].fillna("").str.strip()
    vc = rows["Variant_Classification"].fillna("").str.strip()
    rows["class"] = vc.map(VARIANT_CLASS)
    unknown_classes = sorted(set(vc[rows["class"].isna()]))
    if unknown_classes:
        n = int(rows["class"].isna().sum())
        _warn(
            messages,
            f"{where}: {n} row(s) with Variant_Classification not in the class table ignored: "
            f"{_listed(unknown_classes)}; expected a class of readers.VARIANT_CLASS (docs/profile_inputs.md)",
        )
    classified = rows.loc[rows["class"].notna()]
    nameless = classified["Hugo_Symbol"].isin(["", "Unknown"])
    if (nameless & (classified["class"] != SILENT)).any():
        _warn(
            messages,
            f"{where}: {int((nameless & (classified['class'] != SILENT)).sum())} non-silent row(s) "
            "without a Hugo_Symbol ignored",
        )
    return classified.loc[~nameless].rename(columns={"Hugo_Symbol": "gene"}), unknown_classes


def _calls(classified: pd.DataFrame, index: pd.Index) -> dict[str, pd.DataFrame]:
    """0/1 matrices (samples `index` x every classified gene) per alteration class of `CLASSES`."""
    genes = pd.Index(sorted(classified["gene"].unique()), dtype=object)
    calls = {}
    for cls, members in ((LOF, {LOF}), (MISSENSE, {MISSENSE}), (ANY, {LOF, MISSENSE})):
        hits = classified.loc[classified["class"].isin(members), [SAMPLE, "gene"]].drop_duplicates()
        arr = np.zeros((len(index), len(genes)), dtype=np.int8)
        if len(hits):
            arr[index.get_indexer(hits[SAMPLE]), genes.get_indexer(hits["gene"])] = 1
        calls[cls] = pd.DataFrame(arr, index=index, columns=genes)
    return calls
