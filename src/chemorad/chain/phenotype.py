"""Phenotypes: mechanism activities per cell, and what they do to each damage-chain quantity of a therapy.

A phenotype is an array of activities, shape (n_cells, n_mechanisms), columns in catalog order; 0 is the reference cell,
1 is the mechanism at the strength its catalog effect sizes describe, -1 its loss (e.g. a knockdown). How an activity
changes a quantity lives in the catalog (`Effect`: quantity, selector, size, source); this module only composes:

    fold quantities:       modifier = exp(A+ @ ln(size) - A- @ ln(loss))              (1 for the reference cell)
    clearance quantities:  modifier = exp(A+ @ ln(1 + size) - A- @ ln(1 + loss))      (1 for the reference cell)
    add quantities:        modifier = A+ @ size - A- @ loss                            (0 for the reference cell)

with A+ = max(A, 0) and A- = max(-A, 0): a gain is scaled by the effect's `size` (its value at activity 1) and a loss by
its `loss` (`Effect.effective_loss()`, its value at activity -1, which the biology decides: the mirror of the gain by
default, no effect where the reference cell has nothing to lose). Loss acts: knocking down an enzyme the reference
cell carries (GST) leaves more active drug; the chain keeps each quantity in its physical range (`survival.py`).

A clearance (pump efflux, metabolic inactivation) is the fold by which it lowers the delivered drug, 1 + size at
activity 1, interpolated log-linearly in activity: activities come from log-scale expression, so a line one third of
the way to the resistant model system gets the cube root of its fold, not a third of its clearance (which made average
lines tens-fold resistant to ABCB1 substrates). Effects on the same quantity combine multiplicatively (fold,
clearance) or additively (add). The two weight matrices of a therapy are
built once per catalog and therapy and cached on the catalog (`effect_weights`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from chemorad.catalog.load import Catalog, selector_matches
from chemorad.catalog.schema import FORM, Quantity, Therapy
from chemorad.chain import kernel as K
from chemorad.errors import ChemoradError, unknown


@dataclass(frozen=True)
class Phenotype:
    """Activities (n_cells, n_mechanisms) with the mechanism ids naming the columns."""

    activities: np.ndarray
    mechanisms: tuple[str, ...]

    @property
    def n(self) -> int:
        return self.activities.shape[0]


def phenotype(cat: Catalog, activities: Mapping[str, float | np.ndarray] | None = None, n: int = 1) -> Phenotype:
    """Build a phenotype from {mechanism id: activity or array of n activities}; unnamed mechanisms are 0."""
    ids = tuple(cat.mechanisms)
    col = {m: i for i, m in enumerate(ids)}
    activities = dict(activities or {})
    lengths = {np.size(v) for v in activities.values() if np.ndim(v) > 0}
    if len(lengths) > 1:
        raise ChemoradError(f"activities: arrays must share one length (got lengths {sorted(lengths)})")
    if lengths:
        n = lengths.pop()
    a = np.zeros((n, len(ids)))
    for mid, value in activities.items():
        if mid not in col:
            raise unknown("mechanism", mid, ids)
        v = np.asarray(value, dtype=float)
        if not np.all(np.isfinite(v)):
            raise ChemoradError(f"activity of {mid} must be finite (got {value!r})")
        a[:, col[mid]] = v
    return Phenotype(a, ids)


def from_array(cat: Catalog, activities: np.ndarray) -> Phenotype:
    """Wrap a raw (n_cells, n_mechanisms) array, checking its shape against the catalog.

    float32 input stays float32 (half the memory traffic for very many cells); anything else becomes float64.
    """
    a = np.asarray(activities)
    a = a if a.dtype in (np.float32, np.float64) else a.astype(float)
    if a.ndim == 1:
        a = a[None, :]
    if a.ndim != 2 or a.shape[1] != len(cat.mechanisms):
        raise ChemoradError(
            f"activities must have shape (n_cells, {len(cat.mechanisms)}) in catalog mechanism order (got {a.shape})"
        )
    if not np.all(np.isfinite(a)):
        raise ChemoradError("activities must be finite")
    return Phenotype(a, tuple(cat.mechanisms))


# Fold and clearance quantities first, so that one slice of the product takes exp in place.
_QUANTITIES = tuple(sorted(Quantity, key=lambda q: FORM[q] == "add"))
_N_FOLD = sum(FORM[q] != "add" for q in _QUANTITIES)


@dataclass(frozen=True)
class EffectWeights:
    """One therapy's effect matrices (n_mechanisms, n_quantities), for gains and for losses of activity.

    gain: ln(size) for fold quantities, ln(1 + size) for clearances, size for add ones; loss: -ln(loss),
    -ln(1 + loss) and -loss (so that a negative activity times the loss row gives the value at activity -1).
    Read-only: the arrays are shared through the catalog's cache.
    """

    therapy: str
    gain: np.ndarray
    loss: np.ndarray

    @property
    def symmetric(self) -> bool:
        """True when every loss is the mirror of its gain, so one matrix product serves both signs."""
        return bool(np.array_equal(self.gain, self.loss))


def _build_weights(cat: Catalog, therapy: Therapy) -> EffectWeights:
    gain = np.zeros((len(cat.mechanisms), len(_QUANTITIES)))
    loss = np.zeros_like(gain)
    col = {q: j for j, q in enumerate(_QUANTITIES)}
    for i, m in enumerate(cat.mechanisms.values()):
        for e in m.effects:
            if selector_matches(e.acts_on, therapy):
                j = col[e.quantity]
                at_loss = e.effective_loss()
                if FORM[e.quantity] == "fold":
                    gain[i, j] += np.log(e.size)
                    loss[i, j] -= np.log(at_loss)
                elif FORM[e.quantity] == "clearance":
                    gain[i, j] += np.log1p(e.size)
                    loss[i, j] -= np.log1p(at_loss)
                else:
                    gain[i, j] += e.size
                    loss[i, j] -= at_loss
    gain.flags.writeable = False
    loss.flags.writeable = False
    return EffectWeights(therapy.id, gain, loss)


def effect_weights(cat: Catalog, therapy: Therapy) -> EffectWeights:
    """The effects whose selector matches `therapy`, as gain and loss matrices; built once per catalog and therapy.

    The cache lives on the catalog (`Catalog.cache`), so a user-supplied catalog gets its own and nothing is global.
    """
    key = ("effect_weights", therapy.id, id(therapy))
    hit = cat.cache.get(key)
    if hit is None:
        # The therapy is stored with its weights so that its id cannot be reused by another object while cached.
        hit = cat.cache[key] = (therapy, _build_weights(cat, therapy))
    return hit[1]


def modifiers(weights: EffectWeights, ph: Phenotype) -> dict[Quantity, np.ndarray]:
    """Per-cell modifier of every quantity (fold: 1 = unchanged; add: 0 = unchanged), each of shape (n_cells,).

    `chain.kernel.modifier_exponent` (A+ W+ + A- W-, one product when gains and losses mirror each other), transposed to
    (n_quantities, n_cells) so that each quantity is a contiguous row; then exp of the fold and clearance rows, in
    place. Add rows may be negative (a loss); `survival.py` keeps each in its physical range.
    """
    a = ph.activities
    dt = a.dtype
    loss = None if weights.symmetric or not np.any(a < 0) else weights.loss.astype(dt)
    s = np.ascontiguousarray(K.modifier_exponent(np, a, weights.gain.astype(dt), loss).T)
    np.exp(s[:_N_FOLD], out=s[:_N_FOLD])
    return dict(zip(_QUANTITIES, s, strict=True))
