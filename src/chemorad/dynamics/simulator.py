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

The 5 Rs, one function each:
- Repair (`repair_factor`): sublethal-damage repair between fractions by the incomplete-repair (Lea-Catcheside)
  increment: fraction i gets G_i = 1 + 2 sum_{j<i} (d_j/d_i) exp(-mu (t_i - t_j)), mu = ln 2 / T_repair (the
  catalog's repair half-time); fractions a day or more apart are effectively independent (Thames 1985, Int J Radiat
  Biol 47:319).
- Redistribution (`redistribute_after_kill`, `relax_phases`): each state carries a phase distribution (per
  replicate); a fraction multiplies it by the phase survival (survivors are enriched in late S), and it relaxes back
  to the asynchronous distribution at rate 4 / Tc (one phase transit).
- Reoxygenation (`reoxygenate`): the hypoxic fraction h relaxes at `reoxygenation_per_day` towards the patient's
  pretreatment h0 (measured return within hours, docs/clinical.md), or towards h0 min(1, N/N0) (`size`).
- Repopulation (`growth_rates`, `treatment_repopulation_rates`): with `accelerated_doubling_days`, no net regrowth
  from the first fraction to the kick-off, then doubling every T_acc until the last fraction (Withers, Taylor &
  Maciejewski 1988, Acta Oncol 27:131); otherwise growth accelerates by `repopulation_acceleration` from the kick-off.
- Radiosensitivity (`kill`, `radiation_survival_per_patient`): per clone from its phenotype through the chain, per
  virtual patient raised to the power s_r (1 + e a(t)): the patient's radiosensitivity and a radiosensitising drug's
  repair-stage interaction.

Virtual patients (`draw_patients`): each replicate has its own radiosensitivity, clonogen number, Tpot and hypoxic
fraction (Webb & Nahum 1993, Phys Med Biol 38:653). Tumour control (`tcp_per_replicate`, `population_tcp`):
exp(-expected survivors) in deterministic mode, extinction in the stochastic modes; the population mean with its
Jeffreys interval. Drugs: each administration kills at the in-vitro-equivalent concentration of its plasma AUC
(`chain.exposure`) times the clinical potency fold, in the compartment's oxygen and at its distance from the vessel.
Evolution: at division a cell gains one step of an evolvable mechanism with probability `rate_per_division` (a new
clone: parent + step); optional non-genetic switching moves cells between parent and variant at `switching_per_day`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from chemorad.catalog.load import Catalog
from chemorad.catalog.schema import Phase, Quantity
from chemorad.chain.exposure import plasma_exposure
from chemorad.chain.phenotype import effect_weights, from_array, modifiers
from chemorad.chain.survival import Environment, survival
from chemorad.dynamics import engine
from chemorad.dynamics.scenario import Scenario, check_horizon
from chemorad.dynamics.schedule import Event, events
from chemorad.errors import ChemoradError

if TYPE_CHECKING:  # xarray costs about 0.25 s of import; only a run with `dataset=True` builds one
    import xarray as xr

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
    repop_fold: np.ndarray  # (S,) repopulation fold x (1 - quiescent fraction)

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
    mods = modifiers(effect_weights(cat, radiation_therapy(cat)), ph)
    # Quiescent (stem-like, non-cycling) cells do not divide: a clone's division rate is scaled by 1 - q.
    rep = mods[Quantity.repopulation] * (1.0 - np.clip(mods[Quantity.quiescent_fraction], 0.0, 1.0))
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
    return cat.radiotherapy


def state_survival(
    model: Model, ev: Event, cat: Catalog, g: float = 1.0, phases: bool = True, potency_fold: float = 1.0
) -> np.ndarray:
    """Surviving fraction per (state, phase), shape (S, 4), for one treatment event (phases=False: asynchronous).

    A drug acts at its clinical exposure: the in-vitro-equivalent concentration of the administration's plasma AUC
    (`chain.exposure`) times `potency_fold`, i.e. against an EC50 of the 72-h IC50 / potency_fold (docs/clinical.md).
    """
    ph = from_array(cat, model.activities)
    rad = cat.radiotherapy.id
    if ev.therapy == rad and not phases:
        one = survival(cat, rad, ev.dose, ph, Environment(po2_mmhg=model.po2[:, None], g=g))
        sf = np.repeat(one[..., None], len(PHASES), axis=-1)
    elif ev.therapy == rad:
        per = [survival(cat, rad, ev.dose, ph, Environment(po2_mmhg=model.po2[:, None], phase=p, g=g)) for p in PHASES]
        sf = np.stack(per, axis=-1)  # (compartments, clones, phases)
    else:
        conc = plasma_exposure(cat.therapies[ev.therapy], dose_mg_m2=ev.dose).equivalent_conc_um * potency_fold
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
    population: dict = field(default_factory=dict)  # population TCP, its interval, the time factor


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
    sf_state = (phase_w * sf_phase).sum(axis=-1)
    survivors = _draw(counts, sf_state, rng, det)
    return survivors, (counts - survivors).sum(axis=1)


