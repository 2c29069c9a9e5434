"""View models of the web explorer's landing page: the answer at a glance. They only rearrange two finished tables:
the `chemorad answer` document (`report.answer_doc.compute_answer`) and the calibrated verdicts it builds on
(`calibration.verdicts.mechanism_verdicts`, through `app.answer.calibrated_verdicts`).

- `verdict_grid`: one row per mechanism; per direction (gain, loss) the answer's verdict with its probability (None
  when undetermined) and, per therapy class (chemotherapy = the most affected drug, radiotherapy), the calibrated state
  and the 90% credible interval of the resistance factor.
- `alteration_grid`: alterations x therapies, each cell the cell-line call (resistant, sensitive, no effect,
  inconclusive, too few lines) of the alteration's deciding test, and the alteration's cross-resistance call.
- `mechanism_evidence` / `alteration_row`: what one cell rests on (the evidence panel and the alteration's page).

Every cell carries a symbol and a text label besides its colour (`VERDICTS`, `STATES`, `CALLS`), so nothing is said by
colour alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

DIRECTIONS = ("gain", "loss")


@dataclass(frozen=True)
class Style:
    symbol: str
    label: str
    css: str


#: the answer's verdict per mechanism and direction
VERDICTS = {
    "chemotherapy_only": Style("C", "chemotherapy only", "v-chemo"),
    "chemotherapy_dominant": Style("C>", "chemotherapy dominant", "v-chemodom"),
    "shared": Style("=", "shared", "v-shared"),
    "radiotherapy_dominant": Style("R>", "radiotherapy dominant", "v-radiodom"),
    "radiotherapy_only": Style("R", "radiotherapy only", "v-radio"),
    "none": Style("0", "no effect on either", "v-none"),
    "undetermined": Style("?", "undetermined", "v-undet"),
}
#: a therapy class's calibrated state (`calibration.verdicts`); `touched` splits by the direction of its RF
STATES = {
    "resists": Style("▲", "resistance (90% interval beyond 1.2-fold)", "s-up"),
    "sensitises": Style("▼", "sensitisation (90% interval beyond 1.2-fold)", "s-down"),
    "untouched": Style("○", "no effect (90% interval within 1.2-fold)", "s-none"),
    "no_effect": Style("–", "no effect of the mechanism acts on it", "s-none"),
    "spans": Style("?", "open: the 90% interval spans no effect and an effect", "s-open"),
    "unidentified": Style("?", "open: rests on placeholder or recalled sizes", "s-open"),
    "undetermined": Style("?", "open: some drugs are undecided", "s-open"),
}
#: a cell-line call of an alteration on one therapy (`evidence.alterations.therapy_calls`)
CALLS = {
    "resistant": Style("▲", "resistant", "c-up"),
    "sensitive": Style("▼", "sensitive", "c-down"),
    "no effect": Style("=", "no effect (equivalent within the margin)", "c-none"),
    "inconclusive": Style("?", "inconclusive", "c-open"),
    "too few lines": Style("·", "too few altered lines", "c-few"),
    "not measured": Style("", "not measured", "c-few"),
}
#: how each claim source is labelled (`catalog.schema.Reference.kind`)
SOURCE_KINDS = {"seed": "seed answer (unreviewed)", "article": "read paper", "book": "read book", "dataset": "data set"}


def _state(state: str, rf: float) -> Style:
    if state == "touched":
        return STATES["resists" if rf >= 1 else "sensitises"]
    return STATES.get(state, STATES["undetermined"])


def _class_cell(state: str, rf: float, lo: float, hi: float, therapy: str | None) -> dict:
    st = _state(state, rf)
    return {"state": state, "style": st, "rf": rf, "rf_low": lo, "rf_high": hi, "therapy": therapy}


def verdict_grid(cat, doc: dict, calibrated: pd.DataFrame) -> list[dict]:
    """One row per catalog mechanism (catalog order): id, name, stages, and per direction `verdict` (the answer's),
    `style`, `probability`, `basis`, and the class cells `chemo` / `radiation` (state, style, rf, rf_low, rf_high,
    therapy) from the calibrated table. A mechanism missing from either table is left out."""
    answer = {(m["mechanism"], m["direction"]): m for m in doc["mechanisms"]}
    cal = {(r.mechanism, r.direction): r for r in calibrated.itertuples(index=False)}
    rows = []
    for mid, m in cat.mechanisms.items():
        if not all((mid, d) in answer and (mid, d) in cal for d in DIRECTIONS):
            continue
        row = {"id": mid, "name": m.name, "stages": [s.value for s in m.stages]}
        for d in DIRECTIONS:
            a, c = answer[(mid, d)], cal[(mid, d)]
            row[d] = {
                "verdict": a["verdict"],
                "style": VERDICTS.get(a["verdict"], VERDICTS["undetermined"]),
                "probability": a["probability"] if a["verdict"] != "undetermined" else None,
                "basis": a["basis"],
                "chemo": _class_cell(c.state_drugs, c.rf_drug, c.rf_low_drug, c.rf_high_drug, c.strongest_drug),
                "radiation": _class_cell(
                    c.state_radiation, c.rf_radiation, c.rf_low_radiation, c.rf_high_radiation, doc["radiation"]
                ),
            }
        rows.append(row)
    return rows


def filter_grid(rows: list[dict], verdict: str = "", stage: str = "", q: str = "") -> list[dict]:
    """Rows with `verdict` in either direction, in `stage`, and whose id or name contains `q` (any case)."""
    q = q.strip().lower()
    return [
        r
        for r in rows
        if (not verdict or any(r[d]["verdict"] == verdict for d in DIRECTIONS))
        and (not stage or stage in r["stages"])
        and (not q or q in r["id"].lower() or q in r["name"].lower())
    ]


def grid_table(rows: list[dict]) -> pd.DataFrame:
    """The grid as a flat table (the CSV download and the JSON API): one row per mechanism and direction."""
    out = []
    for r in rows:
        for d in DIRECTIONS:
            c = r[d]
            out.append(
                {
                    "mechanism": r["id"],
                    "name": r["name"],
                    "direction": d,
                    "verdict": c["verdict"],
                    "probability": c["probability"],
                    "basis": c["basis"],
                    "chemotherapy_state": c["chemo"]["state"],
                    "strongest_drug": c["chemo"]["therapy"],
                    "drug_rf": c["chemo"]["rf"],
                    "drug_rf_low": c["chemo"]["rf_low"],
                    "drug_rf_high": c["chemo"]["rf_high"],
                    "radiotherapy_state": c["radiation"]["state"],
                    "radiation_rf": c["radiation"]["rf"],
                    "radiation_rf_low": c["radiation"]["rf_low"],
                    "radiation_rf_high": c["radiation"]["rf_high"],
                }
            )
    return pd.DataFrame(out)


def verdict_counts(rows: list[dict]) -> dict[str, int]:
    """How many mechanism x direction cells have each verdict (in `VERDICTS` order)."""
    n = dict.fromkeys(VERDICTS, 0)
    for r in rows:
        for d in DIRECTIONS:
            n[r[d]["verdict"]] = n.get(r[d]["verdict"], 0) + 1
    return n


# -- alterations ---------------------------------------------------------------------------------------------------
def alteration_label(a: dict) -> str:
    """A readable name: the genes and the kind (`TP53 mutation`), else the id's kind (`copy-number loss`)."""
    genes = ", ".join(a["genes"][:3]) + (" ..." if len(a["genes"]) > 3 else "")
    return f"{genes} {a['kind']}" if genes else f"{a['kind']} region"


def alteration_therapies(cat, doc: dict) -> list[str]:
    """The therapies any alteration was tested on: radiation first, then the drugs in catalog order."""
    seen = {t for a in doc["alterations"] for t in a["tests"]}
    rad = doc["radiation"]
    return ([rad] if rad in seen else []) + [t for t in cat.therapies if t in seen and t != rad]


def alteration_grid(cat, doc: dict, gene: str = "", kind: str = "", show: str = "called") -> tuple[list[str], list]:
    """(therapies, rows): per alteration its id, label, kind, genes, n_altered, call and one cell per therapy
    (call, style, effect, q, n). `show`: `called` (the cross-resistance call is not `undecided`; default) or `all`;
    `gene`: an id or gene containing it (any case); `kind`: one alteration kind."""
    therapies = alteration_therapies(cat, doc)
    gene = gene.strip().upper()
    rows = []
    for a in doc["alterations"]:
        if show != "all" and a["call"] == "undecided":
            continue
        if kind and a["kind"] != kind:
            continue
        if gene and not (gene in a["alteration"].upper() or any(gene in g.upper() for g in a["genes"])):
            continue
        cells = []
        for t in therapies:
            test = a["tests"].get(t)
            call = test["call"] if test else "not measured"
            cells.append({"therapy": t, "call": call, "style": CALLS.get(call, CALLS["not measured"]), "test": test})
        rows.append(
            {
                "id": a["alteration"],
                "label": alteration_label(a),
                "kind": a["kind"],
                "genes": a["genes"],
                "n_altered": a["n_altered"],
                "call": a["call"],
                "cells": cells,
            }
        )
    return therapies, rows


def alteration_table(therapies: list[str], rows: list[dict]) -> pd.DataFrame:
    """The alteration grid as a flat table: one row per alteration, one call column per therapy."""
    out = []
    for r in rows:
        rec = {"alteration": r["id"], "label": r["label"], "kind": r["kind"], "n_altered": r["n_altered"]}
        rec["call"] = r["call"]
        rec.update({c["therapy"]: c["call"] for c in r["cells"]})
        out.append(rec)
    return pd.DataFrame(out, columns=["alteration", "label", "kind", "n_altered", "call", *therapies])


def alteration_row(cat, doc: dict, alteration: str) -> dict | None:
    """One alteration's cross-resistance row: its record of the answer, a label, and per therapy (radiation first) the
    test (call, style, data set, effect, 95% CI, margin, q, n) with the model's predicted RF and call when the
    alteration marks catalog mechanisms. None when the answer has no such alteration."""
    a = next((x for x in doc["alterations"] if x["alteration"] == alteration), None)
    if a is None:
        return None
    expl = a.get("explanation") or {}
    pred, pcall = expl.get("predicted_rf") or {}, expl.get("predicted_call") or {}
    tests = []
    for t in alteration_therapies(cat, doc):
        test = a["tests"].get(t)
        if test is None:
            continue
        call = test["call"]
        tests.append(
            {"therapy": t, **test, "style": CALLS.get(call, CALLS["not measured"]), "predicted_rf": pred.get(t)}
            | {"predicted_call": pcall.get(t)}
        )
    return {"record": a, "label": alteration_label(a), "tests": tests, "explanation": expl}


# -- the evidence panel --------------------------------------------------------------------------------------------
def mechanism_evidence(cat, doc: dict, calibrated: pd.DataFrame, mechanism: str, direction: str) -> dict | None:
    """What one grid cell rests on: the answer's record (verdict, basis, model and data verdicts, cell-line tests,
    perturbation experiments), the calibrated row (states, 90% intervals, reason, deciding measurement), the claims
    with each source labelled by kind (seed answer, read paper, ...), and the provenance of the mechanism's effect
    sizes (read, bounded, recalled, placeholder). None when the mechanism or direction is unknown."""
    rec = next((m for m in doc["mechanisms"] if m["mechanism"] == mechanism and m["direction"] == direction), None)
    cal = calibrated[(calibrated["mechanism"] == mechanism) & (calibrated["direction"] == direction)]
    if rec is None or cal.empty or mechanism not in cat.mechanisms:
        return None
    row = cal.iloc[0].to_dict()
    m = cat.mechanisms[mechanism]
    claims = []
    for c in rec["claims"]:
        sources = []
        for sid in c["sources"]:
            ref = cat.references.get(sid)
            kind = ref.kind if ref is not None else "article"
            label = f"{ref.authors} ({ref.year})" if ref is not None else sid
            sources.append({"id": sid, "label": label, "kind": SOURCE_KINDS.get(kind, kind)})
        claims.append({**c, "sources": sources})
    effects = []
    for e in m.effects:
        prov = e.loss_provenance if (direction == "loss" and e.loss_provenance) else e.provenance
        effects.append({"quantity": e.quantity.value, "acts_on": str(e.acts_on), "provenance": prov})
    tests = [{"therapy": t, **v, "style": CALLS.get(v["call"], CALLS["not measured"])} for t, v in
             rec["cell_line_tests"].items()]  # fmt: skip
    return {
        "id": mechanism,
        "name": m.name,
        "direction": direction,
        "record": rec,
        "style": VERDICTS.get(rec["verdict"], VERDICTS["undetermined"]),
        "calibrated": row,
        "chemo": _class_cell(
            row["state_drugs"], row["rf_drug"], row["rf_low_drug"], row["rf_high_drug"], row["strongest_drug"]
        ),  # fmt: skip
        "radiation": _class_cell(
            row["state_radiation"],
            row["rf_radiation"],
            row["rf_low_radiation"],
            row["rf_high_radiation"],
            doc["radiation"],
        ),  # fmt: skip
        "claims": claims,
        "effects": effects,
        "tests": tests,
        "perturbations": rec["perturbations"],
    }
