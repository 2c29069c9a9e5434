"""The cell-line data bundle: where it is, what each file must contain, and one loader per file.

Every loader returns a pandas DataFrame indexed by the canonical cell-line name (`names.canonical_name`, index name
`cell_line`). Rows are never lost silently: rows without a name and repeated names are logged, and `dropped()` returns
the log; lines present in one file and not another are visible in `cell_lines()` (one `in_<dataset>` column per file)
and counted by `overlap()`. Loads are cached per data directory (`functools.lru_cache`); loaders return copies, so a
caller may modify what it gets.

Finding the data (`data_dir`): an explicit directory (the CLI's `--data DIR`), else the environment variable
`CHEMORAD_DATA`, else `../shared/data` relative to the current directory, else `../shared/data` beside the source
checkout when chemorad runs from one (never a path inside an installed package). The files are public; `DATASETS`
names the source and citation of each, and any output that uses them must cite them.

Checking the data: `REGISTRY` (file name -> `sha256:<digest>`, pooch's registry format) holds each file's checksum,
and `verify` compares it with `pooch.file_hash`; no network is used, the files are local. A file that cannot be parsed
(a corrupt or truncated Parquet file, a CSV cut off mid-row) is a `ChemoradError` naming the file, its SHA-256 and
whether that matches the registry, never a pyarrow traceback and never a silently shortened table.

Parsed tables are also cached on disk, keyed by the files' SHA-256 (`chemorad.bundle.cache`; disable with
`CHEMORAD_CACHE=off`), so a second process does not parse the bundle again.
"""

from __future__ import annotations

import csv
import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa

from chemorad.bundle.cache import cache_dir, cached, cached_rows, content_sha256
from chemorad.bundle.names import canonical_name, harmonise_tissue, split_ccle_name
from chemorad.errors import ChemoradError, closest

__all__ = [
    "DATASETS",
    "ENV_VAR",
    "REGISTRY",
    "FLOOR_SD",
    "DatasetSpec",
    "cached_frames",
    "cell_lines",
    "clear_cache",
    "data_dir",
    "dropped",
    "floor_genes",
    "load_cell_lines",
    "load_ccle_expression",
    "load_clonogenic",
    "load_copy_number",
    "load_ctrp",
    "load_ctrp_compounds",
    "load_expression",
    "load_genomic_features",
    "load_gdsc_response",
    "load_mutations",
    "load_radiogx",
    "load_rppa",
    "load_yard",
    "overlap",
    "response_matrix",
    "verify",
    "verify_all",
]

ENV_VAR = "CHEMORAD_DATA"
_NO_CACHE_ATTR = object()

#: GDSC expression columns with a standard deviation below this (RMA units) are floor values, not measurements:
#: in the bundle 385 genes sit at exactly sd 0.027 and the next lowest is 0.057.
FLOOR_SD = 0.04

_GDSC_URL = "https://www.cancerrxgene.org/downloads/bulk_download"
_GDSC_CITE = (
    "Yang et al. 2013, Nucleic Acids Res 41:D955; Iorio et al. 2016, Cell 166:740, doi:10.1016/j.cell.2016.06.017"
)
_YARD_CITE = "Yard et al. 2016, Nat Commun 7:11428, doi:10.1038/ncomms11428"


@dataclass(frozen=True)
class DatasetSpec:
    """One file of the bundle: its name, content, required columns, checksum and public source."""

    name: str
    filename: str
    description: str
    required_columns: tuple[str, ...]
    sha256: str
    source: str
    citation: str
    licence: str


# Terms of use of each source, with where they were read ("recalled" when not read this session).
_GDSC_TERMS = (
    "GDSC: 'Data are freely available without restriction' (Yang et al. 2013, Nucleic Acids Res 41:D955, abstract, "
    "PMC3531057); cite the GDSC papers"
)
_YARD_TERMS = (
    "Nature Communications open-access article and supplementary data, CC BY 4.0 (recalled, not read); cite Yard 2016"
)
_CTRP_TERMS = (
    "NCI CTD2 Network open-access data: 'Users must use data with discretion and acknowledge the CTD2 Network' "
    "(cancer.gov, Using CTD2 Data); cite Rees 2016 and Seashore-Ludlow 2015"
)
_RADIOGX_TERMS = (
    "fits of the Yard 2016 curves (CC BY 4.0, recalled) by the RadioGx package (GPL-3, Bioconda recipe); cite "
    "Manem 2019 and Yard 2016"
)
_DEPMAP_TERMS = (
    "DepMap/CCLE: 'distributed under the Creative Commons license (Attribution 4.0 International (CC BY 4.0))' "
    "(Bioconductor depmap package manual); cite the CCLE papers"
)

