"""Treatment schedules: radiotherapy fractionation and drug cycles expanded into a timeline of events.

Radiotherapy: `fractions` fractions of `dose_gy`, `per_day` a day (separated by `interval_h`) on the first `per_week`
days of each 7-day week counted from `start_day` (5: Monday-Friday with weekend gaps), skipping `gaps_days` (unplanned
interruptions, counted from `start_day`), so a gap prolongs the course as in the clinic. Drugs: one administration at
`start_day + k * cycle_days`, k = 0..cycles-1, at the catalog's dose and cycle length unless given.
"""

from __future__ import annotations

import typing
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from chemorad.catalog.load import Catalog
from chemorad.catalog.registry import SCHEDULE_DRUG, SCHEDULE_RADIATION
from chemorad.errors import ChemoradError

#: most radiotherapy fractions in one schedule item: ten times the longest clinical courses (hyperfractionated
#: 2 x 1.2 Gy a day, about 70 fractions), and small enough that the timeline is built in milliseconds
MAX_FRACTIONS = 1_000
#: most drug cycles in one schedule item (clinical regimens give 1 to about 20)
MAX_CYCLES = 1_000


def _admits_bool(annotation: Any) -> bool:
    """Whether a field's type accepts true/false anywhere (bool itself, or inside a union or container)."""
    if annotation is bool:
        return True
    return any(_admits_bool(a) for a in typing.get_args(annotation))


def _holds_bool(value: Any, annotation: Any) -> bool:
    """Whether `value` is true/false, or a list or mapping (where the field is one) holding true/false."""
    if isinstance(value, bool):
        return True
    origins = {typing.get_origin(a) for a in (annotation, *typing.get_args(annotation))}
    if isinstance(value, list | tuple) and origins & {list, tuple}:
        return any(isinstance(v, bool) for v in value)
    if isinstance(value, dict) and dict in origins:
        return any(isinstance(v, bool) for v in value.values())
    return False


def refuse_bool_numbers(model: type[BaseModel], raw: Any) -> Any:
    """For a `before` model validator: YAML `true`/`false` where a number (or a list or mapping of numbers) is expected
    is an error, not 1 or 0 (pydantic's lax mode would read `fractions: true` as one fraction)."""
    if isinstance(raw, dict):
        for name, value in raw.items():
            field = model.model_fields.get(name) if isinstance(name, str) else None
            if field is not None and not _admits_bool(field.annotation) and _holds_bool(value, field.annotation):
                raise PydanticCustomError("bool_number", "{name}: expected a number, got true/false", {"name": name})
    return raw


class _Strict(BaseModel):
    # NaN and infinity are not numbers a schedule can hold: refused as "finite number", not as a failed bound
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _no_bool_numbers(cls, raw: Any) -> Any:
        return refuse_bool_numbers(cls, raw)


class Radiotherapy(_Strict):
    kind: Literal[SCHEDULE_RADIATION] = SCHEDULE_RADIATION
    start_day: float = Field(0.0, ge=0)
    dose_gy: float = Field(gt=0, le=30, description="dose per fraction")
    fractions: int = Field(gt=0, le=MAX_FRACTIONS)
    per_week: int = Field(5, ge=1, le=14)
    per_day: int = Field(1, ge=1, le=3)
    interval_h: float = Field(6.0, gt=0, description="between fractions on the same day")
    gaps_days: list[float] = Field(default_factory=list, description="extra days without treatment (unplanned gaps)")

    @model_validator(mode="after")
    def _same_day(self) -> Radiotherapy:
        # the day's last fraction must come before the next day's first, or two fractions fall at one instant
        if (self.per_day - 1) * self.interval_h >= 24.0:
            raise PydanticCustomError(
                "same_day",
                "per_day {per_day} with interval_h {interval} puts the day's last fraction at or after the next "
                "day's first; (per_day - 1) x interval_h must be below 24 h: interval_h below {most} for "
                "{per_day} a day",
                {"per_day": self.per_day, "interval": f"{self.interval_h:g}", "most": f"{24 / (self.per_day - 1):g}"},
            )
        return self


class Drug(_Strict):
    kind: Literal[SCHEDULE_DRUG] = SCHEDULE_DRUG
    therapy: str
    start_day: float = Field(0.0, ge=0)
    dose_mg_m2: float | None = Field(None, gt=0, description="default: the catalog's standard dose")
    cycle_days: float | None = Field(None, gt=0, description="default: the catalog's cycle length")
    cycles: int = Field(1, gt=0, le=MAX_CYCLES)


@dataclass(frozen=True)
class Event:
    time_days: float
    therapy: str  # catalog therapy id
    dose: float  # Gy per fraction, or mg/m^2 per administration
    item: int  # index in the scenario's schedule


def radiotherapy_times(rt: Radiotherapy) -> list[float]:
    """Times (days) of every fraction."""
    times: list[float] = []
    gaps = {int(round(g)) for g in rt.gaps_days}
    day = 0
    while len(times) < rt.fractions:
        if day % 7 < rt.per_week and day not in gaps:
            for k in range(rt.per_day):
                if len(times) < rt.fractions:
                    times.append(rt.start_day + day + k * rt.interval_h / 24.0)
        day += 1
    return times


def events(schedule: Sequence[Radiotherapy | Drug], where: str = "scenario", *, cat: Catalog) -> list[Event]:
    """Every treatment event in time order (drug defaults from `cat`); items that overlap themselves are an error."""
    out: list[Event] = []
    spans: list[tuple[float, float, str, int]] = []
    for i, item in enumerate(schedule):
        if isinstance(item, Radiotherapy):
            times = radiotherapy_times(item)
            out += [Event(t, cat.radiotherapy.id, item.dose_gy, i) for t in times]  # the catalog's photon therapy
            spans.append((times[0], times[-1], cat.radiotherapy.id, i))
        elif isinstance(item, Drug):
            pk = cat.therapies[item.therapy].pk
            cycle = item.cycle_days or pk.cycle_days.value
            dose = item.dose_mg_m2 or pk.dose_mg_m2.value
            times = [item.start_day + k * cycle for k in range(item.cycles)]
            out += [Event(t, item.therapy, dose, i) for t in times]
            spans.append((times[0], times[-1] + cycle - 1e-9, item.therapy, i))
    for a in range(len(spans)):
        for b in range(a + 1, len(spans)):
            sa, sb = spans[a], spans[b]
            if sa[2] == sb[2] and sa[0] <= sb[1] and sb[0] <= sa[1]:
                raise ChemoradError(
                    f"{where}: schedule[{sb[3]}]: overlaps schedule[{sa[3]}] ({sa[2]} given twice "
                    f"between day {max(sa[0], sb[0]):g} and {min(sa[1], sb[1]):g})"
                )
    return sorted(out, key=lambda e: (e.time_days, e.item))
