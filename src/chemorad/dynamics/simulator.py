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

from chemorad.catalog import catalog
from chemorad.catalog.schema import Phase, Quantity
from chemorad.chain.exposure import plasma_exposure
from chemorad.chain.phenotype import effect_weights, from_array, modifiers
from chemorad.chain.survival import Environment, survival
from chemorad.dynamics import engine
from chemorad.dynamics.scenario import Scenario
from chemorad.dynamics.schedule import Event, events

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


def compile_model(sc: Scenario) -> Model:
    cat = catalog()
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
    rep = modifiers(effect_weights(cat, cat.therapies["radiotherapy"]), ph)[Quantity.repopulation]
    return Model(
        tuple(names),
        np.array(acts),
        np.array(parent),
        mutation,
        np.array([t.oxic_po2_mmhg, t.hypoxic_po2_mmhg]),
        np.array([0.0, t.hypoxic_distance_um]),
        np.repeat(rep, len(COMPARTMENTS)),
    )


def state_survival(model: Model, ev: Event, g: float = 1.0, phases: bool = True) -> np.ndarray:
    """Surviving fraction per (state, phase), shape (S, 4), for one treatment event (phases=False: asynchronous)."""
    cat = catalog()
    ph = from_array(cat, model.activities)
    if ev.therapy == "radiotherapy" and not phases:
        one = survival(cat, "radiotherapy", ev.dose, ph, Environment(po2_mmhg=model.po2[:, None], g=g))
        sf = np.repeat(one[..., None], len(PHASES), axis=-1)
    elif ev.therapy == "radiotherapy":
        per = [
            survival(cat, "radiotherapy", ev.dose, ph, Environment(po2_mmhg=model.po2[:, None], phase=p, g=g))
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


def simulate(
    sc: Scenario,
    replicates: int | None = None,
    seed: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    dataset: bool = True,
) -> Result:
    """Run the scenario; one seed governs all randomness (formulas in the module docstring). `dataset=False` skips
    building the xarray Dataset (about 30% of a short run) when only the summary is needed, as in sweeps."""
    cat = catalog()
    sim, t = sc.simulation, sc.tumour
    reps = replicates or sim.replicates
    rng = np.random.default_rng(sim.seed if seed is None else seed)
    det = sim.mode == "deterministic"
    model = compile_model(sc)
    S = model.n_clones * len(COMPARTMENTS)
    # Initial cells: clone fractions x (1 - h0, h0), phases asynchronous.
    init = np.zeros(S)
    for i, c in enumerate(sc.clones):
        init[2 * i] = t.initial_cells * c.fraction * (1 - t.hypoxic_fraction)
        init[2 * i + 1] = t.initial_cells * c.fraction * t.hypoxic_fraction
    counts = np.tile(init, (reps, 1))
    counts = counts if det else np.round(counts).astype(np.int64)
    dead = np.zeros(reps)
    phase_w = np.tile(ASYNC, (S, 1))
    timeline = events(sc.schedule)
    first_treatment = timeline[0].time_days if timeline else np.inf
    a0 = np.log(2) / (t.doubling_time_days * np.log(t.carrying_capacity / t.initial_cells))
    rad = cat.therapies["radiotherapy"]
    mu_repair = np.log(2) / (rad.parameters["repair_half_time_h"].value / 24.0)
    clear = np.log(2) / t.dead_clearance_half_life_days
    k_phase = 4.0 / t.cycle_time_days
    hypoxic = np.arange(S) % 2 == 1
    n_steps = int(np.ceil(sim.days / sim.dt_days))
    times = np.linspace(0.0, n_steps * sim.dt_days, n_steps + 1)
    rec_counts = np.zeros((reps, n_steps + 1, S))
    rec_dead = np.zeros((reps, n_steps + 1))
    rec_counts[:, 0] = counts
    sf_cache: dict[tuple, np.ndarray] = {}
    past_fractions: list[tuple[float, float]] = []
    ev_i = 0
    for k in range(1, n_steps + 1):
        t0, t1 = times[k - 1], times[k]
        # Treatment events falling in [t0, t1): applied at their times, growth in between.
        while ev_i < len(timeline) and timeline[ev_i].time_days < t1:
            ev = timeline[ev_i]
            g = 1.0
            if ev.therapy == "radiotherapy":
                g = 1.0 + 2.0 * sum(
                    (d / ev.dose) * np.exp(-mu_repair * (ev.time_days - tj))
                    for tj, d in past_fractions
                    if ev.time_days - tj < 2.0
                )
                past_fractions.append((ev.time_days, ev.dose))
            key = (ev.therapy, ev.dose, round(g, 9))
            if key not in sf_cache:
                sf_cache[key] = state_survival(model, ev, g, phases=t.redistribution)
            sf_p = sf_cache[key]
            sf_state = (phase_w * sf_p).sum(axis=1)
            survivors = _draw(counts, sf_state, rng, det)
            dead += (counts - survivors).sum(axis=1)
            counts = survivors
            phase_w = phase_w * sf_p
            phase_w /= np.maximum(phase_w.sum(axis=1, keepdims=True), 1e-300)
            ev_i += 1
        # Growth, death and mutation over the step.
        n_tot = counts.sum(axis=1, keepdims=True).astype(float)
        accel = t.repopulation_acceleration if t0 >= first_treatment + t.repopulation_kickoff_days else 1.0
        with np.errstate(divide="ignore"):
            drive = np.log(t.carrying_capacity / np.maximum(n_tot, 1.0))
        # Gompertz above N0; below it the per-capita rate is capped at the potential doubling rate ln 2 / Tpot, the
        # maximum a cell population reaches without cell loss (an uncapped Gompertz law would let a 1e3-cell residue
        # double in hours).
        per_cell = np.minimum(a0 * drive, np.log(2) / t.doubling_time_days)
        birth = np.maximum(accel * model.repop_fold[None, :] * per_cell, 0.0) + t.cell_loss_per_day
        death = np.full_like(birth, t.cell_loss_per_day)
        before = counts
        counts = engine.advance(
            counts,
            engine.Rates(birth, death, model.mutation),
            sim.dt_days,
            rng,
            mode="deterministic" if det else sim.mode,
        )
        spontaneous = np.maximum(before.sum(axis=1) * t.cell_loss_per_day * sim.dt_days, 0.0)
        dead = dead * np.exp(-clear * sim.dt_days) + spontaneous
        # Reoxygenation: the hypoxic share relaxes towards h0 min(1, N/N0).
        n_tot = counts.sum(axis=1).astype(float)
        h = np.where(n_tot > 0, counts[:, hypoxic].sum(axis=1) / np.maximum(n_tot, 1e-300), 0.0)
        target = t.hypoxic_fraction * np.minimum(1.0, n_tot / t.initial_cells)
        shift = (h - target) * (1 - np.exp(-t.reoxygenation_per_day * sim.dt_days))
        down = np.where(shift > 0, shift / np.maximum(h, 1e-300), 0.0)  # hypoxic -> oxic
        up = np.where(shift < 0, -shift / np.maximum(1 - h, 1e-300), 0.0)  # oxic -> hypoxic
        move_down = _draw(counts[:, hypoxic], down[:, None], rng, det)
        move_up = _draw(counts[:, ~hypoxic], up[:, None], rng, det)
        counts = counts.copy()
        counts[:, hypoxic] += move_up - move_down
        counts[:, ~hypoxic] += move_down - move_up
        # Non-genetic switching between each parent and its variants, both ways.
        if sc.evolution.switching_per_day > 0:
            counts = _switch(counts, model, sc.evolution.switching_per_day * sim.dt_days, rng, det)
        # Redistribution: phases relax to the asynchronous distribution.
        phase_w = ASYNC + (phase_w - ASYNC) * np.exp(-k_phase * sim.dt_days)
        rec_counts[:, k] = counts
        rec_dead[:, k] = dead
        if progress:
            progress(k, n_steps)
    return _result(sc, model, times, rec_counts, rec_dead, timeline, dataset)


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
