"""Tables every reader shares: loading (CSV/TSV/Parquet/GCT 1.2, separator from the extension or sniffed),
sample ids (TCGA barcodes cut to the sample level), orientation of a matrix, numeric checks, and warning messages."""

from __future__ import annotations

import csv
import gzip
import os
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from chemorad.errors import ChemoradError

Orientation = Literal["auto", "genes_x_samples", "samples_x_genes"]

SAMPLE = "sample"

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


def _load_parquet(path: Path) -> tuple[Path, list[str], pd.DataFrame]:
    """`_load_table` for a Parquet file: a named index becomes the first column; values keep their types."""
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


def _load_table(path: str | os.PathLike[str], allow_empty: bool = False) -> tuple[Path, list[str], pd.DataFrame]:
    """(path, header labels, body with positional columns 0..n-1) of a CSV/TSV/Parquet table; text read as strings.

    A header without rows is an error unless `allow_empty` (then the body has no rows)."""
    path = Path(path)
    if not path.is_file():
        raise ChemoradError(f"{path}: file not found")
    if _base_suffix(path) == ".parquet":
        return _load_parquet(path)
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