def redistribute_after_kill(phase_w: np.ndarray, sf_phase: np.ndarray) -> np.ndarray:
    """Redistribution (selection): after a kill the survivors' phase distribution is w_sp SF_sp / sum_p w_sp SF_sp."""
    w = phase_w * sf_phase
    return w / np.maximum(w.sum(axis=-1, keepdims=True), 1e-300)


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
    a0: float | np.ndarray,
    tpot_days: float | np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Repopulation: per-cell division and death rates (per day) at the current size `n_tot` (R, 1).

    Gompertz above N0, capped at the potential doubling rate ln 2 / Tpot below it; times the clone's repopulation
    fold and the acceleration `accel`; plus the loss rate on both sides (formula in the module docstring). `a0` and
    `tpot_days` may be per replicate, shape (R, 1) (virtual patients).
    """
    tpot = tumour.doubling_time_days if tpot_days is None else tpot_days
    with np.errstate(divide="ignore"):
        drive = np.log(tumour.carrying_capacity / np.maximum(n_tot, 1.0))
    # Gompertz above N0; below it the per-capita rate is capped at the potential doubling rate ln 2 / Tpot, the
    # maximum a cell population reaches without cell loss (an uncapped Gompertz law would let a 1e3-cell residue
    # double in hours).
    per_cell = np.minimum(a0 * drive, np.log(2) / tpot)
    birth = np.maximum(accel * repop_fold[None, :] * per_cell, 0.0) + tumour.cell_loss_per_day
    death = np.full_like(birth, tumour.cell_loss_per_day)
    return birth, death


def treatment_repopulation_rates(
    t_days: float | np.ndarray,
    first_days: float | np.ndarray,
    last_days: float | np.ndarray,
    tumour,
    repop_fold: np.ndarray,
    doubling_days,
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Repopulation as measured (Withers, Taylor & Maciejewski 1988): the net rate during a course of treatment.

    From the first radiotherapy fraction to the kick-off time no net regrowth (rate 0); from the kick-off to the
    last fraction clonogens double every `accelerated_doubling_days` (x the clone's fold), rate ln 2 / T_acc.
    Returns (in_course, birth, death): `in_course` marks the replicates inside their course, whose per-cell rates are
    `birth` and `death` (R, S); outside it the caller's untreated Gompertz law applies. None under the
    acceleration-factor law (no accelerated doubling time). `t_days`, `first_days`, `last_days` and `doubling_days`
    may be per replicate, shape (R, 1) (virtual patients; the scenarios of a batched run).
    """
    if tumour.accelerated_doubling_days is None:
        return None
    in_course = (first_days <= t_days) & (t_days <= last_days)
    kicked = t_days >= first_days + tumour.repopulation_kickoff_days
    rate = np.where(kicked, np.log(2) / doubling_days * repop_fold[None, :], 0.0 * repop_fold[None, :])
    birth = rate + tumour.cell_loss_per_day
    return np.asarray(in_course), birth, np.full_like(birth, tumour.cell_loss_per_day)


def repopulation_acceleration(
    t_days: float | np.ndarray, first_treatment_days: float | np.ndarray, tumour
) -> float | np.ndarray:
    """The growth-rate factor at `t_days`: `repopulation_acceleration` from the kick-off after the first treatment.

    Scalars give a float; arrays (one time and first treatment per replicate, (R, 1)) an array.
    """
    kicked = np.asarray(t_days) >= np.asarray(first_treatment_days) + tumour.repopulation_kickoff_days
    out = np.where(kicked, tumour.repopulation_acceleration, 1.0)
    return float(out) if out.ndim == 0 else out


def drug_activity(t_days: float, doses: list[tuple[float, float]], half_life_days: float) -> float:
    """Activity of a radiosensitising drug at `t_days`: sum_j (D_j / D_std) 2^{-(t - t_j) / T_half} over its earlier
    administrations (t_j, D_j / D_std), so one standard dose just given counts 1."""
    return float(sum(w * 0.5 ** ((t_days - tj) / half_life_days) for tj, w in doses if tj <= t_days))


# --- the run ---


@dataclass(frozen=True)
class Patients:
    """Per-replicate (virtual patient) parameters, each shape (R,): radiosensitivity multiplier of the radiation log
    kill, clonogen number N0, potential doubling time Tpot (and the accelerated doubling time, scaled alike), hypoxic
    fraction h0."""

    radiosensitivity: np.ndarray
    clonogens: np.ndarray
    tpot_days: np.ndarray
    accelerated_doubling_days: np.ndarray | None
    hypoxic_fraction: np.ndarray


