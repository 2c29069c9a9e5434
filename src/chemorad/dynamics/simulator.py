"""A tumour over a course of treatment: clones x compartments, growth, kill through the damage chain, the 5 Rs.

State (arrays, per replicate): viable cells `counts[r, s]` over states s = (clone, compartment), compartments oxic and
hypoxic; lethally damaged cells `dead[r]` awaiting clearance; the cell-cycle phase distribution `phase_w[s, p]` of each
state (population level, shared by replicates). Between treatment events the engine (`engine.advance`) moves the counts
by division, death and mutation over steps of `dt_days`; at each event the chain gives every state's surviving fraction
and survivors are drawn binomially.

Growth: Gompertz, dN/dt = a N ln(K/N) with a = ln 2 / (Tpot ln(K/N0)) so that the initial doubling time is Tpot
(Norton 1988, Cancer Res 48:7067), with the per-capita rate capped at ln 2 / Tpot below N0 (Tpot is the no-loss
maximum). Per replicate, division rate b = f min(a ln(K/N), ln 2 / Tpot) + loss and death rate = loss, where
f = (the clone's repopulation fold) x (repopulation acceleration after the kick-off time).

The 5 Rs:
- Repair: sublethal-damage repair between fractions by the incomplete-repair (Lea-Catcheside) increment: fraction i
  gets G_i = 1 + 2 sum_{j<i} (d_j/d_i) exp(-mu (t_i - t_j)), mu = ln 2 / T_repair (the catalog's repair half-time);
  fractions a day or more apart are effectively independent (Thames 1985, Int J Radiat Biol 47:319).
- Redistribution: each state carries a phase distribution; a fraction multiplies it by the phase survival (survivors
  are enriched in late S), and it relaxes back to the asynchronous distribution at rate 4 / Tc (one phase transit).
- Reoxygenation: the hypoxic fraction h relaxes towards h* = h0 min(1, N/N0) at `reoxygenation_per_day`: shrinking
  tumours reoxygenate (Hall & Giaccia, ch. 6).
- Repopulation: growth accelerates by `repopulation_acceleration` from `repopulation_kickoff_days` after the first
  treatment (head and neck kick-off about 28 days: Withers, Taylor & Maciejewski 1988, Acta Oncol 27:131).
- Radiosensitivity: per clone, from its phenotype through the chain.

Drugs: each administration kills at the in-vitro-equivalent concentration of its plasma AUC (`chain.exposure`), in the
compartment's oxygen and at its distance from the vessel (penetration), instantaneously.
Evolution: at division a cell gains one step of an evolvable mechanism with probability `rate_per_division` (a new
clone: parent + step); optional non-genetic switching moves cells between parent and variant at `switching_per_day`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from chemorad.catalog.load import Catalog
from chemorad.catalog.schema import Phase, Quantity
from chemorad.chain.exposure import plasma_exposure
from chemorad.chain.phenotype import effect_weights, from_array, modifiers
from chemorad.chain.survival import Environment, survival
from chemorad.dynamics import engine
from chemorad.dynamics.scenario import Scenario
from chemorad.dynamics.schedule import RADIOTHERAPY, Event, events

PHASES = tuple(Phase)
# Asynchronous phase distribution of an exponentially growing population: G1 0.4, early S 0.2, late S 0.2, G2/M 0.2, the
# weights the catalog's phase sensitivities were normalised with (therapies.yaml, radiotherapy phase_sensitivity_*).
ASYNC = np.array([0.4, 0.2, 0.2, 0.2])
COMPARTMENTS = ("oxic", "hypoxic")


@dataclass(frozen=True)
class Model:
    """The scenario compiled into arrays: clone phenotypes, states, mutation matrix, environments."""

    clone_names: tuple[str, ...]
    activities: np.ndarray  # (n_clones, n_mechanisms)
    parent: np.ndarray  # (n_clones,) index of the parent clone, -1 for initial clones
    mutation: np.ndarray  # (S, S) row-stochastic, per division
    po2: np.ndarray  # (2,)
    distance: np.ndarray  # (2,)
    repop_fold: np.ndarray  # (S,)

    @property
    def n_clones(self) -> int:
        return len(self.clone_names)


def compile_model(sc: Scenario, cat: Catalog) -> Model:
    """The scenario's clones (initial clones, then one variant per clone and evolvable mechanism) as arrays."""
    mids = list(cat.mechanisms)
    base = []
    for c in sc.clones:
        a = np.zeros(len(mids))
        for mid, v in c.activities.items():
            a[mids.index(mid)] = v
        base.append(a)
    names = [c.name for c in sc.clones]
    acts = list(base)
    parent = [-1] * len(base)
    for i, c in enumerate(sc.clones):
        for mid in sc.evolution.mechanisms:
            a = base[i].copy()
            a[mids.index(mid)] += sc.evolution.step
            names.append(f"{c.name}+{mid}")
            acts.append(a)
            parent.append(i)
    n = len(names)
    mu = np.eye(n)
    for j, p in enumerate(parent):
        if p >= 0:
            mu[p, j] = sc.evolution.rate_per_division
            mu[p, p] -= sc.evolution.rate_per_division
    mutation = np.kron(mu, np.eye(len(COMPARTMENTS)))  # states ordered (clone, compartment)
    t = sc.tumour
    ph = from_array(cat, np.array(acts))
    # The repopulation quantity is therapy-independent; any therapy's weights carry it.
    rep = modifiers(effect_weights(cat, radiation_therapy(cat)), ph)[Quantity.repopulation]
    return Model(
        tuple(names),
        np.array(acts),
        np.array(parent),
        mutation,
        np.array([t.oxic_po2_mmhg, t.hypoxic_po2_mmhg]),
        np.array([0.0, t.hypoxic_distance_um]),
        np.repeat(rep, len(COMPARTMENTS)),
    )