_SPECS = [
    DatasetSpec(
        "yard",
        "yard2016_radiation.csv",
        "radiation surviving fraction at 1-10 Gy and AUC (0-10 Gy), 9-day proliferation assay, 384 lines",
        (
            "cell_line",
            "sf_1gy",
            "sf_2gy",
            "sf_3gy",
            "sf_4gy",
            "sf_5gy",
            "sf_6gy",
            "sf_8gy",
            "sf_10gy",
            "auc_yard",
            "tissue",
            "histology",
            "subhistology",
        ),
        "675f4b18afb5004ad85e47d5601a2605e98c42c4c28215e2e3b2d79caa44735d",
        "Supplementary Data of doi:10.1038/ncomms11428; also the 'Cleveland' RadioSet of RadioGx (orcestra.ca)",
        _YARD_CITE,
        _YARD_TERMS,
    ),
    DatasetSpec(
        "radiogx",
        "radiogx_lq_fits.csv",
        "RadioGx linear-quadratic fits of the Yard curves (alpha Gy^-1, beta Gy^-2, auc_lq Gy, r_squared), 358 lines",
        ("cell_line", "auc_yard", "alpha", "beta", "auc_lq", "r_squared"),
        "ea82384f513f43fe64e66b86ab08517169e0f4a2a1ac24499b372c34181d9892",
        "RadioGx (Bioconductor, https://bioconductor.org/packages/RadioGx), 'Cleveland' RadioSet",
        "Manem et al. 2019, Cancer Res 79:6227, doi:10.1158/0008-5472.CAN-19-0179",
        _RADIOGX_TERMS,
    ),
    DatasetSpec(
        "clonogenic",
        "yard2016_clonogenic_vs_proliferative.csv",
        "15 lines measured by clonogenic and 9-day proliferation assays (metric: auc, sf2, sf4, sf6, sf8)",
        ("cell_line", "metric", "clonogenic", "proliferative"),
        "c5c2fb7bf38e1072149151f8b6736989324d3f0344d15fa43db7aa6c85fb4fbe",
        "Supplementary Data of doi:10.1038/ncomms11428",
        _YARD_CITE,
        _YARD_TERMS,
    ),
    DatasetSpec(
        "gdsc1",
        "gdsc1_response.parquet",
        "GDSC1 drug response, long: ln_ic50 (ln of IC50 in uM), auc (fraction of tested range; higher = resistant)",
        ("cell_line", "drug", "ln_ic50", "auc"),
        "afdc630d975d5b816a21b5dbc9cf2f4b62560897786a78c6f85e0fee1de4b350",
        f"{_GDSC_URL} (GDSC1_fitted_dose_response)",
        _GDSC_CITE,
        _GDSC_TERMS,
    ),
    DatasetSpec(
        "gdsc2",
        "gdsc2_response.parquet",
        "GDSC2 drug response, long: ln_ic50 (ln of IC50 in uM), auc (fraction of tested range; higher = resistant)",
        ("cell_line", "drug", "ln_ic50", "auc"),
        "db734d29d27720f684c2f6a52e1672ecc333a541c71a22796966d19b9a3aa094",
        f"{_GDSC_URL} (GDSC2_fitted_dose_response)",
        _GDSC_CITE,
        _GDSC_TERMS,
    ),
    DatasetSpec(
        "ctrp",
        "ctrpv2_auc.parquet",
        "CTRP v2 published area under the dose-response curve, long (cell_line, compound, auc), 545 compounds",
        ("cell_line", "compound", "auc"),
        "12acd872e0010fae2bb43ea12e4feba612eae531664e2ca2f8d82d95dab657c2",
        "https://ctd2-data.nci.nih.gov/Public/Broad/CTRPv2.0_2015_ctd2_ExpandedDataset/",
        "Rees et al. 2016, Nat Chem Biol 12:109; Seashore-Ludlow et al. 2015, Cancer Discov 5:1210",
        _CTRP_TERMS,
    ),
    DatasetSpec(
        "ctrp_compounds",
        "ctrpv2_compounds.csv",
        "CTRP v2 compounds: targets, description, pharmacological class aligned to GDSC",
        ("compound", "targets", "description", "class"),
        "90354c055d3fd63e9c94082c914db6fabe79409a7031e1114b250225d692ba9d",
        "https://ctd2-data.nci.nih.gov/Public/Broad/CTRPv2.0_2015_ctd2_ExpandedDataset/",
        "Rees et al. 2016, Nat Chem Biol 12:109; Seashore-Ludlow et al. 2015, Cancer Discov 5:1210",
        _CTRP_TERMS,
    ),
    DatasetSpec(
        "expression",
        "gdsc_expression.parquet",
        "GDSC baseline expression (RMA, scaled), lines x 6,163 genes; ~385 genes are floor values (see FLOOR_SD)",
        ("cell_line", "TP53", "ABCB1"),
        "083cdac84f41b08019777c90eab9e38d097e46aa937164f73f36962800034a7a",
        f"{_GDSC_URL} (Cell_line_RMA_proc_basalExp); https://www.cancerrxgene.org/gdsc1000/",
        _GDSC_CITE,
        _GDSC_TERMS,
    ),
    DatasetSpec(
        "mutations",
        "gdsc_mutations.parquet",
        "GDSC mutation calls (0/1), lines x 6,163 genes; deletions are not mutation calls",
        ("cell_line", "TP53"),
        "ae61bcd232151a4b39687f3d038fbbfd5f5a74b291b359b7af53cdbe3897d792",
        "https://www.cancerrxgene.org/gdsc1000/ (WES variants)",
        _GDSC_CITE,
        _GDSC_TERMS,
    ),
    DatasetSpec(
        "copy_number",
        "gdsc_copy_number.parquet",
        "GDSC copy-number calls (-1 loss, 0, 1 gain), lines x 6,163 genes",
        ("cell_line", "TP53"),
        "6b87d25e6097a78c1bb07e0a41f69787262a31c1be1d2fb452b93b3be672c818",
        "https://www.cancerrxgene.org/gdsc1000/ (copy number)",
        _GDSC_CITE,
        _GDSC_TERMS,
    ),
    DatasetSpec(
        "genomic_features",
        "gdsc_genomic_features_v17.csv",
        "GDSC binary genomic features (driver mutations, recurrent CNA regions), TISSUE_FACTOR, MSI_FACTOR",
        ("cell_line", "COSMIC_ID", "TISSUE_FACTOR", "MSI_FACTOR", "TP53_mut"),
        "7429de8400c0528247fe271ba24bcfda50cca1de3db062f24fc40d73db686962",
        "gdsctools package data, https://github.com/CancerRxGene/gdsctools (genomic_features v17)",
        _GDSC_CITE,
        _GDSC_TERMS,
    ),
    DatasetSpec(
        "cell_lines",
        "gdsc_cell_lines.csv",
        "GDSC cell-line annotation: COSMIC id, data types, tissue_gdsc1/tissue_gdsc2, TCGA label, MMR (MSI) status",
        ("cell_line", "COSMIC_ID", "tissue_gdsc1", "tissue_gdsc2", "TCGA", "MMR"),
        "995d854a5ccb5fb07baf2f17917bd9d6cbe5d074377c6a55c91cb04a672416c5",
        f"{_GDSC_URL} (Cell_Lines_Details.xlsx)",
        _GDSC_CITE,
        _GDSC_TERMS,
    ),
    DatasetSpec(
        "rppa",
        "ccle_rppa.csv",
        "CCLE reverse-phase protein array, log2 median-centred, lines x 214 antibodies (_Caution = less validated)",
        ("cell_line", "ccle_name", "depmap_id"),
        "581e51acec6b50cc781a9cdd5efa2fc3c4e02833218c4a947fe46ba569fb0b21",
        "https://depmap.org/portal/download (CCLE_RPPA)",
        "Li et al. 2017, Cancer Cell 31:225, doi:10.1016/j.ccell.2017.01.005; Ghandi et al. 2019, Nature 569:503",
        _DEPMAP_TERMS,
    ),
    DatasetSpec(
        "ccle_expression",
        "ccle_census_expression_z.csv",
        "DepMap RNA-seq expression of Cancer Gene Census genes, log2(TPM+1) z-scored across lines, 706 genes",
        ("cell_line", "depmap_id"),
        "66e408e21e21bf0a8b1a15d246f3c0b50af044efb3da5510561e28f8a5595531",
        "https://depmap.org/portal/download (CCLE_expression)",
        "Ghandi et al. 2019, Nature 569:503, doi:10.1038/s41586-019-1186-3",
        _DEPMAP_TERMS,
    ),
]