def draw_patients(sc: Scenario, reps: int, seed: int) -> Patients:
    """Virtual patients (Webb & Nahum 1993, Phys Med Biol 38:653): s = exp(sd_s z1), N0 = N0 10^(sd_c z2),
    Tpot = Tpot exp(sd_T z3), h0 ~ Beta with the scenario's mean and sd (method of moments); z ~ N(0, 1).

    The draws come from their own generator (seeded by [seed, 1]) so the cell-level random stream of a homogeneous
    scenario is the same as without patients, and the same seed gives the same patients in every regimen (common
    random numbers: regimens are compared on the same virtual patients).
    """
    p, t = sc.patients, sc.tumour
    z = np.random.default_rng([seed, 1]).standard_normal((4, reps))
    h0 = np.full(reps, t.hypoxic_fraction)
    m, sd = t.hypoxic_fraction, p.hypoxic_fraction_sd
    if sd > 0 and 0 < m < 1:
        nu = max(m * (1 - m) / sd**2 - 1, 1e-3)
        from scipy.special import betaincinv, ndtr

        h0 = betaincinv(m * nu, (1 - m) * nu, np.clip(ndtr(z[3]), 1e-12, 1 - 1e-12))  # Beta quantile of Phi(z)
    fold_t = np.exp(p.doubling_time_sd * z[2])
    if p.radiosensitivity_z is not None:  # one tumour whose radiosensitivity quantile is known (its profile)
        z[0] = p.radiosensitivity_z
    return Patients(
        radiosensitivity=np.exp(p.radiosensitivity_sd * z[0]),
        clonogens=np.minimum(t.initial_cells * 10 ** (p.clonogens_log10_sd * z[1]), 0.5 * t.carrying_capacity),
        tpot_days=t.doubling_time_days * fold_t,
        accelerated_doubling_days=None if t.accelerated_doubling_days is None else t.accelerated_doubling_days * fold_t,
        hypoxic_fraction=h0,
    )


@dataclass
class _State:
    counts: np.ndarray  # (R, S)
    dead: np.ndarray  # (R,)
    phase_w: np.ndarray  # (R, S, 4)


def _initial_state(sc: Scenario, model: Model, pts: Patients, det: bool) -> _State:
    """Initial cells per patient: N0 x clone fractions x (1 - h0, h0), phases asynchronous."""
    reps = pts.clonogens.size
    S = model.n_clones * len(COMPARTMENTS)
    counts = np.zeros((reps, S))
    for i, c in enumerate(sc.clones):
        counts[:, 2 * i] = pts.clonogens * c.fraction * (1 - pts.hypoxic_fraction)
        counts[:, 2 * i + 1] = pts.clonogens * c.fraction * pts.hypoxic_fraction
    counts = counts if det else np.round(counts).astype(np.int64)
    return _State(counts, np.zeros(reps), np.tile(ASYNC, (reps, S, 1)))


@dataclass(frozen=True)
class _Course:
    """Constants of one scenario's run: the timeline, rates and per-patient parameters."""

    timeline: list[Event]
    first: float
    last: float
    a0: np.ndarray  # (R, 1) Gompertz rate constant per patient
    mu_repair: float
    clear: float
    k_phase: float
    hypoxic: np.ndarray  # (S,) bool
    pts: Patients


def _course(sc: Scenario, cat: Catalog, pts: Patients, n_states: int) -> _Course:
    t = sc.tumour
    timeline = events(sc.schedule, cat=cat)
    # The measured repopulation law runs over the radiotherapy course (its kick-off counts from the first fraction);
    # the acceleration-factor law counts from the first treatment of any kind, as before.
    rt = [e.time_days for e in timeline if e.therapy == cat.radiotherapy.id]
    span = rt if t.accelerated_doubling_days is not None else [e.time_days for e in timeline]
    return _Course(
        timeline,
        span[0] if span else np.inf,
        span[-1] if span else -np.inf,
        (np.log(2) / (pts.tpot_days * np.log(t.carrying_capacity / pts.clonogens)))[:, None],
        np.log(2) / (radiation_therapy(cat).parameters["repair_half_time_h"].value / 24.0),
        np.log(2) / t.dead_clearance_half_life_days,
        4.0 / t.cycle_time_days,
        np.arange(n_states) % 2 == 1,
        pts,
    )


@dataclass(frozen=True)
class _Block:
    """One scenario's replicates in a run: its rows of the state arrays, its time grid and its treatment."""

    sc: Scenario
    rows: slice
    times: np.ndarray  # (n_steps + 1,) days
    course: _Course
    treat: _Treatment

    @property
    def n_steps(self) -> int:
        return self.times.size - 1


