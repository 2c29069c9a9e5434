"""The catalog as arrays for the differentiable chain: one row per calibrated effect, one per therapy.

Reads the catalog generically (every mechanism's effects, every therapy's parameters) so that a corrected catalog or a
new effect needs no code change here. No JAX: this module is plain NumPy so that the command line can build it cheaply.

Effect parameters (`ChainSpec.effect_*`): each catalog effect e has one magnitude parameter on a log scale,

    fold quantity:       theta_e = ln(size_e)        (the gain weight; signed: < 0 sensitises)
    clearance quantity:  theta_e = ln(1 + size_e)    (the log fold by which a pump or enzyme lowers delivered drug)
    add quantity:        theta_e = size_e            (a fraction; prior sd relative to |size|)

The weight at activity -1 (`Effect.effective_loss`, `chain/phenotype.py`) is the catalog's loss weight times
theta_e / theta_e(catalog): the mirror of the gain by default, so calibration moves gain and loss together; a loss
weight whose gain weight is 0 stays fixed.

An effect selected by a transporter (`acts_on.transporter_substrate`, e.g. ABCB1 efflux) gets one parameter per
(pump, substrate) pair instead, so that each drug's transport can differ from the pump's catalog value; every other
effect shares one parameter across the therapies its selector matches. `pairs` maps each (therapy, mechanism, quantity)
slot of the chain's effect matrices to the parameter that fills it.

Prior width per parameter (`prior_sd`, log scale), by the source of the catalog value:
- `MEASURED_SD` when the size was taken from perturbation experiments (`Effect.from_perturbations`) or the
  catalog's perturbation table measured the mechanism (narrow);
- `PLACEHOLDER_SD` when the effect's basis says it is an order-of-magnitude choice (wide);
- `SOURCED_SD` otherwise (a published number the size reproduces).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chemorad.catalog.load import Catalog, selector_matches
from chemorad.catalog.schema import FORM, Quantity, Therapy
from chemorad.chain.phenotype import _QUANTITIES
from chemorad.chain.survival import DEFAULT_MAX_LOG_KILL, LN2

#: prior sd (natural-log units) of an effect magnitude measured by a perturbation experiment: a factor e^0.25 = 1.3
MEASURED_SD = 0.25
#: prior sd of an effect with a published basis: a factor e^0.5 = 1.65 either way
SOURCED_SD = 0.5
#: prior sd of an unsourced order-of-magnitude effect size: a factor e^1 = 2.7 either way
PLACEHOLDER_SD = 1.0
#: prior sd of a drug's reference ln IC50 around the catalog's value (GDSC-derived), and without one
POTENCY_SD = 1.0
POTENCY_SD_UNKNOWN = 2.0

QUANTITIES: tuple[Quantity, ...] = _QUANTITIES
Q = {q: j for j, q in enumerate(QUANTITIES)}
FOLD = np.array([FORM[q] != "add" for q in QUANTITIES])  # fold and clearance rows take exp


@dataclass(frozen=True)
class ChainSpec:
    """Arrays describing the catalog's chain (see the module docstring).

    mechanisms, therapies: ids in catalog order. effect_name: one label per parameter; effect_mechanism (index),
    effect_quantity (index into QUANTITIES), effect_prior_mean (the catalog's gain weight), effect_prior_sd,
    effect_fold (bool: fold or clearance form), effect_loss_ratio and effect_loss_fixed (loss weight = ratio * theta +
    fixed). pairs: int array (n_slots, 4) of (therapy, mechanism, quantity, parameter). Therapy vectors (length
    n_therapies): is_radiation, hill, kappa, ln_ic50 (catalog reference potency, ln uM; 0 where unknown), has_ic50,
    f_o2 (oxygen-dependent share of kill), hyp_fold and hyp_k (hypoxic activation of bioreductive prodrugs; fold 1:
    none). Radiation scalars (p_oxic: the oxic pO2): alpha, beta, oer_max, k_mmhg, f_ind, s0, phase_late_s.
    """

    mechanisms: tuple[str, ...]
    therapies: tuple[str, ...]
    effect_name: tuple[str, ...]
    effect_mechanism: np.ndarray
    effect_quantity: np.ndarray
    effect_prior_mean: np.ndarray
    effect_prior_sd: np.ndarray
    effect_fold: np.ndarray
    effect_loss_ratio: np.ndarray
    effect_loss_fixed: np.ndarray
    pairs: np.ndarray
    is_radiation: np.ndarray
    hill: np.ndarray
    kappa: np.ndarray
    ln_ic50: np.ndarray
    has_ic50: np.ndarray
    f_o2: np.ndarray
    hyp_fold: np.ndarray
    hyp_k: np.ndarray
    p_oxic: float
    alpha: float
    beta: float
    oer_max: float
    k_mmhg: float
    f_ind: float
    s0: float
    phase_late_s: float

    @property
    def n_effects(self) -> int:
        return len(self.effect_name)

    def therapy_index(self, therapy: str) -> int:
        return self.therapies.index(therapy)

    @property
    def ec50_factor(self) -> np.ndarray:
        """EC50 / IC50 of the reference cell: ((kappa - ln 2) / ln 2)^(1/h) (chain/survival.py)."""
        return ((self.kappa - LN2) / LN2) ** (1.0 / self.hill)


def _param(t: Therapy, name: str, default: float) -> float:
    return t.parameters[name].value if name in t.parameters else default


def _weights(form: str, size: float, loss: float) -> tuple[float, float]:
    """(gain weight, loss weight) of an effect as `chain.phenotype` builds them (loss: minus the log of its value)."""
    if form == "fold":
        return float(np.log(size)), float(-np.log(loss))
    if form == "clearance":
        return float(np.log1p(size)), float(-np.log1p(loss))
    return size, -loss


def prior_width(basis: str, measured: bool) -> float:
    """The prior sd of an effect magnitude from its source (module docstring)."""
    if measured:
        return MEASURED_SD
    if basis.strip().lower().startswith("order of magnitude"):
        return PLACEHOLDER_SD
    return SOURCED_SD


def measured_mechanisms(cat: Catalog) -> set[str]:
    """Mechanisms some perturbation experiment of the catalog measured (empty when the catalog has no table)."""
    table = getattr(cat, "perturbations", None) or {}
    items = table.values() if isinstance(table, dict) else table
    return {getattr(p, "mechanism", None) for p in items} - {None}


def chain_spec(cat: Catalog) -> ChainSpec:
    """Build the arrays of `ChainSpec` from a catalog."""
    mech_ids = tuple(cat.mechanisms)
    ther = list(cat.therapies.values())
    measured = measured_mechanisms(cat)
    names, e_mech, e_q, mean, sd, fold, ratio, fixed, pairs = [], [], [], [], [], [], [], [], []
    for i, m in enumerate(cat.mechanisms.values()):
        for k, e in enumerate(m.effects):
            matched = [ti for ti, t in enumerate(ther) if selector_matches(e.acts_on, t)]
            if not matched:
                continue
            form = FORM[e.quantity]
            gain, loss = _weights(form, float(e.size), float(e.effective_loss()))
            per_pair = e.acts_on.transporter_substrate is not None
            groups = [[ti] for ti in matched] if per_pair else [matched]
            for g in groups:
                label = f"{m.id}:{e.quantity.value}:{k}" + (f":{ther[g[0]].id}" if per_pair else "")
                names.append(label)
                e_mech.append(i)
                e_q.append(Q[e.quantity])
                mean.append(gain)
                width = prior_width(e.basis, bool(getattr(e, "from_perturbations", None)) or m.id in measured)
                sd.append(width * max(abs(gain), 0.05) if form == "add" else width)
                fold.append(form != "add")
                ratio.append(loss / gain if gain != 0 else 0.0)
                fixed.append(0.0 if gain != 0 else loss)
                pairs += [(ti, i, Q[e.quantity], len(names) - 1) for ti in g]
    rad = next((t for t in ther if t.modality == "radiation"), None)
    ic50 = np.array([_param(t, "ic50_um", np.nan) for t in ther])
    return ChainSpec(
        mechanisms=mech_ids,
        therapies=tuple(t.id for t in ther),
        effect_name=tuple(names),
        effect_mechanism=np.array(e_mech, dtype=int),
        effect_quantity=np.array(e_q, dtype=int),
        effect_prior_mean=np.array(mean, dtype=float),
        effect_prior_sd=np.array(sd, dtype=float),
        effect_fold=np.array(fold, dtype=bool),
        effect_loss_ratio=np.array(ratio, dtype=float),
        effect_loss_fixed=np.array(fixed, dtype=float),
        pairs=np.array(pairs, dtype=int).reshape(-1, 4),
        is_radiation=np.array([t.modality == "radiation" for t in ther]),
        hill=np.array([_param(t, "hill", 1.0) for t in ther]),
        kappa=np.array([_param(t, "max_log_kill", DEFAULT_MAX_LOG_KILL) for t in ther]),
        ln_ic50=np.nan_to_num(np.log(ic50), nan=0.0),
        has_ic50=np.isfinite(ic50),
        f_o2=np.array([t.oxygen_dependence.value if t.oxygen_dependence else 0.0 for t in ther]),
        hyp_fold=np.array([_param(t, "hypoxic_activation_fold", 1.0) for t in ther]),
        hyp_k=np.array([_param(t, "hypoxic_activation_k_mmhg", 1.0) for t in ther]),
        p_oxic=_param(rad, "oxic_po2_mmhg", 40.0) if rad else 40.0,
        alpha=_param(rad, "alpha_per_gy", 0.0) if rad else 0.0,
        beta=_param(rad, "beta_per_gy2", 0.0) if rad else 0.0,
        oer_max=_param(rad, "oer_max", 1.0) if rad else 1.0,
        k_mmhg=_param(rad, "k_mmhg", 1.0) if rad else 1.0,
        f_ind=_param(rad, "indirect_fraction", 0.0) if rad else 0.0,
        s0=_param(rad, "gsh_scavenged_fraction", 0.0) if rad else 0.0,
        phase_late_s=_param(rad, "phase_sensitivity_late_S", 1.0) if rad else 1.0,
    )
