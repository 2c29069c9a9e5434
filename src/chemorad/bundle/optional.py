"""Optional data sets a user adds beside the bundle (not committed: their terms do not allow redistribution).

An optional set is a sub-folder of the data folder (e.g. ``data/pide/``) or, failing that, of a shared bundle beside the
checkout (``../shared/data/pide/``). `find` says where one is, or None; `status` says, for each, whether it was found
and where to put it when it was not.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from chemorad.bundle import datasets


@dataclass(frozen=True)
class OptionalSet:
    """An optional data set: its folder name, the files that must be in it, source, citation and terms."""

    name: str
    folder: str
    files: tuple[str, ...]
    description: str
    source: str
    citation: str
    licence: str


OPTIONAL: dict[str, OptionalSet] = {
    s.name: s
    for s in (
        OptionalSet(
            "pide",
            "pide",
            ("pide34.csv", "pide34_photon_curves.dat"),
            "PIDE 3.4: published clonogenic survival curves (photon LQ parameters, raw points), ~70 human tumour lines",
            "GSI Helmholtzzentrum, Particle Irradiation Data Ensemble 3.4 (access as the PIDE paper describes)",
            "Friedrich T, Pfuhl T, Scholz M 2021, J Radiat Res 62:645, PMC8273790",
            "made available by GSI to the research community; not an open licence: do not commit or redistribute",
        ),
    )
}


def _places(data: str | os.PathLike[str], spec: OptionalSet) -> list[Path]:
    """Where `spec` is looked for: inside the data folder, then in each shared bundle beside it."""
    places = [Path(os.fspath(data)) / spec.folder]
    for candidate, _ in datasets._default_candidates():
        if candidate.name == "data" and candidate.parent.name == "shared":
            places.append(candidate / spec.folder)
    return list(dict.fromkeys(p.resolve() for p in places))


def find(name: str, data: str | os.PathLike[str]) -> Path | None:
    """The folder of optional set `name` for the data folder `data` (all its files present), or None."""
    spec = OPTIONAL[name]
    for place in _places(data, spec):
        if all((place / f).is_file() for f in spec.files):
            return place
    return None


def status(data: str | os.PathLike[str]) -> list[dict]:
    """One record per optional set: name, present, folder (found, or where to put it), source, licence."""
    out = []
    for name, spec in OPTIONAL.items():
        found = find(name, data)
        where = found if found is not None else Path(os.fspath(data)) / spec.folder
        out.append(
            {
                "dataset": name,
                "present": found is not None,
                "folder": str(where),
                "files": ", ".join(spec.files),
                "description": spec.description,
                "source": spec.source,
                "citation": spec.citation,
                "licence": spec.licence,
            }
        )
    return out