@dataclass(frozen=True)
class _Rows:
    """Per-replicate constants of the growth law over every block's rows, each (R, 1): first and last treatment
    (course) times, Gompertz constant a0, Tpot, accelerated doubling time (None without one)."""

    first: np.ndarray
    last: np.ndarray
    a0: np.ndarray
    tpot_days: np.ndarray
    accelerated_doubling_days: np.ndarray | None

    @classmethod
    def of(cls, blocks: list[_Block]) -> _Rows:
        def col(values) -> np.ndarray:
            return np.concatenate(values)[:, None]

        sizes = [b.course.pts.clonogens.size for b in blocks]
        acc = [b.course.pts.accelerated_doubling_days for b in blocks]
        return cls(
            col([np.full(n, b.course.first, dtype=float) for n, b in zip(sizes, blocks, strict=True)]),
            col([np.full(n, b.course.last, dtype=float) for n, b in zip(sizes, blocks, strict=True)]),
            np.concatenate([b.course.a0 for b in blocks]),
            col([b.course.pts.tpot_days for b in blocks]),
            None if acc[0] is None else col(acc),
        )


def simulate(
    sc: Scenario,
    replicates: int | None = None,
    seed: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    dataset: bool = True,
    *,
    cat: Catalog,
    with_time_factor: bool = True,
) -> Result:
    """Run the scenario against the catalog `cat`; one seed governs all randomness (formulas in the module docstring).

    Each step applies the treatment events that fall in it (repair factor, kill, redistribution by selection), then
    growth (repopulation), clearance of the dead, reoxygenation, switching and phase relaxation. `dataset=False`
    skips building the xarray Dataset (about 30% of a short run) when only the summary is needed, as in sweeps.
    """
    sim = sc.simulation
    reps = replicates or sim.replicates
    seed = sim.seed if seed is None else seed
    check_budget(sc, reps)
    extras = population_extras if with_time_factor else None
    return _run([sc], [reps], [seed], cat, progress, dataset, extras)[0]


#: most bytes of recorded arrays one batched run of `simulate_many` holds (it records every scenario's rows to the
#: longest horizon); scenarios beyond it go to the next batch
BATCH_MEMORY_BYTES = 256 * 2**20


def simulate_many(scenarios: list[Scenario], *, cat: Catalog) -> list[Result]:
    """`[simulate(sc, dataset=False, cat=cat, with_time_factor=False) for sc in scenarios]`, run as one array.

    Scenarios in deterministic mode that share the tumour, clones, evolution and time step (e.g. one tumour's
    regimens, or several tumours' patients on one regimen) are stacked along the replicate axis and stepped together,
    each on its own time grid, timeline and virtual patients, up to the longest horizon: one Python pass per time
    step instead of one per scenario and step. Every per-replicate operation is elementwise or within a replicate's
    row, so each scenario's result is the one of its own run (tests/dynamics/test_simulate_many.py compares them).
    Other scenarios (stochastic modes: each run has its own random stream) are run one by one.
    """
    out: list[Result | None] = [None] * len(scenarios)
    for sc in scenarios:
        check_budget(sc, sc.simulation.replicates)
    pending = list(range(len(scenarios)))
    while pending:
        head = scenarios[pending[0]]
        if head.simulation.mode != "deterministic":
            i = pending.pop(0)
            out[i] = simulate(head, dataset=False, cat=cat, with_time_factor=False)
            continue
        group, rows, steps = [], 0, 0
        for i in list(pending):
            sc = scenarios[i]
            if not _stackable(head, sc):
                continue
            reps, n = sc.simulation.replicates, _n_steps(sc)
            if group and _record_bytes(rows + reps, max(steps, n), _n_states(head)) > BATCH_MEMORY_BYTES:
                break
            group.append(i)
            pending.remove(i)
            rows, steps = rows + reps, max(steps, n)
        batch = [scenarios[i] for i in group]
        reps = [sc.simulation.replicates for sc in batch]
        seeds = [sc.simulation.seed for sc in batch]
        for i, res in zip(group, _run(batch, reps, seeds, cat, None, False, None), strict=True):
            out[i] = res
    return out  # type: ignore[return-value]


def _stackable(a: Scenario, b: Scenario) -> bool:
    """Scenarios that compile to the same model and growth law, deterministic, on the same time step."""
    return (
        b.simulation.mode == "deterministic"
        and a.simulation.dt_days == b.simulation.dt_days
        and a.tumour == b.tumour
        and a.clones == b.clones
        and a.evolution == b.evolution
    )


def _n_steps(sc: Scenario) -> int:
    return int(np.ceil(sc.simulation.days / sc.simulation.dt_days))


def _n_states(sc: Scenario) -> int:
    return 2 * len(sc.clones) * (1 + len(sc.evolution.mechanisms))


def _record_bytes(reps: int, n_steps: int, states: int) -> float:
    """Bytes of a run's per-step record of counts and dead cells, float64, plus its per-replicate working arrays."""
    return 8.0 * reps * (n_steps + 1) * (states + 1) + 8.0 * reps * states * 6


