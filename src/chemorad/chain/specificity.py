"""Computed specificity: which therapies each mechanism touches, from the damage chain rather than from a label.

Each mechanism is switched on alone (activity a, default 1) and, for every therapy and condition, the resistance
factor is

    RF = D_mechanism(SF*) / D_reference(SF*)

the ratio of doses giving the same surviving fraction SF*: 0.5 for drugs (the fold change in IC50) and 0.1 for radiation
(the dose-modifying factor at 10% survival). RF > 1 is resistance, RF < 1 sensitisation.

Verdict per mechanism (over both conditions, taking each therapy's largest |ln RF|), with a therapy counted as touched
when RF >= THRESHOLD or RF <= 1/THRESHOLD:

- none: no therapy touched;
- chemotherapy_only / radiotherapy_only: only drugs / only radiation touched;
- radiotherapy_dominant: radiation touched, and the drugs touched are a minority (at most DOMINANT_SHARE of the drugs),
  each less than radiation (the oxygen-dependent drugs under hypoxia and scavenging are the textbook case);
- chemotherapy_dominant: the mirror image, drugs touched and radiation touched less than every touched drug, but
  radiation touched at most half as strongly (|ln RF_rad| <= |ln RF_drug| / 2 for the median touched drug);
- shared: both touched otherwise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chemorad.catalog.load import Catalog
from chemorad.catalog.registry import Modality
from chemorad.catalog.schema import Specificity
from chemorad.chain.phenotype import Phenotype
from chemorad.chain.survival import Environment, dose_for_survival

THRESHOLD = 1.2  # a 20% dose change: the smallest dose-modifying factor radiobiology usually calls an effect
DOMINANT_SHARE = 0.25
TARGET_SF = {Modality.radiation: 0.1, Modality.drug: 0.5}

# Which computed verdicts agree with a claimed specificity.
AGREES = {
    Specificity.chemotherapy_only: {"chemotherapy_only"},
    Specificity.radiotherapy_only: {"radiotherapy_only", "radiotherapy_dominant"},
    Specificity.chemotherapy_dominant: {"chemotherapy_only", "chemotherapy_dominant"},
    Specificity.radiotherapy_dominant: {"radiotherapy_only", "radiotherapy_dominant"},
    Specificity.shared: {"shared", "chemotherapy_dominant", "radiotherapy_dominant"},
}


def conditions(cat: Catalog, po2_mmhg: float | None = None) -> dict[str, float]:
    """Named oxygen conditions: the radiation entry's oxic and hypoxic pO2, or one user-given pO2."""
    if po2_mmhg is not None:
        return {f"po2_{po2_mmhg:g}_mmhg": po2_mmhg}
    rad = cat.radiotherapy
    return {
        "oxic": rad.parameters["oxic_po2_mmhg"].value,
        "hypoxic": rad.parameters["hypoxic_po2_mmhg"].value,
    }


def single_mechanism_phenotypes(cat: Catalog, activity: float) -> Phenotype:
    """Row 0: the reference cell; row i: mechanism i-1 alone at `activity`."""
    m = len(cat.mechanisms)
    a = np.zeros((m + 1, m))
    a[np.arange(1, m + 1), np.arange(m)] = activity
    return Phenotype(a, tuple(cat.mechanisms))


def resistance_factors(cat: Catalog, activity: float = 1.0, po2_mmhg: float | None = None) -> pd.DataFrame:
    """Long table: mechanism, therapy, modality, condition, po2_mmhg, target_sf, resistance_factor."""
    ph = single_mechanism_phenotypes(cat, activity)
    rows = []
    for cond, po2 in conditions(cat, po2_mmhg).items():
        env = Environment(po2_mmhg=po2)
        for t in cat.therapies.values():
            target = TARGET_SF[t.modality]
            dose = dose_for_survival(cat, t, target, ph, env)
            rf = dose[1:] / dose[0]
            for mid, r in zip(cat.mechanisms, rf, strict=True):
                rows.append(
                    {
                        "mechanism": mid,
                        "therapy": t.id,
                        "modality": t.modality,
                        "condition": cond,
                        "po2_mmhg": po2,
                        "target_sf": target,
                        "resistance_factor": float(r),
                    }
                )
    return pd.DataFrame(rows)


