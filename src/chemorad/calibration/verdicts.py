"""Verdicts per mechanism and direction (gain and loss), decided only where the posterior and the sources decide.

`mechanism_verdicts` is the public entry point (one tidy row per mechanism and direction). For every posterior draw s,
each mechanism is switched on alone at activity +1 (direction `gain`: overexpression or activation) and at -1
(direction `loss`: knockdown, knockout or inhibition), and the resistance factor RF_s of every therapy is computed as in
`chain.specificity` (dose ratio at SF 0.5 for drugs, 0.1 for radiation; per therapy the oxygen condition with the
larger |ln RF|). With [lo, hi] the 90% credible interval of RF over the draws and T = `chain.specificity.THRESHOLD`,
each therapy's state is

    no_effect     no effect of the mechanism acts on the therapy (RF = 1 by construction);
    touched       lo >= T or hi <= 1/T (the interval excludes "no effect"), and every effect size acting on the
                  therapy is identified: `read` or `data` (`catalog.provenance`);
    untouched     1/T < lo and hi < T, and every effect size acting on it is `read`, `data` or `bounded`;
    spans         anything else with identified sizes (the interval holds both no effect and an effect);
    unidentified  the interval excludes or includes no effect only because of a `placeholder` or `recalled` size;
    wide          the interval excludes no effect on identified sizes but is at least `MAX_SPAN` wide (hi / lo): as
                  wide as the prior interval of a placeholder fold, e^(2 x 1.645 x `spec.PLACEHOLDER_SD`) = 26.8,
                  so the data say no more about the size than an order-of-magnitude guess does (an interval of RF
                  28 to 5.6 million says "resistance" but not how much, and the dominant/shared verdicts compare
                  sizes).

Radiation's state is its therapy's; the drugs' state is touched if any drug is touched, untouched if every drug is
untouched or has no effect, undetermined otherwise. The verdict is `radiotherapy_only` (radiation touched, drugs
untouched), `chemotherapy_only` (the mirror), `none` (both untouched), or, both touched, the `chain.specificity.verdict`
of the median RFs among shared / radiotherapy_dominant / chemotherapy_dominant, over radiation and the drugs whose
state is touched, untouched or no_effect (a wide, spanning or unidentified drug never shapes a verdict; the
`strongest_drug` of a decided row is the most affected of these); in every other case it is
`undetermined`, with no probability, and `deciding_measurement` names the experiment that would decide it (the
therapy class whose state is open, its most uncertain therapy, and an isogenic pair of the mechanism's first marker).
`probability` of a decided verdict is the share of draws whose per-draw verdict is that verdict.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

from chemorad.calibration.spec import PLACEHOLDER_SD, ChainSpec
from chemorad.catalog.load import Catalog, selector_matches
from chemorad.catalog.provenance import effect_key

LEVEL = 0.9
IDENTIFIED_TOUCH = ("read", "data")
IDENTIFIED_NO_EFFECT = ("read", "data", "bounded")
DIRECTIONS = {"gain": 1.0, "loss": -1.0}
#: widest 90% RF interval (hi / lo) that can carry a verdict: that of a placeholder fold's prior (module docstring)
MAX_SPAN = float(np.exp(2 * 1.6448536269514722 * PLACEHOLDER_SD))
COLUMNS = [
    "mechanism",
    "direction",
    "verdict",
    "probability",
    "rf_radiation",
    "rf_low_radiation",
    "rf_high_radiation",
    "state_radiation",
    "strongest_drug",
    "rf_drug",
    "rf_low_drug",
    "rf_high_drug",
    "state_drugs",
    "drugs_touched",
    "reason",
    "deciding_measurement",
]


def effect_classes(cat: Catalog, width_ratio: dict[str, float] | None) -> dict[tuple[str, int, str], str]:
    """{(mechanism, effect index, direction): effective provenance class} (`catalog.provenance` rule; a loss without
    its own class mirrors the gain and shares its class)."""
    from chemorad.catalog.provenance import DATA_WIDTH_RATIO

    width_ratio = width_ratio or {}
    out = {}
    for m in cat.mechanisms.values():
        for k, e in enumerate(m.effects):
            ratio = width_ratio.get(effect_key(m.id, e.quantity.value, k))
            data = ratio is not None and ratio < DATA_WIDTH_RATIO
            for d in DIRECTIONS:
                typed = e.loss_provenance if (d == "loss" and e.loss_provenance) else e.provenance
                out[(m.id, k, d)] = "data" if (typed != "read" and data) else typed
    return out


def _state(lo: float, hi: float, acting: list[str], threshold: float, max_span: float = MAX_SPAN) -> str:
    if not acting:
        return "no_effect"
    if lo >= threshold or hi <= 1 / threshold:
        if not all(c in IDENTIFIED_TOUCH for c in acting):
            return "unidentified"
        return "touched" if hi / lo < max_span else "wide"
    if 1 / threshold < lo and hi < threshold:
        return "untouched" if all(c in IDENTIFIED_NO_EFFECT for c in acting) else "unidentified"
    return "spans" if all(c in IDENTIFIED_TOUCH for c in acting) else "unidentified"


#: how an isogenic pair realises an alteration, and the opposite change
_PAIR = {
    "overexpression": ("overexpressing", "knockout or knockdown"),
    "amplification": ("overexpressing", "knockout or knockdown"),
    "protein_overexpression": ("overexpressing", "knockout or knockdown"),
    "activating_mutation": ("activating-mutant knock-in", "knockout or inhibited"),
    "loss_of_function_mutation": ("knockout or loss-of-function mutant", "wild-type re-expressing"),
    "deletion": ("knockout", "re-expressing"),
    "underexpression": ("knockdown", "overexpressing"),
    "protein_loss": ("knockout", "re-expressing"),
    "promoter_methylation": ("knockdown (or methylated)", "re-expressing"),
    "microrna_loss": ("microRNA-knockdown", "microRNA-overexpressing"),
}


def _measurement(cat: Catalog, mid: str, direction: str, therapy: str) -> str:
    """The isogenic experiment that would decide the verdict: the mechanism's first tumour marker changed so that the
    activity moves in `direction` (its alteration when that raises activity on gain or lowers it on loss, else the
    opposite change), measured on `therapy`."""
    m = cat.mechanisms[mid]
    tumour = [mk for mk in m.markers if mk.tissue == "tumour" and not mk.in_vivo_only]
    mk = (tumour or m.markers)[0]
    same, opposite = _PAIR[mk.alteration.value]
    along = (mk.sign > 0) == (direction == "gain")  # does the marker's own alteration move activity this way?
    pair = f"{mk.gene} {same if along else opposite} vs control"
    if cat.is_radiation(therapy):
        return f"clonogenic survival after X-rays (dose-modifying factor at SF 0.1) of an isogenic {pair} pair"
    return f"{therapy} IC50 (72-h viability) of an isogenic {pair} pair"


def mechanism_verdicts(
    cat: Catalog,
    spec: ChainSpec | None = None,
    idata=None,
    threshold: float | None = None,
    level: float = LEVEL,
    po2_mmhg: float | None = None,
    activity: float = 1.0,
) -> pd.DataFrame:
    """One row per mechanism and direction (gain, loss): verdict, probability (None when undetermined), the 90%
    interval of RF for radiation and for the most affected drug, each class's state, the drugs touched, the reason and
    the deciding measurement (module docstring). `spec`/`idata` default to the catalog's and the shipped posterior;
    `activity` (> 0) is the gain row's activity, the loss row's is -activity."""
    from chemorad.calibration import posterior as post
    from chemorad.calibration.spec import chain_spec
    from chemorad.chain.specificity import THRESHOLD

    threshold = threshold or THRESHOLD
    spec = spec or chain_spec(cat)
    idata = idata if idata is not None else post.load()
    post.check_matches(spec, idata)
    classes = effect_classes(cat, post.width_ratios(spec, idata))
    n_m = len(spec.mechanisms)
    a = np.zeros((2 * n_m + 1, n_m))
    a[np.arange(1, n_m + 1), np.arange(n_m)] = abs(activity)
    a[np.arange(n_m + 1, 2 * n_m + 1), np.arange(n_m)] = -abs(activity)
    rf, _ = post.rf_draws_for(cat, spec, idata, a, po2_mmhg)  # (S, C, 2M, T)
    pick = np.take_along_axis(rf, np.abs(np.log(rf)).argmax(axis=1)[:, None], axis=1)[:, 0]  # (S, 2M, T)
    lo_q, hi_q = (1 - level) / 2, 1 - (1 - level) / 2
    lo, hi, med = np.quantile(pick, lo_q, axis=0), np.quantile(pick, hi_q, axis=0), np.median(pick, axis=0)
    ther = [cat.therapies[t] for t in spec.therapies]
    rad = np.array([t.modality == "radiation" for t in ther])
    rows = []
    for i, mid in enumerate(spec.mechanisms):
        m = cat.mechanisms[mid]
        for j, (d, _) in enumerate(DIRECTIONS.items()):
            r = i + j * n_m
            states = {}
            for ti, t in enumerate(ther):
                acting = [classes[(mid, k, d)] for k, e in enumerate(m.effects) if selector_matches(e.acts_on, t)]
                states[t.id] = _state(lo[r, ti], hi[r, ti], acting, threshold)
            rows.append(_row(cat, mid, d, states, pick[:, r], (lo[r], hi[r], med[r]), rad, ther, threshold))
    return pd.DataFrame(rows, columns=COLUMNS)


_WHY = {
    "spans": "the 90% interval spans no effect",
    "unidentified": "rests on placeholder or recalled sizes",
    "wide": f"the 90% interval is as wide as a placeholder's prior (hi/lo >= {MAX_SPAN:.3g})",
}


def _row(cat, mid, d, states, draws_r, stats, rad, ther, threshold) -> dict:  # noqa: C901 (one rule, spelled out)
    """One table row from the therapies' states and the draws of one mechanism and direction (module docstring)."""
    from chemorad.chain.specificity import verdict

    lo, hi, med = stats
    ri = int(np.flatnonzero(rad)[0]) if rad.any() else None
    s_rad = states[ther[ri].id] if ri is not None else "no_effect"
    drug_idx = np.flatnonzero(~rad)
    d_states = [states[ther[t].id] for t in drug_idx]
    touched = [ther[t].id for t in drug_idx if states[ther[t].id] == "touched"]
    if touched:
        s_drugs = "touched"
    elif all(s in ("untouched", "no_effect") for s in d_states):
        s_drugs = "untouched"
    else:
        s_drugs = "undetermined"
    # sizes are compared over the decided drugs only: a wide, spanning or unidentified drug never shapes a verdict
    settled = np.array([t for t in drug_idx if states[ther[t].id] in ("touched", "untouched", "no_effect")], dtype=int)
    rad_on = s_rad == "touched"
    rad_off = s_rad in ("untouched", "no_effect")
    if rad_on and s_drugs == "untouched":
        v = "radiotherapy_only"
    elif rad_off and s_drugs == "touched":
        v = "chemotherapy_only"
    elif rad_off and s_drugs == "untouched":
        v = "none"
    elif rad_on and s_drugs == "touched":
        v = verdict(float(med[ri]), med[settled], threshold)
        v = v if v in ("shared", "radiotherapy_dominant", "chemotherapy_dominant") else "shared"
    else:
        v = "undetermined"
    prob, reason, deciding = None, "", None
    if v != "undetermined":
        votes = Counter(
            verdict(float(draws_r[s, ri]) if ri is not None else 1.0, draws_r[s, settled], threshold)
            for s in range(draws_r.shape[0])
        )
        prob = votes.get(v, 0) / draws_r.shape[0]
        reason = f"radiation {s_rad}; drugs {s_drugs}"
    else:
        open_t = [ther[ri].id] if not (rad_on or rad_off) else []
        if not open_t:
            cand = [t for t in drug_idx if states[ther[t].id] in ("spans", "unidentified", "wide")]
            cand.sort(key=lambda t: -abs(np.log(hi[t] / lo[t])))
            open_t = [ther[cand[0]].id] if cand else []
        which = open_t[0] if open_t else None
        why = states.get(which, "")
        reason = (
            f"radiation {s_rad}; drugs {s_drugs}; {which}: "
            + _WHY[why]
            + f" (RF {lo[ther.index(cat.therapies[which])]:.3g}-{hi[ther.index(cat.therapies[which])]:.3g})"
            if which
            else f"radiation {s_rad}; drugs {s_drugs}"
        )
        deciding = _measurement(cat, mid, d, which) if which else None
    shown = settled if v != "undetermined" and len(settled) else drug_idx  # a decided row shows what decided it
    strongest = max(shown, key=lambda t: abs(np.log(med[t])), default=None)
    return {
        "mechanism": mid,
        "direction": d,
        "verdict": v,
        "probability": prob,
        "rf_radiation": float(med[ri]) if ri is not None else 1.0,
        "rf_low_radiation": float(lo[ri]) if ri is not None else 1.0,
        "rf_high_radiation": float(hi[ri]) if ri is not None else 1.0,
        "state_radiation": s_rad,
        "strongest_drug": ther[strongest].id if strongest is not None else None,
        "rf_drug": float(med[strongest]) if strongest is not None else 1.0,
        "rf_low_drug": float(lo[strongest]) if strongest is not None else 1.0,
        "rf_high_drug": float(hi[strongest]) if strongest is not None else 1.0,
        "state_drugs": s_drugs,
        "drugs_touched": ", ".join(touched),
        "reason": reason,
        "deciding_measurement": deciding,
    }