def _run(
    scs: list[Scenario],
    reps: list[int],
    seeds: list[int],
    cat: Catalog,
    progress: Callable[[int, int], None] | None,
    dataset: bool,
    extras: Callable[[Scenario, Catalog], dict] | None,
) -> list[Result]:
    """Step scenarios that share the model (`_stackable`; one scenario in the stochastic modes) as one array of
    replicates: the treatment events of each on its own rows and time grid, growth, reoxygenation, switching and phase
    relaxation on every row at once. One scenario: its run; `extras(sc, cat)` adds to its population results."""
    sc0 = scs[0]
    sim, t = sc0.simulation, sc0.tumour
    rng = np.random.default_rng(seeds[0])
    det = sim.mode == "deterministic"
    model = compile_model(sc0, cat)
    S = model.n_clones * len(COMPARTMENTS)
    blocks, states, start = [], [], 0
    survival_cache: dict[tuple, np.ndarray] = {}  # event survival per state: the same for every block of the model
    for sc, r, seed in zip(scs, reps, seeds, strict=True):
        pts = draw_patients(sc, r, seed)
        states.append(_initial_state(sc, model, pts, det))
        course = _course(sc, cat, pts, S)
        n = _n_steps(sc)
        times = np.linspace(0.0, n * sim.dt_days, n + 1)
        treat = _Treatment(sc, model, cat, course, rng, det, survival_cache)
        blocks.append(_Block(sc, slice(start, start + r), times, course, treat))
        start += r
    if len(states) == 1:
        st = states[0]
    else:
        st = _State(*(np.concatenate([getattr(x, f) for x in states]) for f in ("counts", "dead", "phase_w")))
    rows = _Rows.of(blocks)
    h0 = np.concatenate([b.course.pts.hypoxic_fraction for b in blocks])
    clonogens = np.concatenate([b.course.pts.clonogens for b in blocks])
    course = blocks[0].course  # hypoxic states, phase and clearance rates: the shared model's and tumour's
    n_max = max(b.n_steps for b in blocks)
    # Each row's step start times, its own grid continued past its horizon (rows past it are stepped, never read).
    grid = np.stack(
        [np.concatenate([b.times, b.times[-1] + sim.dt_days * np.arange(1, n_max - b.n_steps + 1)]) for b in blocks]
    )
    owner = np.repeat(np.arange(len(blocks)), reps)
    rec_counts = np.zeros((start, n_max + 1, S))
    rec_dead = np.zeros((start, n_max + 1))
    rec_counts[:, 0] = st.counts
    for k in range(1, n_max + 1):
        for b in blocks:
            if k <= b.n_steps:
                _treat_rows(b, st, b.times[k], whole=len(blocks) == 1)
        t0 = grid[owner, k - 1][:, None] if len(blocks) > 1 else blocks[0].times[k - 1]
        _grow(st, sc0, model, course, rows, t0, rng, det)
        target = h0
        if t.reoxygenation_target == "size":
            target = target * np.minimum(1.0, st.counts.sum(axis=1).astype(float) / clonogens)
        st.counts = reoxygenate(st.counts, course.hypoxic, target, t.reoxygenation_per_day, sim.dt_days, rng, det)
        # Non-genetic switching between each parent and its variants, both ways.
        if sc0.evolution.switching_per_day > 0:
            st.counts = _switch(st.counts, model, sc0.evolution.switching_per_day * sim.dt_days, rng, det)
        st.phase_w = relax_phases(st.phase_w, course.k_phase, sim.dt_days)
        rec_counts[:, k] = st.counts
        rec_dead[:, k] = st.dead
        if progress:
            progress(k, n_max)
    out = []
    for b in blocks:
        n = b.n_steps
        more = extras(b.sc, cat) if extras is not None else {}
        rc, rd = rec_counts[b.rows, : n + 1], rec_dead[b.rows, : n + 1]
        out.append(_result(b.sc, model, b.times, rc, rd, b.course.timeline, dataset, more))
    return out


def _treat_rows(b: _Block, st: _State, t1: float, whole: bool) -> None:
    """Apply block `b`'s events before `t1` to its rows of `st` (all of `st` when it is the only block)."""
    if not b.treat.due(t1):
        return
    if whole:
        b.treat.apply_until(st, t1)
        return
    sub = _State(st.counts[b.rows], st.dead[b.rows], st.phase_w[b.rows])
    b.treat.apply_until(sub, t1)
    st.counts[b.rows], st.dead[b.rows], st.phase_w[b.rows] = sub.counts, sub.dead, sub.phase_w