def verdict(rf_radiation: float, rf_drugs: np.ndarray, threshold: float = THRESHOLD) -> str:
    """The verdict for one mechanism from its radiation RF and its drugs' RFs (rules in the module docstring)."""
    lt = np.log(threshold)
    r = abs(np.log(rf_radiation))
    d = np.abs(np.log(np.asarray(rf_drugs, dtype=float)))
    touched = d[d >= lt]
    if r < lt:
        return "chemotherapy_only" if touched.size else "none"
    if not touched.size:
        return "radiotherapy_only"
    if touched.size <= DOMINANT_SHARE * d.size and np.all(touched < r):
        return "radiotherapy_dominant"
    if np.all(touched > r) and r <= np.median(touched) / 2:
        return "chemotherapy_dominant"
    return "shared"


def verdicts(cat: Catalog, rf: pd.DataFrame, threshold: float = THRESHOLD) -> pd.DataFrame:
    """One row per mechanism: verdict, strongest drug effects, claimed specificities and whether they agree."""
    # The condition with the largest effect decides, per therapy.
    strongest = (
        rf.assign(abs_log=np.abs(np.log(rf["resistance_factor"])))
        .sort_values("abs_log")
        .groupby(["mechanism", "therapy"], sort=False)
        .tail(1)
        .set_index(["mechanism", "therapy"])
    )
    rows = []
    for mid, m in cat.mechanisms.items():
        sub = strongest.loc[mid]
        rad = sub[sub["modality"] == Modality.radiation]["resistance_factor"]
        drugs = sub[sub["modality"] == Modality.drug]["resistance_factor"]
        v = verdict(float(rad.iloc[0]) if len(rad) else 1.0, drugs.to_numpy(), threshold)
        claimed = [c.specificity for c in m.claims]
        agree = [v in AGREES[c] for c in claimed]
        touched = drugs[np.abs(np.log(drugs)) >= np.log(threshold)].sort_values(key=lambda s: -np.abs(np.log(s)))
        rows.append(
            {
                "mechanism": mid,
                "verdict": v,
                "radiation_rf": float(rad.iloc[0]) if len(rad) else 1.0,
                "drugs_touched": len(touched),
                "strongest_drugs": ", ".join(f"{t} {x:.3g}" for t, x in touched.head(3).items()),
                "claimed": "; ".join(dict.fromkeys(c.value for c in claimed)),
                "agreement": "agrees" if all(agree) else ("partly" if any(agree) else "DIFFERS"),
            }
        )
    return pd.DataFrame(rows)


def both_directions(cat: Catalog, activity: float = 1.0, po2_mmhg: float | None = None) -> tuple[pd.DataFrame, ...]:
    """(rf gain, verdicts gain, rf loss, verdicts loss): each mechanism alone at +|activity| (overexpression,
    activation) and at -|activity| (knockdown, knockout, inhibition); the verdict rule is the same for both."""
    a = abs(activity)
    rf_g = resistance_factors(cat, activity=a, po2_mmhg=po2_mmhg)
    rf_l = resistance_factors(cat, activity=-a, po2_mmhg=po2_mmhg)
    return rf_g, verdicts(cat, rf_g), rf_l, verdicts(cat, rf_l)


def specificity_records(rf: pd.DataFrame, table: pd.DataFrame, rf_loss=None, table_loss=None) -> list[dict]:
    """JSON records: mechanism, therapy, condition, resistance_factor, verdict (the mechanism's verdict), and with the
    loss tables (`both_directions`) loss_resistance_factor and loss_verdict."""
    v = dict(zip(table["mechanism"], table["verdict"], strict=True))
    out = [
        {
            "mechanism": r.mechanism,
            "therapy": r.therapy,
            "condition": r.condition,
            "resistance_factor": r.resistance_factor,
            "verdict": v[r.mechanism],
        }
        for r in rf.itertuples()
    ]
    if rf_loss is not None and table_loss is not None:
        vl = dict(zip(table_loss["mechanism"], table_loss["verdict"], strict=True))
        for rec, r in zip(out, rf_loss.itertuples(), strict=True):
            rec["loss_resistance_factor"] = r.resistance_factor
            rec["loss_verdict"] = vl[r.mechanism]
    return out