# ------------------------------------------------------------------------------------ what each verdict rests on
def _class(lo: float, hi: float, threshold: float) -> str:
    if lo >= threshold:
        return "resists"
    if hi <= 1 / threshold:
        return "sensitises"
    if 1 / threshold < lo and hi < threshold:
        return "no effect"
    return "spans"


def _measured(cat: Catalog, mid: str, direction: str, radiation: bool, threshold: float) -> str:
    """The perturbation entries of `mid` that moved it in `direction` on radiation (or on drugs): their class and
    range, perturbed/control oriented so that > 1 is resistance (every metric of the table is)."""
    from chemorad.chain.perturbations import activity_for

    sign = DIRECTIONS[direction]
    vals = [
        (p.id, p.value)
        for p in cat.perturbations.values()
        if p.mechanism == mid
        and p.therapy is not None
        and cat.is_radiation(p.therapy) == radiation
        and activity_for(cat, p)[0] == sign
    ]
    if not vals:
        return "none measured"
    v = np.array([x for _, x in vals])
    # radiation: the median of its experiments; drugs: the strongest one (compared with the most affected drug)
    mid_v = float(np.exp(np.median(np.log(v)))) if radiation else float(v[np.abs(np.log(v)).argmax()])
    cls = _class(mid_v, mid_v, threshold)
    return f"{cls} ({len(v)} entries, {v.min():.3g}-{v.max():.3g})"