class _Treatment:
    """The treatment events of a run, applied in time order: repair factor, kill, redistribution by selection.

    `cache`: the states' survival per event (therapy, dose, repair factor, phases, potency), shared by the blocks of a
    batched run (it depends on the model, not on the patients).
    """

    def __init__(
        self, sc: Scenario, model: Model, cat: Catalog, course: _Course, rng, det: bool, cache: dict | None = None
    ) -> None:
        self.sc, self.model, self.cat, self.course, self.rng, self.det = sc, model, cat, course, rng, det
        self.cache: dict[tuple, np.ndarray] = {} if cache is None else cache
        self.past_fractions: list[tuple[float, float]] = []
        self.drug_doses: dict[str, list[tuple[float, float]]] = {d: [] for d in sc.chemo.radiosensitisation}
        self.i = 0

    def due(self, t1: float) -> bool:
        """True when an event falls before `t1` and is not yet applied."""
        timeline = self.course.timeline
        return self.i < len(timeline) and timeline[self.i].time_days < t1

    def apply_until(self, st: _State, t1: float) -> None:
        """Apply every event before `t1` (growth in between is the caller's step)."""
        timeline = self.course.timeline
        while self.i < len(timeline) and timeline[self.i].time_days < t1:
            self._apply(st, timeline[self.i])
            self.i += 1

    def _apply(self, st: _State, ev: Event) -> None:
        sc, chemo = self.sc, self.sc.chemo
        g = 1.0
        if ev.therapy == self.cat.radiotherapy.id:
            g = repair_factor(self.past_fractions, ev.time_days, ev.dose, self.course.mu_repair)
            self.past_fractions.append((ev.time_days, ev.dose))
        elif ev.therapy in self.drug_doses:
            std = self.cat.therapies[ev.therapy].pk.dose_mg_m2.value
            self.drug_doses[ev.therapy].append((ev.time_days, ev.dose / std))
        fold = chemo.potency_fold * chemo.drug_potency.get(ev.therapy, 1.0)
        key = (ev.therapy, ev.dose, round(g, 9), sc.tumour.redistribution, fold)
        if key not in self.cache:
            self.cache[key] = state_survival(
                self.model, ev, self.cat, g, phases=sc.tumour.redistribution, potency_fold=fold
            )
        sf_p = self.cache[key]
        if ev.therapy == self.cat.radiotherapy.id:
            sf_p = radiation_survival_per_patient(sf_p, self._sensitisation(ev.time_days), self.course.pts)
        st.counts, killed = kill(st.counts, st.phase_w, sf_p, self.rng, self.det)
        st.dead += killed
        st.phase_w = redistribute_after_kill(st.phase_w, sf_p)

    def _sensitisation(self, t_days: float) -> float:
        chemo = self.sc.chemo
        return sum(
            eps * drug_activity(t_days, self.drug_doses[d], chemo.activity_half_life_days)
            for d, eps in chemo.radiosensitisation.items()
        )


def radiation_survival_per_patient(sf_phase: np.ndarray, sensitisation: float, pts: Patients) -> np.ndarray:
    """Radiosensitivity per patient and concurrent-drug interaction: SF_r = SF^(s_r (1 + e a(t))), shape (R, S, 4).

    s_r scales the patient's radiation log kill (alpha and beta together, alpha/beta fixed); e a(t) is the extra log
    kill a radiosensitising drug adds while active (inhibited repair of radiation damage raises the lethality of each
    lesion: a dose-modifying interaction at the repair stage, not an additive kill).
    """
    power = pts.radiosensitivity * (1.0 + sensitisation)
    with np.errstate(divide="ignore"):
        log_sf = np.log(np.maximum(sf_phase, 1e-300))
    return np.exp(power[:, None, None] * log_sf[None])


