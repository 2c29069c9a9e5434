"""Scenario files: a tumour, its clones, how they evolve, and a treatment schedule (YAML, validated).

The format is in `docs/dynamics.md` with worked examples in `examples/`; every default names its source there.
A bad file gives one error naming the file, the field path (`schedule[2].dose_gy`) and what is allowed.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from chemorad.catalog.load import Catalog
from chemorad.catalog.registry import SCHEDULE_DRUG, SCHEDULE_RADIATION, Modality
from chemorad.dynamics.presets import load_calibration
from chemorad.dynamics.schedule import Drug, Radiotherapy, _Strict, events, radiotherapy_times
from chemorad.errors import ChemoradError, closest, read_yaml


class Tumour(_Strict):
    initial_cells: float = Field(1e9, gt=0, description="viable clonogenic cells at day 0 (~1 cm^3 holds ~1e9 cells)")
    carrying_capacity: float = Field(1e12, gt=0, description="Gompertz plateau (cells)")
    doubling_time_days: float = Field(4.0, gt=0, description="potential doubling time Tpot at day 0")
    cell_loss_per_day: float = Field(0.0, ge=0, description="spontaneous loss of viable cells")
    dead_clearance_half_life_days: float = Field(3.0, gt=0, description="half-life of lethally damaged cells")
    hypoxic_fraction: float = Field(0.15, ge=0, le=1, description="share of cells in the hypoxic compartment")
    oxic_po2_mmhg: float = Field(40.0, ge=0)
    hypoxic_po2_mmhg: float = Field(0.5, ge=0)
    hypoxic_distance_um: float = Field(120.0, ge=0, description="distance of hypoxic cells from the nearest vessel")
    reoxygenation_per_day: float = Field(
        9.2, ge=0, description="rate at which the hypoxic fraction relaxes (ln 10 / 6 h: Afzal et al. 1991)"
    )
    reoxygenation_target: Literal["pretreatment", "size"] = Field(
        "pretreatment",
        description="pretreatment: back to h0 after each kill (measured); size: towards h0 min(1, N/N0)",
    )
    cycle_time_days: float = Field(2.0, gt=0, description="cell-cycle time, sets the redistribution rate")
    redistribution: bool = Field(True, description="track phase redistribution (False: asynchronous LQ throughout)")
    repopulation_kickoff_days: float = Field(28.0, ge=0, description="start of accelerated repopulation")
    repopulation_acceleration: float = Field(2.0, ge=1, description="growth-rate factor after the kick-off")
    accelerated_doubling_days: float | None = Field(
        None,
        gt=0,
        description="clonogen doubling time from the kick-off to the end of treatment, no net regrowth before it "
        "(None: the acceleration-factor law)",
    )

    @model_validator(mode="after")
    def _size(self) -> Tumour:
        if self.initial_cells >= self.carrying_capacity:
            raise ValueError("initial_cells must be below carrying_capacity")
        return self


class Clone(_Strict):
    name: str
    fraction: float = Field(gt=0, le=1, description="share of the initial cells")
    activities: dict[str, float] = Field(default_factory=dict)


class Evolution(_Strict):
    mechanisms: list[str] = Field(default_factory=list, description="mechanisms a cell can gain one step of")
    rate_per_division: float = Field(1e-6, ge=0, le=1, description="probability per division of gaining a step")
    step: float = Field(1.0, gt=0, description="activity gained per step")
    switching_per_day: float = Field(0.0, ge=0, description="non-genetic switching rate, both ways")


class Patients(_Strict):
    """Inter-patient heterogeneity: each replicate is a virtual patient with its own parameters (Webb & Nahum 1993)."""

    radiosensitivity_sd: float = Field(0.0, ge=0, le=2, description="sd of ln(radiosensitivity multiplier)")
    clonogens_log10_sd: float = Field(0.0, ge=0, le=3, description="sd of log10(clonogen number)")
    doubling_time_sd: float = Field(0.0, ge=0, le=2, description="sd of ln(Tpot multiplier)")
    hypoxic_fraction_sd: float = Field(0.0, ge=0, le=0.5, description="sd of the hypoxic fraction (beta law)")
    radiosensitivity_z: float | None = Field(
        None, ge=-5, le=5, description="one tumour: its radiosensitivity quantile (z) in the population, for all"
    )


class Chemo(_Strict):
    """Drugs at clinical exposure and their interaction with radiation (docs/clinical.md)."""

    potency_fold: float = Field(1.0, gt=0, description="clinical potency: EC50 = 72-h IC50 / potency_fold")
    radiosensitisation: dict[str, float] = Field(
        default_factory=dict, description="drug -> extra radiation log kill per unit drug activity (repair inhibition)"
    )
    activity_half_life_days: float = Field(7.0, gt=0, description="persistence of a drug's radiosensitising action")
    drug_potency: dict[str, float] = Field(
        default_factory=dict, description="drug -> potency multiplier of one tumour (1: the population's)"
    )


class Simulation(_Strict):
    days: float = Field(120.0, gt=0)
    dt_days: float = Field(0.25, gt=0, le=1)
    mode: Literal["auto", "exact", "tau", "deterministic"] = "auto"
    replicates: int = Field(20, gt=0)
    seed: int = Field(0, ge=0, le=2**32 - 1)
    progression_factor: float = Field(1.0, gt=0, description="progression: viable cells back above this x initial")


class Scenario(_Strict):
    name: str
    calibration: str | None = Field(None, description="packaged clinical calibration whose fitted values are defaults")
    description: str = ""
    tumour: Tumour = Tumour()
    clones: list[Clone] = Field(default_factory=lambda: [Clone(name="parental", fraction=1.0)], min_length=1)
    evolution: Evolution = Evolution()
    patients: Patients = Patients()
    chemo: Chemo = Chemo()
    schedule: list[Annotated[Radiotherapy | Drug, Field(discriminator="kind")]] = Field(default_factory=list)
    simulation: Simulation = Simulation()

    @field_validator("clones")
    @classmethod
    def _fractions(cls, v: list[Clone]) -> list[Clone]:
        total = sum(c.fraction for c in v)
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"clone fractions must sum to 1 (got {total:g})")
        if len({c.name for c in v}) != len(v):
            raise ValueError("clone names must be unique")
        return v


def _path(loc: tuple) -> str:
    out = ""
    for i, part in enumerate(loc):
        if isinstance(part, int):
            out += f"[{part}]"
        elif i and isinstance(loc[i - 1], int) and part in (SCHEDULE_RADIATION, SCHEDULE_DRUG):
            continue  # the discriminator tag pydantic adds to the location
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def _check_names(sc: Scenario, where: str, cat: Catalog) -> None:
    """Mechanism and therapy names must be the catalog's."""

    def bad(field: str, kind: str, name: str, known) -> ChemoradError:
        hint = closest(name, known)
        tail = f"; closest: {', '.join(hint)}" if hint else ""
        return ChemoradError(f"{where}: {field}: unknown {kind} {name!r}{tail}")

    for i, c in enumerate(sc.clones):
        for mid in c.activities:
            if mid not in cat.mechanisms:
                raise bad(f"clones[{i}].activities", "mechanism", mid, cat.mechanisms)
    for i, mid in enumerate(sc.evolution.mechanisms):
        if mid not in cat.mechanisms:
            raise bad(f"evolution.mechanisms[{i}]", "mechanism", mid, cat.mechanisms)
    for drug in [*sc.chemo.radiosensitisation, *sc.chemo.drug_potency]:
        if drug not in cat.therapies or cat.therapies[drug].modality != Modality.drug:
            drugs = [t for t, v in cat.therapies.items() if v.modality == Modality.drug]
            raise bad("chemo.radiosensitisation", "drug", drug, drugs)
    for i, item in enumerate(sc.schedule):
        if isinstance(item, Drug):
            if item.therapy not in cat.therapies or cat.therapies[item.therapy].modality != Modality.drug:
                drugs = [t for t, v in cat.therapies.items() if v.modality == Modality.drug]
                raise bad(f"schedule[{i}].therapy", "drug", item.therapy, drugs)
            pk = cat.therapies[item.therapy].pk
            if pk is None:
                raise ChemoradError(
                    f"{where}: schedule[{i}].therapy: {item.therapy!r} has no pharmacokinetics in the "
                    "catalog, so a clinical dose cannot be simulated"
                )