def _agree(measured: str, posterior: str) -> str:
    if measured == "none measured":
        return "no experiment"
    m = measured.split(" (")[0]
    if posterior == "spans" or m == posterior:
        return "agree" if m == posterior else "posterior open"
    return "conflict"


def _agree_cells(cells: str, posterior: str) -> str:
    c = cells.split(" (")[0]
    if c in ("resists", "sensitises"):
        return "agree" if c == posterior else ("posterior open" if posterior == "spans" else "conflict")
    return "cell lines mixed" if c == "conflict" else "no association"


def verdict_basis(
    cat: Catalog, table: pd.DataFrame, threshold: float | None = None, cell_lines: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Per mechanism and direction, what the verdict of `table` (`mechanism_verdicts`) rests on, source by source.

    Columns: perturbations_radiation / perturbations_drugs (the table's experiments that moved the mechanism in this
    direction: class of their median fold for radiation, of the strongest one for drugs, count and range; '> 1' is
    resistance), posterior_radiation / posterior_drugs
    (class of the 90% interval of RF: radiation's, and the most affected drug's), claims (what the literature claims),
    agreement_radiation / agreement_drugs (experiments vs posterior: agree, conflict, posterior open, no experiment).
    The posterior is fitted with a per-line general-sensitivity term; it also saw the perturbation entries, so their
    agreement is partly by construction. With `cell_lines` (`calibration.association.cell_line_basis`): the
    mechanism's own cell-line associations after tissue and the calibration's general factor, cell_lines_radiation /
    cell_lines_drugs, and their agreement with the posterior, agreement_cell_lines_radiation / _drugs (agree,
    conflict, posterior open, cell lines mixed: decided tests disagree, no association: none decided or none run).
    """
    from chemorad.chain.specificity import THRESHOLD

    threshold = threshold or THRESHOLD
    rows = []
    for r in table.itertuples():
        m = cat.mechanisms[r.mechanism]
        pr = _measured(cat, r.mechanism, r.direction, True, threshold)
        pd_ = _measured(cat, r.mechanism, r.direction, False, threshold)
        qr = _class(r.rf_low_radiation, r.rf_high_radiation, threshold)
        qd = _class(r.rf_low_drug, r.rf_high_drug, threshold)
        rows.append(
            {
                "mechanism": r.mechanism,
                "direction": r.direction,
                "perturbations_radiation": pr,
                "perturbations_drugs": pd_,
                "posterior_radiation": qr,
                "posterior_drugs": qd,
                "claims": "; ".join(dict.fromkeys(c.specificity.value for c in m.claims)),
                "agreement_radiation": _agree(pr, qr),
                "agreement_drugs": _agree(pd_, qd),
            }
        )
    out = pd.DataFrame(rows)
    if cell_lines is None:
        return out
    cols = ["mechanism", "direction", "cell_lines_radiation", "cell_lines_drugs"]
    out = out.merge(cell_lines[cols], on=["mechanism", "direction"], how="left")
    out[cols[2:]] = out[cols[2:]].fillna("untested")
    for k in ("radiation", "drugs"):
        out[f"agreement_cell_lines_{k}"] = [
            _agree_cells(c, q) for c, q in zip(out[f"cell_lines_{k}"], out[f"posterior_{k}"], strict=True)
        ]
    return out
