"""The NumPy chain keeps its numbers when its formulas move: a regression against stored values.

`chain_reference.npz` holds `_values()` as computed by the chain before its formulas were written once against an
array namespace (`chain.kernel`, issue 25), at commit fe3e92d: every therapy of the shipped catalog x 8 phenotypes
(the reference cell and 7 mixed-sign random ones) x oxic, pO2 2, anoxic, pO2 inf, 80 um from the vessel, G = 0.5 and
each cell-cycle phase x 4 doses, the dose for 50% and 10% survival of each therapy, and radiation's survival over 3
compartments. A calibration round-trip of the code's own earlier output, not a validation: it catches a change of
formula, not an error in one. A deliberate change of the chain's numbers rewrites the file with `_values()`.

Rewritten once since, when the curated catalog of issue 22 was merged (its effect sizes changed, not the formulas):
before rewriting, the merged code on the fe3e92d catalog reproduced the stored values to 7.1e-15 (relative).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from chemorad.catalog import catalog
from chemorad.catalog.schema import Phase
from chemorad.chain import from_array
from chemorad.chain.survival import Environment, dose_for_survival, population_survival, survival

REFERENCE = Path(__file__).parent / "data" / "chain_reference.npz"


def _environments() -> dict[str, Environment]:
    envs = {
        "oxic": Environment(),
        "po2_2": Environment(po2_mmhg=2.0),
        "anoxic": Environment(po2_mmhg=0.0),
        "air_inf": Environment(po2_mmhg=np.inf),
        "far": Environment(distance_um=80.0, po2_mmhg=5.0),
        "g05": Environment(g=0.5),
    }
    return envs | {f"phase_{p.value}": Environment(phase=p) for p in Phase}


def _values(cat, a: np.ndarray) -> dict[str, np.ndarray]:
    ph = from_array(cat, a)
    out = {}
    for t in cat.therapies.values():
        radiation = t.modality == "radiation"
        ic = t.parameters["ic50_um"].value if "ic50_um" in t.parameters else 1.0
        doses = [0.0, 1.0, 2.0, 6.0] if radiation else [0.0, 0.1 * ic, ic, 10 * ic]
        for name, env in _environments().items():
            out[f"sf|{t.id}|{name}"] = np.stack([survival(cat, t, d, ph, env) for d in doses])
        for target in (0.5, 0.1):
            out[f"d|{t.id}|{target}"] = dose_for_survival(cat, t, target, ph)
        if radiation:
            po2, w, dist = np.array([40.0, 5.0, 0.5]), np.array([0.5, 0.3, 0.2]), np.array([0.0, 40.0, 90.0])
            out[f"pop|{t.id}"] = population_survival(cat, t, 2.0, ph, po2, w, dist)
    return out


def test_the_chain_keeps_its_numbers_over_the_catalog() -> None:
    ref = np.load(REFERENCE)
    got = _values(catalog(), ref["activities"])
    names = [str(n) for n in ref["names"]]
    assert names == list(got)
    now = np.concatenate([got[k].ravel() for k in names])
    before = ref["values"]
    assert now.shape == before.shape
    np.testing.assert_array_equal(np.isfinite(now), np.isfinite(before))
    np.testing.assert_allclose(now, before, rtol=1e-12, atol=0)