def parse_scenario(raw: object, where: str = "scenario", *, cat: Catalog) -> Scenario:
    """Validate a scenario given as a dict (e.g. from YAML) against the catalog `cat`.

    `calibration: NAME` takes the packaged clinical calibration NAME (`chemorad calibrate-clinical`) as the defaults
    of `tumour`, `patients` and `chemo`; the file's own values win.
    """
    if not isinstance(raw, dict):
        raise ChemoradError(f"{where}: expected a mapping of scenario fields, got {type(raw).__name__}")
    if raw.get("calibration") is not None:
        raw = with_calibration(raw, where)
    try:
        sc = Scenario.model_validate(raw)
    except ValidationError as exc:
        e = exc.errors()[0]
        raise ChemoradError(f"{where}: {_path(e['loc'])}: {e['msg']}") from None
    _check_names(sc, where, cat)
    check_exact_events(sc, where)
    events(sc.schedule, where, cat=cat)  # a schedule that overlaps itself is an error of the file
    return sc


def simulated_end(sc: Scenario) -> float:
    """The last simulated time (days): ceil(days / dt_days) steps of dt_days. An event is given in the step that
    contains it, so one at or after this time is never given."""
    sim = sc.simulation
    return math.ceil(sim.days / sim.dt_days) * sim.dt_days


