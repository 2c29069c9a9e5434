"""Tissue labels: a sample -> tissue table, each label harmonised to `chemorad.bundle.names.TISSUES` from CCLE,
GDSC or TCGA vocabularies."""

from __future__ import annotations

import os
import warnings

import numpy as np
import pandas as pd

from chemorad.bundle.names import harmonise_tissue
from chemorad.errors import ChemoradError
from chemorad.profile.readers.tables import _SAMPLE_COLUMNS, SAMPLE, ProfileWarning, _load_table, _sample_ids

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