#: the registry: dataset name -> DatasetSpec
DATASETS: dict[str, DatasetSpec] = {s.name: s for s in _SPECS}

#: pooch-style registry: file name -> "sha256:<hex digest>"
REGISTRY: dict[str, str] = {s.filename: f"sha256:{s.sha256}" for s in _SPECS}

#: files whose rows are one cell line each (the others are long: one row per line x drug)
_WIDE = (
    "yard",
    "radiogx",
    "expression",
    "mutations",
    "copy_number",
    "genomic_features",
    "cell_lines",
    "rppa",
    "ccle_expression",
)
_LONG = ("gdsc1", "gdsc2", "ctrp")


# ----------------------------------------------------------------------------------------------- locating the data
class _Source(NamedTuple):
    """The key of every in-memory cache below: the data folder and the parse-cache folder used for it."""

    path: Path
    cache: Path | None


def _checkout() -> Path | None:
    """The source checkout this module runs from (src/chemorad/bundle -> checkout), or None in an installed package."""
    checkout = Path(__file__).resolve().parents[3]
    if (checkout / "pyproject.toml").is_file() and (checkout / "src" / "chemorad").is_dir():
        return checkout
    return None


def repository_data() -> Path | None:
    """The development bundle committed with the source (`data/` at the top of the checkout), or None without one.

    An installed wheel carries no data (the bundle is about 50 MB): run from a clone, or pass --data / $CHEMORAD_DATA.
    """
    checkout = _checkout()
    return checkout / "data" if checkout is not None else None


def _default_candidates() -> list[tuple[Path, str]]:
    """Where the bundle is looked for without --data or $CHEMORAD_DATA, in order, each with why it is a candidate:
    ../shared/data from the current directory, then beside the source checkout, then the checkout's own `data/`."""
    found = [(Path.cwd() / ".." / "shared" / "data", "../shared/data from the current directory")]
    checkout = _checkout()
    if checkout is not None:
        found.append((checkout.parent / "shared" / "data", "../shared/data beside the source checkout"))
        found.append((checkout / "data", "the repository's data/ folder"))
    return found


def locate(explicit: str | os.PathLike[str] | None = None) -> tuple[Path, str]:
    """(data folder, the rule that found it): `explicit` (`--data DIR`), else $CHEMORAD_DATA, else the defaults.

    The defaults (`_default_candidates`) put a shared folder beside the checkout before the repository's copy, so a
    shared bundle with optional sets (PIDE) wins; the repository's `data/` is what a fresh clone relies on.
    """
    if explicit is not None:
        path = Path(explicit).expanduser()
        if not path.is_dir():
            raise ChemoradError(
                f"--data {str(explicit)!r}: not a directory; expected the chemorad cell-line data bundle"
            )
        return path.resolve(), "--data"
    env = os.environ.get(ENV_VAR)
    if env:
        path = Path(env).expanduser()
        if not path.is_dir():
            raise ChemoradError(f"${ENV_VAR}={env!r}: not a directory; expected the chemorad cell-line data bundle")
        return path.resolve(), f"${ENV_VAR}"
    candidates = _default_candidates()
    for path, why in candidates:
        if path.is_dir():
            return path.resolve(), why
    tried = ", ".join(str(p.resolve()) for p, _ in candidates)
    raise ChemoradError(
        f"cell-line data not found: no --data DIR, ${ENV_VAR} unset, and no folder at {tried}; an installed package "
        "carries no data: clone the repository (its data/ folder holds the bundle) or get the public files listed by "
        "`chemorad data` (GDSC: cancerrxgene.org, CTRP: ctd2-data.nci.nih.gov, CCLE: depmap.org, Yard 2016: "
        "doi:10.1038/ncomms11428) and pass --data DIR or set $CHEMORAD_DATA"
    )