def _grow(st: _State, sc: Scenario, model: Model, course: _Course, rows: _Rows, t0, rng, det: bool) -> None:
    """Growth, death and mutation over one step, and clearance of the lethally damaged cells.

    `t0`: the step's start (days), one per row (R, 1) in a batched run; `rows`: the per-replicate growth constants.
    """
    t, dt = sc.tumour, sc.simulation.dt_days
    n_tot = st.counts.sum(axis=1, keepdims=True).astype(float)
    accel = repopulation_acceleration(t0, rows.first, t) if t.accelerated_doubling_days is None else 1.0
    birth, death = growth_rates(n_tot, t, accel, model.repop_fold, rows.a0, rows.tpot_days)
    during = treatment_repopulation_rates(
        t0, rows.first, rows.last, t, model.repop_fold, rows.accelerated_doubling_days
    )
    if during is not None:
        in_course, b_course, d_course = during
        birth, death = np.where(in_course, b_course, birth), np.where(in_course, d_course, death)
    before = st.counts
    st.counts = engine.advance(
        st.counts,
        engine.Rates(birth, death, model.mutation),
        dt,
        rng,
        mode="deterministic" if det else sc.simulation.mode,
    )
    spontaneous = np.maximum(before.sum(axis=1) * t.cell_loss_per_day * dt, 0.0)
    st.dead = st.dead * np.exp(-course.clear * dt) + spontaneous


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
    sc: Scenario,
    model: Model,
    times,
    rec_counts,
    rec_dead,
    timeline: list[Event],
    dataset: bool = True,
    extras: dict | None = None,
) -> Result:
    reps, nt, _ = rec_counts.shape
    cells = rec_counts.reshape(reps, nt, model.n_clones, len(COMPARTMENTS))
    viable = cells.sum(axis=(2, 3))
    ds = _dataset(sc, model, times, cells, rec_dead, viable, timeline) if dataset else None
    n0 = viable[:, 0]
    end_treat = timeline[-1].time_days if timeline else 0.0
    final_by_clone = cells[:, -1].sum(axis=2)  # (replicate, clone)
    survivors = clonogens_after_treatment(times, viable, end_treat)
    tcp = tcp_per_replicate(survivors, viable[:, -1], sc.simulation.mode == "deterministic")
    # One row per replicate, computed on the (replicate, time) arrays at once (was a Python loop over replicates).
    idx = np.arange(reps)
    nadir = viable.argmin(axis=1)
    low = viable[idx, nadir]
    regrown = (times[None, :] > np.maximum(times[nadir], end_treat)[:, None]) & (
        viable > sc.simulation.progression_factor * sc.tumour.initial_cells
    )
    ttp = np.where(regrown.any(axis=1), times[regrown.argmax(axis=1)], np.nan)
    columns = {
        "replicate": idx,
        "log_kill": np.log10(n0 / np.maximum(low, 1.0)),
        "nadir_cells": low,
        "nadir_day": times[nadir],
        "final_cells": viable[:, -1],
        "time_to_progression_days": ttp,
        "eradicated": viable[:, -1] < 1,
        "clonogens_after_treatment": survivors,
        "tcp": tcp,
        **{f"final_{name}": final_by_clone[:, i] for i, name in enumerate(model.clone_names)},
    }
    summary = pd.DataFrame({k: np.asarray(v, dtype=bool if k == "eradicated" else None) for k, v in columns.items()})
    final = pd.DataFrame(final_by_clone, columns=list(model.clone_names)).rename_axis("replicate")
    pop = {**population_tcp(tcp, sc.simulation.mode == "deterministic"), **(extras or {})}
    return Result(ds, summary, final, pop)


def clonogens_after_treatment(times: np.ndarray, viable: np.ndarray, end_treat_days: float) -> np.ndarray:
    """Viable clonogens left by the course: the minimum over the recorded times from the last event on, per replicate.

    Every surviving clonogen can regrow the tumour, so the count at the end of treatment (before any regrowth) is
    what tumour control depends on.
    """
    after = times >= end_treat_days
    return viable[:, after].min(axis=1) if after.any() else viable[:, -1]


def tcp_per_replicate(survivors: np.ndarray, final: np.ndarray, deterministic: bool) -> np.ndarray:
    """Tumour control probability of each replicate (virtual patient).

    Deterministic mode: the expected survivors N are a mean; the number that survive is Poisson(N) (independent
    cell kill), so TCP = P(no survivor) = exp(-N) (Munro & Gilbert 1961, Br J Radiol 34:246). Stochastic modes: the
    replicate's own realisation: 1 if no viable cell is left at the end (extinction), else 0.
    """
    if deterministic:
        return np.exp(-np.asarray(survivors, dtype=float))
    return (np.asarray(final) < 1).astype(float)


def population_tcp(tcp: np.ndarray, deterministic: bool, level: float = 0.95) -> dict:
    """Population TCP (mean over virtual patients) and its Jeffreys interval at `level`.

    The interval is the Beta(k + 1/2, n - k + 1/2) quantiles with k = sum of the replicates' TCP (the expected number
    of patients controlled; an integer count in the stochastic modes): the uncertainty of a population rate measured on
    n patients (Brown, Cai & DasGupta 2001, Stat Sci 16:101).

    The quantile is `scipy.special.betaincinv(a, b, q)`, the function behind `scipy.stats.beta.ppf` (both Boost's
    ibeta_inv; equal on 3,000 random (q, a, b) of this use), so the simulator does not import scipy.stats (1.5-3 s
    measured alone on 2 shared cores at load 10; a command that fits with scikit-learn imports it anyway).
    """
    from scipy.special import betaincinv

    n = int(np.size(tcp))
    k = float(np.sum(tcp))
    lo = 0.0 if k <= 0 else float(betaincinv(k + 0.5, n - k + 0.5, (1 - level) / 2))
    hi = 1.0 if k >= n else float(betaincinv(k + 0.5, n - k + 0.5, 1 - (1 - level) / 2))
    return {
        "tcp": k / n if n else float("nan"),
        "tcp_low": lo,
        "tcp_high": hi,
        "tcp_level": level,
        "patients": n,
        "tcp_method": "Poisson exp(-expected survivors)" if deterministic else "extinction per replicate",
    }


