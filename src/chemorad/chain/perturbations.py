"""Run the catalog's published perturbation experiments through the damage chain and compare with what was measured.

Each entry changes one mechanism; the chain computes the same metric for a cell with that change and for the reference
cell, in the well-oxygenated condition of the radiation entry (the culture condition of almost every experiment):

    activity = +1 or -1     (`activity_for`: the catalog marker for the perturbed gene decides the sign, so that
                             losing a gene whose loss raises the mechanism, e.g. MLH1 for MMR-loss tolerance, is +1;
                             a gene that is not a marker is read like the mechanism's first marker)
    model    = D_perturbed(SF*) / D_reference(SF*)    for dose-ratio metrics (SF* from `perturbations.TARGET_SF`)
             = SF_perturbed(2 Gy) / SF_reference(2 Gy) for sf2_ratio
    ratio    = model / measured;  within_2_fold = 1/2 <= ratio <= 2

The mapping "gain -> +1, loss -> -1 (in the direction of the catalog marker)" says that the perturbation is as large as
the model system each effect size describes; calibration (a later step) fits that scale. Entries whose mechanism or
therapy is not in the catalog get no model value and count as not reproduced. Entries an effect size was taken from
(`Effect.from_perturbations`) are flagged `used_for_size`: reproducing them checks consistency, not prediction.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chemorad.catalog.load import Catalog
from chemorad.catalog.perturbations import GAIN_ALTERATIONS, TARGET_SF, Metric, Perturbation
from chemorad.catalog.registry import Modality
from chemorad.chain.phenotype import phenotype
from chemorad.chain.survival import Environment, dose_for_survival, survival

SF2_DOSE_GY = 2.0
WITHIN = 2.0


def activity_for(cat: Catalog, p: Perturbation) -> tuple[float, str]:
    """(+1 or -1, how it was decided): the perturbed gene's catalog marker decides the sign (module doc)."""
    change = 1.0 if p.activity_change == "gain" else -1.0
    if p.mechanism is None or p.mechanism not in cat.mechanisms:
        return change, "no catalog mechanism"
    all_markers = cat.mechanisms[p.mechanism].markers
    markers = [mk for mk in all_markers if mk.gene == p.gene]
    # A gene the catalog does not list (a paralogue, a pathway member) is read like the mechanism's first marker.
    mk = markers[0] if markers else all_markers[0]
    raises = mk.sign if mk.alteration in GAIN_ALTERATIONS else -mk.sign  # does a gain of the gene raise activity?
    how = f"marker {mk.gene} {mk.alteration.value} (sign {mk.sign:+d})"
    if not markers:
        how = f"{p.gene} is not a marker of {p.mechanism}; read like its first {how}"
    return change * raises, how


def model_value(cat: Catalog, p: Perturbation, activity: float, env: Environment | None = None) -> float:
    """The chain's value of the entry's metric for the perturbed cell relative to the reference cell."""
    env = env or _oxic(cat)
    t = cat.therapy(p.therapy)
    ph = phenotype(cat, {p.mechanism: np.array([0.0, activity])})
    if p.metric is Metric.sf2_ratio:
        sf = survival(cat, t, SF2_DOSE_GY, ph, env)
        return float(sf[1] / sf[0])
    target = TARGET_SF[p.metric]
    d = dose_for_survival(cat, t, target, ph, env)
    return float(d[1] / d[0])


def _oxic(cat: Catalog) -> Environment:
    """The oxic condition of the catalog's radiation entry: the culture condition the experiments were run in."""
    return Environment(po2_mmhg=cat.radiotherapy.parameters["oxic_po2_mmhg"].value)


def used_for_size(cat: Catalog) -> set[str]:
    """Ids of perturbation entries some catalog effect size was taken from."""
    return {pid for m in cat.mechanisms.values() for e in m.effects for pid in e.from_perturbations}


def check(cat: Catalog, perturbations: dict[str, Perturbation] | None = None) -> pd.DataFrame:
    """One row per entry: id, mechanism, therapy, modality, metric, activity, measured, model, ratio, within_2_fold,
    obtained, used_for_size, status. `perturbations` defaults to the catalog's own table."""
    table = cat.perturbations if perturbations is None else perturbations
    used = used_for_size(cat)
    env = _oxic(cat)
    rows = []
    for p in table.values():
        activity, how = activity_for(cat, p)
        status = "compared"
        model = None
        if p.therapy is None or p.therapy not in cat.therapies:
            status = f"therapy {p.therapy_as_published!r} not in the catalog"
        elif p.mechanism is None or p.mechanism not in cat.mechanisms:
            status = (
                f"no catalog mechanism for {p.gene or 'this line'} (curator proposed {p.proposed_mechanism!r})"
                if p.mechanism is None
                else f"mechanism {p.mechanism!r} not in the catalog"
            )
        else:
            model = model_value(cat, p, activity, env)
        modality = cat.therapies[p.therapy].modality if p.therapy in cat.therapies else None
        if modality is None:  # a drug the catalog lacks; radiation is always in the catalog
            modality = Modality.drug
        ratio = model / p.value if model is not None else None
        rows.append(
            {
                "id": p.id,
                "mechanism": p.mechanism,
                "therapy": p.therapy or p.therapy_as_published,
                "modality": Modality(modality).value,
                "metric": p.metric.value,
                "activity": activity,
                "activity_from": how,
                "measured": p.value,
                "model": model,
                "ratio": ratio,
                "within_2_fold": bool(ratio is not None and 1 / WITHIN <= ratio <= WITHIN),
                "obtained": p.obtained,
                "used_for_size": p.id in used,
                "status": status,
            }
        )
    return pd.DataFrame(rows)


def summary(result: pd.DataFrame) -> dict[str, dict[str, int]]:
    """Counts per modality: within 2-fold of all entries (N), of those with a model value, and of those independent of
    the catalog's sizes (not `used_for_size`)."""
    out = {}
    for modality in (m.value for m in Modality):
        sub = result[result["modality"] == modality]
        compared = sub[sub["model"].notna()]
        independent = compared[~compared["used_for_size"]]
        out[modality] = {
            "n": len(sub),
            "within_2_fold": int(sub["within_2_fold"].sum()),
            "compared": len(compared),
            "independent": len(independent),
            "independent_within_2_fold": int(independent["within_2_fold"].sum()),
        }
    return out


def summary_lines(result: pd.DataFrame) -> list[str]:
    """'radiation: k of N reproduced within 2-fold (...)' per modality."""
    lines = []
    for modality, s in summary(result).items():
        lines.append(
            f"{modality}: {s['within_2_fold']} of {s['n']} reproduced within 2-fold "
            f"({s['compared']} with a model value; {s['independent_within_2_fold']} of {s['independent']} "
            "not used to set any catalog size)"
        )
    return lines
