"""Phenotypes: mechanism activities per cell, and what they do to each damage-chain quantity of a therapy.

A phenotype is an array of activities, shape (n_cells, n_mechanisms), columns in catalog order; 0 is the reference cell,
1 is the mechanism at the strength its catalog effect sizes describe, -1 its loss (e.g. a knockdown). How an activity
changes a quantity lives in the catalog (`Effect`: quantity, selector, size, source); this module only composes:

    fold quantities:  modifier = prod_m size_m ** a_m   = exp(A @ ln(size))      (1 for the reference cell)
    add quantities:   modifier = max(0, sum_m size_m * a_m) = max(0, A @ size)    (0 for the reference cell)

Effects on the same quantity combine multiplicatively (fold) or additively (add), which is what independent mechanisms
acting on one rate do (two pumps add clearances; two EC50 shifts multiply).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from chemorad.catalog.load import Catalog, selector_matches
from chemorad.catalog.schema import FORM, Quantity, Therapy
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


# Fold quantities first, so that one slice of the product takes exp and the rest the floor, both in place.
_QUANTITIES = tuple(sorted(Quantity, key=lambda q: FORM[q] != "fold"))
_N_FOLD = sum(FORM[q] == "fold" for q in _QUANTITIES)


@dataclass(frozen=True)
class EffectWeights:
    """One therapy's effect matrix (n_mechanisms, n_quantities): ln(size) for fold quantities, size for add ones."""

    therapy: str
    matrix: np.ndarray


def effect_weights(cat: Catalog, therapy: Therapy) -> EffectWeights:
    """Collect the catalog effects whose selector matches `therapy` into one matrix (computed once per therapy)."""
    w = np.zeros((len(cat.mechanisms), len(_QUANTITIES)))
    col = {q: j for j, q in enumerate(_QUANTITIES)}
    for i, m in enumerate(cat.mechanisms.values()):
        for e in m.effects:
            if selector_matches(e.acts_on, therapy):
                w[i, col[e.quantity]] += np.log(e.size) if FORM[e.quantity] == "fold" else e.size
    return EffectWeights(therapy.id, w)


def modifiers(weights: EffectWeights, ph: Phenotype) -> dict[Quantity, np.ndarray]:
    """Per-cell modifier of every quantity (fold: 1 = unchanged; add: 0 = unchanged), each of shape (n_cells,).

    One matrix product W^T A^T, shape (n_quantities, n_cells) so that each quantity is a contiguous row; then exp of the
    fold rows and the floor at 0 of the add rows, in place.
    """
    s = weights.matrix.T.astype(ph.activities.dtype) @ ph.activities.T
    np.exp(s[:_N_FOLD], out=s[:_N_FOLD])
    np.maximum(s[_N_FOLD:], 0.0, out=s[_N_FOLD:])
    return dict(zip(_QUANTITIES, s, strict=True))
