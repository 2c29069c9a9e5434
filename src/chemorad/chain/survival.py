"""Cell survival through the damage chain: delivery -> damage -> fixation -> repair -> death.

Every mechanism changes one quantity at its stage (see `chain/phenotype.py`); this module composes those quantities
into a surviving fraction. The same phenotype goes through radiation and every drug, so which therapies a mechanism
touches is an output of the model, not a label.

Everything but the dose is computed once per therapy, phenotype and environment (`dose_response`, a function of the
dose alone), because the dose for a given survival is found by bisection: 61 evaluations of the same cells
(`dose_for_survival`; `doses_for_survival` bisects every therapy of one phenotype at once).

Radiation (dose D in Gy, low LET), per cell:

    k   = m(pO2 * f_po2) * [(1 - f_ind s) / (1 - f_ind s0)] * L * S_phase           (effective-dose factor)
    SF  = exp(-alpha k D - G beta (k D)^2)

  m(p) = 1/OER(p) is the Alper-Howard-Flanders relative sensitivity (1 fully oxic, 1/OER_max anoxic); f_ind is the
  indirect-action share of low-LET damage and s the fraction of those radicals scavenged, s = c/(1+c) with capacity
  c = c0 * (scavenging fold) and c0 = s0/(1 - s0) for the reference cell; L is the lesion-lethality fold (repair and
  death competence); S_phase the cell-cycle phase sensitivity (effective-dose multiplier, < 1 resistant); G the
  Lea-Catcheside factor. A modifier on the effective dose scales alpha by k and beta by k^2, i.e. it is a pure
  dose-modifying factor. A population with a fraction x redistributed to late S survives (1 - x) SF + x SF(late S).

Drugs (extracellular concentration C in uM over the assay exposure), per cell:

    C_act  = C * T * P(r) * U / max(F_E * F_I, r_min) * A   (tissue exposure T, penetration P at distance r, uptake U,
                                                     folds F = prod_m (1 + size_m)^a_m by which pumps (E) and
                                                     inactivating enzymes (I) lower the delivered drug, prodrug
                                                     activation A; efflux acts only on the pump's substrates)
    occ    = C_act^h / (C_act^h + (EC50 * F_ec50)^h)  (Hill target engagement)
    lambda = kappa * F_emax * L * occ * [(1 - f_O2) + f_O2 m(pO2) * (1 - s)/(1 - s0)]
    SF     = exp(-lambda)

  F_E and F_I fall below 1 when a cell has lost a pump or an enzyme the reference cell carries (a knockdown); r_min =
  `MIN_RETAINED_LOSS` keeps the passive share of the reference cell's loss, which no knockdown removes.
  A also carries the hypoxic activation of bioreductive prodrugs (mitomycin C): one-electron reduction is undone by
  oxygen, so with H = the drug's `hypoxic_activation_fold` and K its `hypoxic_activation_k_mmhg`,

    A_hyp(p) = [1 + (H - 1) K/(K + p)] / [1 + (H - 1) K/(K + p_oxic)]     (1 at the oxic pO2 of the radiation entry)

  so anoxic cells activate up to H-fold more drug than oxic ones (Shibata et al. 1995: hypoxic toxicity ratio 3.0-3.3).
  kappa is the maximum log kill and EC50 is set so that the reference cell has the catalog's IC50:
  EC50 = IC50 * ((kappa - ln 2) / ln 2)^(1/h). f_O2 is the oxygen-dependent share of the drug's kill (bleomycin,
  anthracycline redox cycling); it is also the share radical scavengers can touch. A drug with no IC50 in the catalog
  (not screened in GDSC: carboplatin, vincristine, trastuzumab) takes its concentration in multiples of the reference
  cell's IC50; resistance factors do not depend on that scale. A phase-specific drug spares a cell
  whose phase (Environment.phase) is outside the drug's phases; an asynchronous population is the drug's reference.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from chemorad.catalog.load import Catalog
from chemorad.catalog.registry import Modality
from chemorad.catalog.schema import Phase, Quantity, Therapy
from chemorad.chain import kernel as K
from chemorad.chain.kernel import DEFAULT_MAX_LOG_KILL, LN2, MIN_RETAINED_LOSS  # noqa: F401 - public names of the chain
from chemorad.chain.phenotype import Phenotype, effect_weights, modifiers
from chemorad.chain.validate import finite, nonnegative, positive
from chemorad.errors import ChemoradError


@dataclass(frozen=True)
class Environment:
    """Where the cells are: oxygen tension, distance from the nearest vessel, cell-cycle phase, dose protraction.

    po2_mmhg and distance_um broadcast against the cells. phase None means an asynchronous population. g is the
    Lea-Catcheside factor of the radiation delivery (1 for an acute dose).
    """

    po2_mmhg: float | np.ndarray = 40.0
    distance_um: float | np.ndarray = 0.0
    phase: Phase | None = None
    g: float = 1.0


def _param(t: Therapy, name: str, default: float | None = None) -> float:
    if name in t.parameters:
        return t.parameters[name].value
    if default is None:
        raise ChemoradError(f"therapy {t.id!r} has no parameter {name!r} in the catalog")
    return default


def _radiation_params(t_rad: Therapy, lq: bool = True) -> K.RadiationParams:
    """The radiation entry's parameters for `chain.kernel` (the catalog's values); `lq` False: without the LQ
    parameters (NaN), which a drug's oxygen-dependent kill does not use."""
    return K.RadiationParams(
        alpha=_param(t_rad, "alpha_per_gy") if lq else float("nan"),
        beta=_param(t_rad, "beta_per_gy2") if lq else float("nan"),
        oer_max=_param(t_rad, "oer_max"),
        k_mmhg=_param(t_rad, "k_mmhg"),
        f_ind=_param(t_rad, "indirect_fraction"),
        s0=_param(t_rad, "gsh_scavenged_fraction"),
        late_s=_param(t_rad, "phase_sensitivity_late_S", 1.0),
    )


