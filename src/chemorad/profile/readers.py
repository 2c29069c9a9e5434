"""Readers for one tumour's (or a few samples') molecular data, returned in the data bundle's shapes.

Every matrix is samples x features (a pandas DataFrame indexed by sample id, index name `sample`), exactly as the
bundle's loaders in `chemorad.bundle.datasets` return lines x genes, so the scoring code
(`chemorad.evidence.scores`) can use them unchanged:

| reader | input | returns (values) |
| --- | --- | --- |
| `read_maf` | GDC/TCGA MAF (tab-separated, '#' lines skipped, .gz ok) | `MafResult` (int8 0/1 per class) |
| `read_expression` | TSV/CSV/Parquet/GCT 1.2 matrix, either orientation | `ExpressionResult` (log2 or z) |
| `read_copy_number` | GISTIC thresholded calls -2..2, either orientation | `CopyNumberResult` (int8 -1/0/1) |
| `read_protein` | RPPA matrix, antibodies as in `ccle_rppa.csv` | `ProteinResult` (log2, median-centred) |
| `read_tissues` | table: sample, tissue | DataFrame (tissue harmonised to `names.TISSUES`) |
| `read_profiles_dir` | a directory with the bundle's file names (any subset) | `Profile` (as the bundle loaders) |
| `from_cell_line` | a cell-line name known to the bundle | `Profile` (as the bundle loaders) |

Sample ids are kept as given (whitespace stripped), with one exception: TCGA barcodes are cut to the sample level
(`TCGA-02-0003-01A-01D-1490-08` -> `TCGA-02-0003-01`, participant + sample type) because MAFs carry aliquot barcodes
while expression matrices usually carry sample barcodes. Each result keeps the ids as written in `source_ids`.

Variant classes (`Variant_Classification`, MAF specification of the GDC, https://docs.gdc.cancer.gov/Data/File_Formats/
MAF_Format/) map to three alteration classes:

| class | Variant_Classification |
| --- | --- |
| loss_of_function | Nonsense_Mutation, Frame_Shift_Del, Frame_Shift_Ins, Splice_Site, Translation_Start_Site, |
|                  | Nonstop_Mutation |
| missense_or_inframe | Missense_Mutation, In_Frame_Del, In_Frame_Ins |
| silent (ignored) | Silent, Intron, 3'UTR, 5'UTR, RNA, IGR, Flank, 3'Flank, 5'Flank, Splice_Region, Targeted_Region, |
|                  | De_novo_Start_InFrame, De_novo_Start_OutOfFrame |

loss_of_function feeds `loss_of_function_mutation` markers. missense_or_inframe can be activating or damaging: the
scorer reads it as the catalog's marker says (`activating_mutation` or `loss_of_function_mutation`).
`any_nonsilent` is the union of the first two classes; it is the analogue of the bundle's GDSC mutation calls.
Any other `Variant_Classification` is reported as a warning and ignored.

Warnings (unknown gene symbols, averaged duplicate genes, unknown variant classes or tissues, sample ids missing from a
file) are never fatal: each result keeps them in `.warnings` and they are also issued as `ProfileWarning`. User errors
(bad file, missing column, non-numeric value, duplicated sample) raise `ChemoradError` naming the file, the column or
row and what was expected.
"""

from __future__ import annotations

import csv
import functools
import gzip
import os
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from chemorad.bundle import datasets as ds
from chemorad.bundle.names import canonical_name, harmonise_tissue, split_ccle_name
from chemorad.errors import ChemoradError, closest

__all__ = [
    "CLASSES",
    "TCGA_TISSUE",
    "VARIANT_CLASS",
    "CopyNumberResult",
    "ExpressionResult",
    "MafResult",
    "Profile",
    "ProfileWarning",
    "ProteinResult",
    "from_cell_line",
    "known_antibodies",
    "known_genes",
    "read_copy_number",
    "read_expression",
    "read_maf",
    "read_profiles_dir",
    "read_protein",
    "read_tissues",
    "sample_id",
    "standardise_to",
]

Orientation = Literal["auto", "genes_x_samples", "samples_x_genes"]
Scale = Literal["auto", "tpm", "log", "z"]

SAMPLE = "sample"
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

#: TCGA study / GDSC `TCGA` label -> tissue; None = spans several sites (kept as given, known=False)
TCGA_TISSUE: dict[str, str | None] = {
    "ACC": "adrenal_gland",
    "BLCA": "urinary_tract",
    "BRCA": "breast",
    "CESC": "cervix",
    "CHOL": "biliary_tract",
    "COAD": "large_intestine",
    "READ": "large_intestine",
    "COREAD": "large_intestine",
    "DLBC": "haematopoietic_and_lymphoid_tissue",
    "LAML": "haematopoietic_and_lymphoid_tissue",
    "ALL": "haematopoietic_and_lymphoid_tissue",
    "CLL": "haematopoietic_and_lymphoid_tissue",
    "LCML": "haematopoietic_and_lymphoid_tissue",
    "MM": "haematopoietic_and_lymphoid_tissue",
    "ESCA": "oesophagus",
    "GBM": "central_nervous_system",
    "LGG": "central_nervous_system",
    "MB": "central_nervous_system",
    "HNSC": "upper_aerodigestive_tract",
    "KICH": "kidney",
    "KIRC": "kidney",
    "KIRP": "kidney",
    "LIHC": "liver",
    "LUAD": "lung",
    "LUSC": "lung",
    "SCLC": "lung",
    "MESO": "pleura",
    "NB": "autonomic_ganglia",
    "OV": "ovary",
    "PAAD": "pancreas",
    "PRAD": "prostate",
    "SKCM": "skin",
    "STAD": "stomach",
    "TGCT": "testis",
    "THCA": "thyroid",
    "UCEC": "endometrium",
    "UCS": "endometrium",
    "SARC": None,  # bone or soft tissue
    "PCPG": None,  # adrenal gland or extra-adrenal paraganglia
    "UVM": None,  # eye: no CCLE primary site
    "THYM": None,
}

# identifier / annotation columns recognised in matrices (never treated as samples or features)
_GENE_ID_COLUMNS = ("Hugo_Symbol", "Gene Symbol", "gene_symbol", "symbol", "gene_name", "gene", "Gene")
_GENE_ANNOTATION = {
    "Entrez_Gene_Id",
    "Entrez_Id",
    "Locus ID",
    "Locus_ID",
    "Cytoband",
    "Gene ID",
    "gene_id",
    "gene_type",
    "Description",
}
_SAMPLE_ANNOTATION = {"ccle_name", "depmap_id", "COSMIC_ID", "tissue"}
_SAMPLE_COLUMNS = ("sample", "sample_id", "Tumor_Sample_Barcode", "cell_line", "SAMPLE_ID", "Sample")
_TCGA = re.compile(r"^(TCGA-[A-Z0-9]{2}-[A-Z0-9]{4}-\d{2})[A-Z]?(-.*)?$", re.IGNORECASE)
_MAX_LISTED = 8
#: auto scale detection: a maximum above this is a linear scale (TPM/FPKM); log2 data stay below ~20
_LINEAR_MAX = 50.0


class ProfileWarning(UserWarning):
    """Something in a profile input that is reported but not fatal (unknown gene, unknown tissue, missing sample)."""


