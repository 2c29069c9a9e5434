"""Cell-line names and tissue labels harmonised across Yard 2016, RadioGx, GDSC, CCLE and CTRP.

Names
-----
`canonical_name(raw)` is the one key used everywhere in `chemorad.evidence`:

1. an exact raw-name alias (`RAW_ALIASES`) is applied first; it separates lines that normalise to the same string;
2. otherwise `normalise(raw)`: upper-case and keep only the letters A-Z and digits 0-9
   (`NCI-H460`, `NCIH460`, `nci h460` -> `NCIH460`); a CCLE name with its tissue suffix (`NCIH460_LUNG`) goes through
   `split_ccle_name` first;
3. the normalised string is mapped through `ALIASES` (other spelling -> canonical spelling).

The alias tables are explicit and short; each entry was checked by hand against the files in the data bundle
(Cellosaurus was used to decide identity):

- GDSC spells 14 NCI mesothelioma/lung lines without the `NCI-` prefix in `gdsc_cell_lines.csv`,
  `gdsc_genomic_features_v17.csv` and `gdsc_expression.parquet` (`H2869`), while the GDSC response files, mutation and
  copy-number files and CCLE/CTRP use `NCI-H2869`/`NCIH2869`.
- GDSC writes the kidney line UO-31 with a zero (`U031`); CCLE/CTRP/Yard write `UO31`.
- GDSC's `U251` is CCLE's `U251MG` (U-251 MG, CVCL_0021).
- GDSC lists two different lines that both normalise to `KMH2`: `KM-H2` (Hodgkin lymphoma, CVCL_1330; CCLE
  `KMH2_HAEMATOPOIETIC_AND_LYMPHOID_TISSUE`, CTRP `KM-H2`) and `KMH-2` (anaplastic thyroid carcinoma, CVCL_S641).
  `KMH-2` is renamed `KMH2THYROID`; `KMH2` stays the Hodgkin line. The single `KMH2` row of the GDSC expression matrix
  is the Hodgkin line (PTPRC, IRF4 and TNFRSF8/CD30 high, keratins low); the `KMH2` rows of the mutation and copy-number
  matrices are assumed to be the same line (not checkable from names).

Not aliased on purpose (different lines, or identity not certain): `NCI-H322M` vs `NCI-H322` (subline), `KNS-81-FD` vs
`KNS81`, `WM793B` vs `WM793` (Cellosaurus lists them separately), `M059J` vs `M059K`, `MOLT-4` vs `MOLT-3`,
`RERF-LC-FM` vs `RERF-LC-AI`.

Match counts measured on the data bundle (../shared/data; number of distinct lines shared between two files;
"raw" = exact string, "norm" = `normalise` only, "alias" = `canonical_name`):

| pair                                   | raw | norm | alias |
| -------------------------------------- | --: | ---: | ----: |
| Yard radiation x GDSC cell lines       | 251 |  263 |   265 |
| Yard radiation x GDSC expression       |  50 |  261 |   263 |
| RadioGx fits x GDSC expression         |  48 |  249 |   251 |
| Yard radiation x GDSC2 response        | 242 |  258 |   260 |
| Yard radiation x CTRP v2               | 371 |  371 |   371 |
| Yard radiation x CCLE RPPA             |  69 |  363 |   363 |
| GDSC expression x GDSC2 response       | 144 |  637 |   645 |
| GDSC cell lines x CCLE RPPA            |  78 |  422 |   425 |
| all 12 cell-line files: distinct keys  | 1676|  965 |   955 |

In the last row "norm" merges the two lines KM-H2/KMH-2 into one key (wrongly); "alias" separates them again, and the
ten fewer keys are the 11 GDSC spellings joined to their CCLE/CTRP lines. Lines still found in one file only are
mostly genuinely absent from the other sources (e.g. CTRP's BT-series glioma lines).

Doubtful, left as is: Yard lists `ML-1` as haematopoietic (the AML line ML-1) while GDSC and CCLE `ML-1` is a thyroid
line; the names cannot tell whether Yard's measurements are of the thyroid line. `datasets.cell_lines()` takes the
majority tissue (thyroid) and records the conflict.

(Counts are reproduced by `tests/evidence/test_datasets.py::test_match_counts`.)

Tissues
-------
One vocabulary, the CCLE primary-site names in lower case (Yard 2016 already uses it): `TISSUES`. Yard `tissue` and the
CCLE name suffix map by lower-casing; GDSC labels (`tissue_gdsc2`, the finer one, then `tissue_gdsc1`, then the
genomic-features `TISSUE_FACTOR`) map through `GDSC_TISSUE`. GDSC labels that span several sites (`urogenital_system`,
`digestive_system`, `aero_dig_tract`, ...) map to `None`: they are resolved by a finer label of the same line or stay
unknown, never guessed. Two GDSC sites with no CCLE equivalent keep their own name (`testis`, `adrenal_gland`).
Ewing sarcoma is put under `bone`, as CCLE does for most Ewing lines.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

__all__ = [
    "ALIASES",
    "CCLE_TISSUE",
    "GDSC_TISSUE",
    "RAW_ALIASES",
    "TISSUES",
    "canonical_name",
    "canonical_names",
    "harmonise_tissue",
    "normalise",
    "split_ccle_name",
]

_NOT_ALNUM = re.compile(r"[^A-Z0-9]")

#: exact raw spelling -> canonical name; applied before normalisation (separates lines that normalise alike)
RAW_ALIASES: dict[str, str] = {
    "KMH-2": "KMH2THYROID",  # anaplastic thyroid carcinoma (CVCL_S641); KM-H2 is a Hodgkin lymphoma line
}

#: normalised spelling -> canonical (normalised) name
ALIASES: dict[str, str] = {
    # GDSC drops the NCI- prefix for these NCI lines (gdsc_cell_lines.csv, genomic features, expression)
    "H290": "NCIH290",
    "H2369": "NCIH2369",
    "H2373": "NCIH2373",
    "H2461": "NCIH2461",
    "H2591": "NCIH2591",
    "H2595": "NCIH2595",
    "H2731": "NCIH2731",
    "H2795": "NCIH2795",
    "H2803": "NCIH2803",
    "H2804": "NCIH2804",
    "H2810": "NCIH2810",
    "H2869": "NCIH2869",
    "H3118": "NCIH3118",
    "H3255": "NCIH3255",
    # GDSC spells UO-31 with a zero
    "U031": "UO31",
    # GDSC U251 = CCLE U251MG
    "U251": "U251MG",
}

#: the harmonised tissue vocabulary (CCLE primary sites, lower case, plus two GDSC-only sites)
TISSUES: tuple[str, ...] = (
    "adrenal_gland",
    "autonomic_ganglia",
    "biliary_tract",
    "bone",
    "breast",
    "central_nervous_system",
    "cervix",
    "endometrium",
    "fibroblast",
    "haematopoietic_and_lymphoid_tissue",
    "kidney",
    "large_intestine",
    "liver",
    "lung",
    "oesophagus",
    "ovary",
    "pancreas",
    "pleura",
    "prostate",
    "salivary_gland",
    "skin",
    "soft_tissue",
    "stomach",
    "testis",
    "thyroid",
    "upper_aerodigestive_tract",
    "urinary_tract",
)

#: CCLE name suffix (upper case) -> tissue; the suffixes are the vocabulary itself
CCLE_TISSUE: dict[str, str] = {t.upper(): t for t in TISSUES}

_HAEM = "haematopoietic_and_lymphoid_tissue"
#: GDSC labels (tissue_gdsc1, tissue_gdsc2, TISSUE_FACTOR) -> tissue; None = spans several sites
GDSC_TISSUE: dict[str, str | None] = {
    # tissue_gdsc2 (fine)
    "lung_small_cell_carcinoma": "lung",
    "lung_NSCLC_adenocarcinoma": "lung",
    "lung_NSCLC_squamous_cell_carcinoma": "lung",
    "lung_NSCLC_large cell": "lung",
    "lung_NSCLC_not specified": "lung",
    "lung_NSCLC_carcinoid": "lung",
    "Lung_other": "lung",
    "breast": "breast",
    "glioma": "central_nervous_system",
    "medulloblastoma": "central_nervous_system",
    "melanoma": "skin",
    "skin_other": "skin",
    "head and neck": "upper_aerodigestive_tract",
    "large_intestine": "large_intestine",
    "ovary": "ovary",
    "oesophagus": "oesophagus",
    "pancreas": "pancreas",
    "neuroblastoma": "autonomic_ganglia",
    "stomach": "stomach",
    "kidney": "kidney",
    "B_cell_lymphoma": _HAEM,
    "acute_myeloid_leukaemia": _HAEM,
    "chronic_myeloid_leukaemia": _HAEM,
    "myeloma": _HAEM,
    "B_cell_leukemia": _HAEM,
    "Burkitt_lymphoma": _HAEM,
    "lymphoblastic_T_cell_leukaemia": _HAEM,
    "Hodgkin_lymphoma": _HAEM,
    "lymphoblastic_leukemia": _HAEM,
    "haematopoietic_neoplasm other": _HAEM,
    "lymphoid_neoplasm other": _HAEM,
    "T_cell_leukemia": _HAEM,
    "hairy_cell_leukaemia": _HAEM,
    "leukemia": _HAEM,
    "anaplastic_large_cell_lymphoma": _HAEM,
    "mesothelioma": "pleura",
    "ewings_sarcoma": "bone",
    "osteosarcoma": "bone",
    "chondrosarcoma": "bone",
    "bone_other": "bone",
    "rhabdomyosarcoma": "soft_tissue",
    "soft_tissue_other": "soft_tissue",
    "fibrosarcoma": "soft_tissue",
    "liver": "liver",
    "thyroid": "thyroid",
    "cervix": "cervix",
    "Bladder": "urinary_tract",
    "endometrium": "endometrium",
    "uterus": "endometrium",
    "prostate": "prostate",
    "biliary_tract": "biliary_tract",
    "testis": "testis",
    "adrenal_gland": "adrenal_gland",
    "urogenital_system_other": None,
    "digestive_system_other": None,
    # tissue_gdsc1 / TISSUE_FACTOR (coarse); labels already listed above are not repeated
    "lung_NSCLC": "lung",
    "lung_SCLC": "lung",
    "lung": "lung",
    "nervous_system": "central_nervous_system",
    "skin": "skin",
    "lymphoma": _HAEM,
    "bone": "bone",
    "soft_tissue": "soft_tissue",
    "urogenital_system": None,
    "aero_dig_tract": None,
    "digestive_system": None,
}


def normalise(raw: object) -> str:
    """Upper-case `raw` and keep only letters A-Z and digits 0-9 (`'NCI-H460'` -> `'NCIH460'`)."""
    return _NOT_ALNUM.sub("", str(raw).upper())


def split_ccle_name(ccle_name: str) -> tuple[str, str | None]:
    """Split a CCLE name at the first underscore: `'NCIH460_LUNG'` -> `('NCIH460', 'lung')`.

    The tissue is None when the suffix is not a CCLE primary site (or there is no suffix).
    """
    head, _, suffix = str(ccle_name).partition("_")
    return head, CCLE_TISSUE.get(suffix.upper())


def canonical_name(raw: object) -> str:
    """The canonical key of a cell-line name from any source: raw alias, else normalise + alias table."""
    text = str(raw).strip()
    if text in RAW_ALIASES:
        return RAW_ALIASES[text]
    key = normalise(text)
    return ALIASES.get(key, key)


def canonical_names(raw: Iterable[object]) -> pd.Index:
    """`canonical_name` of every element, as a pandas Index named `cell_line`."""
    return pd.Index([canonical_name(r) for r in raw], name="cell_line", dtype=object)


def harmonise_tissue(label: object, source: str) -> str | None:
    """Map a tissue label from `source` ('yard', 'ccle' or 'gdsc') to the vocabulary `TISSUES`; None if unknown.

    'yard' and 'ccle' labels are CCLE primary sites (any case); 'gdsc' accepts `tissue_gdsc1`, `tissue_gdsc2` and
    `TISSUE_FACTOR` labels via `GDSC_TISSUE`. A missing label gives None; a label not in the tables raises KeyError
    (a new label in a new data release must be added to the table, not guessed).
    """
    if label is None or (isinstance(label, float) and label != label) or label is pd.NA:
        return None
    text = str(label).strip()
    if source in ("yard", "ccle"):
        key = text.upper().replace(" ", "_")
        if key in ("", "NS", "NA"):
            return None
        return CCLE_TISSUE[key]
    if source == "gdsc":
        return GDSC_TISSUE[text]
    raise ValueError(f"unknown tissue source {source!r}; expected 'yard', 'ccle' or 'gdsc'")