def _radiation_reference(cat: Catalog) -> Therapy:
    return cat.radiotherapy


@dataclass(frozen=True, eq=False)
class RadiationResponse:
    """Surviving fraction of each cell of one phenotype against the dose of a radiation entry, at one environment.

        SF(D) = (1 - x) exp(-alpha k D - G beta (k D)^2) + x SF(D; k S_lateS)          (module doc)

    Everything but D is computed once by `dose_response`: k (already times the phase sensitivity in a phase-resolved
    environment, where x is None), the catalog's parameters, G and the late-S share x (None when no cell has one: the
    term adds exactly 0). Calling it with a checked dose in Gy does only the dose-dependent arithmetic of
    `chain.kernel.radiation_survival`, the same floating-point operations as one call of `survival`.
    """

    n: int
    k: np.ndarray
    params: K.RadiationParams
    g: float
    late_s_fraction: np.ndarray | None

    def __call__(self, dose_gy) -> np.ndarray:
        return K.radiation_survival(np, self.k, dose_gy, self.params, self.g, self.late_s_fraction)


@dataclass(frozen=True, eq=False)
class DrugResponse:
    """Surviving fraction of each cell of one phenotype against the concentration of a drug, at one environment.

        C_act = C * delivery [* activation],   SF(C) = exp(-lam_max C_act^h / (C_act^h + ec50^h))     (module doc)

    Everything but C is computed once by `dose_response`: the delivery T P U A / max(F_E F_I, r_min), the hypoxic
    activation A_hyp (None for a drug without one), EC50 F_ec50, the Hill exponent h and the maximum log kill
    kappa F_emax L O (0 for a cell whose phase the drug spares). Calling it with a checked concentration in uM does
    only the dose-dependent arithmetic, the same floating-point operations in the same order as one call of
    `survival`.
    """

    n: int
    delivery: np.ndarray
    activation: np.ndarray | None
    ec50: np.ndarray
    hill: float
    lam_max: np.ndarray

    def __call__(self, conc_um) -> np.ndarray:
        c_act = conc_um * self.delivery
        if self.activation is not None:
            c_act = c_act * self.activation
        return K.drug_survival(np, self.lam_max, K.occupancy(np, c_act, self.ec50, self.hill))


DoseResponse = RadiationResponse | DrugResponse