# --------------------------------------------------------------------------------------------------------- helpers
def _listed(items: Iterable[object], n: int = _MAX_LISTED) -> str:
    items = [str(i) for i in items]
    head = ", ".join(repr(i) for i in items[:n])
    return head + (f" and {len(items) - n} more" if len(items) > n else "")


def _warn(messages: list[str], text: str) -> None:
    messages.append(text)
    warnings.warn(text, ProfileWarning, stacklevel=3)


def sample_id(raw: object) -> str:
    """A sample id as the readers use it: stripped; TCGA barcodes cut to the sample level (`TCGA-XX-XXXX-01`)."""
    text = str(raw).strip()
    match = _TCGA.match(text)
    return match.group(1).upper() if match else text


def _sample_ids(raw: Iterable[object], where: str, what: str) -> tuple[list[str], dict[str, str]]:
    """Sample ids for `raw` labels, and id -> label as written; empty ids and repeats are errors."""
    ids, source = [], {}
    for label in raw:
        if label is None or (isinstance(label, float) and np.isnan(label)) or str(label).strip() == "":
            raise ChemoradError(f"{where}: empty sample id in the {what}; expected one id per sample")
        sid = sample_id(label)
        if sid in source:
            same = "" if source[sid] == str(label) else f" (from {source[sid]!r} and {str(label)!r})"
            raise ChemoradError(f"{where}: sample {sid!r} appears twice in the {what}{same}; expected unique ids")
        source[sid] = str(label)
        ids.append(sid)
    return ids, source


@functools.lru_cache(maxsize=8)
def _bundle_columns(directory: str | None, filenames: tuple[str, ...]) -> frozenset[str]:
    try:
        root = ds.data_dir(directory)
    except ChemoradError:
        return frozenset()
    out: set[str] = set()
    for name in filenames:
        path = root / name
        if path.suffix == ".parquet" and path.is_file():
            out.update(pq.read_schema(path).names)
        elif path.is_file():
            out.update(pd.read_csv(path, nrows=0).columns)
    return frozenset(out - {"cell_line", "ccle_name", "depmap_id"})


def known_genes(data: str | os.PathLike[str] | None = None) -> frozenset[str]:
    """Gene symbols the readers recognise: the catalog's genes plus the bundle's expression columns (GDSC + CCLE).

    Without a data bundle (`datasets.data_dir` fails) only the catalog's genes are known.
    """
    from chemorad.catalog import catalog

    genes = {g for g in catalog().genes() if "*" not in g}
    files = (ds.DATASETS["expression"].filename, ds.DATASETS["ccle_expression"].filename)
    return frozenset(genes | _bundle_columns(None if data is None else str(data), files))


def known_antibodies(data: str | os.PathLike[str] | None = None) -> frozenset[str]:
    """RPPA antibody names the readers recognise: the columns of the bundle's `ccle_rppa.csv` and
    `evidence.scores.RPPA_ANTIBODY`."""
    from chemorad.evidence.scores import RPPA_ANTIBODY

    files = (ds.DATASETS["rppa"].filename,)
    return frozenset(set(RPPA_ANTIBODY.values()) | _bundle_columns(None if data is None else str(data), files))


# -------------------------------------------------------------------------------------------------- reading tables
def _open_text(path: Path):
    if path.suffix == ".gz":
        return gzip.open(path, "rt", newline="")
    return path.open("r", newline="")