def population_extras(sc: Scenario, cat: Catalog) -> dict:
    """The scenario's time factor (Gy/day) for its first radiotherapy item, or nothing without radiotherapy."""
    from chemorad.dynamics.schedule import Radiotherapy

    rt = next((i for i in sc.schedule if isinstance(i, Radiotherapy)), None)
    if rt is None:
        return {}
    return {"time_factor_gy_per_day": time_factor(sc, cat, rt)}


def time_factor(sc: Scenario, cat: Catalog, rt) -> float:
    """Dose per day of extra overall time that keeps tumour control unchanged after the kick-off (Gy/day).

    TF = r / k, with r the net clonogen growth rate after the kick-off (ln 2 / T_acc, or accel x ln 2 / Tpot under
    the acceleration-factor law) and k the log kill per Gy of the radiotherapy item `rt` for the median patient, as
    the simulator delivers it (hypoxia, reoxygenation, redistribution, incomplete repair included): measured on a
    probe run of 10 of its fractions without growth. One day of repopulation undoes r of log kill, which r / k Gy
    restore: the time factor of Withers, Taylor & Maciejewski (1988, Acta Oncol 27:131), dose recovered per day.
    """
    t = sc.tumour
    if t.accelerated_doubling_days is not None:
        rate = np.log(2) / t.accelerated_doubling_days
    else:
        rate = t.repopulation_acceleration * np.log(2) / t.doubling_time_days
    n = min(rt.fractions, 10)
    probe = sc.model_copy(
        update={
            "clones": sc.clones[:1],
            "evolution": type(sc.evolution)(),
            "patients": type(sc.patients)(),
            "chemo": type(sc.chemo)(),
            "tumour": t.model_copy(
                update={"doubling_time_days": 1e9, "accelerated_doubling_days": None, "repopulation_acceleration": 1.0}
            ),
            "schedule": [rt.model_copy(update={"fractions": n, "start_day": 0.0, "gaps_days": []})],
            "simulation": sc.simulation.model_copy(
                update={"mode": "deterministic", "replicates": 1, "days": 7.0 * (n // max(rt.per_week, 1) + 2)}
            ),
        }
    )
    res = simulate(probe, dataset=False, cat=cat, with_time_factor=False)
    k = np.log(t.initial_cells / res.summary["clonogens_after_treatment"].iat[0]) / (n * rt.dose_gy)
    return float(rate / k)


# Memory and work limits checked before a run (issue 17): what the recorded arrays need, and how many steps.
MAX_MEMORY_BYTES = 4 * 2**30
MAX_STEPS = 2_000_000
MAX_EXACT_CELLS = 1e7


def check_budget(sc: Scenario, reps: int) -> None:
    """Refuse, before any work, a run whose recorded arrays would not fit in memory or whose steps would not end.

    Memory: the per-step record of counts and dead cells, (replicates x (steps + 1) x (states + 1)) float64, plus the
    per-replicate working arrays. Exact (Gillespie) mode: the events of one course grow with the number of cells, so
    more than `MAX_EXACT_CELLS` cells is refused (tau or auto handle large tumours).
    """
    check_horizon(sc)
    sim = sc.simulation
    n_steps = int(np.ceil(sim.days / sim.dt_days))
    states = _n_states(sc)
    if n_steps > MAX_STEPS:
        raise ChemoradError(
            f"simulation: days / dt_days = {n_steps:.3g} steps is more than {MAX_STEPS:,}; "
            f"raise dt_days to at least {sim.days / MAX_STEPS:.3g} or shorten days"
        )
    need = _record_bytes(reps, n_steps, states)
    if need > MAX_MEMORY_BYTES:
        fit = max(int(MAX_MEMORY_BYTES / (8.0 * (n_steps + 1) * (states + 1) + 48.0 * states)), 0)
        raise ChemoradError(
            f"simulation: {reps:,} replicates (--replicates or simulation.replicates) x {n_steps + 1:,} recorded steps "
            f"need about {need / 2**30:.3g} GiB "
            f"(limit {MAX_MEMORY_BYTES / 2**30:g} GiB); at most {fit:,} replicates fit, or raise dt_days"
        )
    if sim.mode == "exact" and sc.tumour.initial_cells > MAX_EXACT_CELLS:
        raise ChemoradError(
            f"simulation.mode: exact simulates every division and death, and {sc.tumour.initial_cells:.3g} cells is "
            f"more than {MAX_EXACT_CELLS:.0e}; use mode: auto (exact below 1,000 cells) or tau"
        )


def _dataset(sc: Scenario, model: Model, times, cells, rec_dead, viable, timeline: list[Event]) -> xr.Dataset:
    """The run as an xarray Dataset: cells (replicate, time, clone, compartment), dead, viable, hypoxic_fraction."""
    import xarray as xr

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