def _radiation_response(cat: Catalog, therapy: Therapy, ph: Phenotype, env: Environment) -> RadiationResponse:
    po2 = nonnegative("po2_mmhg", env.po2_mmhg, allow_inf=True)
    mod = modifiers(effect_weights(cat, therapy), ph)
    r = _radiation_params(therapy)
    k = K.radiation_dose_factor(np, mod, po2, r)
    if env.phase is not None:
        return RadiationResponse(ph.n, k * _param(therapy, f"phase_sensitivity_{env.phase.value}"), r, env.g, None)
    x = mod[Quantity.late_s_fraction]
    # the late-S term is skipped (it adds exactly 0) when no cell has a late-S share: one exp less per cell
    return RadiationResponse(ph.n, k, r, env.g, x if np.any(x > 0) else None)


def _drug_response(cat: Catalog, therapy: Therapy, ph: Phenotype, env: Environment) -> DrugResponse:
    po2 = nonnegative("po2_mmhg", env.po2_mmhg, allow_inf=True)
    dist = nonnegative("distance_um", env.distance_um)
    mod = modifiers(effect_weights(cat, therapy), ph)
    penetration = 1.0
    if "penetration_length_um" in therapy.parameters:
        penetration = np.exp(-dist / _param(therapy, "penetration_length_um"))
    delivery = K.delivery(np, mod, penetration)
    activation = None
    if "hypoxic_activation_fold" in therapy.parameters:
        p_oxic = _param(_radiation_reference(cat), "oxic_po2_mmhg")
        fold, k_hyp = _param(therapy, "hypoxic_activation_fold"), _param(therapy, "hypoxic_activation_k_mmhg")
        activation = K.hypoxic_activation(np, po2 * mod[Quantity.po2], fold, k_hyp, p_oxic)
    h = _param(therapy, "hill", 1.0)
    kappa = _param(therapy, "max_log_kill", DEFAULT_MAX_LOG_KILL)
    ec50 = _param(therapy, "ic50_um", 1.0) * ((kappa - LN2) / LN2) ** (1.0 / h) * mod[Quantity.target_ec50]
    f_o2 = therapy.oxygen_dependence.value if therapy.oxygen_dependence else 0.0
    oxygen = 1.0
    if f_o2 > 0:
        oxygen = K.drug_oxygen_factor(np, mod, po2, f_o2, _radiation_params(_radiation_reference(cat), lq=False))
    lam_max = K.max_kill(np, mod, kappa, oxygen)
    if env.phase is not None and therapy.phase_specificity and env.phase not in therapy.phase_specificity:
        # A phase-specific agent spares cells outside its phases during a short exposure (Bruce, Meeker & Valeriote
        # 1966, J Natl Cancer Inst 37:233, the phase-specific class of agents).
        lam_max = np.zeros_like(lam_max)
    return DrugResponse(ph.n, delivery, activation, ec50, h, lam_max)


def dose_response(cat: Catalog, therapy: str | Therapy, ph: Phenotype, env: Environment | None = None) -> DoseResponse:
    """The surviving fraction of each cell of `ph` in `env` as a function of the dose of `therapy` alone
    (`RadiationResponse` for Gy, `DrugResponse` for uM): the environment is checked and every dose-independent term
    computed here, once. ``dose_response(cat, t, ph, env)(d)`` equals ``survival(cat, t, d, ph, env)`` bit for bit for
    any valid dose d (`survival` checks d; the returned function does not)."""
    t = cat.therapy(therapy) if isinstance(therapy, str) else therapy
    env = env or Environment()
    if t.modality == Modality.radiation:
        return _radiation_response(cat, t, ph, env)
    return _drug_response(cat, t, ph, env)


def radiation_survival(cat: Catalog, therapy: Therapy, dose_gy, ph: Phenotype, env: Environment) -> np.ndarray:
    """Surviving fraction of each cell (shape broadcast of dose_gy against (n_cells,)). Formula in the module doc;
    computed by `chain.kernel` (`RadiationResponse`)."""
    dose = nonnegative("dose_gy", dose_gy)
    return _radiation_response(cat, therapy, ph, env)(dose)