def radiation_therapy(cat: Catalog):
    """The catalog's photon radiotherapy (the therapy whose fractions the schedule's radiotherapy items give)."""
    return cat.therapies[RADIOTHERAPY]


def state_survival(model: Model, ev: Event, cat: Catalog, g: float = 1.0, phases: bool = True) -> np.ndarray:
    """Surviving fraction per (state, phase), shape (S, 4), for one treatment event (phases=False: asynchronous)."""
    ph = from_array(cat, model.activities)
    if ev.therapy == RADIOTHERAPY and not phases:
        one = survival(cat, RADIOTHERAPY, ev.dose, ph, Environment(po2_mmhg=model.po2[:, None], g=g))
        sf = np.repeat(one[..., None], len(PHASES), axis=-1)
    elif ev.therapy == RADIOTHERAPY:
        per = [
            survival(cat, RADIOTHERAPY, ev.dose, ph, Environment(po2_mmhg=model.po2[:, None], phase=p, g=g))
            for p in PHASES
        ]
        sf = np.stack(per, axis=-1)  # (compartments, clones, phases)
    else:
        conc = plasma_exposure(cat.therapies[ev.therapy], dose_mg_m2=ev.dose).equivalent_conc_um
        one = survival(
            cat, ev.therapy, conc, ph, Environment(po2_mmhg=model.po2[:, None], distance_um=model.distance[:, None])
        )
        one = np.broadcast_to(one, (len(model.po2), model.n_clones))  # drugs blind to oxygen and distance
        sf = np.repeat(one[..., None], len(PHASES), axis=-1)
    return np.transpose(sf, (1, 0, 2)).reshape(-1, len(PHASES))  # (clone, compartment) order


@dataclass(frozen=True)
class Result:
    """dataset: time x clone x compartment counts per replicate (None when `simulate(..., dataset=False)`);
    summary: one row per replicate; final_cells_by_clone: replicate x clone viable cells at the end."""

    dataset: xr.Dataset | None
    summary: pd.DataFrame
    final_cells_by_clone: pd.DataFrame


def _draw(n: np.ndarray, p: np.ndarray, rng: np.random.Generator, deterministic: bool) -> np.ndarray:
    p = np.clip(p, 0.0, 1.0)
    return n * p if deterministic else rng.binomial(n.astype(np.int64), np.broadcast_to(p, n.shape))


# --- the 5 Rs, one function each ---


def repair_factor(
    past_fractions: list[tuple[float, float]], time_days: float, dose_gy: float, mu_per_day: float
) -> float:
    """Repair: the incomplete-repair (Lea-Catcheside) factor of a fraction of `dose_gy` at `time_days`.

    G = 1 + 2 sum_j (d_j / d) exp(-mu (t - t_j)) over the earlier fractions (t_j, d_j) less than 2 days before,
    mu = ln 2 / T_repair (per day). G = 1 for a fraction long after every other (full repair between fractions);
    two equal fractions at the same instant give G = 3 for the second, i.e. the beta term of one fraction of 2d
    split as d^2 + 3 d^2 = (2d)^2 (Thames 1985, Int J Radiat Biol 47:319).
    """
    return 1.0 + 2.0 * sum(
        (d / dose_gy) * np.exp(-mu_per_day * (time_days - tj)) for tj, d in past_fractions if time_days - tj < 2.0
    )


