"""The sweep file (YAML, validated): a base scenario, arms, parameters to vary, a design, replicates and a seed.

Format and worked examples: docs/sweeps.md and examples/sweeps/. A bad file gives one error naming the file, the field
(`parameters[1]`, `design.samples`) and what is allowed; an unknown parameter path names the closest valid ones.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from chemorad.catalog import Catalog, catalog
from chemorad.dynamics.scenario import _path, horizon_warnings, parse_scenario
from chemorad.dynamics.schedule import refuse_bool_numbers
from chemorad.dynamics.simulator import check_budget
from chemorad.errors import ChemoradError, closest, read_yaml
from chemorad.evidence.scores import SD_PER_ACTIVITY
from chemorad.sweep.paths import check_path, with_values


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _no_bool_numbers(cls, raw: Any) -> Any:
        return refuse_bool_numbers(cls, raw)


class Parameter(_Strict):
    path: str = Field(description="dotted path into the scenario, e.g. tumour.hypoxic_fraction, schedule.0.dose_gy")
    low: float | None = None
    high: float | None = None
    scale: Literal["linear", "log"] = Field("linear", description="log: sampled uniformly in log10(value)")
    values: list[float] | None = Field(None, min_length=1, description="grid only: the values to take")
    num: int | None = Field(None, gt=0, description="grid only: number of evenly spaced values from low to high")


class Arm(_Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9_.+-]+$")
    schedule: list[dict[str, Any]] | None = Field(None, description="replaces the base schedule")
    set: dict[str, Any] = Field(default_factory=dict, description="path: value overrides of the base scenario")


class Grid(_Strict):
    kind: Literal["grid"]


class LatinHypercube(_Strict):
    kind: Literal["lhs"]
    samples: int = Field(gt=0, description="number of points")


class Sobol(_Strict):
    kind: Literal["sobol"]
    samples: int = Field(gt=0, description="base samples N; the Saltelli design has N (k + 2) points for k parameters")


class Cohort(_Strict):
    kind: Literal["cohort"]
    members: int = Field(gt=0, description="virtual tumours")
    tissue: str = Field(description="tissue of the cell lines whose mechanism scores the members are drawn from")
    mechanisms: list[str] | None = Field(None, description="mechanisms to carry over (default: every scored one)")
    method: Literal["resample", "gaussian"] = "resample"
    activity_scale: float = Field(
        1.0 / SD_PER_ACTIVITY, ge=0, description="activity steps per within-tissue standard deviation (default 1/3)"
    )


Design = Annotated[Grid | LatinHypercube | Sobol | Cohort, Field(discriminator="kind")]


class SweepSpec(_Strict):
    name: str
    description: str = ""
    base: str | dict[str, Any] = Field(description="scenario file (relative to the sweep file) or inline scenario")
    arms: list[Arm] = Field(default_factory=lambda: [Arm(name="base")], min_length=1)
    parameters: list[Parameter] = Field(default_factory=list)
    design: Design
    replicates: int = Field(1, gt=0, description="simulations per point and arm (one seed per point)")
    seed: int = Field(0, ge=0, le=2**32 - 1)


@dataclass(frozen=True)
class Sweep:
    """A validated sweep: the spec, the scenario of each arm (a full dump), integer parameters, file hashes, and the
    catalog it was validated against, which the workers simulate with (`chemorad --catalog DIR sweep ...`)."""

    spec: SweepSpec
    arms: dict[str, dict]
    integer: dict[str, bool]
    sha256: dict[str, str]
    catalog: Catalog = field(default_factory=catalog, compare=False, repr=False)
    #: one line per arm's schedule item cut by the end of the simulated time, at the arm's values or at a parameter's
    #: end (`dynamics.scenario.horizon_warnings`): the sweep runs, and the command prints them first
    warnings: tuple[str, ...] = field(default=(), compare=False)

    @property
    def paths(self) -> list[str]:
        return [p.path for p in self.spec.parameters]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def catalog_sha256(cat: Catalog) -> str:
    """SHA-256 of a catalog's content (every mechanism, therapy, reference and perturbation as canonical JSON)."""
    parts = {
        name: {k: v.model_dump(mode="json") for k, v in getattr(cat, name).items()}
        for name in ("mechanisms", "therapies", "references", "perturbations")
    }
    return sha256(json.dumps(parts, sort_keys=True, default=str).encode())