def radiation_dose_factor(cat: Catalog, therapy: str | Therapy, ph: Phenotype, env: Environment | None = None):
    """k of each cell at `env`'s pO2: the multiplier of the physical dose in `radiation_survival` (`kernel`), so that
    the surviving fraction is a function of k D alone (outside a phase-resolved environment). Hence the dose for any
    surviving fraction scales as 1 / k, and a dose-modifying factor between two pO2s is the ratio of their k, whatever
    dose the cell needs (finite or not)."""
    t = cat.therapy(therapy) if isinstance(therapy, str) else therapy
    env = env or Environment()
    po2 = nonnegative("po2_mmhg", env.po2_mmhg, allow_inf=True)
    return K.radiation_dose_factor(np, modifiers(effect_weights(cat, t), ph), po2, _radiation_params(t))


def drug_survival(cat: Catalog, therapy: Therapy, conc_um, ph: Phenotype, env: Environment) -> np.ndarray:
    """Surviving fraction of each cell after the assay exposure at extracellular `conc_um` (formula: module doc;
    computed by `chain.kernel`, `DrugResponse`)."""
    conc = nonnegative("conc_um", conc_um)
    return _drug_response(cat, therapy, ph, env)(conc)


def survival(cat: Catalog, therapy: str | Therapy, dose, ph: Phenotype, env: Environment | None = None) -> np.ndarray:
    """Surviving fraction of each cell of `ph` after `dose` of `therapy` (Gy for radiation, uM for drugs)."""
    t = cat.therapy(therapy) if isinstance(therapy, str) else therapy
    env = env or Environment()
    finite("dose", dose)
    if t.modality == Modality.radiation:
        return radiation_survival(cat, t, dose, ph, env)
    return drug_survival(cat, t, dose, ph, env)


def population_survival(
    cat: Catalog,
    therapy: str | Therapy,
    dose: float,
    ph: Phenotype,
    po2_mmhg: np.ndarray,
    weight: np.ndarray,
    distance_um: np.ndarray | float = 0.0,
) -> np.ndarray:
    """Surviving fraction of each phenotype spread over microenvironment compartments.

        SF_pop = sum_i w_i SF(dose; pO2_i, r_i),   sum_i w_i = 1

    The compartments are the rings of a Krogh cylinder (`microenvironment.cell_distribution`: pO2, weight, distance from
    the vessel) or the simple oxic/hypoxic split (`microenvironment.two_compartment_environment`).
    """
    w = nonnegative("weight", weight)
    if w.ndim != 1 or not np.isclose(w.sum(), 1.0):
        raise ChemoradError(f"weight must be a 1-D array summing to 1 (got shape {w.shape}, sum {w.sum():.4g})")
    po2 = np.asarray(po2_mmhg, dtype=float).reshape(-1, 1)
    dist = np.asarray(distance_um, dtype=float)
    dist = dist.reshape(-1, 1) if dist.ndim else dist
    sf = survival(cat, therapy, dose, ph, Environment(po2_mmhg=po2, distance_um=dist))
    return w @ sf


def dose_for_survival(
    cat: Catalog,
    therapy: str | Therapy,
    target_sf: float,
    ph: Phenotype,
    env: Environment | None = None,
    lo: float = 1e-6,
    hi: float = 1e6,
) -> np.ndarray:
    """Dose (Gy or uM) giving surviving fraction `target_sf` for each cell, by bisection on log dose.

    Survival is monotone non-increasing in dose, so bisection is exact to the tolerance (60 halvings of a 12-decade
    bracket: relative error < 1e-16). Cells that never reach `target_sf` within [lo, hi] get inf. The survival
    function is built once (`dose_response`: the environment checked and the dose-independent terms computed once,
    not at each of the 61 evaluations); the numbers are those of calling `survival` at each step.
    """
    if not 0.0 < target_sf < 1.0:
        raise ChemoradError(f"target_sf must be in (0, 1) (got {target_sf})")
    t = cat.therapy(therapy) if isinstance(therapy, str) else therapy
    top = nonnegative("dose_gy" if t.modality == Modality.radiation else "conc_um", finite("dose", hi))
    return _bisect([dose_response(cat, t, ph, env)], [target_sf], lo, top)[0]