def kill(
    counts: np.ndarray, phase_w: np.ndarray, sf_phase: np.ndarray, rng: np.random.Generator, det: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Radiosensitivity: survivors of one treatment event and the number killed per replicate.

    Each state's surviving fraction is its phase-weighted survival sum_p w_sp SF_sp; survivors are the expected
    number (deterministic) or Binomial(n, SF) draws.
    """
    sf_state = (phase_w * sf_phase).sum(axis=1)
    survivors = _draw(counts, sf_state, rng, det)
    return survivors, (counts - survivors).sum(axis=1)


def redistribute_after_kill(phase_w: np.ndarray, sf_phase: np.ndarray) -> np.ndarray:
    """Redistribution (selection): after a kill the survivors' phase distribution is w_sp SF_sp / sum_p w_sp SF_sp."""
    w = phase_w * sf_phase
    return w / np.maximum(w.sum(axis=1, keepdims=True), 1e-300)


def relax_phases(phase_w: np.ndarray, k_per_day: float, dt_days: float) -> np.ndarray:
    """Redistribution (cycling): the phase distribution relaxes to the asynchronous one, w -> A + (w - A) e^{-k dt}."""
    return ASYNC + (phase_w - ASYNC) * np.exp(-k_per_day * dt_days)


def reoxygenate(
    counts: np.ndarray,
    hypoxic: np.ndarray,
    target_h: np.ndarray,
    rate_per_day: float,
    dt_days: float,
    rng: np.random.Generator,
    det: bool,
) -> np.ndarray:
    """Reoxygenation: the hypoxic share h of each replicate relaxes towards `target_h` over `dt_days`.

    h(t + dt) = h* + (h - h*) exp(-k dt); the cells moved are drawn from each hypoxic state (h > h*: hypoxic ->
    oxic, probability (h - h(t + dt)) / h) or each oxic state (h < h*: oxic -> hypoxic).
    """
    n_tot = counts.sum(axis=1).astype(float)
    h = np.where(n_tot > 0, counts[:, hypoxic].sum(axis=1) / np.maximum(n_tot, 1e-300), 0.0)
    shift = (h - target_h) * (1 - np.exp(-rate_per_day * dt_days))
    down = np.where(shift > 0, shift / np.maximum(h, 1e-300), 0.0)  # hypoxic -> oxic
    up = np.where(shift < 0, -shift / np.maximum(1 - h, 1e-300), 0.0)  # oxic -> hypoxic
    move_down = _draw(counts[:, hypoxic], down[:, None], rng, det)
    move_up = _draw(counts[:, ~hypoxic], up[:, None], rng, det)
    out = counts.copy()
    out[:, hypoxic] += move_up - move_down
    out[:, ~hypoxic] += move_down - move_up
    return out


def growth_rates(
    n_tot: np.ndarray,
    tumour,
    accel: float,
    repop_fold: np.ndarray,
    a0: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Repopulation: per-cell division and death rates (per day) at the current size `n_tot` (R, 1).

    Gompertz above N0, capped at the potential doubling rate ln 2 / Tpot below it; times the clone's repopulation
    fold and the acceleration `accel`; plus the loss rate on both sides (formula in the module docstring).
    """
    with np.errstate(divide="ignore"):
        drive = np.log(tumour.carrying_capacity / np.maximum(n_tot, 1.0))
    # Gompertz above N0; below it the per-capita rate is capped at the potential doubling rate ln 2 / Tpot, the
    # maximum a cell population reaches without cell loss (an uncapped Gompertz law would let a 1e3-cell residue
    # double in hours).
    per_cell = np.minimum(a0 * drive, np.log(2) / tumour.doubling_time_days)
    birth = np.maximum(accel * repop_fold[None, :] * per_cell, 0.0) + tumour.cell_loss_per_day
    death = np.full_like(birth, tumour.cell_loss_per_day)
    return birth, death


def repopulation_acceleration(t_days: float, first_treatment_days: float, tumour) -> float:
    """The growth-rate factor at `t_days`: `repopulation_acceleration` from the kick-off after the first treatment."""
    return (
        tumour.repopulation_acceleration if t_days >= first_treatment_days + tumour.repopulation_kickoff_days else 1.0
    )


# --- the run ---


@dataclass
class _State:
    counts: np.ndarray  # (R, S)
    dead: np.ndarray  # (R,)
    phase_w: np.ndarray  # (S, 4)


def _initial_state(sc: Scenario, model: Model, reps: int, det: bool) -> _State:
    """Initial cells: clone fractions x (1 - h0, h0), phases asynchronous."""
    t = sc.tumour
    S = model.n_clones * len(COMPARTMENTS)
    init = np.zeros(S)
    for i, c in enumerate(sc.clones):
        init[2 * i] = t.initial_cells * c.fraction * (1 - t.hypoxic_fraction)
        init[2 * i + 1] = t.initial_cells * c.fraction * t.hypoxic_fraction
    counts = np.tile(init, (reps, 1))
    counts = counts if det else np.round(counts).astype(np.int64)
    return _State(counts, np.zeros(reps), np.tile(ASYNC, (S, 1)))


def simulate(
    sc: Scenario,
    replicates: int | None = None,
    seed: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    dataset: bool = True,
    *,
    cat: Catalog,
) -> Result:
    """Run the scenario against the catalog `cat`; one seed governs all randomness (formulas in the module docstring).

    Each step applies the treatment events that fall in it (repair factor, kill, redistribution by selection), then
    growth (repopulation), clearance of the dead, reoxygenation, switching and phase relaxation. `dataset=False`
    skips building the xarray Dataset (about 30% of a short run) when only the summary is needed, as in sweeps.
    """
    sim, t = sc.simulation, sc.tumour
    reps = replicates or sim.replicates
    rng = np.random.default_rng(sim.seed if seed is None else seed)
    det = sim.mode == "deterministic"
    model = compile_model(sc, cat)
    st = _initial_state(sc, model, reps, det)
    S = st.counts.shape[1]
    timeline = events(sc.schedule, cat=cat)
    first_treatment = timeline[0].time_days if timeline else np.inf
    a0 = np.log(2) / (t.doubling_time_days * np.log(t.carrying_capacity / t.initial_cells))
    rad = radiation_therapy(cat)
    mu_repair = np.log(2) / (rad.parameters["repair_half_time_h"].value / 24.0)
    clear = np.log(2) / t.dead_clearance_half_life_days
    k_phase = 4.0 / t.cycle_time_days
    hypoxic = np.arange(S) % 2 == 1
    n_steps = int(np.ceil(sim.days / sim.dt_days))
    times = np.linspace(0.0, n_steps * sim.dt_days, n_steps + 1)
    rec_counts = np.zeros((reps, n_steps + 1, S))
    rec_dead = np.zeros((reps, n_steps + 1))
    rec_counts[:, 0] = st.counts
    sf_cache: dict[tuple, np.ndarray] = {}
    past_fractions: list[tuple[float, float]] = []
    ev_i = 0
    for k in range(1, n_steps + 1):
        t0, t1 = times[k - 1], times[k]
        # Treatment events falling in [t0, t1): applied at their times, growth in between.
        while ev_i < len(timeline) and timeline[ev_i].time_days < t1:
            ev = timeline[ev_i]
            g = 1.0
            if ev.therapy == RADIOTHERAPY:
                g = repair_factor(past_fractions, ev.time_days, ev.dose, mu_repair)
                past_fractions.append((ev.time_days, ev.dose))
            key = (ev.therapy, ev.dose, round(g, 9))
            if key not in sf_cache:
                sf_cache[key] = state_survival(model, ev, cat, g, phases=t.redistribution)
            sf_p = sf_cache[key]
            st.counts, killed = kill(st.counts, st.phase_w, sf_p, rng, det)
            st.dead += killed
            st.phase_w = redistribute_after_kill(st.phase_w, sf_p)
            ev_i += 1
        _grow(st, sc, model, repopulation_acceleration(t0, first_treatment, t), a0, clear, rng, det)
        target = t.hypoxic_fraction * np.minimum(1.0, st.counts.sum(axis=1).astype(float) / t.initial_cells)
        st.counts = reoxygenate(st.counts, hypoxic, target, t.reoxygenation_per_day, sim.dt_days, rng, det)
        # Non-genetic switching between each parent and its variants, both ways.
        if sc.evolution.switching_per_day > 0:
            st.counts = _switch(st.counts, model, sc.evolution.switching_per_day * sim.dt_days, rng, det)
        st.phase_w = relax_phases(st.phase_w, k_phase, sim.dt_days)
        rec_counts[:, k] = st.counts
        rec_dead[:, k] = st.dead
        if progress:
            progress(k, n_steps)
    return _result(sc, model, times, rec_counts, rec_dead, timeline, dataset)


def _grow(st: _State, sc: Scenario, model: Model, accel: float, a0: float, clear: float, rng, det: bool) -> None:
    """Growth, death and mutation over one step, and clearance of the lethally damaged cells."""
    t, dt = sc.tumour, sc.simulation.dt_days
    n_tot = st.counts.sum(axis=1, keepdims=True).astype(float)
    birth, death = growth_rates(n_tot, t, accel, model.repop_fold, a0)
    before = st.counts
    st.counts = engine.advance(
        st.counts,
        engine.Rates(birth, death, model.mutation),
        dt,
        rng,
        mode="deterministic" if det else sc.simulation.mode,
    )
    spontaneous = np.maximum(before.sum(axis=1) * t.cell_loss_per_day * dt, 0.0)
    st.dead = st.dead * np.exp(-clear * dt) + spontaneous


def _switch(counts, model: Model, p: float, rng, det: bool):
    counts = counts.copy()
    for j, par in enumerate(model.parent):
        if par < 0:
            continue
        for comp in range(len(COMPARTMENTS)):
            a, b = 2 * par + comp, 2 * j + comp
            fwd = _draw(counts[:, a], p, rng, det)
            back = _draw(counts[:, b], p, rng, det)
            counts[:, a] += back - fwd
            counts[:, b] += fwd - back
    return counts


def _result(
    sc: Scenario, model: Model, times, rec_counts, rec_dead, timeline: list[Event], dataset: bool = True
) -> Result:
    reps, nt, _ = rec_counts.shape
    cells = rec_counts.reshape(reps, nt, model.n_clones, len(COMPARTMENTS))
    viable = cells.sum(axis=(2, 3))
    ds = _dataset(sc, model, times, cells, rec_dead, viable, timeline) if dataset else None
    n0 = sc.tumour.initial_cells
    end_treat = timeline[-1].time_days if timeline else 0.0
    final_by_clone = cells[:, -1].sum(axis=2)  # (replicate, clone)
    rows = []
    for r in range(reps):
        v = viable[r]
        nadir = int(np.argmin(v))
        after = np.flatnonzero((times > max(times[nadir], end_treat)) & (v > sc.simulation.progression_factor * n0))
        final = final_by_clone[r]
        rows.append(
            {
                "replicate": r,
                "log_kill": float(np.log10(n0 / max(v[nadir], 1.0))),
                "nadir_cells": float(v[nadir]),
                "nadir_day": float(times[nadir]),
                "final_cells": float(v[-1]),
                "time_to_progression_days": float(times[after[0]]) if after.size else np.nan,
                "eradicated": bool(v[-1] < 1),
                **{f"final_{name}": float(final[i]) for i, name in enumerate(model.clone_names)},
            }
        )
    final = pd.DataFrame(final_by_clone, columns=list(model.clone_names)).rename_axis("replicate")
    return Result(ds, pd.DataFrame(rows), final)


def _dataset(sc: Scenario, model: Model, times, cells, rec_dead, viable, timeline: list[Event]) -> xr.Dataset:
    """The run as an xarray Dataset: cells (replicate, time, clone, compartment), dead, viable, hypoxic_fraction."""
    reps = cells.shape[0]
    ds = xr.Dataset(
        {
            "cells": (("replicate", "time", "clone", "compartment"), cells),
            "dead": (("replicate", "time"), rec_dead),
        },
        coords={
            "replicate": np.arange(reps),
            "time": times,
            "clone": list(model.clone_names),
            "compartment": list(COMPARTMENTS),
        },
        attrs={
            "scenario": sc.name,
            "units_time": "days",
            "units_cells": "cells",
            "events": "; ".join(f"{e.time_days:g}:{e.therapy}:{e.dose:g}" for e in timeline),
        },
    )
    ds["viable"] = (("replicate", "time"), viable)
    with np.errstate(invalid="ignore", divide="ignore"):
        ds["hypoxic_fraction"] = (("replicate", "time"), cells[..., 1].sum(axis=2) / viable)
    return ds
