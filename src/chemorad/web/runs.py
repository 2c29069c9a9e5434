"""Results folders of earlier runs, found under the server's runs folder, and the shipped example scenarios.

A `chemorad simulate --out DIR` folder holds summary.csv (and simulation.nc, figures); a `chemorad sweep --out DIR`
folder holds manifest.json (and results/, report/ after `chemorad sweep-report`). Only files inside the runs folder are
ever served.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pandas as pd

from chemorad.errors import ChemoradError

MAX_DEPTH = 3
MAX_ROWS = 200
SHOWN = (".png", ".svg", ".csv", ".json", ".yaml")


@dataclass(frozen=True)
class Run:
    path: Path
    rel: str
    kind: str  # simulation or sweep

    def files(self) -> list[str]:
        return sorted(str(p.relative_to(self.path)) for p in self.path.rglob("*") if p.is_file() and p.suffix in SHOWN)[
            :100
        ]

    def images(self) -> list[str]:
        return [f for f in self.files() if f.endswith(".png")]

    def record(self) -> dict:
        return {"path": self.rel, "kind": self.kind, "files": self.files()}


def _kind(d: Path) -> str | None:
    if (d / "manifest.json").is_file():
        return "sweep"
    if (d / "summary.csv").is_file():
        return "simulation"
    return None


def find_runs(root: Path) -> list[Run]:
    """Run folders under `root`, at most MAX_DEPTH levels down; hidden folders skipped."""
    out = []
    for dirpath, dirnames, _ in os.walk(root):
        d = Path(dirpath)
        depth = len(d.relative_to(root).parts)
        dirnames[:] = sorted(n for n in dirnames if not n.startswith(".") and depth < MAX_DEPTH)
        kind = _kind(d)
        if kind:
            out.append(Run(d, str(d.relative_to(root)) or ".", kind))
            dirnames[:] = []  # a run's own sub-folders (results/, report/) are part of it
    return out


def _inside(root: Path, rel: str) -> Path:
    path = (root / rel).resolve()
    if not path.is_relative_to(root) or not path.exists():
        raise ChemoradError(f"run {rel!r}: not found under the runs folder {root}")
    return path


def open_run(root: Path, rel: str) -> Run:
    path = _inside(root, rel)
    kind = _kind(path) if path.is_dir() else None
    if kind is None:
        raise ChemoradError(f"run {rel!r}: not a chemorad simulate or sweep results folder")
    return Run(path, str(path.relative_to(root)) or ".", kind)


def run_file(root: Path, rel: str) -> Path:
    path = _inside(root, rel)
    if not path.is_file() or path.suffix not in SHOWN:
        raise ChemoradError(f"file {rel!r}: not a figure or table of a run")
    return path


def run_tables(run: Run) -> dict[str, pd.DataFrame]:
    """What the run page shows: a simulation's summary per replicate; a sweep's arm means (`sweep.analysis`)."""
    if run.kind == "simulation":
        return {"summary per replicate": pd.read_csv(run.path / "summary.csv").head(MAX_ROWS).round(4)}
    from chemorad.sweep.analysis import arm_means, load_results

    try:
        res = load_results(run.path)
    except ChemoradError as exc:
        return {"status": pd.DataFrame({"note": [str(exc)]})}
    return {"outcome means per arm": arm_means(res).round(4)}


def examples() -> list[str]:
    """The scenario examples shipped in the repository's examples/ folder (when run from a checkout)."""
    folder = _examples_dir()
    return sorted(p.name for p in folder.glob("*.yaml")) if folder else []


def example_path(name: str) -> Path:
    folder = _examples_dir()
    if not name:
        raise ChemoradError("scenario: choose an example or upload a scenario YAML file")
    if folder is None or name not in examples():
        raise ChemoradError(f"scenario {name!r}: not one of the examples ({', '.join(examples()) or 'none found'})")
    return folder / name


def _examples_dir() -> Path | None:
    # src/chemorad/web/runs.py -> the checkout's examples/ (a wheel install has none: upload a file instead)
    here = Path(str(resources.files("chemorad"))).resolve()
    for cand in (here.parent.parent / "examples", Path.cwd() / "examples"):
        if cand.is_dir():
            return cand
    return None