def load_sweep(path: Path | str, cat: Catalog | None = None) -> Sweep:
    """Read and validate a sweep file against `cat` (default: the shipped catalog); the SHA-256 of the file (and of a
    base scenario file) identify the sweep."""
    path = Path(path)
    raw = read_yaml(path, "sweep file")
    hashes = {"sweep": sha256(path.read_bytes())}
    return parse_sweep(raw, str(path), path.parent, hashes, cat=cat)


def parse_sweep(
    raw: object,
    where: str = "sweep",
    base_dir: Path | None = None,
    hashes: dict | None = None,
    cat: Catalog | None = None,
) -> Sweep:
    """Validate a sweep given as a dict against `cat` (default: the shipped catalog); `base_dir` resolves a base
    scenario given as a file name. The sweep keeps `cat`: its points are simulated with it."""
    cat = catalog() if cat is None else cat
    if not isinstance(raw, dict):
        raise ChemoradError(f"{where}: expected a mapping of sweep fields, got {type(raw).__name__}")
    try:
        spec = SweepSpec.model_validate(raw)
    except ValidationError as exc:
        e = exc.errors()[0]
        loc = tuple(p for i, p in enumerate(e["loc"]) if not (i and e["loc"][i - 1] == "design"))  # the kind tag
        raise ChemoradError(f"{where}: {_path(loc)}: {e['msg']}") from None
    hashes = dict(hashes or {})
    if "sweep" not in hashes:  # a sweep given as a dict: identify it by its canonical JSON
        hashes["sweep"] = sha256(json.dumps(raw, sort_keys=True, default=str).encode())
    if cat is not catalog() and cat != catalog():  # a user catalog is part of the sweep's identity (resume checks it)
        hashes["catalog"] = catalog_sha256(cat)
    if isinstance(spec.base, str):
        base_path = (base_dir or Path.cwd()) / spec.base
        base_raw = read_yaml(base_path, f"{where}: base scenario")
        hashes["base"] = sha256(base_path.read_bytes())
        base = parse_scenario(base_raw, str(base_path), cat=cat)
    else:
        base = parse_scenario(spec.base, f"{where}: base", cat=cat)
    _check_parameters(spec, where)
    _check_design(spec, where, cat)
    arms, warnings = {}, []
    for i, arm in enumerate(spec.arms):
        label = f"{where}: arms[{i}] ({arm.name})"
        arms[arm.name] = _arm_scenario(base.model_dump(mode="json"), arm, label, cat)
        warnings += horizon_warnings(parse_scenario(arms[arm.name], label, cat=cat), label, cat=cat)
    if len(arms) != len(spec.arms):
        raise ChemoradError(f"{where}: arms: arm names must be unique")
    integer = {}
    for i, p in enumerate(spec.parameters):
        label = f"{where}: parameters[{i}]"
        for name, tree in arms.items():
            integer[p.path] = check_path(tree, p.path, f"{label} in arm {name}", cat)
            for value in _ends(p):
                try:
                    sc = parse_scenario(with_values(tree, {p.path: value}), "scenario", cat=cat)
                    check_budget(sc, spec.replicates)  # steps and memory, before any point is built
                except ChemoradError as exc:
                    detail = str(exc).removeprefix("scenario: ")
                    raise ChemoradError(f"{label} ({p.path}) = {value:g} in arm {name}: {detail}") from None
                at = f"{label} ({p.path}) = {value:g} in arm {name}"
                warnings += [w for w in horizon_warnings(sc, at, cat=cat) if w not in warnings]
    return Sweep(spec, arms, integer, hashes, cat, tuple(dict.fromkeys(warnings)))


def _ends(p: Parameter) -> list[float]:
    return list(p.values) if p.values is not None else [v for v in (p.low, p.high) if v is not None]


def _check_parameters(spec: SweepSpec, where: str) -> None:
    seen = set()
    for i, p in enumerate(spec.parameters):
        label = f"{where}: parameters[{i}] ({p.path})"
        if p.path in seen:
            raise ChemoradError(f"{label}: the same path is given twice")
        seen.add(p.path)
        bad = [v for v in _ends(p) if not math.isfinite(v)]
        if bad:
            raise ChemoradError(f"{label}: {bad[0]} is not a finite number; expected finite low, high and values")
        if (p.low is None) != (p.high is None):
            raise ChemoradError(f"{label}: give both low and high")
        if p.low is not None and not p.low <= p.high:
            raise ChemoradError(f"{label}: low {p.low:g} > high {p.high:g}; expected low <= high")
        if p.scale == "log" and any(v <= 0 for v in _ends(p)):
            raise ChemoradError(f"{label}: scale log needs values > 0")
        gridded = spec.design.kind == "grid"
        if gridded and p.values is None and (p.low is None or p.num is None):
            raise ChemoradError(f"{label}: a grid parameter needs values: [...] or low, high and num")
        if not gridded and (p.values is not None or p.num is not None):
            raise ChemoradError(f"{label}: values and num are for grid designs; give low and high")
        if not gridded and p.low is None:
            raise ChemoradError(f"{label}: a sampled parameter needs low and high")