def data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The data directory: `explicit` (`--data DIR`), else $CHEMORAD_DATA, else the defaults (`locate`)."""
    return locate(explicit)[0]


def _spec(name: str) -> DatasetSpec:
    if name not in DATASETS:
        hint = closest(name, DATASETS)
        tail = f"; closest: {', '.join(hint)}" if hint else ""
        raise ChemoradError(f"unknown dataset {name!r}; expected one of {', '.join(DATASETS)}{tail}")
    return DATASETS[name]


def _path(name: str, src: _Source) -> Path:
    spec = _spec(name)
    path = src.path / spec.filename
    if not path.is_file():
        raise ChemoradError(f"{path}: file missing; expected {spec.description} (source: {spec.source})")
    return path


def verify(name: str, data: str | os.PathLike[str] | None = None) -> str:
    """SHA-256 of dataset `name`'s file; raises ChemoradError if it differs from `REGISTRY`. Returns the digest."""
    spec = _spec(name)
    path = _path(name, _resolve(data))
    found = content_sha256(path)
    if f"sha256:{found}" != REGISTRY[spec.filename]:
        raise ChemoradError(f"{path}: SHA-256 {found} differs from the expected {spec.sha256}; the file was changed")
    return found


def verify_all(data: str | os.PathLike[str] | None = None) -> list[dict]:
    """One record per registered file: dataset, file, present, sha256 (found, or None), expected, ok.

    Every file is hashed again (`content_sha256`), never taken from a size/modification-time memo.
    """
    directory = _resolve(data).path
    out = []
    for name, spec in DATASETS.items():
        path = directory / spec.filename
        found = content_sha256(path) if path.is_file() else None
        out.append(
            {
                "dataset": name,
                "file": spec.filename,
                "present": found is not None,
                "sha256": found,
                "expected": spec.sha256,
                "ok": found == spec.sha256,
            }
        )
    return out


def clear_cache() -> None:
    """Forget every cached load (e.g. after the files in a data directory changed)."""
    for fn in (_read_names, _read_wide, _read_long, _read_table, _cell_lines, _expression_sd):
        fn.cache_clear()
    _ROWS_READ.clear()


# ------------------------------------------------------------------------------------------------------- reading
def _unreadable(path: Path, exc: BaseException) -> ChemoradError:
    """A one-line error for a bundle file the parser rejects, with its checksum against the registry."""
    kind = "Parquet" if path.suffix == ".parquet" else "CSV"
    detail = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
    expected = REGISTRY.get(path.name, "").removeprefix("sha256:")
    try:
        found = content_sha256(path)
    except OSError:
        found = "unreadable"
    if not expected:
        check = f"SHA-256 {found}"
    elif found == expected:
        check = f"SHA-256 {found} matches the registry"
    else:
        check = f"SHA-256 {found} differs from the registry's {expected}: the file is corrupt or truncated"
    return ChemoradError(f"{path}: cannot be read as {kind} ({detail}); {check}; restore it from its source")