def _base_suffix(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in (".gz", ".bz2", ".xz", ".zip"):
        suffixes = suffixes[:-1]
    return suffixes[-1] if suffixes else ""


def _head(path: Path) -> tuple[int, str | None]:
    """Number of leading '#' comment / blank lines, and the first other line (None if there is none)."""
    skipped = 0
    try:
        with _open_text(path) as handle:
            for line in handle:
                if line.startswith("#") or not line.strip():
                    skipped += 1
                    continue
                return skipped, line.rstrip("\r\n")
    except UnicodeDecodeError:
        raise ChemoradError(f"{path}: not a text file; expected a tab- or comma-separated table") from None
    return skipped, None


def _gct_head(path: Path) -> tuple[int, str | None]:
    """(lines before the header, header) of a GCT 1.2 file: '#1.2', then 'rows<TAB>columns', then the header
    'Name<TAB>Description<TAB>sample...' (Broad Institute GCT format, version 1.2)."""
    try:
        with _open_text(path) as handle:
            lines = [handle.readline().rstrip("\r\n") for _ in range(3)]
    except UnicodeDecodeError:
        raise ChemoradError(f"{path}: not a text file; expected a GCT 1.2 table") from None
    if lines[0].strip() != "#1.2":
        raise ChemoradError(
            f"{path}: first line {lines[0][:20]!r}; expected '#1.2' (GCT version 1.2; other versions are not read)"
        )
    dims = lines[1].split("\t")
    if len(dims) < 2 or not all(d.strip().isdigit() for d in dims[:2]):
        raise ChemoradError(f"{path}: second line {lines[1][:40]!r}; expected the numbers of rows and columns")
    if not lines[2].startswith("Name\tDescription"):
        raise ChemoradError(f"{path}: third line {lines[2][:40]!r}; expected the header 'Name<TAB>Description<TAB>...'")
    return 2, lines[2]


def _gct_gene_column(labels: list[str], body: pd.DataFrame, known: frozenset[str]) -> tuple[list[str], pd.DataFrame]:
    """A GCT's gene column: Name, or Description when it holds more known symbols (e.g. Name = Ensembl ids)."""
    names = body[0].astype(str).str.strip()
    desc = body[1].astype(str).str.strip()
    keep = 1 if len(set(desc) & known) > len(set(names) & known) else 0
    drop = 1 - keep
    body = body.drop(columns=[drop])
    body.columns = range(body.shape[1])
    labels = ["gene"] + labels[2:]
    return labels, body


def _separator(path: Path, header: str) -> str:
    suffix = _base_suffix(path)
    if suffix in (".tsv", ".txt", ".tab", ".maf", ".gct"):
        return "\t"
    if suffix == ".csv":
        return ","
    return "\t" if header.count("\t") >= header.count(",") and "\t" in header else ","


def _load_table(path: str | os.PathLike[str], allow_empty: bool = False) -> tuple[Path, list[str], pd.DataFrame]:
    """(path, header labels, body with positional columns 0..n-1) of a CSV/TSV/Parquet table; text read as strings.

    A header without rows is an error unless `allow_empty` (then the body has no rows)."""
    path = Path(path)
    if not path.is_file():
        raise ChemoradError(f"{path}: file not found")
    if _base_suffix(path) == ".parquet":
        try:
            frame = pd.read_parquet(path)
        except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError: a damaged or non-Parquet file
            raise ChemoradError(f"{path}: not a readable Parquet file ({' '.join(str(exc).split())[:160]})") from None
        if not isinstance(frame.index, pd.RangeIndex):
            frame = frame.reset_index()
        if frame.shape[0] == 0:
            raise ChemoradError(f"{path}: no data rows; expected a header line and at least one row")
        labels = [str(c) for c in frame.columns]
        frame.columns = range(frame.shape[1])
        return path, labels, frame
    if _base_suffix(path) == ".seg":
        raise ChemoradError(
            f"{path}: segmented copy number (.seg) is not read; chemorad needs gene-level calls, e.g. GISTIC2's "
            "all_thresholded.by_genes.txt (-2..2)"
        )
    skip, header = _gct_head(path) if _base_suffix(path) == ".gct" else _head(path)
    if header is None:
        raise ChemoradError(f"{path}: empty file; expected a header line and at least one row")
    sep = _separator(path, header)
    labels = next(csv.reader([header], delimiter=sep))
    try:
        body = pd.read_csv(path, sep=sep, header=None, skiprows=skip + 1, dtype=str, skip_blank_lines=True)
    except pd.errors.EmptyDataError:
        if allow_empty:
            return path, [label.strip() for label in labels], pd.DataFrame(columns=range(len(labels)), dtype=object)
        raise ChemoradError(f"{path}: no data rows; expected a header line and at least one row") from None
    except pd.errors.ParserError as exc:
        text = " ".join(str(exc).split())
        raise ChemoradError(
            f"{path}: unreadable table ({text}); expected the same number of fields on every line"
        ) from None
    if body.shape[1] == len(labels) + 1:  # R write.table: the row-name column has no header
        labels = ["", *labels]
    if body.shape[1] != len(labels):
        raise ChemoradError(
            f"{path}: the header has {len(labels)} fields but the rows have {body.shape[1]}; "
            f"expected one header field per column (separator {sep!r})"
        )
    labels = [label.strip() for label in labels]
    return path, labels, body


def _numeric(body: pd.DataFrame, where: str, row_kind: str, col_kind: str) -> pd.DataFrame:
    """Float matrix of `body` (labelled); the first non-numeric cell is an error naming its row and column."""
    out = body.apply(pd.to_numeric, errors="coerce")
    bad = out.isna().to_numpy() & body.notna().to_numpy()
    if bad.any():
        r, c = np.argwhere(bad)[0]
        value = body.iat[r, c]
        raise ChemoradError(
            f"{where}: non-numeric value {value!r} for {row_kind} {body.index[r]!r}, {col_kind} {body.columns[c]!r}; "
            "expected numbers (empty or NA for missing)"
        )
    out = out.astype(float)
    inf = np.isinf(out.to_numpy())
    if inf.any():
        r, c = np.argwhere(inf)[0]
        raise ChemoradError(
            f"{where}: value {body.iat[r, c]!r} for {row_kind} {body.index[r]!r}, {col_kind} {body.columns[c]!r} is "
            f"not finite ({int(inf.sum())} such cell(s)); expected finite numbers (empty or NA for missing)"
        )
    return out


@dataclass(frozen=True)
class _Matrix:
    matrix: pd.DataFrame  # samples x features, float, duplicate features averaged
    orientation: str
    unknown: tuple[str, ...]
    source_ids: dict[str, str]
    note: str
    warnings: tuple[str, ...]


def _orient(
    path: Path,
    labels: list[str],
    body: pd.DataFrame,
    known: frozenset[str],
    orientation: str,
    feature: str,
) -> tuple[str, pd.DataFrame, str]:
    """Pick the orientation; return it, a features-as-columns labelled string frame, and how it was decided."""
    if orientation not in ("auto", "genes_x_samples", "samples_x_genes"):
        raise ChemoradError(f"--orientation {orientation}: expected auto, genes_x_samples or samples_x_genes")
    # samples x genes: first column (or a named sample column) holds sample ids, the other headers are features
    s_col = next((i for i, lab in enumerate(labels) if lab in _SAMPLE_COLUMNS), 0)
    s_feats = [i for i, lab in enumerate(labels) if i != s_col and lab not in _SAMPLE_ANNOTATION]
    n_s = len({labels[i] for i in s_feats} & known)
    # genes x samples: a named gene column (else the first), the other headers (not annotation) are samples
    g_col = next((i for i, lab in enumerate(labels) if lab in _GENE_ID_COLUMNS), 0)
    g_samples = [i for i, lab in enumerate(labels) if i != g_col and lab not in _GENE_ANNOTATION]
    g_names = body[g_col].astype(str).str.strip()
    n_g = len(set(g_names) & known)
    note = f"{n_s} recognised {feature}s in the header, {n_g} in column {labels[g_col] or 1!r}"
    if orientation == "auto":
        if n_s == 0 and n_g == 0:
            raise ChemoradError(
                f"{path}: no recognisable {feature} column or row (none of the header fields or of the first column's "
                f"values is a known {feature}); expected {feature} symbols such as "
                f"{_listed(sorted(known)[:3])} along one axis"
            )
        if n_s == n_g:
            raise ChemoradError(
                f"{path}: cannot tell the orientation ({note}); pass --orientation genes_x_samples or "
                "--orientation samples_x_genes"
            )
        orientation = "samples_x_genes" if n_s > n_g else "genes_x_samples"
        note = f"detected: {note}"
    else:
        note = f"given: {note}"
    if orientation == "samples_x_genes":
        if n_s == 0:
            raise ChemoradError(
                f"{path}: no recognisable {feature} in the header; expected {feature} symbols as column names "
                "(or pass --orientation genes_x_samples)"
            )
        frame = body[s_feats].copy()
        frame.columns = [labels[i] for i in s_feats]
        frame.index = pd.Index(body[s_col].to_numpy(), dtype=object)
        if body[s_col].isna().any():
            raise ChemoradError(f"{path}: empty sample id in column {labels[s_col] or 1!r}; expected one per row")
        return orientation, frame, note
    if n_g == 0:
        raise ChemoradError(
            f"{path}: no recognisable {feature} column; expected {feature} symbols in column {labels[g_col] or 1!r} "
            "(or pass --orientation samples_x_genes)"
        )
    frame = body[g_samples].copy()
    frame.columns = [labels[i] for i in g_samples]
    frame.index = pd.Index(g_names.to_numpy(), dtype=object)
    return orientation, frame.T, note


def _read_matrix(
    path: str | os.PathLike[str],
    known: frozenset[str],
    orientation: str,
    feature: str = "gene",
) -> _Matrix:
    """A samples x features float matrix from a table in either orientation (see `read_expression`)."""
    path, labels, body = _load_table(path)
    if _base_suffix(path) == ".gct":
        labels, body = _gct_gene_column(labels, body, known)
    messages: list[str] = []
    orientation, frame, note = _orient(path, labels, body, known, orientation, feature)
    rows_are_samples = orientation == "samples_x_genes"
    ids, source = _sample_ids(
        frame.index, str(path), "first column" if rows_are_samples else "header (one column per sample)"
    )
    frame.index = pd.Index(ids, dtype=object)
    feats = pd.Series(frame.columns, dtype=object).astype(str).str.strip()
    empty = (feats == "") | (feats.str.lower() == "nan")
    if empty.any():
        _warn(messages, f"{path}: {int(empty.sum())} {feature}(s) without a name dropped")
        frame = frame.loc[:, ~empty.to_numpy()]
        feats = feats[~empty]
    frame.columns = pd.Index(feats.to_numpy(), dtype=object)
    if rows_are_samples:
        values = _numeric(frame, str(path), "sample", f"{feature} column")
    else:
        values = _numeric(frame.T, str(path), f"{feature} row", "sample column").T
    dup = values.columns[values.columns.duplicated()].unique()
    if len(dup):
        _warn(messages, f"{path}: {len(dup)} {feature}(s) appear more than once and were averaged: {_listed(dup)}")
        values = values.T.groupby(level=0, sort=False).mean().T
    unknown = sorted(set(values.columns) - known)
    if unknown:
        _warn(
            messages,
            f"{path}: {len(unknown)} of {values.shape[1]} {feature}s are not known to the catalog or the data bundle "
            f"(kept, but no marker reads them): {_listed(unknown)}",
        )
    values.index.name = SAMPLE
    values.columns.name = None
    return _Matrix(values, orientation, tuple(unknown), source, note, tuple(messages))


# ------------------------------------------------------------------------------------------------------------ MAF
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
    missing = [c for c in MAF_REQUIRED if c not in labels]
    if missing:
        hint = closest(missing[0], labels)
        tail = f" (closest: {', '.join(hint)})" if hint else ""
        raise ChemoradError(f"{where}: no column {missing[0]!r}{tail}; expected a MAF with {', '.join(MAF_REQUIRED)}")
    messages: list[str] = []
    rows = body.loc[:, [c for c in (*MAF_REQUIRED, *MAF_KEPT) if c in labels]].copy()
    if rows["Tumor_Sample_Barcode"].isna().any():
        first = int(np.flatnonzero(rows["Tumor_Sample_Barcode"].isna().to_numpy())[0])
        raise ChemoradError(f"{where}: empty Tumor_Sample_Barcode in variant row {first + 1}; expected a sample id")
    source = {}
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
    classified = classified.loc[~nameless].rename(columns={"Hugo_Symbol": "gene"})
    extra = [] if samples is None else [sample_id(s) for s in samples]
    index = pd.Index(list(dict.fromkeys([*rows[SAMPLE], *extra])), name=SAMPLE, dtype=object)
    if len(index) == 0:
        raise ChemoradError(
            f"{where}: no variant rows; expected at least one (pass samples=[...] to record sequenced samples "
            "without variants)"
        )
    genes = pd.Index(sorted(classified["gene"].unique()), dtype=object)
    calls = {}
    for cls, members in ((LOF, {LOF}), (MISSENSE, {MISSENSE}), (ANY, {LOF, MISSENSE})):
        hits = classified.loc[classified["class"].isin(members), [SAMPLE, "gene"]].drop_duplicates()
        arr = np.zeros((len(index), len(genes)), dtype=np.int8)
        if len(hits):
            arr[index.get_indexer(hits[SAMPLE]), genes.get_indexer(hits["gene"])] = 1
        mat = pd.DataFrame(arr, index=index, columns=genes)
        calls[cls] = mat
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


# ----------------------------------------------------------------------------------------------------- expression
@dataclass(frozen=True)
class ExpressionResult:
    """Expression, samples x genes (float).

    scale: the scale of `matrix`: 'log' (log2: RMA as in GDSC, or log2(TPM+1) converted from TPM) or 'z' (z-scores
    across some cohort, as the bundle's CCLE layer; never to be mixed with log levels). input_scale: the scale of the
    file ('tpm', 'log' or 'z'). orientation: the file's layout ('genes_x_samples' or 'samples_x_genes').
    notes: how orientation and scale were decided.
    """

    matrix: pd.DataFrame
    scale: str
    input_scale: str
    orientation: str
    unknown_genes: tuple[str, ...]
    source_ids: dict[str, str]
    path: str
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    def standardise_to(self, reference: pd.DataFrame) -> ExpressionResult:
        """This expression as z-scores against `reference` (lines x genes); see the function `standardise_to`."""
        z, messages = _standardise(self.matrix, self.scale, reference)
        return replace(self, matrix=z, scale="z", warnings=self.warnings + tuple(messages))


def _detect_scale(values: pd.DataFrame, where: str) -> tuple[str, str]:
    """The scale of an expression matrix when it is unambiguous; otherwise a one-line error asking for --scale.

    Linear TPM/FPKM: some value above `_LINEAR_MAX` (50; log2 levels above 50 would be a 2^50-fold range). z-scores:
    negative values with the median within [-1, 1]. Non-negative values all at most 50 are refused: log2 levels
    (RMA 2-14, log2(TPM+1) 0-20) and TPM of a panel of modest genes look alike there, and reading TPM as log2 puts
    a sample at the extremes of every reference (a silently wrong prediction).
    """
    finite = values.to_numpy(dtype=float)
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        raise ChemoradError(f"{where}: no numeric values; expected expression levels")
    lo, hi, med = float(finite.min()), float(finite.max()), float(np.median(finite))
    summary = f"min {lo:.3g}, median {med:.3g}, max {hi:.3g}"
    if lo < 0:
        if hi <= _LINEAR_MAX and abs(med) <= 1.0:
            return "z", f"{where}: expression scale 'z' detected (negative values, median near 0: {summary})"
        raise ChemoradError(
            f"{where}: cannot tell the expression scale ({summary}: negative values but not centred); "
            "pass --scale tpm, --scale log or --scale z"
        )
    if hi > _LINEAR_MAX:
        return "tpm", (
            f"{where}: expression scale 'tpm' detected (max above {_LINEAR_MAX:g}: {summary}); converted to log2(TPM+1)"
        )
    raise ChemoradError(
        f"{where}: cannot tell the expression scale ({summary}: log2 levels and TPM below {_LINEAR_MAX:g} look alike); "
        "pass --scale log or --scale tpm"
    )


#: largest value each expression scale can hold: TPM sums to 1e6 per sample; log2(1e6 + 1) < 20; a z-score across n
#: samples is at most (n - 1) / sqrt(n), 100 for n = 10,000
_SCALE_LIMIT = {"tpm": 1e6, "log": 20.0, "z": 100.0}


def _check_plausible(values: pd.DataFrame, scale: str, where: str) -> None:
    """Refuse a value its scale cannot hold, naming the file, sample and gene."""
    arr = values.to_numpy(dtype=float)
    limit = _SCALE_LIMIT[scale]
    bad = np.abs(arr) > limit if scale == "z" else arr > limit
    if scale == "tpm":
        bad |= arr < 0
    if bad.any():
        r, c = np.argwhere(bad)[0]
        expected = {"tpm": "TPM in [0, 1e6]", "log": "log2 levels at most 20", "z": "z-scores within +-100"}[scale]
        raise ChemoradError(
            f"{where}: value {arr[r, c]:.6g} for sample {values.index[r]!r}, gene {values.columns[c]!r} is impossible "
            f"on the {scale} scale ({int(bad.sum())} such value(s)); expected {expected} (check the file or --scale)"
        )


def read_expression(
    path: str | os.PathLike[str],
    scale: Scale = "auto",
    orientation: Orientation = "auto",
    data: str | os.PathLike[str] | None = None,
) -> ExpressionResult:
    """Read an expression matrix (TSV, CSV or Parquet; separator from the extension, else sniffed).

    Orientation ('auto'): the axis with more gene symbols known to `known_genes(data)` (catalog + bundle expression
    columns) is the gene axis. In 'genes_x_samples' files the gene column is the first one named Hugo_Symbol,
    Gene Symbol, gene_symbol, symbol, gene_name or gene, else the first column; Entrez_Gene_Id, Locus ID, Cytoband and
    similar annotation columns are skipped. In 'samples_x_genes' files the first column holds sample ids.
    Scale: 'tpm' (linear TPM/FPKM, converted to log2(x+1)), 'log' (log2 levels, kept), 'z' (z-scores, kept and flagged);
    'auto' detects: negative values with median within [-1, 1] -> 'z'; max > 50 -> 'tpm'; anything else is
    ambiguous and refused (`_detect_scale`). Values a scale cannot hold (TPM above 1e6 or negative, log2 above 20,
    |z| above 100, infinities) are refused, naming the sample and gene.
    Errors: non-numeric cell (named by sample and gene), repeated sample id, no recognisable gene axis.
    Repeated genes are averaged with a warning; unknown genes are kept with a warning.
    """
    if scale not in ("auto", "tpm", "log", "z"):
        raise ChemoradError(f"--scale {scale}: expected auto, tpm, log or z")
    m = _read_matrix(path, known_genes(data), orientation, "gene")
    where = str(path)
    values = m.matrix
    if scale == "auto":
        scale, scale_note = _detect_scale(values, where)
    else:
        scale_note = f"{where}: expression scale {scale!r} (given with --scale)"
    _check_plausible(values, scale, where)
    if scale == "tpm":
        out, out_scale = np.log2(values + 1.0), "log"
    else:
        out, out_scale = values, scale
    return ExpressionResult(
        matrix=out,
        scale=out_scale,
        input_scale=scale,
        orientation=m.orientation,
        unknown_genes=m.unknown,
        source_ids=m.source_ids,
        path=where,
        notes=(f"orientation {m.orientation} ({m.note})", scale_note),
        warnings=m.warnings,
    )


def _standardise(values: pd.DataFrame, scale: str, reference: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    if scale == "z":
        return values.copy(), []
    if scale != "log":
        raise ChemoradError(f"--scale {scale}: expected log or z here (TPM is converted by read_expression first)")
    messages: list[str] = []
    shared = [g for g in values.columns if g in reference.columns]
    mean = reference[shared].mean(axis=0)
    sd = reference[shared].std(axis=0)
    usable = [g for g in shared if np.isfinite(sd[g]) and sd[g] > 0]
    dropped = len(values.columns) - len(usable)
    if dropped:
        _warn(messages, f"standardise_to: {dropped} gene(s) absent from the reference or constant there were dropped")
    z = (values[usable] - mean[usable]) / sd[usable]
    return z, messages


def standardise_to(values: pd.DataFrame, reference: pd.DataFrame, scale: str = "log") -> pd.DataFrame:
    """Map samples (samples x genes) onto `reference`'s per-gene distribution (reference lines x genes).

    scale 'log': z = (x - mean_ref) / sd_ref per gene (sd with ddof=1), for genes present and non-constant in the
    reference (others dropped with a warning). scale 'z': returned unchanged (already z-scores; a second
    standardisation would mix cohorts). Use the same platform for both (e.g. GDSC RMA for `load_expression`): a
    log2(TPM+1) sample z-scored against RMA levels carries the platform offset.
    """
    return _standardise(values, scale, reference)[0]


# --------------------------------------------------------------------------------------------------- copy number
@dataclass(frozen=True)
class CopyNumberResult:
    """Copy-number calls, samples x genes. calls: int8 -1 (raw <= -1, loss), 0, 1 (raw >= 1, gain), the bundle's
    convention (GDSC); raw: the GISTIC thresholded calls -2..2 as given (deep deletion -2, amplification 2);
    missing values are NaN in both (float)."""

    calls: pd.DataFrame
    raw: pd.DataFrame
    orientation: str
    unknown_genes: tuple[str, ...]
    source_ids: dict[str, str]
    path: str
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


def read_copy_number(
    path: str | os.PathLike[str],
    orientation: Orientation = "auto",
    data: str | os.PathLike[str] | None = None,
) -> CopyNumberResult:
    """Read GISTIC-style thresholded copy-number calls (-2, -1, 0, 1, 2), either orientation (as `read_expression`).

    E.g. GISTIC2 `all_thresholded.by_genes.txt` (Gene Symbol, Locus ID, Cytoband, one column per sample) or cBioPortal
    `data_CNA.txt` (Hugo_Symbol, Entrez_Gene_Id, samples). Values must be integers in -2..2 (empty/NA = missing);
    segment means or log2 ratios are rejected.
    """
    m = _read_matrix(path, known_genes(data), orientation, "gene")
    raw = m.matrix
    arr = raw.to_numpy()
    bad = np.isfinite(arr) & ((arr != np.round(arr)) | (np.abs(arr) > 2))
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise ChemoradError(
            f"{path}: value {arr[r, c]:g} for sample {raw.index[r]!r}, gene {raw.columns[c]!r}; expected GISTIC "
            "thresholded calls -2, -1, 0, 1, 2 (not segment means or log2 ratios)"
        )
    calls = raw.clip(lower=-1, upper=1)
    if not np.isnan(arr).any():
        calls, raw = calls.astype(np.int8), raw.astype(np.int8)
    return CopyNumberResult(
        calls=calls,
        raw=raw,
        orientation=m.orientation,
        unknown_genes=m.unknown,
        source_ids=m.source_ids,
        path=str(path),
        notes=(f"orientation {m.orientation} ({m.note})",),
        warnings=m.warnings,
    )


# --------------------------------------------------------------------------------------------------------- protein
@dataclass(frozen=True)
class ProteinResult:
    """RPPA protein levels, samples x antibodies (float; log2, median-centred as in CCLE), antibodies named as in
    `ccle_rppa.csv` (e.g. 'RAD51', 'Bcl-2', 'Ku80_Caution')."""

    matrix: pd.DataFrame
    orientation: str
    unknown_antibodies: tuple[str, ...]
    source_ids: dict[str, str]
    path: str
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


#: largest |log2 level| a median-centred RPPA value can hold here: the bundle's `ccle_rppa.csv` (626 lines x 214
#: antibodies) spans -5.3 to 8.7, and 20 log2 units is a millionfold change from the cohort median, beyond any assay
_PROTEIN_LIMIT = 20.0


def _check_protein(values: pd.DataFrame, where: str) -> None:
    """Refuse a protein level outside +-`_PROTEIN_LIMIT` (or infinite), naming the file, sample and antibody."""
    arr = values.to_numpy(dtype=float)
    bad = np.abs(np.nan_to_num(arr, nan=0.0)) > _PROTEIN_LIMIT  # infinities become the largest float: refused
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise ChemoradError(
            f"{where}: value {arr[r, c]:.6g} for sample {values.index[r]!r}, antibody {values.columns[c]!r} is "
            f"impossible for RPPA ({int(bad.sum())} such value(s)); expected log2 levels, median-centred, within "
            f"+-{_PROTEIN_LIMIT:g} (the bundle's span -5.3 to 8.7)"
        )


def read_protein(
    path: str | os.PathLike[str],
    orientation: Orientation = "auto",
    data: str | os.PathLike[str] | None = None,
) -> ProteinResult:
    """Read an RPPA matrix (samples x antibodies, or antibodies x samples; detected against `known_antibodies`).

    Antibody names must be spelled as in the bundle's `ccle_rppa.csv` (the `_Caution` suffix included); others are
    kept with a warning. `ccle_name`, `depmap_id`, `COSMIC_ID` and `tissue` columns are skipped.
    Values: log2, median-centred across a cohort (Li et al. 2017, Cancer Cell 31:225).
    """
    m = _read_matrix(path, known_antibodies(data), orientation, "antibody")
    _check_protein(m.matrix, str(path))
    return ProteinResult(
        matrix=m.matrix,
        orientation=m.orientation.replace("genes", "antibodies"),
        unknown_antibodies=m.unknown,
        source_ids=m.source_ids,
        path=str(path),
        notes=(f"orientation {m.orientation.replace('genes', 'antibodies')} ({m.note})",),
        warnings=m.warnings,
    )


# --------------------------------------------------------------------------------------------------------- tissues
def tissue_label(label: object) -> tuple[str | None, str | None, bool, str]:
    """(tissue, source vocabulary, known, note) for a tissue label from any source."""
    if label is None or (isinstance(label, float) and np.isnan(label)) or str(label).strip() == "":
        return None, None, False, "no tissue given"
    text = str(label).strip()
    for source in ("ccle", "gdsc"):
        try:
            mapped = harmonise_tissue(text, source)
        except KeyError:
            continue
        if mapped is not None:
            return mapped, source, True, ""
        if source == "gdsc":
            return text, "gdsc", False, "GDSC label spanning several sites"
    if text.upper() in TCGA_TISSUE:
        mapped = TCGA_TISSUE[text.upper()]
        if mapped is not None:
            return mapped, "tcga", True, ""
        return text, "tcga", False, "TCGA study spanning several sites"
    return text, None, False, "not in the tissue vocabulary"


def read_tissues(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a sample -> tissue table (CSV/TSV) and harmonise the tissue to `chemorad.bundle.names.TISSUES`.

    Columns: a sample id column (named sample, sample_id, Tumor_Sample_Barcode or cell_line; else the first column) and
    a column named `tissue` (any case; else the second of exactly two columns). Labels are tried as CCLE/Yard primary
    sites (`lung`, `LUNG`), GDSC labels (`lung_NSCLC_adenocarcinoma`, `glioma`) and TCGA studies (`LUAD`, `GBM`).
    Returns a DataFrame indexed by sample: `tissue` (harmonised, else as given), `tissue_given`, `source`
    ('ccle', 'gdsc', 'tcga' or None), `known` (bool) and `note`. An unknown tissue is kept with known=False and a
    warning: predictions are still made, without a tissue adjustment.
    """
    path, labels, body = _load_table(path)
    body.columns = labels
    lower = [lab.lower() for lab in labels]
    s_col = next((lab for lab in labels if lab in _SAMPLE_COLUMNS), labels[0])
    if "tissue" in lower:
        t_col = labels[lower.index("tissue")]
    elif len(labels) == 2:
        t_col = labels[1]
    else:
        raise ChemoradError(f"{path}: no column 'tissue'; expected columns sample, tissue (found {', '.join(labels)})")
    ids, source_ids = _sample_ids(body[s_col], str(path), f"column {s_col!r}")
    rows = [tissue_label(t) for t in body[t_col]]
    out = pd.DataFrame(
        {
            "tissue": [r[0] for r in rows],
            "tissue_given": body[t_col].to_numpy(dtype=object),
            "source": [r[1] for r in rows],
            "known": np.array([r[2] for r in rows], dtype=bool),
            "note": [r[3] for r in rows],
        },
        index=pd.Index(ids, name=SAMPLE, dtype=object),
    )
    unknown = out.loc[~out["known"]]
    if len(unknown):
        detail = "; ".join(
            f"{s}: {t!r} ({n})" for s, t, n in zip(unknown.index, unknown["tissue_given"], unknown["note"], strict=True)
        )
        warnings.warn(
            f"{path}: {len(unknown)} sample(s) without a harmonised tissue (kept as given; predictions are made "
            f"without a tissue adjustment): {detail}",
            ProfileWarning,
            stacklevel=2,
        )
    out.attrs["source_ids"] = source_ids
    out.attrs["path"] = str(path)
    return out


# --------------------------------------------------------------------------------------------------------- Profile
LAYERS = ("expression", "mutations", "copy_number", "protein", "tissue")


@dataclass
class Profile:
    """Per-sample molecular layers of one or more tumours or cell lines, in the bundle's shapes (samples x features).

    expression: float, scale `expression_scale` ('log': log2 levels, RMA or log2(TPM+1); 'z': z-scores).
    mutations: any non-silent call (int8 0/1, the analogue of GDSC mutation calls); mutations_lof and
    mutations_missense_or_inframe: the MAF classes (None when the source has no classes, e.g. the bundle).
    copy_number: -1/0/1 (loss, none, gain); copy_number_raw: GISTIC -2..2 when read from a GISTIC file.
    protein: RPPA, samples x antibodies. tissue: DataFrame indexed by sample (tissue, known, ...; see `read_tissues`).
    extra: further bundle layers named as in `evidence.scores` ('ccle_expression': z-scores; 'driver_mutation':
    GDSC `GENE_mut` features). sources: layer -> the file it came from (used in messages). warnings: what was reported
    while reading; notes: how orientation and scale were decided.
    """

    expression: pd.DataFrame | None = None
    expression_scale: str | None = None
    mutations: pd.DataFrame | None = None
    mutations_lof: pd.DataFrame | None = None
    mutations_missense_or_inframe: pd.DataFrame | None = None
    copy_number: pd.DataFrame | None = None
    copy_number_raw: pd.DataFrame | None = None
    protein: pd.DataFrame | None = None
    tissue: pd.DataFrame | None = None
    extra: dict[str, pd.DataFrame] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @classmethod
    def from_files(
        cls,
        expression: str | os.PathLike[str] | None = None,
        maf: str | os.PathLike[str] | None = None,
        copy_number: str | os.PathLike[str] | None = None,
        protein: str | os.PathLike[str] | None = None,
        tissues: str | os.PathLike[str] | None = None,
        scale: Scale = "auto",
        orientation: Orientation = "auto",
        data: str | os.PathLike[str] | None = None,
    ) -> Profile:
        """Read whichever files are given with the readers above, then `check_consistency()`."""
        prof = cls()
        if expression is not None:
            e = read_expression(expression, scale=scale, orientation=orientation, data=data)
            prof.expression, prof.expression_scale = e.matrix, e.scale
            prof.sources["expression"] = Path(expression).name
            prof.notes += list(e.notes)
            prof.warnings += list(e.warnings)
        if maf is not None:
            m = read_maf(maf, data=data)
            prof.mutations, prof.mutations_lof = m.any_nonsilent, m.loss_of_function
            prof.mutations_missense_or_inframe = m.missense_or_inframe
            prof.sources["mutations"] = Path(maf).name
            prof.warnings += list(m.warnings)
        if copy_number is not None:
            c = read_copy_number(copy_number, data=data)
            prof.copy_number, prof.copy_number_raw = c.calls, c.raw
            prof.sources["copy_number"] = Path(copy_number).name
            prof.notes += list(c.notes)
            prof.warnings += list(c.warnings)
        if protein is not None:
            p = read_protein(protein, data=data)
            prof.protein = p.matrix
            prof.sources["protein"] = Path(protein).name
            prof.notes += list(p.notes)
            prof.warnings += list(p.warnings)
        if tissues is not None:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", ProfileWarning)
                prof.tissue = read_tissues(tissues)
            for w in caught:
                _warn(prof.warnings, str(w.message))
            prof.sources["tissue"] = Path(tissues).name
        prof.check_consistency()
        return prof

    # -- views ---------------------------------------------------------------------------------------------------
    def layers(self) -> dict[str, pd.DataFrame]:
        """The present layers by name (LAYERS order, then `extra`); tissue is the tissue table."""
        out = {
            "expression": self.expression,
            "mutations": self.mutations,
            "copy_number": self.copy_number,
            "protein": self.protein,
            "tissue": self.tissue,
        }
        out.update(self.extra)
        return {k: v for k, v in out.items() if v is not None}

    @property
    def samples(self) -> list[str]:
        """Every sample id in any layer, sorted."""
        return sorted(set().union(*(set(v.index) for v in self.layers().values())))

    def coverage(self) -> pd.DataFrame:
        """Samples x present layers: True where the layer has the sample with at least one value; plus `n_layers`.

        For `tissue`, True means a harmonised tissue (known=True).
        """
        index = pd.Index(self.samples, name=SAMPLE, dtype=object)
        table = pd.DataFrame(index=index)
        for name, frame in self.layers().items():
            if name == "tissue":
                known = frame["known"] if "known" in frame.columns else frame["tissue"].notna()
                table[name] = known.reindex(index).fillna(False).astype(bool)
            else:
                has = frame.notna().any(axis=1)
                table[name] = has.reindex(index).fillna(False).astype(bool)
        table["n_layers"] = table.sum(axis=1).astype(int)
        return table

    def subset(self, samples: Iterable[str]) -> Profile:
        """A Profile with only `samples` (those absent from a layer are simply absent there)."""
        keep = list(samples)

        def cut(frame: pd.DataFrame | None) -> pd.DataFrame | None:
            return None if frame is None else frame.loc[frame.index.isin(keep)].copy()

        return replace(
            self,
            expression=cut(self.expression),
            mutations=cut(self.mutations),
            mutations_lof=cut(self.mutations_lof),
            mutations_missense_or_inframe=cut(self.mutations_missense_or_inframe),
            copy_number=cut(self.copy_number),
            copy_number_raw=cut(self.copy_number_raw),
            protein=cut(self.protein),
            tissue=cut(self.tissue),
            extra={k: cut(v) for k, v in self.extra.items()},
            sources=dict(self.sources),
            warnings=list(self.warnings),
            notes=list(self.notes),
        )

    def score_layers(self) -> dict[str, pd.DataFrame]:
        """The layers under the names `evidence.scores` uses: 'expression' (log levels), 'ccle_expression' (z),
        'protein', 'copy_number', 'mutation' (any non-silent), 'driver_mutation' (when present)."""
        out: dict[str, pd.DataFrame] = {}
        if self.expression is not None:
            out["expression" if self.expression_scale == "log" else "ccle_expression"] = self.expression
        for key, frame in self.extra.items():
            out.setdefault(key, frame)
        for key, frame in (("protein", self.protein), ("copy_number", self.copy_number), ("mutation", self.mutations)):
            if frame is not None:
                out[key] = frame
        return out

    # -- checks --------------------------------------------------------------------------------------------------
    def check_consistency(self) -> list[str]:
        """Compare sample ids between layers. No sample in every layer -> ChemoradError; otherwise each sample missing
        from a layer is a warning ("sample 'X' is in expression.tsv but not in mutations.maf"). Returns the warnings.
        """
        layers = self.layers()
        if not layers:
            raise ChemoradError("profile: no layer given; expected at least one of " + ", ".join(LAYERS))
        names = {k: self.sources.get(k, k) for k in layers}
        sets = {k: set(v.index) for k, v in layers.items()}
        messages: list[str] = []
        if len(sets) < 2:
            return messages
        common = set.intersection(*sets.values())
        if not common:
            desc = "; ".join(f"{names[k]} has {_listed(sorted(s), 3)}" for k, s in sets.items())
            hint = _id_hint(sets)
            raise ChemoradError(
                f"profile: no sample is in every file ({desc}); expected the same sample ids in every file{hint}"
            )
        groups: dict[tuple[str, str], list[str]] = {}
        for sample in sorted(set().union(*sets.values()) - common):
            have = ", ".join(dict.fromkeys(names[k] for k, s in sets.items() if sample in s))
            lack = ", ".join(dict.fromkeys(names[k] for k, s in sets.items() if sample not in s))
            groups.setdefault((have, lack), []).append(sample)
        for (have, lack), samples in groups.items():  # one line per pattern, not per sample
            who = f"sample {samples[0]!r}" if len(samples) == 1 else f"{len(samples)} samples ({_listed(samples)})"
            _warn(messages, f"{who} {'is' if len(samples) == 1 else 'are'} in {have} but not in {lack}")
        self.warnings += messages
        return messages


def _id_hint(sets: dict[str, set[str]]) -> str:
    """A hint when ids differ only in spelling (`NCI-H460` vs `NCIH460`)."""
    keyed = [{canonical_name(s): s for s in ids} for ids in sets.values()]
    common = set.intersection(*(set(k) for k in keyed))
    if not common:
        return ""
    key = sorted(common)[0]
    spellings = sorted({k[key] for k in keyed})
    return f"; ids may differ only in spelling, e.g. {' vs '.join(map(repr, spellings))}: rename them to match"


# ------------------------------------------------------------------------------------------------ bundle profiles
_PROFILE_FILES = ("expression", "mutations", "copy_number", "rppa", "ccle_expression", "genomic_features")
_TISSUE_FILES = ("cell_lines", "yard", "rppa", "genomic_features")


def _driver(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[[c for c in frame.columns if str(c).endswith("_mut")]]


def _as_samples(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.drop(columns=[c for c in ("source_name",) if c in frame.columns])
    out.index = out.index.rename(SAMPLE)
    return out


def read_profiles_dir(
    path: str | os.PathLike[str],
    reference: str | os.PathLike[str] | None = None,
) -> Profile:
    """A Profile from a directory laid out like the data bundle (same file names, any subset of the files).

    Read with the bundle's own loaders (`datasets.load_expression(data=path)` etc.; they do not verify checksums, so
    new files load). Layers: gdsc_expression.parquet -> expression ('log', RMA); gdsc_mutations.parquet -> mutations;
    gdsc_copy_number.parquet -> copy_number; ccle_rppa.csv -> protein; ccle_census_expression_z.csv ->
    extra['ccle_expression']; gdsc_genomic_features_v17.csv -> extra['driver_mutation']. Expression floor genes
    (`datasets.floor_genes`) are taken from the `reference` bundle (default: the usual bundle), not from the few
    lines here, whose standard deviation says nothing; without a reference bundle they are kept, with a warning.
    Tissue: majority of the CCLE name suffix, Yard `tissue` and GDSC `tissue_gdsc2` (else `tissue_gdsc1`, else
    `TISSUE_FACTOR`), as `datasets.cell_lines()` does. Loads are cached per directory (`datasets.clear_cache()` after
    changing files). Sample ids are canonical cell-line names.
    """
    root = ds.data_dir(path)
    present = {n for n in (*_PROFILE_FILES, *_TISSUE_FILES) if (root / ds.DATASETS[n].filename).is_file()}
    molecular = [n for n in _PROFILE_FILES if n in present]
    if not molecular:
        wanted = ", ".join(ds.DATASETS[n].filename for n in _PROFILE_FILES)
        raise ChemoradError(f"{root}: no profile file found; expected at least one of {wanted}")
    prof = Profile()
    fname = {n: ds.DATASETS[n].filename for n in ds.DATASETS}
    if "expression" in present:
        expr = ds.load_expression(data=root, drop_floor=False)
        try:
            floor = set(ds.floor_genes(reference))
        except ChemoradError:
            floor = None
            _warn(prof.warnings, f"{root}: no reference data bundle; floor-value expression genes kept")
        if floor:
            expr = expr.loc[:, ~expr.columns.isin(floor)]
        prof.expression, prof.expression_scale = _as_samples(expr), "log"
        prof.sources["expression"] = fname["expression"]
        prof.notes.append(f"{fname['expression']}: expression scale 'log' (the bundle layout: GDSC RMA log2 levels)")
    if "mutations" in present:
        prof.mutations = _as_samples(ds.load_mutations(data=root))
        prof.sources["mutations"] = fname["mutations"]
    if "copy_number" in present:
        prof.copy_number = _as_samples(ds.load_copy_number(data=root))
        prof.sources["copy_number"] = fname["copy_number"]
    if "rppa" in present:
        prof.protein = _as_samples(ds.load_rppa(data=root))
        prof.sources["protein"] = fname["rppa"]
    if "ccle_expression" in present:
        prof.extra["ccle_expression"] = _as_samples(ds.load_ccle_expression(data=root))
        prof.sources["ccle_expression"] = fname["ccle_expression"]
    if "genomic_features" in present:
        prof.extra["driver_mutation"] = _as_samples(_driver(ds.load_genomic_features(data=root)))
        prof.sources["driver_mutation"] = fname["genomic_features"]
    if present & set(_TISSUE_FILES):
        prof.tissue = _dir_tissue(root, present, prof.warnings)
        prof.sources["tissue"] = ", ".join(fname[n] for n in _TISSUE_FILES if n in present)
    prof.check_consistency()
    return prof


def _dir_tissue(root: Path, present: set[str], messages: list[str]) -> pd.DataFrame:  # noqa: C901 - one vote per annotation file, kept together for reading
    """Tissue per line from whichever annotation files are present (the vote of `datasets.cell_lines`)."""
    votes: dict[str, list[tuple[str, str]]] = {}
    given: dict[str, str] = {}

    def vote(line: str, source: str, label: object, vocabulary: str) -> None:
        votes.setdefault(line, [])
        if label is None or (isinstance(label, float) and np.isnan(label)):
            return
        given.setdefault(line, str(label))
        try:
            mapped = harmonise_tissue(label, vocabulary) if vocabulary != "ccle_name" else split_ccle_name(label)[1]
        except KeyError:
            return
        if mapped:
            votes[line].append((source, mapped))

    if "rppa" in present:
        raw = pd.read_csv(root / ds.DATASETS["rppa"].filename, usecols=["cell_line", "ccle_name"])
        for line, ccle in zip(raw["cell_line"], raw["ccle_name"], strict=True):
            vote(canonical_name(line), "ccle", ccle, "ccle_name")
    if "yard" in present:
        for line, t in ds.load_yard(data=root)["tissue_yard"].items():
            vote(line, "yard", t, "yard")
    if "cell_lines" in present:
        cl = ds.load_cell_lines(data=root)
        for col in ("tissue_gdsc2", "tissue_gdsc1"):
            for line, t in cl[col].items():
                vote(line, col, t, "gdsc")
    if "genomic_features" in present:
        for line, t in ds.load_genomic_features(data=root)["TISSUE_FACTOR"].items():
            vote(line, "TISSUE_FACTOR", t, "gdsc")
    rows = {}
    for line, v in votes.items():
        tissue, source, _ = ds._pick_tissue(v)  # the same rule as datasets.cell_lines()
        known = tissue is not None
        rows[line] = {
            "tissue": tissue if known else given.get(line),
            "tissue_given": given.get(line),
            "source": source,
            "known": known,
            "note": "" if known else "no harmonised tissue in the annotation files",
        }
    out = pd.DataFrame.from_dict(rows, orient="index", columns=["tissue", "tissue_given", "source", "known", "note"])
    out.index = pd.Index(out.index, name=SAMPLE, dtype=object)
    out = out.sort_index()
    out["known"] = out["known"].astype(bool)
    unknown = out.index[~out["known"]]
    if len(unknown):
        _warn(messages, f"{root}: {len(unknown)} line(s) without a harmonised tissue: {_listed(unknown)}")
    return out


def from_cell_line(name: str, data: str | os.PathLike[str] | None = None) -> Profile:
    """The Profile of a cell line of the data bundle (name in any spelling, via `names.canonical_name`).

    Layers as the bundle loaders return them: GDSC expression ('log', RMA, floor genes dropped), GDSC mutations and
    copy number, CCLE RPPA, CCLE RNA-seq z-scores (extra 'ccle_expression'), GDSC driver features (extra
    'driver_mutation'), and the tissue of `datasets.cell_lines()`. A layer that lacks the line is None.
    Unknown name -> ChemoradError with the closest known names.
    """
    lines = ds.cell_lines(data)
    key = canonical_name(name)
    if key not in lines.index:
        hint = closest(key, lines.index)
        tail = f"; closest: {', '.join(hint)}" if hint else ""
        raise ChemoradError(f"unknown cell line {name!r} (as {key!r}) in the data bundle{tail}")
    row = lines.loc[key]

    def one(flag: str, loader) -> pd.DataFrame | None:
        if not bool(row[f"in_{flag}"]):
            return None
        frame = loader()
        return _as_samples(frame.loc[[key]])

    prof = Profile()
    prof.expression = one("expression", lambda: ds.load_expression(data=data))
    prof.expression_scale = "log" if prof.expression is not None else None
    prof.mutations = one("mutations", lambda: ds.load_mutations(data=data))
    prof.copy_number = one("copy_number", lambda: ds.load_copy_number(data=data))
    prof.protein = one("rppa", lambda: ds.load_rppa(data=data))
    for extra, flag, loader in (
        ("ccle_expression", "ccle_expression", lambda: ds.load_ccle_expression(data=data)),
        ("driver_mutation", "genomic_features", lambda: _driver(ds.load_genomic_features(data=data))),
    ):
        frame = one(flag, loader)
        if frame is not None:
            prof.extra[extra] = frame
            prof.sources[extra] = ds.DATASETS[flag].filename
    for layer, flag in (
        ("expression", "expression"),
        ("mutations", "mutations"),
        ("copy_number", "copy_number"),
        ("protein", "rppa"),
    ):
        if getattr(prof, layer) is not None:
            prof.sources[layer] = ds.DATASETS[flag].filename
    known = isinstance(row["tissue"], str)
    prof.tissue = pd.DataFrame(
        {
            "tissue": [row["tissue"] if known else None],
            "tissue_given": [row["tissue"] if known else None],
            "source": [row["tissue_source"]],
            "known": [known],
            "note": [row["tissue_conflict"] if known else "no harmonised tissue in the bundle"],
        },
        index=pd.Index([key], name=SAMPLE, dtype=object),
    )
    prof.sources["tissue"] = "datasets.cell_lines()"
    if not known:
        _warn(prof.warnings, f"cell line {key!r}: no harmonised tissue in the bundle; predictions without tissue")
    return prof
