"""The tumour microenvironment: oxygen around a vessel, drug penetration, and the cells' distribution over both.

Krogh cylinder (Krogh 1919, J Physiol 52:409): a capillary of radius r_c supplies a coaxial tissue cylinder of radius
R. At steady state with zero-order O2 consumption, written in pressure units (a = consumption rate / O2 solubility,
mmHg/s) and D the O2 diffusion coefficient (um^2/s), the tissue pO2 p(r) obeys

    (1/r) d/dr (r D dp/dr) = a,    p(r_c) = p_c,    dp/dr(R) = 0,

whose solution is

    p(r) = p_c + (a / (4 D)) (r^2 - r_c^2) - (a R^2 / (2 D)) ln(r / r_c).

It decreases from p_c at the vessel wall to its minimum at R. If that minimum would be negative, cells beyond the
anoxic radius R_a have no oxygen and consume none (the step-consumption model of Thomlinson & Gray 1955): then p(r) is
the same formula with R replaced by R_a, where p(R_a) = 0 and dp/dr(R_a) = 0, and p = 0 for R_a <= r <= R. (Simply
clipping the R-based formula at 0 would be wrong: it lets anoxic cells keep consuming and places R_a too close to the
vessel.) Zero-order consumption overstates consumption at pO2 below about 1 mmHg, where it is really Michaelis-Menten;
the step model is the classical approximation and is not refined here.

Defaults and sources
--------------------
- capillary pO2 40 mmHg: a typical mean capillary/venous pO2 (Hall & Giaccia, Radiobiology for the Radiologist, 8th
  ed., ch. 6, in the account of Thomlinson & Gray's calculation); Vaupel, Kallinowski & Okunieff 1989, Cancer Res
  49:6449.
- capillary radius 5 um (capillary diameter about 10 um).
- D = 2000 um^2/s (2e-9 m^2/s, O2 in tissue; Grimes et al. 2014, J R Soc Interface 11:20131124).
- consumption: chosen so that the O2 diffusion distance from the vessel wall to the anoxic radius is 150 um, the
  distance Thomlinson & Gray (1955, Br J Cancer 9:539) inferred from necrotic tumour cords (`DIFFUSION_DISTANCE_UM`);
  Tannock (1968, Br J Cancer 22:258) found viable cords of about 100 um in a mouse mammary tumour, Grimes et al. 2014
  (J R Soc Interface) give 100-200 um. Use `consumption_for_diffusion_distance` for another distance.
- tissue radius 100 um: the viable cord radius around a central vessel in Tannock's (1968) mouse tumour, i.e. half an
  inter-vessel distance of 200 um. With the other defaults this cylinder is well oxygenated (pO2 >= 26 mmHg). The
  hypoxic share rises steeply as the tissue radius approaches the anoxic radius (155 um from the axis with the
  defaults, `anoxic_radius_um()`): about half the cells are at <= 10 mmHg at 140 um, and beyond 155 um there is an
  anoxic rim.
- drug penetration: doxorubicin falls to half its perivascular level 40-50 um from the nearest vessel in xenografts
  (Primeau et al. 2005, Clin Cancer Res 11:8782; reviewed by Minchinton & Tannock 2006, Nat Rev Cancer 6:583), i.e.
  a penetration length lambda = 45 um / ln 2 = 65 um for exp(-x / lambda).
- hypoxia threshold 10 mmHg (radiobiological hypoxia begins below about 10 mmHg: Hockel & Vaupel 2001, J Natl Cancer
  Inst 93:266; the pO2 histogram's HF10).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from chemorad.chain.validate import in_range, nonnegative, positive
from chemorad.errors import ChemoradError

__all__ = [
    "CAPILLARY_PO2_MMHG",
    "CAPILLARY_RADIUS_UM",
    "DIFFUSION_UM2_S",
    "DIFFUSION_DISTANCE_UM",
    "CONSUMPTION_MMHG_S",
    "TISSUE_RADIUS_UM",
    "HYPOXIA_THRESHOLD_MMHG",
    "CellDistribution",
    "PO2Distribution",
    "consumption_for_diffusion_distance",
    "anoxic_radius_um",
    "krogh_po2",
    "drug_penetration",
    "cell_distribution",
    "hypoxic_fraction",
    "two_compartment_environment",
]

CAPILLARY_PO2_MMHG = 40.0
CAPILLARY_RADIUS_UM = 5.0
DIFFUSION_UM2_S = 2000.0
DIFFUSION_DISTANCE_UM = 150.0
TISSUE_RADIUS_UM = 100.0
HYPOXIA_THRESHOLD_MMHG = 10.0


def _krogh_drop(r, r_c, r_outer):
    """(p_c - p(r)) / (a / D) for a cylinder whose zero-flux radius is r_outer: (2 R^2 ln(r/r_c) - r^2 + r_c^2)/4."""
    return (2.0 * r_outer * r_outer * np.log(r / r_c) - r * r + r_c * r_c) / 4.0


def consumption_for_diffusion_distance(
    distance_um,
    capillary_radius_um=CAPILLARY_RADIUS_UM,
    capillary_po2_mmhg=CAPILLARY_PO2_MMHG,
    diffusion_um2_s=DIFFUSION_UM2_S,
):
    """O2 consumption a (mmHg/s) at which the anoxic radius lies `distance_um` beyond the vessel wall.

    From p(R_a) = 0 with zero flux at R_a = r_c + distance: a = 4 D p_c / (2 R_a^2 ln(R_a/r_c) - R_a^2 + r_c^2).
    """
    dist = positive("distance_um", distance_um)
    r_c = positive("capillary_radius_um", capillary_radius_um)
    p_c = nonnegative("capillary_po2_mmhg", capillary_po2_mmhg)
    d = positive("diffusion_um2_s", diffusion_um2_s)
    r_a = r_c + dist
    return d * p_c / _krogh_drop(r_a, r_c, r_a)


CONSUMPTION_MMHG_S = float(consumption_for_diffusion_distance(DIFFUSION_DISTANCE_UM))


def anoxic_radius_um(
    capillary_radius_um=CAPILLARY_RADIUS_UM,
    capillary_po2_mmhg=CAPILLARY_PO2_MMHG,
    consumption_mmhg_s=CONSUMPTION_MMHG_S,
    diffusion_um2_s=DIFFUSION_UM2_S,
):
    """Radius (um, from the vessel axis) where pO2 and its gradient both reach 0 in unbounded tissue.

    Root of p_c = (a/D) (2 R^2 ln(R/r_c) - R^2 + r_c^2)/4, whose right side increases with R from 0 at r_c, found by
    vectorised bisection to machine precision. inf when consumption is 0; r_c when p_c is 0.
    """
    r_c = positive("capillary_radius_um", capillary_radius_um)
    p_c = nonnegative("capillary_po2_mmhg", capillary_po2_mmhg)
    a = nonnegative("consumption_mmhg_s", consumption_mmhg_s)
    d = positive("diffusion_um2_s", diffusion_um2_s)
    r_c, p_c, a, d = np.broadcast_arrays(r_c, p_c, a, d)
    with np.errstate(divide="ignore"):
        target = np.where(a > 0, p_c * d / np.where(a > 0, a, 1.0), np.inf)
    finite = np.isfinite(target)
    ft = np.where(finite, target, 0.0)
    # At R >= e r_c the drop exceeds R^2/4, so R = max(e r_c, 2 sqrt(target)) + r_c brackets the root.
    lo = r_c.astype(float).copy()
    hi = np.maximum(np.e * r_c, 2.0 * np.sqrt(ft)) + r_c
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        below = _krogh_drop(mid, r_c, mid) < ft
        lo = np.where(below, mid, lo)
        hi = np.where(below, hi, mid)
        if np.all(hi - lo <= 4e-16 * hi):
            break
    out = np.where(finite, 0.5 * (lo + hi), np.inf)
    return out[()] if out.ndim == 0 else out


def krogh_po2(
    radius_um,
    capillary_radius_um=CAPILLARY_RADIUS_UM,
    tissue_radius_um=TISSUE_RADIUS_UM,
    capillary_po2_mmhg=CAPILLARY_PO2_MMHG,
    consumption_mmhg_s=CONSUMPTION_MMHG_S,
    diffusion_um2_s=DIFFUSION_UM2_S,
):
    """Tissue pO2 (mmHg) at `radius_um` from the vessel axis in a Krogh cylinder (formula: module docstring).

    radius_um must lie in [capillary_radius_um, tissue_radius_um]. All arguments broadcast. Zero-order consumption
    `consumption_mmhg_s` (O2 consumption rate divided by O2 solubility) where pO2 > 0, none where it is 0.
    Sources: Krogh 1919, J Physiol 52:409; Thomlinson & Gray 1955, Br J Cancer 9:539; Secomb et al. 1993, Int J Radiat
    Oncol Biol Phys 25:481 (the same geometry applied to tumours).
    """
    r = nonnegative("radius_um", radius_um)
    r_c = positive("capillary_radius_um", capillary_radius_um)
    big_r = positive("tissue_radius_um", tissue_radius_um)
    p_c = nonnegative("capillary_po2_mmhg", capillary_po2_mmhg)
    a = nonnegative("consumption_mmhg_s", consumption_mmhg_s)
    d = positive("diffusion_um2_s", diffusion_um2_s)
    if np.any(big_r < r_c):
        raise ChemoradError("tissue_radius_um must be >= capillary_radius_um")
    if np.any((r < r_c) | (r > big_r)):
        bad = np.broadcast_arrays(r, r_c, big_r)
        i = np.flatnonzero((bad[0] < bad[1]) | (bad[0] > bad[2]))[0]
        raise ChemoradError(
            f"radius_um must lie between capillary_radius_um and tissue_radius_um (got {bad[0].ravel()[i]!r}, "
            f"allowed [{bad[1].ravel()[i]!r}, {bad[2].ravel()[i]!r}])"
        )
    r_outer = np.minimum(big_r, anoxic_radius_um(r_c, p_c, a, d))
    r_in = np.minimum(r, r_outer)
    p = p_c - (a / d) * _krogh_drop(r_in, r_c, r_outer)
    out = np.where(r <= r_outer, np.maximum(p, 0.0), 0.0)
    out = np.where(r == r_c, p_c, out)  # exact boundary value (and p_c = 0 with r_outer = r_c)
    return out[()] if out.ndim == 0 else out


def drug_penetration(distance_um, penetration_length_um):
    """Drug exposure relative to the perivascular level at `distance_um` from the nearest vessel: exp(-x / lambda).

    A drug's lambda is its catalog parameter `penetration_length_um` (therapies.yaml, with its source: doxorubicin's
    65 um from a half-distance of 40-50 um, Primeau et al. 2005, Clin Cancer Res 11:8782). lambda = inf means uniform
    exposure.
    """
    x = nonnegative("distance_um", distance_um)
    lam = positive("penetration_length_um", penetration_length_um, allow_inf=True)
    return np.exp(-x / lam)


class CellDistribution(NamedTuple):
    """Cells of a Krogh cylinder by ring (last axis): pO2, weight (area share, sums to 1), distance, drug exposure."""

    po2_mmhg: np.ndarray
    weight: np.ndarray
    distance_um: np.ndarray
    exposure: np.ndarray


class PO2Distribution(NamedTuple):
    """Cells by compartment (last axis): pO2 and weight (sums to 1)."""

    po2_mmhg: np.ndarray
    weight: np.ndarray


def cell_distribution(
    n_rings: int = 200,
    capillary_radius_um=CAPILLARY_RADIUS_UM,
    tissue_radius_um=TISSUE_RADIUS_UM,
    capillary_po2_mmhg=CAPILLARY_PO2_MMHG,
    consumption_mmhg_s=CONSUMPTION_MMHG_S,
    diffusion_um2_s=DIFFUSION_UM2_S,
    penetration_length_um=np.inf,
) -> CellDistribution:
    """The cells of a Krogh cylinder as `n_rings` equal-width annuli from the vessel wall to the tissue radius.

    Each ring [r_i, r_i+1] holds the area share (r_i+1^2 - r_i^2) / (R^2 - r_c^2) of the cells (cells fill the tissue
    uniformly, so their share is the area 2 pi r dr); its pO2 is `krogh_po2` at the ring's area-median radius
    sqrt((r_i^2 + r_i+1^2)/2), its distance from the vessel wall r - r_c at that radius, and its drug exposure
    `drug_penetration(distance, penetration_length_um)` (1 everywhere for the default lambda = inf). Geometry and
    transport arguments broadcast; the rings are the last axis of every returned array.
    """
    if isinstance(n_rings, bool) or not isinstance(n_rings, int | np.integer) or n_rings < 1:
        raise ChemoradError(f"n_rings must be an integer >= 1 (got {n_rings!r})")
    r_c = positive("capillary_radius_um", capillary_radius_um)[..., None]
    big_r = positive("tissue_radius_um", tissue_radius_um)[..., None]
    if np.any(big_r <= r_c):
        raise ChemoradError("tissue_radius_um must be > capillary_radius_um")
    u = np.linspace(0.0, 1.0, n_rings + 1)
    edges = r_c + (big_r - r_c) * u
    edges[..., -1] = big_r[..., 0]  # exact outer edge
    sq = edges * edges
    weight = np.diff(sq, axis=-1) / (big_r * big_r - r_c * r_c)
    r_mid = np.clip(np.sqrt(0.5 * (sq[..., :-1] + sq[..., 1:])), r_c, big_r)
    po2 = krogh_po2(
        r_mid,
        r_c,
        big_r,
        np.asarray(capillary_po2_mmhg, dtype=float)[..., None],
        np.asarray(consumption_mmhg_s, dtype=float)[..., None],
        np.asarray(diffusion_um2_s, dtype=float)[..., None],
    )
    distance = r_mid - r_c
    exposure = drug_penetration(distance, np.asarray(penetration_length_um, dtype=float)[..., None])
    shape = np.broadcast_shapes(po2.shape, weight.shape, exposure.shape)
    return CellDistribution(*(np.broadcast_to(x, shape).copy() for x in (po2, weight, distance, exposure)))


def hypoxic_fraction(po2_mmhg, weight=None, threshold_mmhg=HYPOXIA_THRESHOLD_MMHG):
    """Weighted share of cells at or below `threshold_mmhg` (default 10 mmHg; Hockel & Vaupel 2001, JNCI 93:266).

    po2_mmhg and weight (default: equal weights) have the cells on their last axis; weights need not be normalised.
    """
    p = nonnegative("po2_mmhg", po2_mmhg)
    w = np.ones_like(p) if weight is None else nonnegative("weight", weight)
    thr = nonnegative("threshold_mmhg", threshold_mmhg)
    p, w = np.broadcast_arrays(np.atleast_1d(p), np.atleast_1d(w))
    total = w.sum(axis=-1)
    if np.any(total <= 0):
        raise ChemoradError("weight must have a positive sum over the cells (the last axis)")
    hf = (w * (p <= np.asarray(thr)[..., None])).sum(axis=-1) / total
    return hf[()] if hf.ndim == 0 else hf


def two_compartment_environment(
    hypoxic_fraction, oxic_po2_mmhg=CAPILLARY_PO2_MMHG, hypoxic_po2_mmhg=0.5
) -> PO2Distribution:
    """The simplest tumour: a fraction `hypoxic_fraction` of cells at `hypoxic_po2_mmhg`, the rest at `oxic_po2_mmhg`.

    Returns PO2Distribution with last axis [oxic, hypoxic]: po2 (oxic, hypoxic), weight (1 - h, h). Arguments broadcast.
    Default hypoxic pO2 0.5 mmHg: radiobiologically hypoxic, OER close to its maximum (Hall & Giaccia, ch. 6); typical
    hypoxic fractions of human tumours are 10-30% (Vaupel & Mayer 2007, Cancer Metastasis Rev 26:225).
    """
    h = in_range("hypoxic_fraction", hypoxic_fraction, 0.0, 1.0)
    po = nonnegative("oxic_po2_mmhg", oxic_po2_mmhg)
    ph = nonnegative("hypoxic_po2_mmhg", hypoxic_po2_mmhg)
    h, po, ph = np.broadcast_arrays(h, po, ph)
    return PO2Distribution(np.stack([po, ph], axis=-1), np.stack([1.0 - h, h], axis=-1))