def doses_for_survival(
    responses: Sequence[DoseResponse], target_sf: float | Sequence[float], lo: float = 1e-6, hi: float = 1e6
) -> np.ndarray:
    """`dose_for_survival` of several therapies (or environments) of one phenotype at once.

    Row i is the dose (Gy or uM) giving `target_sf` (one value, or one per response) through ``responses[i]``
    (`dose_response`), found by one bisection on log dose in [lo, hi] whose every step evaluates all the drugs in one
    set of array operations (radiation entries one by one). Each row equals `dose_for_survival` of its therapy bit for
    bit: the same floating-point operations on the same numbers, only stacked (an elementwise operation does not
    depend on its neighbours). Shape (len(responses), *cells): cells is (n_cells,) for a scalar or per-cell
    environment, else the broadcast shape of all the responses (a row that does not read an environment's extra axis
    is repeated along it). The responses must share the phenotype's number of cells."""
    responses = list(responses)
    targets = [target_sf] * len(responses) if np.ndim(target_sf) == 0 else list(target_sf)
    if len(targets) != len(responses):
        raise ChemoradError(f"target_sf: {len(targets)} value(s) for {len(responses)} dose response(s)")
    for t in targets:
        if not 0.0 < t < 1.0:
            raise ChemoradError(f"target_sf must be in (0, 1) (got {t})")
    if len({r.n for r in responses}) > 1:
        raise ChemoradError(f"responses: phenotypes of different sizes ({sorted({r.n for r in responses})} cells)")
    if not responses:
        return np.empty((0, 0))
    return _bisect(responses, targets, lo, positive("hi", hi))


class _DrugStack:
    """The drugs' dose-independent terms stacked on a leading axis (one row per drug), evaluated in one pass:
    `DrugResponse.__call__` row by row, operation by operation. A drug without hypoxic activation multiplies by 1
    (exact); the Hill power is taken per distinct exponent with the same scalar as the drug's own call."""

    def __init__(self, drugs: list[DrugResponse], shape: tuple[int, ...]):
        def stack(arrays):
            return np.stack([np.broadcast_to(x, shape) for x in arrays])

        self.delivery = stack([d.delivery for d in drugs])
        hyp = [d.activation for d in drugs]
        self.activation = None if all(x is None for x in hyp) else stack([1.0 if x is None else x for x in hyp])
        self.ec50 = stack([d.ec50 for d in drugs])
        self.lam_max = stack([d.lam_max for d in drugs])
        hills = [d.hill for d in drugs]
        self.hills = [(np.flatnonzero([x == h for x in hills]), h) for h in dict.fromkeys(hills)]

    def __call__(self, conc: np.ndarray) -> np.ndarray:
        c_act = conc * self.delivery
        if self.activation is not None:
            c_act = c_act * self.activation
        if len(self.hills) == 1:
            occ = K.occupancy(np, c_act, self.ec50, self.hills[0][1])
        else:
            occ = np.empty_like(c_act)
            for rows, h in self.hills:
                occ[rows] = K.occupancy(np, c_act[rows], self.ec50[rows], h)
        return K.drug_survival(np, self.lam_max, occ)


def _bisect(responses: list[DoseResponse], targets: list[float], lo: float, hi: np.ndarray) -> np.ndarray:
    """60 halvings of [ln lo, ln hi] for every response at once (arguments checked by the callers)."""
    top = [r(hi) for r in responses]
    shape = np.broadcast_shapes((responses[0].n,), *(np.shape(x) for x in top))
    reachable = np.stack([np.broadcast_to(x <= t, shape) for x, t in zip(top, targets, strict=True)])
    target = np.reshape(np.array(targets, dtype=float), (-1,) + (1,) * len(shape))
    a = np.full((len(responses), *shape), np.log(lo))
    b = np.full((len(responses), *shape), np.log(hi))
    drugs = np.flatnonzero([isinstance(r, DrugResponse) for r in responses])
    stack = _DrugStack([responses[i] for i in drugs], shape) if len(drugs) else None
    others = [i for i, r in enumerate(responses) if not isinstance(r, DrugResponse)]
    every_drug = len(drugs) == len(responses)
    for _ in range(60):
        mid = 0.5 * (a + b)
        dose = np.exp(mid)
        sf = np.empty_like(dose)
        if stack is not None:
            if every_drug:
                sf = stack(dose)
            else:
                sf[drugs] = stack(dose[drugs])
        for i in others:
            sf[i] = responses[i](dose[i])
        above = sf > target
        a = np.where(above, mid, a)
        b = np.where(above, b, mid)
    return np.where(reachable, np.exp(0.5 * (a + b)), np.inf)
