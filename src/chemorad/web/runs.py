"""Results folders of earlier runs, found under the server's runs folder, and the shipped example scenarios.

A `chemorad simulate --out DIR` folder holds summary.csv (and simulation.nc, figures); a `chemorad sweep --out DIR`
folder holds manifest.json (and results/, report/ after `chemorad sweep-report`). Runs started in the browser are
written under ``browser/`` (`chemorad.web.jobs`). Only figures and tables (`SHOWN`) inside a run that `find_runs` lists
are ever served: never a hidden file or folder, nothing elsewhere under the runs folder. The runs folder defaults to a
chemorad folder of the user's data directory (`default_runs_dir`), not the folder the server was started in.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pandas as pd

from chemorad.errors import ChemoradError

MAX_DEPTH = 3
MAX_REL = 1000  # characters of a path asked for
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


def default_runs_dir() -> Path:
    """``$CHEMORAD_RUNS``, else ``$XDG_DATA_HOME/chemorad/runs``, else ``~/.local/share/chemorad/runs``."""
    env = os.environ.get("CHEMORAD_RUNS")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "chemorad" / "runs"


def _inside(root: Path, rel: str) -> Path:
    """`rel` under `root`: refused when too long, with a NUL, a hidden part, or outside `root` once resolved."""
    shown = rel[:80] + ("..." if len(rel) > 80 else "")
    parts = Path(rel).parts
    if len(rel) > MAX_REL or "\x00" in rel or any(p.startswith(".") for p in parts):
        raise ChemoradError(f"run {shown!r}: not found under the runs folder")
    try:
        path = (root / rel).resolve()
        found = path.is_relative_to(root) and path.exists()
    except (OSError, ValueError):
        found = False
    if not found:
        raise ChemoradError(f"run {shown!r}: not found under the runs folder")
    return path


def open_run(root: Path, rel: str) -> Run:
    path = _inside(root, rel)
    kind = _kind(path) if path.is_dir() else None
    if kind is None:
        raise ChemoradError(f"run {rel!r}: not a chemorad simulate or sweep results folder")
    return Run(path, str(path.relative_to(root)) or ".", kind)


def run_file(root: Path, rel: str) -> Path:
    """A figure or table inside one of the runs `find_runs` lists (nothing else under the runs folder)."""
    path = _inside(root, rel)
    known = {r.path.resolve() for r in find_runs(root)}
    if not path.is_file() or path.suffix not in SHOWN or not any(p in known for p in path.parents):
        raise ChemoradError(f"file {rel[:80]!r}: not a figure or table of a run")
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