#: bytes per design cell at the peak of building a design (the unit-cube draw, the scaled copy, the DataFrame)
_BYTES_PER_CELL = 3 * 8
#: bytes per result cell when `sweep-report` reads the results (value, the sorted copy, the per-point means)
_BYTES_PER_RESULT_CELL = 3 * 8
_RESULT_COLUMNS = 12  # point, arm, replicate, seed, batch, the six outcomes, the restricted time to progression


def n_points(spec: SweepSpec) -> int:
    """Points of the design: the product of the grid axes, the LHS samples, N (k + 2) for Sobol, or the members."""
    d = spec.design
    if d.kind == "grid":
        return math.prod(len(p.values) if p.values is not None else (p.num or 0) for p in spec.parameters)
    if d.kind == "lhs":
        return d.samples
    if d.kind == "sobol":
        return d.samples * (len(spec.parameters) + 2)
    return d.members


def available_memory() -> int:
    """Bytes of memory available now (Linux: MemAvailable from /proc/meminfo), else 4 GiB as a conservative guess."""
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 4 << 30


def _check_size(spec: SweepSpec, where: str, memory: int | None = None, cat: Catalog | None = None) -> None:
    """Refuse a design whose points, or whose results when analysed, would not fit in half the available memory."""
    memory = available_memory() if memory is None else memory
    budget = memory // 2
    n = n_points(spec)
    columns = len(spec.parameters) + 5  # + point and the Saltelli block, block_param, row (or a cohort's lines)
    if spec.design.kind == "cohort":
        known = (cat if cat is not None else catalog()).mechanisms
        columns += len(spec.design.mechanisms or known)  # one activity.<mechanism> column each
    rows_per_point = len(spec.arms) * spec.replicates
    per_point = columns * _BYTES_PER_CELL + rows_per_point * (_RESULT_COLUMNS + len(spec.parameters)) * (
        _BYTES_PER_RESULT_CELL
    )
    if n * per_point <= budget:
        return
    fit = max(0, budget // per_point)
    field = {"grid": "the grid axes", "lhs": "design.samples", "sobol": "design.samples", "cohort": "design.members"}
    if spec.design.kind == "sobol":
        fit_text = f"design.samples up to {fit // (len(spec.parameters) + 2):,}"
    else:
        fit_text = f"{field[spec.design.kind]} giving up to {fit:,} points"
    raise ChemoradError(
        f"{where}: the design has {n:,} points x {rows_per_point} arm-replicates, about "
        f"{n * per_point / 2**30:,.0f} GiB to build and analyse; {memory / 2**30:.1f} GiB are available: "
        f"{fit_text} would fit (or split the sweep)"
    )


def _check_design(spec: SweepSpec, where: str, cat: Catalog) -> None:
    d = spec.design
    if d.kind in ("grid", "lhs", "sobol") and not spec.parameters:
        raise ChemoradError(f"{where}: parameters: a {d.kind} design needs at least one parameter to vary")
    _check_size(spec, where, cat=cat)
    if d.kind == "cohort":
        known = cat.mechanisms
        for i, mid in enumerate(d.mechanisms or []):
            if mid not in known:
                hint = closest(mid, known)
                tail = f"; closest: {', '.join(hint)}" if hint else ""
                raise ChemoradError(f"{where}: design.mechanisms[{i}]: unknown mechanism {mid!r}{tail}")


def _arm_scenario(base: dict, arm: Arm, where: str, cat: Catalog) -> dict:
    tree = dict(base)
    if arm.schedule is not None:
        tree["schedule"] = arm.schedule
        tree = parse_scenario(tree, where, cat=cat).model_dump(mode="json")  # fill the new items' defaults
    for path in arm.set:
        check_path(tree, path, f"{where}: set", cat, numeric=False)
    return parse_scenario(with_values(tree, arm.set), where, cat=cat).model_dump(mode="json")
