"""PIDE 3.4 clonogenic photon survival of human tumour lines: an optional second radiation response data set.

Source: the Particle Irradiation Data Ensemble (Friedrich T, Pfuhl T, Scholz M 2021, J Radiat Res 62:645, PMC8273790),
read from ``pide34.csv`` of the optional set's folder (`bundle.optional`: ``pide/`` in the data folder, else in a
shared bundle beside the checkout) when present (GSI's terms: cite it and each curve's publication; the
file is read in place, never copied). One row of the file is one ion experiment with its photon reference curve;
photon curves repeat across the ion experiments that share them and are deduplicated on (PublicationID, PhotonExpNum,
Cells). Only human (`CellOrigin` h) tumour (`CellClass` t) lines are kept.

Per curve: alpha (Gy^-1) and beta (Gy^-2) as published (`ax_paper`, `bx_paper`), else PIDE's refit (`ax_fit`,
`bx_fit`); SF2 = exp(-2 alpha - 4 beta), the linear-quadratic surviving fraction at 2 Gy. Per line (`pide_lines`):
the median over its curves, the line named by `names.canonical_name`, and a PIDE name 'H' + digits read as the NCI-H
line of that number when the bundle has it (PIDE writes 'H1437' for NCI-H1437). Isogenic variants (e.g. 'A-172mp53',
'SASneo') keep their own names and so match no bundle line.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

__all__ = ["FILE", "named_curves", "pide_curves", "pide_lines"]

FILE = "pide34.csv"


def pide_curves(data=None) -> pd.DataFrame | None:
    """One row per photon curve of a human tumour line: cells, publication, alpha, beta, sf2; None when the data
    folder has no PIDE file (it is optional)."""
    from chemorad.bundle import datasets as ds
    from chemorad.bundle.optional import OPTIONAL, find

    folder = find(next(iter(OPTIONAL)), ds.data_dir(data))
    if folder is None:
        return None
    raw = pd.read_csv(folder / FILE)
    human = raw[(raw["CellOrigin"] == "h") & (raw["CellClass"] == "t")]
    curves = human.drop_duplicates(["PublicationID", "PhotonExpNum", "Cells"])
    alpha = curves["ax_paper"].where(curves["ax_paper"].notna(), curves["ax_fit"]).astype(float)
    beta = curves["bx_paper"].where(curves["bx_paper"].notna(), curves["bx_fit"]).astype(float)
    out = pd.DataFrame(
        {
            "cells": curves["Cells"].astype(str).to_numpy(),
            "publication": curves["PublicationName"].astype(str).to_numpy(),
            "photon_radiation": curves["PhotonRadiation"].astype(str).to_numpy(),
            "alpha": alpha.to_numpy(),
            "beta": beta.to_numpy(),
        }
    )
    out["sf2"] = np.exp(-2.0 * out["alpha"] - 4.0 * out["beta"])
    return out.dropna(subset=["alpha", "beta"]).reset_index(drop=True)


def _bundle_name(cells: str, known: set[str]) -> str:
    from chemorad.bundle.names import canonical_name

    name = canonical_name(cells)
    if name not in known and re.fullmatch(r"H\d+", cells.strip()):
        nci = canonical_name(f"NCI-{cells.strip()}")
        return nci if nci in known else name
    return name


def named_curves(data=None) -> tuple[pd.DataFrame, set[str]] | None:
    """(`pide_curves` with a `cell_line` column, the bundle's canonical name when it has the line; the bundle's
    line names); None without the PIDE file."""
    from chemorad.bundle import datasets as ds

    curves = pide_curves(data)
    if curves is None:
        return None
    known = set(ds.cell_lines(data).index)
    curves["cell_line"] = [_bundle_name(c, known) for c in curves["cells"]]
    return curves, known


def pide_lines(data=None) -> pd.DataFrame | None:
    """Per line (index `cell_line`, the bundle's canonical name when it has the line): median alpha, beta and SF2
    over its curves, the number of curves and the PIDE spellings; None without the PIDE file."""
    named = named_curves(data)
    if named is None:
        return None
    curves, known = named
    g = curves.groupby("cell_line")
    out = g[["alpha", "beta", "sf2"]].median()
    out["n_curves"] = g.size()
    out["pide_names"] = g["cells"].agg(lambda s: ", ".join(sorted(set(s))))
    out["in_bundle"] = out.index.isin(list(known))
    return out