def check_horizon(sc: Scenario, where: str = "scenario") -> None:
    """A schedule item of which nothing falls before the end of the simulated time would silently never be given:
    refused (checked when a scenario file is loaded and before every simulation, not in `parse_scenario`: a scenario
    may be parsed with a provisional horizon to lay out its timeline first). A course that starts in time but is cut
    by the end is a warning (`horizon_warnings`)."""
    days, end = sc.simulation.days, simulated_end(sc)
    for i, item in enumerate(sc.schedule):
        if item.start_day >= days:
            raise ChemoradError(
                f"{where}: schedule[{i}].start_day: day {item.start_day:g} is at or after the end of the simulation "
                f"(simulation.days {days:g}), so this course would never be given; start it before day {days:g} or "
                "lengthen simulation.days"
            )
        if isinstance(item, Radiotherapy) and radiotherapy_times(item)[0] >= end:  # gaps_days past the end
            raise ChemoradError(
                f"{where}: schedule[{i}]: its first fraction falls on day {radiotherapy_times(item)[0]:g} "
                f"(start_day {item.start_day:g} after gaps_days), at or after the end of the simulation (day {end:g}), "
                "so no fraction would be given; start it earlier, remove gaps or lengthen simulation.days"
            )


def horizon_warnings(sc: Scenario, where: str = "scenario", *, cat: Catalog) -> list[str]:
    """One line per schedule item cut by the end of the simulated time: how many of its fractions or administrations
    fall at or after `simulated_end` and are not given, and how long simulation.days must be to give them all."""
    end = simulated_end(sc)
    timeline = events(sc.schedule, where, cat=cat)
    out = []
    for i, item in enumerate(sc.schedule):
        times = [e.time_days for e in timeline if e.item == i]
        dropped = sum(t >= end for t in times)
        if dropped:
            what = "fractions" if isinstance(item, Radiotherapy) else "administrations"
            out.append(
                f"{where}: schedule[{i}]: {dropped} of {len(times)} {what} fall at or after the end of the simulation "
                f"(day {end:g}) and are not given; lengthen simulation.days beyond day {max(times):g} to give them all"
            )
    return out


#: most events (divisions and deaths) per replicate that `mode: exact` may simulate: about a minute at the ~10,000
#: events a second measured on 2 shared cores (Gillespie's direct method steps one event per pass)
MAX_EXACT_EVENTS = 5e5


def exact_events_bound(sc: Scenario) -> tuple[float, float]:
    """(events, peak cells): an upper bound on one replicate's events in exact mode, before any simulation.

    Untreated growth is bounded by exponential growth at the fastest rate the tumour may reach over the course,
    g = ln 2 / min(Tpot, Tpot / acceleration, accelerated doubling), capped at the carrying capacity K (Gompertz growth
    is slower, treatment only removes cells): N(t) <= min(K, N0 e^(g t)). Each cell divides at b = g + loss and dies at
    d = loss, so events <= (g + 2 loss) * integral_0^T min(K, N0 e^(g t)) dt, in closed form.
    """
    t = sc.tumour
    fastest = min(t.doubling_time_days, t.doubling_time_days / t.repopulation_acceleration)
    if t.accelerated_doubling_days is not None:
        fastest = min(fastest, t.accelerated_doubling_days)
    g = math.log(2.0) / fastest
    n0, cap, days = t.initial_cells, t.carrying_capacity, sc.simulation.days
    t_cap = math.log(cap / n0) / g  # when exponential growth would reach K
    if days <= t_cap:
        integral, peak = n0 * math.expm1(g * days) / g, n0 * math.exp(g * days)
    else:
        integral, peak = (cap - n0) / g + cap * (days - t_cap), cap
    return (g + 2.0 * t.cell_loss_per_day) * integral, peak


def check_exact_events(sc: Scenario, where: str = "scenario") -> None:
    """Refuse `mode: exact` when the tumour's growth over the course bounds its events above `MAX_EXACT_EVENTS`."""
    if sc.simulation.mode != "exact":
        return
    n_events, peak = exact_events_bound(sc)
    if n_events > MAX_EXACT_EVENTS:
        raise ChemoradError(
            f"{where}: simulation.mode: exact simulates every division and death, and {sc.tumour.initial_cells:.3g} "
            f"cells growing for {sc.simulation.days:g} days (up to {peak:.3g} cells) may need {n_events:.3g} events "
            f"per replicate, more than {MAX_EXACT_EVENTS:.0e}; use mode: auto (exact below 1,000 cells) or tau, or "
            "shorten simulation.days"
        )


def load_scenario(path: Path | str, *, cat: Catalog) -> Scenario:
    """Read and validate a scenario YAML file against the catalog `cat`."""
    path = Path(path)
    sc = parse_scenario(read_yaml(path, "scenario file"), str(path), cat=cat)
    check_horizon(sc, str(path))
    return sc


def with_calibration(raw: dict, where: str = "scenario") -> dict:
    """`raw` merged over the packaged calibration it names (section by section; the file's values win)."""
    name = raw["calibration"]
    fitted = load_calibration(name, where)
    out = dict(raw)
    for section, values in fitted.items():
        mine = raw.get(section, {})
        if not isinstance(mine, dict):
            continue  # pydantic reports the wrong type with its field path
        out[section] = {**values, **mine}
    return out