def _guarded(path: Path, read):
    try:
        return read()
    except ChemoradError:
        raise
    except (pa.ArrowException, OSError, ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise _unreadable(path, exc) from None


def _columns(path: Path) -> list[str]:
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq  # here: 18 ms of import that a prediction from the parse cache never needs

        return _guarded(path, lambda: list(pq.read_schema(path).names))
    return _guarded(path, lambda: list(pd.read_csv(path, nrows=0).columns))


def _read(path: Path, columns: list[str] | None = None) -> pd.DataFrame:
    if path.suffix == ".parquet":
        return _guarded(path, lambda: pd.read_parquet(path, columns=columns))
    stat = path.stat()
    _check_rows(str(path), stat.st_size, stat.st_mtime_ns)
    return _guarded(path, lambda: pd.read_csv(path, usecols=columns))


@functools.lru_cache(maxsize=32)
def _check_rows(path: str, size: int, mtime_ns: int) -> None:
    """Refuse a CSV with rows of the wrong width (e.g. cut off mid-row): pandas would pad them with NaN silently."""
    bad: list[tuple[int, int]] = []
    with open(path, newline="", encoding="utf-8", errors="replace") as handle:
        reader = csv.reader(handle)
        width = len(next(reader, []))
        for row in reader:
            if row and len(row) != width:
                bad.append((reader.line_num, len(row)))
    if bad:
        where = ", ".join(f"line {line} has {n}" for line, n in bad[:5]) + (" ..." if len(bad) > 5 else "")
        raise ChemoradError(
            f"{path}: {len(bad)} row(s) do not have the header's {width} fields ({where}); the file looks truncated or "
            "damaged: restore it from its source (`chemorad evidence data --verify` checks every file)"
        )


def _check_columns(name: str, path: Path, present: list[str], wanted: tuple[str, ...] | list[str]) -> None:
    missing = [c for c in wanted if c not in present]
    if missing:
        raise ChemoradError(f"{path}: missing column(s) {', '.join(missing)}; expected {_spec(name).description}")


@functools.lru_cache(maxsize=64)
def _read_names(name: str, src: _Source) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-row raw and canonical names of a file, and its log of dropped/duplicated rows (cached on disk)."""
    return cached("names", (name,), [_path(name, src)], lambda: _parse_names(name, src), folder=src.cache)


def _parse_names(name: str, src: _Source) -> tuple[pd.DataFrame, pd.DataFrame]:
    spec = _spec(name)
    path = _path(name, src)
    present = _columns(path)
    _check_columns(name, path, present, spec.required_columns)
    cols = ["cell_line"] + (["ccle_name"] if "ccle_name" in present else [])
    raw = _read(path, cols)
    if name in _LONG:
        raw = raw.drop_duplicates("cell_line")
    names = pd.DataFrame({"source_name": raw["cell_line"].astype(object).to_numpy()})
    if "ccle_name" in raw:
        names["ccle_name"] = raw["ccle_name"].astype(object).to_numpy()
    missing = names["source_name"].isna() | (names["source_name"].astype(str).str.strip() == "")
    names["cell_line"] = [None if m else canonical_name(s) for s, m in zip(names["source_name"], missing, strict=True)]
    log = []
    if missing.any():
        log.append(
            {
                "dataset": name,
                "source_name": None,
                "cell_line": None,
                "reason": "no cell-line name",
                "rows": int(missing.sum()),
            }
        )
    dup = names["cell_line"].notna() & names["cell_line"].duplicated(keep="first")
    for idx in np.flatnonzero(dup.to_numpy()):
        log.append(
            {
                "dataset": name,
                "source_name": names.at[idx, "source_name"],
                "cell_line": names.at[idx, "cell_line"],
                "reason": "repeated cell-line name; first row kept",
                "rows": 1,
            }
        )
    names["keep"] = ~missing & ~dup
    return names, pd.DataFrame(log, columns=["dataset", "source_name", "cell_line", "reason", "rows"])


def _index_rows(name: str, src: _Source, frame: pd.DataFrame) -> pd.DataFrame:
    names, _ = _read_names(name, src)
    keep = names["keep"].to_numpy()
    out = frame.loc[keep].copy()
    out.index = pd.Index(names.loc[keep, "cell_line"].to_numpy(), name="cell_line", dtype=object)
    return out


@functools.lru_cache(maxsize=32)
def _read_wide(name: str, src: _Source, columns: tuple[str, ...] | None) -> pd.DataFrame:
    if columns is not None:  # a few columns of a Parquet matrix are quick to read; not worth a cache entry each
        return _parse_wide(name, src, columns)
    return cached("wide", (name,), [_path(name, src)], lambda: _parse_wide(name, src, None), folder=src.cache)


def _parse_wide(name: str, src: _Source, columns: tuple[str, ...] | None) -> pd.DataFrame:
    path = _path(name, src)
    present = _columns(path)
    if columns is not None:
        unknown = [c for c in columns if c not in present]
        if unknown:
            hint = closest(unknown[0], present)
            tail = f"; closest: {', '.join(hint)}" if hint else ""
            raise ChemoradError(f"{path}: no column {unknown[0]!r}{tail}")
        frame = _read(path, ["cell_line", *[c for c in columns if c != "cell_line"]])
    else:
        frame = _read(path)
    return _index_rows(name, src, frame.drop(columns=["cell_line"]))


@functools.lru_cache(maxsize=8)
def _read_long(name: str, src: _Source) -> pd.DataFrame:
    return cached("long", (name,), [_path(name, src)], lambda: _parse_long(name, src), folder=src.cache)


def _parse_long(name: str, src: _Source) -> pd.DataFrame:
    path = _path(name, src)
    frame = _read(path, list(_spec(name).required_columns))
    missing = frame["cell_line"].isna()
    frame = frame.loc[~missing]
    canon = {s: canonical_name(s) for s in frame["cell_line"].unique()}
    out = frame.drop(columns=["cell_line"]).copy()
    out.index = pd.Index(frame["cell_line"].map(canon).to_numpy(), name="cell_line", dtype=object)
    out.insert(0, "source_name", frame["cell_line"].astype(object).to_numpy())
    for col in out.columns:
        if isinstance(out[col].dtype, pd.StringDtype):
            out[col] = out[col].astype(object)
    return out


@functools.lru_cache(maxsize=8)
def _read_table(name: str, src: _Source) -> pd.DataFrame:
    path = _path(name, src)
    return _read(path)


def _resolve(data: str | os.PathLike[str] | None) -> _Source:
    """The data folder and parse-cache folder of `data`: a `Bundle` carries both (duck-typed: this module sits below
    `chemorad.bundle.core`); a path or None resolves the folder (`data_dir`) and takes the default cache folder."""
    cache = getattr(data, "cache_dir", _NO_CACHE_ATTR)
    if cache is not _NO_CACHE_ATTR and isinstance(data, os.PathLike):
        return _Source(Path(os.fspath(data)), cache)
    return _Source(data_dir(data), cache_dir())


def _as_columns(genes: str | list[str] | tuple[str, ...] | None) -> tuple[str, ...] | None:
    if genes is None:
        return None
    if isinstance(genes, str):
        return (genes,)
    return tuple(dict.fromkeys(genes))


# ------------------------------------------------------------------------------------------------------- loaders
def load_yard(data: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Yard 2016 radiation survival: `sf_<d>gy` (fraction, 9-day proliferation; may exceed 1), `auc_yard` (Gy).

    Adds `source_name` (the name as published), `tissue` harmonised to `names.TISSUES` and `tissue_yard` (as published).
    Source: Yard et al. 2016, Nat Commun 7:11428.
    """
    src = _resolve(data)
    frame = _read_wide("yard", src, None).copy()
    names, _ = _read_names("yard", src)
    frame.insert(0, "source_name", names.loc[names["keep"], "source_name"].to_numpy())
    frame = frame.rename(columns={"tissue": "tissue_yard"})
    frame.insert(1, "tissue", [harmonise_tissue(t, "yard") for t in frame["tissue_yard"]])
    return frame


def load_radiogx(data: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """RadioGx LQ fits of the Yard curves: alpha (Gy^-1), beta (Gy^-2), auc_lq (Gy, 0-10 Gy), r_squared.

    Source: Manem et al. 2019, Cancer Res 79:6227 (RadioGx).
    """
    src = _resolve(data)
    frame = _read_wide("radiogx", src, None).copy()
    names, _ = _read_names("radiogx", src)
    frame.insert(0, "source_name", names.loc[names["keep"], "source_name"].to_numpy())
    return frame


def load_clonogenic(data: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Yard 2016 clonogenic vs 9-day proliferation metrics, long (one row per line x metric), indexed by line."""
    src = _resolve(data)
    path = _path("clonogenic", src)
    frame = _read_table("clonogenic", src)
    _check_columns("clonogenic", path, list(frame.columns), DATASETS["clonogenic"].required_columns)
    out = frame.drop(columns=["cell_line"]).copy()
    out.index = pd.Index([canonical_name(s) for s in frame["cell_line"]], name="cell_line", dtype=object)
    out.insert(0, "source_name", frame["cell_line"].to_numpy())
    return out


def load_gdsc_response(release: str | int, data: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """GDSC drug response, long: `drug`, `ln_ic50` (ln of IC50 in uM), `auc` (fraction of tested range).

    `release` is 'gdsc1' or 'gdsc2' (or 1, 2). The releases are kept apart on purpose (they disagree in part).
    Repeated (line, drug) rows are kept as published (GDSC1 screens some drugs twice under one name); use
    `response_matrix` to average them. Source: Yang et al. 2013; Iorio et al. 2016 (cancerrxgene.org).
    """
    key = str(release).lower().removeprefix("gdsc")
    if key not in ("1", "2"):
        raise ChemoradError(f"release {release!r}: expected 'gdsc1' or 'gdsc2'")
    return _read_long(f"gdsc{key}", _resolve(data)).copy()


def load_ctrp(data: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """CTRP v2 published AUC, long: `compound`, `auc`. Source: Rees et al. 2016; Seashore-Ludlow et al. 2015."""
    return _read_long("ctrp", _resolve(data)).copy()


def load_ctrp_compounds(data: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """CTRP v2 compound annotation indexed by compound: targets, description, class (aligned to GDSC)."""
    src = _resolve(data)
    path = _path("ctrp_compounds", src)
    frame = _read_table("ctrp_compounds", src)
    _check_columns("ctrp_compounds", path, list(frame.columns), DATASETS["ctrp_compounds"].required_columns)
    return frame.set_index("compound").copy()


def response_matrix(long: pd.DataFrame, value: str = "auc", column: str | None = None) -> pd.DataFrame:
    """Lines x drugs matrix of `value` from a long response table; repeated (line, drug) rows are averaged.

    `column` is the drug column ('drug' for GDSC, 'compound' for CTRP; detected when None).
    """
    if column is None:
        column = "drug" if "drug" in long.columns else "compound"
    for col in (column, value):
        if col not in long.columns:
            raise ChemoradError(
                f"response table: no column {col!r}; expected one of {', '.join(map(str, long.columns))}"
            )
    frame = pd.DataFrame(
        {
            "cell_line": long.index.to_numpy(),
            "drug": long[column].to_numpy(),
            "value": long[value].to_numpy(dtype=float),
        }
    )
    wide = frame.pivot_table(index="cell_line", columns="drug", values="value", aggfunc="mean", dropna=False)
    wide.columns.name = column
    return wide


def _matrix(name: str, genes, data, lines=None) -> pd.DataFrame:
    src = _resolve(data)
    if lines is None:
        return _read_wide(name, src, _as_columns(genes)).copy()
    if genes is None:
        return _rows(name, src, lines)
    return _read_wide(name, src, _as_columns(genes)).loc[list(lines)]


#: (table, source) whose rows were read once already in this process (`_rows`)
_ROWS_READ: set[tuple[str, _Source]] = set()


def _rows(name: str, src: _Source, lines) -> pd.DataFrame:
    """`_read_wide(name, src, None).loc[lines]`. The first time in a process: from the parse cache's entry of the whole
    table, without converting its other rows (`cache.cached_rows`; the table is parsed and stored when there is no
    entry yet). From the second time on (a process asking for line after line), the whole table is loaded once and
    kept like every load, so many lines cost one read, not one per line."""
    labels = list(lines)
    if src.cache is None or (name, src) in _ROWS_READ:
        return _read_wide(name, src, None).loc[labels]
    _ROWS_READ.add((name, src))
    whole = functools.partial(_read_wide, name, src, None)
    return cached_rows("wide", (name,), [_path(name, src)], labels, whole, folder=src.cache)


def cached_frames(kind: str, args: tuple, data, compute, check=None):
    """`compute()` (a DataFrame or a tuple of them: a table derived from the whole bundle) cached on disk in `data`'s
    parse-cache folder (`cache.cached`), keyed by `kind`, `args` and the SHA-256 of every file `cell_lines()` reads
    (every wide and long table of the bundle); `check` vets a stored value (one it refuses is computed again)."""
    src = _resolve(data)
    files = [_path(n, src) for n in (*_WIDE, *_LONG)]
    return cached(kind, args, files, compute, folder=src.cache, check=check)


@functools.lru_cache(maxsize=4)
def _expression_sd(src: _Source) -> pd.Series:
    """Standard deviation over lines (pandas `std`, ddof 1) of every column of the whole GDSC expression matrix,
    computed on the matrix `load_expression` reads (a copy of the parsed table, as before), once per file content:
    cached on disk beside the parsed matrix (`cache.cached`, keyed by the file's SHA-256), so the floor mask costs a
    read of 6,163 numbers instead of a pass over the 679 x 6,163 matrix in every process."""

    def compute() -> pd.DataFrame:
        return _read_wide("expression", src, None).copy().std(axis=0).to_frame("sd")

    return cached("wide-sd", ("expression",), [_path("expression", src)], compute, folder=src.cache)["sd"]


def floor_genes(data: str | os.PathLike[str] | None = None) -> list[str]:
    """GDSC expression columns whose standard deviation over lines is below `FLOOR_SD` (floor values, not data)."""
    sd = _expression_sd(_resolve(data))
    return sorted(sd.index[sd < FLOOR_SD])


def load_expression(
    genes: str | list[str] | tuple[str, ...] | None = None,
    data: str | os.PathLike[str] | None = None,
    drop_floor: bool = True,
    *,
    lines: list[str] | None = None,
) -> pd.DataFrame:
    """GDSC baseline expression (RMA, scaled; float32), lines x genes; only `genes` are read when given, only the
    rows of `lines` (canonical names, all in the table) when given.

    With `drop_floor`, columns with sd < FLOOR_SD over all lines are removed (385 genes in the bundle, e.g. CDKN1A,
    DHFR, TUBB3): they are floor values of genes missing in the source. `floor_genes()` lists them.
    Source: GDSC1000 (Iorio et al. 2016).
    """
    src = _resolve(data)
    columns = _as_columns(genes)
    if columns is None and drop_floor:  # the whole matrix: its per-column sd is cached (`_expression_sd`)
        frame = _read_wide("expression", src, None) if lines is None else _rows("expression", src, lines)
        return frame.loc[:, _expression_sd(src) >= FLOOR_SD]
    frame = _read_wide("expression", src, columns).copy()
    if drop_floor:
        sd = frame.std(axis=0)
        frame = frame.loc[:, sd >= FLOOR_SD]
    return frame if lines is None else frame.loc[list(lines)]


def load_mutations(genes=None, data: str | os.PathLike[str] | None = None, *, lines=None) -> pd.DataFrame:
    """GDSC mutation calls (int8 0/1), lines x genes; deletions are not mutation calls. Source: Iorio et al. 2016.

    `lines` (canonical names, all in the table): only their rows, read without the rest (as for every matrix)."""
    return _matrix("mutations", genes, data, lines)


def load_copy_number(genes=None, data: str | os.PathLike[str] | None = None, *, lines=None) -> pd.DataFrame:
    """GDSC copy-number calls (int8: -1 loss, 0, 1 gain), lines x genes. Source: Iorio et al. 2016."""
    return _matrix("copy_number", genes, data, lines)


def load_genomic_features(data: str | os.PathLike[str] | None = None, *, lines=None) -> pd.DataFrame:
    """GDSC binary genomic features v17 (`<GENE>_mut`, CNA regions), `TISSUE_FACTOR`, `MSI_FACTOR` (1 = MSI-H).

    Source: gdsctools (Iorio et al. 2016).
    """
    return _matrix("genomic_features", None, data, lines)


def load_cell_lines(data: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """GDSC cell-line annotation (COSMIC_ID, tissue_gdsc1, tissue_gdsc2, TCGA, MMR, ...), with `source_name`.

    Source: cancerrxgene.org Cell_Lines_Details (Iorio et al. 2016).
    """
    src = _resolve(data)
    frame = _read_wide("cell_lines", src, None).copy()
    names, _ = _read_names("cell_lines", src)
    frame.insert(0, "source_name", names.loc[names["keep"], "source_name"].to_numpy())
    return frame


def load_rppa(antibodies=None, data: str | os.PathLike[str] | None = None, *, lines=None) -> pd.DataFrame:
    """CCLE RPPA (log2, median-centred), lines x antibodies (numeric columns only; names via `cell_lines()`).

    Source: Li et al. 2017, Cancer Cell 31:225 (CCLE/DepMap).
    """
    cols = _as_columns(antibodies)
    frame = _matrix("rppa", cols, data, lines)
    return frame.drop(columns=[c for c in ("ccle_name", "depmap_id") if c in frame.columns])


def load_ccle_expression(genes=None, data: str | os.PathLike[str] | None = None, *, lines=None) -> pd.DataFrame:
    """DepMap RNA-seq of Cancer Gene Census genes, z-scores of log2(TPM+1) across lines. Source: Ghandi et al. 2019."""
    frame = _matrix("ccle_expression", _as_columns(genes), data, lines)
    return frame.drop(columns=[c for c in ("depmap_id",) if c in frame.columns])


# ----------------------------------------------------------------------------------------------- harmonised lines
def dropped(name: str | None = None, data: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Rows the loaders did not index (no name, or a repeated name): dataset, source_name, cell_line, reason, rows."""
    src = _resolve(data)
    names = [name] if name is not None else [n for n in (*_WIDE, *_LONG)]
    logs = [_read_names(n, src)[1] for n in names]
    return pd.concat(logs, ignore_index=True) if logs else pd.DataFrame()


def _membership(src: _Source) -> dict[str, pd.DataFrame]:
    out = {}
    for name in (*_WIDE, *_LONG):
        names, _ = _read_names(name, src)
        out[name] = names.loc[names["keep"]]
    return out


@functools.lru_cache(maxsize=4)
def _cell_lines(src: _Source) -> pd.DataFrame:
    files = [_path(n, src) for n in (*_WIDE, *_LONG)]
    return cached("cell_lines", (), files, lambda: _harmonise_lines(src), folder=src.cache)


def _harmonise_lines(src: _Source) -> pd.DataFrame:
    members = _membership(src)
    raw_names: dict[str, set[str]] = {}
    for frame in members.values():
        for canon, raw in zip(frame["cell_line"], frame["source_name"], strict=True):
            raw_names.setdefault(canon, set()).add(str(raw))
    index = pd.Index(sorted(raw_names), name="cell_line", dtype=object)
    table = pd.DataFrame(index=index)
    table["aliases"] = ["; ".join(sorted(raw_names[c])) for c in index]

    # tissue: majority of the fine labels (CCLE suffix, Yard, GDSC2; ties in that order), else GDSC1, else TISSUE_FACTOR
    votes: dict[str, list[tuple[str, str]]] = {c: [] for c in index}
    yard = _read_wide("yard", src, ("tissue",))
    for c, t in yard["tissue"].items():
        mapped = harmonise_tissue(t, "yard")
        if mapped:
            votes[c].append(("yard", mapped))
    rppa = members["rppa"]
    for c, ccle in zip(rppa["cell_line"], rppa["ccle_name"], strict=True):
        mapped = split_ccle_name(ccle)[1]
        if mapped:
            votes[c].append(("ccle", mapped))
    cl = _read_wide("cell_lines", src, ("tissue_gdsc1", "tissue_gdsc2", "MMR"))
    gf = _read_wide("genomic_features", src, ("TISSUE_FACTOR", "MSI_FACTOR"))
    for col, frame in (("tissue_gdsc2", cl), ("tissue_gdsc1", cl), ("TISSUE_FACTOR", gf)):
        for c, t in frame[col].items():
            mapped = harmonise_tissue(t, "gdsc")
            if mapped:
                votes[c].append((col, mapped))
    table["tissue"], table["tissue_source"], table["tissue_conflict"] = zip(
        *(_pick_tissue(votes[c]) for c in index), strict=True
    )

    # MSI: GDSC MMR (MSI-H -> True; MSI-S, MSI-L -> False), else genomic-features MSI_FACTOR (1 -> True)
    msi = pd.Series(pd.NA, index=index, dtype="boolean")
    factor = gf["MSI_FACTOR"].dropna()
    msi.loc[factor.index] = factor.astype(int) == 1
    mmr = cl["MMR"].dropna()
    mmr = mmr[mmr.isin(["MSI-H", "MSI-S", "MSI-L"])]
    msi.loc[mmr.index] = (mmr == "MSI-H").to_numpy()
    table["msi"] = msi

    for name, frame in members.items():
        table[f"in_{name}"] = index.isin(frame["cell_line"])
    flags = [c for c in table.columns if c.startswith("in_")]
    table["n_datasets"] = table[flags].sum(axis=1)
    return table


_FINE = ("ccle", "yard", "tissue_gdsc2")


def _pick_tissue(votes: list[tuple[str, str]]) -> tuple[str | None, str | None, str]:
    """(tissue, sources that gave it, conflict note) from (source, tissue) votes."""
    fine = [(s, t) for s, t in votes if s in _FINE]
    if fine:
        counts: dict[str, int] = {}
        for _, t in fine:
            counts[t] = counts.get(t, 0) + 1
        order = {s: i for i, s in enumerate(_FINE)}
        best = min(fine, key=lambda st: (-counts[st[1]], order[st[0]]))[1]
        sources = "+".join(s for s, t in sorted(fine, key=lambda st: order[st[0]]) if t == best)
        note = "; ".join(f"{s}={t}" for s, t in fine) if len(counts) > 1 else ""
        return best, sources, note
    if votes:
        return votes[0][1], votes[0][0], ""
    return None, None, ""


def cell_lines(data: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Every cell line in the bundle, harmonised: one row per canonical name.

    Columns: `aliases` (names as spelled in the files, '; '-joined); `tissue` (vocabulary `names.TISSUES`: the
    majority of the CCLE suffix, Yard `tissue` and GDSC `tissue_gdsc2`, ties resolved in that order; else
    `tissue_gdsc1`, else `TISSUE_FACTOR`); `tissue_source`; `tissue_conflict` (the fine votes when they disagree,
    else ''); `msi` (nullable bool: GDSC MMR MSI-H, else MSI_FACTOR); `in_<dataset>` for every file; `n_datasets`.
    """
    return _cell_lines(_resolve(data)).copy()


def overlap(data: str | os.PathLike[str] | None = None, key: str = "canonical") -> pd.DataFrame:
    """Datasets x datasets counts of shared distinct lines; `key` is 'raw', 'normalised' or 'canonical'."""
    from chemorad.bundle.names import normalise

    src = _resolve(data)
    keyfn = {"raw": str, "normalised": normalise, "canonical": canonical_name}.get(key)
    if keyfn is None:
        raise ChemoradError(f"key {key!r}: expected 'raw', 'normalised' or 'canonical'")
    sets = {}
    for name in (*_WIDE, *_LONG):
        names, _ = _read_names(name, src)
        sets[name] = {keyfn(s) for s in names["source_name"].dropna()}
    labels = list(sets)
    counts = [[len(sets[a] & sets[b]) for b in labels] for a in labels]
    out = pd.DataFrame(counts, index=labels, columns=labels)
    out.attrs["all"] = len(set().union(*sets.values()))
    return out


# ---------------------------------------------------------------------------------------------- response data sets
#: The Yard 2016 radiation screen: its bundle file and its id in the catalog's registry of response data sets.
YARD = "yard"

#: The registry's response data sets (`chemorad.catalog.registry.RESPONSE_DATASETS`) this bundle holds, in the
#: bundle's order: id -> loader of the table as published (radiation: one row per line; drugs: long).
RESPONSE_LOADERS = {
    YARD: load_yard,
    "gdsc1": functools.partial(load_gdsc_response, "gdsc1"),
    "gdsc2": functools.partial(load_gdsc_response, "gdsc2"),
    "ctrp": load_ctrp,
}

#: Two releases of one screen (GDSC1 and GDSC2: same lab, many lines and drugs in common); their agreement on shared
#: lines is the replicate correlation the evidence margins rest on (`chemorad.evidence.margins`).
REPLICATE_RELEASES = ("gdsc1", "gdsc2")

#: The column that names the compound in each long (drug) response table.
COMPOUND_COLUMN = {"gdsc1": "drug", "gdsc2": "drug", "ctrp": "compound"}

#: The column of the published area under the survival curve in each radiation response table that has one.
AUC_COLUMN = {YARD: "auc_yard"}

#: The tissue as published in each response table that has one: (column, vocabulary of `names.harmonise_tissue`);
#: Yard's labels are CCLE primary sites. The folder reader (`profile.readers.folder`) votes with it.
TISSUE_COLUMN = {YARD: ("tissue_yard", "ccle")}


def load_response(dataset_id: str, data: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """The table of response data set `dataset_id` (`RESPONSE_LOADERS`); an unknown id is a one-line error."""
    if dataset_id not in RESPONSE_LOADERS:
        raise ChemoradError(
            f"response data set {dataset_id!r}: not in the bundle; expected one of {', '.join(RESPONSE_LOADERS)}"
        )
    return RESPONSE_LOADERS[dataset_id](data)
