"""Provenance of every catalog effect size: read, data, bounded, recalled or placeholder.

Four classes are typed in the catalog (`Effect.provenance`, checked at load): `read` (a sentence quoted from the place
it was read), `bounded` (the bundle's association bounds it), `recalled` (from memory, unverified) and `placeholder` (an
order-of-magnitude choice). The fifth, `data`, is computed, never typed: an effect whose size the calibration
identifies, by the rule

    data  <=>  typed class is not `read`  and  W_post / W_prior < DATA_WIDTH_RATIO (0.5)

with W the width of the 90% interval of the effect's magnitude parameter theta (`calibration.spec`): W_prior =
2 x 1.645 x prior sd, W_post = 95% - 5% quantile of the posterior draws. An effect with several parameters (a pump with
one per substrate) is `data` only when every one of them is. The width ratios come from
`calibration.posterior.width_ratios`; without a posterior no effect is `data`.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from chemorad.catalog.load import Catalog
from chemorad.catalog.schema import PROVENANCE_CLASSES

#: posterior/prior 90%-width ratio below which the calibration is said to identify an effect size
DATA_WIDTH_RATIO = 0.5
#: classes whose size rests on a measurement (a quote, or the calibration's data)
MEASURED = ("read", "data")


def effect_key(mechanism_id: str, quantity: str, index: int) -> str:
    """The label of an effect, as `calibration.spec` names its parameter (without the per-substrate suffix)."""
    return f"{mechanism_id}:{quantity}:{index}"


def effect_provenance(cat: Catalog, width_ratio: Mapping[str, float] | None = None) -> pd.DataFrame:
    """One row per catalog effect: mechanism, effect (key), quantity, acts_on, size, typed, width_ratio, provenance
    (the effective class: module docstring), loss_provenance, source, basis."""
    width_ratio = width_ratio or {}
    rows = []
    for m in cat.mechanisms.values():
        for k, e in enumerate(m.effects):
            key = effect_key(m.id, e.quantity.value, k)
            ratio = width_ratio.get(key)
            cls = e.provenance
            if cls != "read" and ratio is not None and ratio < DATA_WIDTH_RATIO:
                cls = "data"
            rows.append(
                {
                    "mechanism": m.id,
                    "effect": key,
                    "quantity": e.quantity.value,
                    "acts_on": e.acts_on.describe(),
                    "size": e.size,
                    "typed": e.provenance,
                    "width_ratio": ratio,
                    "provenance": cls,
                    "loss_provenance": e.loss_provenance,
                    "source": e.source,
                    "basis": e.basis,
                }
            )
    return pd.DataFrame(rows)


def provenance_counts(table: pd.DataFrame) -> pd.DataFrame:
    """Counts and shares per class (every class listed, zero included), and the measured share (read + data)."""
    n = len(table)
    counts = table["provenance"].value_counts()
    rows = [{"provenance": c, "effects": int(counts.get(c, 0))} for c in PROVENANCE_CLASSES]
    rows.append({"provenance": "total", "effects": n})
    out = pd.DataFrame(rows)
    out["share"] = out["effects"] / max(n, 1)
    return out


def measured_share(table: pd.DataFrame) -> float:
    """Share of effect sizes that are `read` or `data`."""
    return float(table["provenance"].isin(MEASURED).mean()) if len(table) else 0.0
