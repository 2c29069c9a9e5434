"""The answer as one document: per mechanism and direction a verdict with what it rests on; per alteration its effect
on radiotherapy and each drug with the cross-resistance calls; what is not known; which verdicts change between data
sets. `compute_answer` returns a JSON-able dict; `answer_markdown` / `answer_html` render it (`answer_render.py`).

Part 1, mechanisms (`mechanism_verdicts` is the one adapter over the model's verdicts; swap it when the chain gains
verdicts of its own for loss and `undetermined`):

- model verdict, gain: the calibrated posterior's most frequent verdict and its probability
  (`calibration.posterior.calibrated_specificity`, the shipped posterior) when it is available, else the uncalibrated
  chain (`chain.specificity.verdicts`, activity 1); loss: the chain with the mechanism alone at activity -1 (one unit
  below the reference cell, the mirror of gain), uncalibrated, no probability;
- data verdict: the tissue-adjusted association of the mechanism's score with each therapy's primary response after
  the drugs' general factor is removed (`evidence.alterations.alteration_tests` on the scores, margin SEM / 4 per SD
  of score as in `claims.py`, family BH FDR 0.1): radiation touched (effect beyond the margin) and drugs touched ->
  shared; radiation touched and every drug equivalent -> radiotherapy_only; radiation equivalent and a drug touched ->
  chemotherapy_only; all equivalent -> none; otherwise undetermined. The association is linear in the score, so a
  loss is judged on the same tests (its effects have the opposite sign; which therapies it touches is the same);
- verdict: the model's when the data agree with it (`COMPATIBLE`) or do not decide; `undetermined` when they
  disagree, or when only the model speaks and its posterior probability is below `DECIDED_P`. `decidedness` (the sort
  key): 3 + P when model and data agree, 1 + P when the model alone decides (P = 0 without a posterior), 0 otherwise.

Part 2, alterations: `evidence.alterations` with the general factor removed (the main call) and without it; for each
called alteration, the catalog mechanisms whose markers its genes are (`explain_alteration`), the chain's predicted RF
per therapy, the share of the effect those mechanisms' scores explain in the data (1 - b_adjusted / b), and the
perturbation entries on its genes.

Part 3, what is not known: undetermined mechanisms ranked by the lines their radiation test needs (and the
perturbation experiments missing), undecided alterations by the altered lines needed.

Robustness: every per-therapy call (alterations and mechanism scores) re-decided on GDSC1, GDSC2 and CTRP separately
(radiation always from Yard) and without the general factor; a call decided in the main analysis *flips* when the
variant measured it and decides otherwise (`reversed`) or cannot decide (`not decided`). Clonogenic PIDE curves, where
the bundle has them (`pide/pide34.csv`, optional): how many lines overlap, the rank agreement of Yard AUC and PIDE SF2,
and the most altered lines any alteration has among them (`evidence.alterations.pide_comparison`); absent: a note.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from chemorad.cache_folder import read_json, write_json
from chemorad.catalog.load import Catalog
from chemorad.catalog.registry import Modality, datasets_for
from chemorad.chain.specificity import AGREES, THRESHOLD, resistance_factors, verdicts
from chemorad.evidence.alterations import alteration_calls, alteration_tests, therapy_calls
from chemorad.evidence.verdicts import FDR_ALPHA, lines_to_decide

__all__ = ["COMPATIBLE", "DECIDED_P", "compute_answer", "mechanism_verdicts"]

DECIDED_P = 0.8
LOSS_ACTIVITY = -1.0
DRUG_DATASETS = tuple(d.id for d in datasets_for(Modality.drug))
RADIATION_DATASETS = [d.id for d in datasets_for(Modality.radiation)]
COMPATIBLE = {
    "shared": {"shared", "chemotherapy_dominant", "radiotherapy_dominant"},
    "chemotherapy_only": {"chemotherapy_only", "chemotherapy_dominant"},
    "radiotherapy_only": {"radiotherapy_only", "radiotherapy_dominant"},
    "none": {"none"},
}
# which catalog marker alterations an alteration of each kind is, and the direction of the gene's activity
KIND_MARKERS = {
    "mutation": {"loss_of_function_mutation", "activating_mutation"},
    "copy-number gain": {"amplification", "overexpression"},
    "copy-number loss": {"deletion", "underexpression"},
    "expression high": {"overexpression", "amplification", "protein_overexpression"},
    "expression low": {"underexpression", "promoter_methylation", "deletion", "protein_loss"},
    "MSI": {"loss_of_function_mutation", "promoter_methylation", "deletion", "underexpression", "protein_loss"},
}
MMR_GENES = ("MLH1", "MSH2", "MSH6", "PMS2")
LOSS_MARKERS = {"loss_of_function_mutation", "deletion", "underexpression", "promoter_methylation", "protein_loss"}


# -- Part 1: mechanisms -------------------------------------------------------------------------------------------
def _touched_by_class(cat: Catalog, rf: pd.DataFrame) -> pd.DataFrame:
    """Per mechanism: {drug class: ['drug RF', ...]} of drugs with |ln RF| >= ln THRESHOLD, strongest condition."""
    strongest = (
        rf.assign(_a=np.abs(np.log(rf["resistance_factor"])))
        .sort_values("_a")
        .groupby(["mechanism", "therapy"], sort=False)
        .tail(1)
    )
    drugs = strongest[(strongest["modality"] != "radiation") & (strongest["_a"] >= np.log(THRESHOLD))]
    out = {m: {} for m in cat.mechanisms}
    for r in drugs.sort_values("_a", ascending=False).itertuples():
        out[r.mechanism].setdefault(cat.therapies[r.therapy].drug_class, []).append(
            {"therapy": r.therapy, "rf": float(r.resistance_factor)}
        )
    return pd.Series(out, name="drugs_by_class")


def _posterior_table(cat: Catalog) -> pd.DataFrame | None:
    """The calibrated verdicts per (mechanism, direction) from the shipped posterior
    (`calibration.verdicts.mechanism_verdicts`: a verdict only where the 90% interval decides it on read or
    data-identified sizes, else `undetermined` with the deciding measurement); None without a usable posterior."""
    from chemorad.calibration.verdicts import mechanism_verdicts as calibrated_verdicts
    from chemorad.errors import ChemoradError

    try:
        table = calibrated_verdicts(cat)
    except ChemoradError:
        return None
    return table.set_index(["mechanism", "direction"])


def _probability(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def mechanism_verdicts(cat: Catalog, posterior: bool = True, rf: dict | None = None) -> pd.DataFrame:
    """THE adapter over the model's verdicts (module docstring): one row per mechanism x direction (gain, loss) with
    model_verdict (the calibrated verdict for gain and loss, `undetermined` where the posterior cannot decide),
    chain_verdict (the uncalibrated chain), probability (None when undetermined or without a posterior),
    probability_source, deciding_measurement, radiation_rf and drugs_by_class.
    `rf`: {activity: `resistance_factors` table}, to reuse tables already computed."""
    post = _posterior_table(cat) if posterior else None
    rf_tables = rf
    rows = []
    for direction, activity in (("gain", 1.0), ("loss", LOSS_ACTIVITY)):
        rf = (rf_tables or {}).get(activity)
        rf = resistance_factors(cat, activity) if rf is None else rf
        table = verdicts(cat, rf).set_index("mechanism")
        by_class = _touched_by_class(cat, rf)
        for mid in cat.mechanisms:
            chain_v = str(table.at[mid, "verdict"])
            row = post.loc[(mid, direction)] if post is not None and (mid, direction) in post.index else None
            rows.append(
                {
                    "mechanism": mid,
                    "direction": direction,
                    "chain_verdict": chain_v,
                    "model_verdict": str(row["verdict"]) if row is not None else chain_v,
                    "probability": _probability(row["probability"]) if row is not None else None,
                    "probability_source": "calibrated posterior (shipped)" if row is not None else "none (chain only)",
                    "deciding_measurement": (row["deciding_measurement"] or None) if row is not None else None,
                    "radiation_rf": float(row["rf_radiation"])
                    if row is not None
                    else float(table.at[mid, "radiation_rf"]),
                    "drugs_by_class": by_class[mid],
                }
            )
    return pd.DataFrame(rows)


def data_verdict(calls: dict[str, str], radiation: str) -> str:
    """The specificity the cell-line calls show (module docstring); `calls`: therapy -> call."""
    rad = calls.get(radiation, "not measured")
    drugs = {t: c for t, c in calls.items() if t != radiation}
    touched = [t for t, c in drugs.items() if c in ("resistant", "sensitive")]
    rad_touched = rad in ("resistant", "sensitive")
    if rad_touched and touched:
        return "shared"
    if rad_touched and drugs and all(c == "no effect" for c in drugs.values()):
        return "radiotherapy_only"
    if rad == "no effect" and touched:
        return "chemotherapy_only"
    if rad == "no effect" and drugs and all(c == "no effect" for c in drugs.values()):
        return "none"
    return "undetermined"


def _final(model: str, data: str, p: float | None) -> tuple[str, str, float]:
    if model == "undetermined":  # the posterior interval spans no effect and a large one (calibration.verdicts)
        if data != "undetermined":
            return data, "cell-line data alone (the posterior does not decide it)", 2.0
        return "undetermined", "neither the posterior nor the cell-line data decide it", 0.0
    if data != "undetermined":
        if data in COMPATIBLE.get(model, {model}) or model in COMPATIBLE.get(data, {data}):
            return model, "model and data agree", 3.0 + (p or 0.0)
        return "undetermined", f"model ({model}) and data ({data}) differ", 0.0
    if p is not None and p < DECIDED_P:
        return "undetermined", "model alone, posterior probability below the decision level", p
    return model, "model alone", 1.0 + (p or 0.0)


def _perturbations(cat: Catalog, mechanism: str | None, genes: list[str], change: str | None) -> list[dict]:
    out = []
    for p in cat.perturbations.values():
        hit = (mechanism is not None and p.mechanism == mechanism) or (p.gene is not None and p.gene in genes)
        if hit and (change is None or p.activity_change == change):
            t = cat.therapies.get(p.therapy) if p.therapy else None
            out.append(
                {
                    "id": p.id,
                    "therapy": p.therapy or p.therapy_as_published,
                    "modality": str(t.modality) if t is not None else "unmapped",
                    "metric": str(p.metric),
                    "value": float(p.value),
                    "obtained": p.obtained,
                    "href": _source_href(p.source.doi, p.source.pmid, p.read_from),
                }
            )
    return out


def _source_href(doi: str | None, pmid: str | None, url: str | None) -> str:
    if doi:
        return f"https://doi.org/{doi}"
    if pmid:
        return f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/"
    # `read_from` is often prose ("PIDE 3.4 pide34.csv, ... (5, 6)"): only an address can be a link target
    return url if url and url.startswith(("http://", "https://")) else ""


def _claims(cat: Catalog, mid: str, verdict: str) -> list[dict]:
    from chemorad.catalog.schema import Specificity

    out = []
    for c in cat.mechanisms[mid].claims:
        spec = Specificity(c.specificity)
        out.append(
            {
                "specificity": spec.value,
                "sources": list(c.sources),
                "differs": verdict != "undetermined" and verdict not in AGREES[spec],
            }
        )
    return out


def _test_records(per: pd.DataFrame) -> dict[tuple[str, str], dict]:
    cols = ["call", "response", "dataset", "effect", "effect_sd", "ci_low", "ci_high", "margin", "q", "n"]
    rec = {}
    for r in per.itertuples(index=False):
        d = {c: getattr(r, c) for c in cols}
        rec[(r.alteration, r.therapy)] = {
            k: (float(v) if isinstance(v, float | np.floating) else v) for k, v in d.items()
        }
    return rec


def _mechanism_part(cat: Catalog, model: pd.DataFrame, mech_per: pd.DataFrame | None, radiation: str) -> list[dict]:
    tests = _test_records(mech_per) if mech_per is not None else {}
    rows = []
    for r in model.itertuples(index=False):
        calls = {t: d["call"] for (m, t), d in tests.items() if m == r.mechanism}
        data_v = data_verdict(calls, radiation) if calls else "undetermined"
        p = None if r.probability is None or not np.isfinite(r.probability) else float(r.probability)  # NaN in pandas
        verdict, basis, score = _final(r.model_verdict, data_v, p)
        genes = [mk.gene for mk in cat.mechanisms[r.mechanism].markers]
        pert = _perturbations(cat, r.mechanism, [], r.direction)
        rows.append(
            {
                "mechanism": r.mechanism,
                "direction": r.direction,
                "verdict": verdict,
                "basis": basis,
                "decidedness": score,
                "model_verdict": r.model_verdict,
                "chain_verdict": r.chain_verdict,
                "probability": p,
                "probability_source": r.probability_source,
                "deciding_measurement": r.deciding_measurement,
                "radiation_rf": r.radiation_rf,
                "drugs_by_class": r.drugs_by_class,
                "data_verdict": data_v,
                "cell_line_tests": {t: d for (m, t), d in tests.items() if m == r.mechanism},
                "perturbations": pert,
                "n_read": sum(p["obtained"] == "read" for p in pert),
                "n_recalled": sum(p["obtained"] == "recalled" for p in pert),
                "claims": _claims(cat, r.mechanism, verdict),
                "marker_genes": genes,
            }
        )
    rows.sort(key=lambda d: -d["decidedness"])
    return rows


# -- Part 2: alterations ------------------------------------------------------------------------------------------
def _marker_links(cat: Catalog, kind: str, genes: list[str]) -> list[dict]:
    """Catalog mechanisms whose markers this alteration is: mechanism, gene, marker alteration, activity change."""
    genes = list(MMR_GENES) if kind == "MSI" else genes
    wanted = KIND_MARKERS.get(kind, set())
    out = []
    for m in cat.mechanisms.values():
        for mk in m.markers:
            if mk.gene in genes and mk.alteration.value in wanted:
                out.append({"mechanism": m.id, "gene": mk.gene, "marker": mk.alteration.value, "change": int(mk.sign)})
    return out


def _strongest_rf(rf: pd.DataFrame) -> pd.Series:
    a = rf.assign(_a=np.abs(np.log(rf["resistance_factor"]))).sort_values("_a")
    return (
        a.groupby(["mechanism", "therapy"], sort=False).tail(1).set_index(["mechanism", "therapy"])["resistance_factor"]
    )


def _predicted(links: list[dict], rf_gain: pd.Series, rf_loss: pd.Series, therapies: list[str]) -> dict[str, float]:
    """Predicted RF per therapy: the product over the linked mechanisms of each one's RF at activity +1 (activity
    raised) or -1 (lowered), i.e. additive in ln RF (an approximation: the chain is not additive in general)."""
    out = {}
    for t in therapies:
        ln = 0.0
        for link in links:
            table = rf_gain if link["change"] > 0 else rf_loss
            ln += float(np.log(table.get((link["mechanism"], t), 1.0)))
        out[t] = float(np.exp(ln))
    return out


def _share_explained(inputs: dict, alt: str, response: str, mechanisms: list[str], effect: float) -> float | None:
    from chemorad.evidence.associations import associations

    cols = [m for m in dict.fromkeys(mechanisms) if m in inputs["scores"].columns]
    if not cols or not np.isfinite(effect) or effect == 0:
        return None
    tid = inputs["therapy_of"][response]
    cov = inputs["cov"].join(inputs["general"][tid].rename("general_factor"), how="left")
    cov = cov.join(inputs["scores"][cols].fillna(0.0), how="left")
    tab = associations(inputs["X"][[alt]], inputs["resp"][[response]], cov, min_n=30)
    if tab.empty:
        return None
    return float(1.0 - tab["effect"].iloc[0] / effect)


def explain_alteration(cat: Catalog, inputs: dict, row: dict, meta: pd.Series, rf: tuple, tests: dict) -> dict:
    """For one called alteration: linked mechanisms, the chain's predicted RF and call per therapy, whether the
    model predicts the data call, the share of the radiation effect the mechanisms' scores explain, perturbations."""
    links = _marker_links(cat, meta["kind"], list(meta["genes"]))
    therapies = [t for (a, t) in tests if a == row["alteration"]]
    pred = _predicted(links, rf[0], rf[1], therapies)
    lt = np.log(THRESHOLD)
    predicted_call = {
        t: "resistant" if np.log(v) >= lt else "sensitive" if np.log(v) <= -lt else "no effect" for t, v in pred.items()
    }
    observed = {t: tests[(row["alteration"], t)]["call"] for t in therapies}
    decided = [t for t, c in observed.items() if c in ("resistant", "sensitive")]
    agree = [predicted_call[t] == observed[t] for t in decided]
    rad = cat.radiotherapy.id
    share = None
    if (row["alteration"], rad) in tests and links:
        d = tests[(row["alteration"], rad)]
        share = _share_explained(inputs, row["alteration"], d["response"], [x["mechanism"] for x in links], d["effect"])
    change = "gain" if meta["kind"] in ("copy-number gain", "expression high") else None
    if meta["kind"] in ("copy-number loss", "expression low", "MSI"):
        change = "loss"
    genes = list(MMR_GENES) if meta["kind"] == "MSI" else list(meta["genes"])
    pert = [p for p in _perturbations(cat, None, genes, change) if p["therapy"] in therapies]
    return {
        "mechanisms": links,
        "predicted_rf": pred,
        "predicted_call": predicted_call,
        "model_predicts": None if not decided or not links else {"agree": sum(agree), "decided": len(decided)},
        "share_explained_radiation": share,
        "perturbations": pert,
    }


def _alteration_part(cat: Catalog, inputs: dict, main: pd.DataFrame, per: pd.DataFrame, rf: tuple) -> list[dict]:
    meta = inputs["meta"].set_index("alteration")
    tests = _test_records(per)
    rows = []
    for r in main.to_dict("records"):
        m = meta.loc[r["alteration"]]
        entry = {
            **r,
            "kind": m["kind"],
            "genes": list(m["genes"]),
            "n_altered": int(m["n_altered"]),
            "tests": {t: d for (a, t), d in tests.items() if a == r["alteration"]},
        }
        if r["call"] not in ("undecided", "no effect"):
            entry["explanation"] = explain_alteration(cat, inputs, r, m, rf, tests)
        rows.append(entry)
    return rows


DECIDED = ("resistant", "sensitive", "no effect")


def _per_therapy(tests: pd.DataFrame, dataset: str | None) -> pd.DataFrame:
    t = tests if dataset is None else tests[tests["dataset"].isin([*RADIATION_DATASETS, dataset])]
    return therapy_calls(t)[["alteration", "therapy", "call"]]


def _flips(main: pd.DataFrame, variant: pd.DataFrame, name: str) -> list[dict]:
    """(entity, therapy) decided in the main analysis whose call differs in the variant, where the variant measured
    it: `reversed` when the variant decides otherwise, `not decided` when it cannot decide."""
    both = main.merge(variant, on=["alteration", "therapy"], suffixes=("", "_variant"))
    changed = both[both["call"].isin(DECIDED) & (both["call"] != both["call_variant"])]
    changed = changed[~changed["call_variant"].isin(["too few lines"])]
    return [
        {
            "entity": r.alteration,
            "therapy": r.therapy,
            "variant": name,
            "main": r.call,
            "variant_call": r.call_variant,
            "kind": "reversed" if r.call_variant in DECIDED else "not decided",
        }
        for r in changed.itertuples(index=False)
    ]


def _robustness(tests_g: pd.DataFrame, tests_raw: pd.DataFrame) -> dict:
    """Per-therapy calls re-decided on each drug data set alone (radiation: Yard) and without the general factor."""
    main = _per_therapy(tests_g, None)
    variants = {f"{d} only": _per_therapy(tests_g, d) for d in DRUG_DATASETS}
    variants["without the general factor"] = _per_therapy(tests_raw, None)
    flips = [f for name, v in variants.items() for f in _flips(main, v, name)]
    counts = {
        name: {k: int(sum(f["variant"] == name and f["kind"] == k for f in flips)) for k in ("reversed", "not decided")}
        for name in variants
    }
    return {"flips": flips, "counts": counts, "decided": int(main["call"].isin(DECIDED).sum())}


# -- Part 3: what is not known ------------------------------------------------------------------------------------
def _unknowns(cat: Catalog, mechanisms: list[dict], alterations: list[dict], radiation: str) -> dict:
    mech = []
    for r in mechanisms:
        if r["verdict"] != "undetermined" and r["basis"] == "model and data agree":
            continue
        rad = r["cell_line_tests"].get(radiation)
        need = None
        if rad is not None and rad["call"] == "inconclusive":
            se = (rad["ci_high"] - rad["ci_low"]) / (2 * 1.96)
            need = float(lines_to_decide(rad["effect"], se, rad["n"], rad["margin"])[()])
            need = None if not np.isfinite(need) else need
        modalities = {p["modality"] for p in r["perturbations"]}
        missing = [m for m in ("radiation", "drug") if m not in modalities]
        mech.append(
            {
                "mechanism": r["mechanism"],
                "direction": r["direction"],
                "verdict": r["verdict"],
                "basis": r["basis"],
                "radiation_lines_needed": need,
                "experiment": r.get("deciding_measurement")
                or (
                    f"perturb ({r['direction']}) {', '.join(r['marker_genes'][:2]) or r['mechanism']} and measure "
                    + " and ".join(
                        {"radiation": "clonogenic radiation survival", "drug": "drug IC50"}[m] for m in missing
                    )
                )
                if (missing or r.get("deciding_measurement"))
                else "",
            }
        )
    mech.sort(key=lambda d: (d["radiation_lines_needed"] is None, d["radiation_lines_needed"] or 0))
    alts = [
        {
            "alteration": a["alteration"],
            "radiation": a["radiation"],
            "n_altered": a["n_altered"],
            "altered_needed": a["radiation_altered_needed"],
        }
        for a in alterations
        if a["radiation"] in ("inconclusive", "too few lines") and np.isfinite(a["radiation_altered_needed"])
    ]
    alts.sort(key=lambda d: d["altered_needed"])
    return {"mechanisms": mech, "alterations": alts}


# -- the whole answer ---------------------------------------------------------------------------------------------
def catalog_hash(cat: Catalog) -> str:
    """SHA-256 of the catalog's content (mechanisms, therapies, references, perturbations)."""
    payload = [
        [m.model_dump(mode="json") for m in cat.mechanisms.values()],
        [t.model_dump(mode="json") for t in cat.therapies.values()],
        [r.model_dump(mode="json") for r in cat.references.values()],
        [p.model_dump(mode="json") for p in cat.perturbations.values()],
    ]
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _cell_line_part(cat: Catalog, inputs: dict, rf: tuple) -> dict:
    rad = cat.radiotherapy.id
    X = inputs["X"]
    X = X.loc[:, X.eq(1).sum() >= 1]
    args = (inputs["resp"], inputs["therapy_of"], inputs["cov"], inputs["sem"])
    tests_g = alteration_tests(X, *args, general=inputs["general"])
    tests_raw = alteration_tests(X, *args, general=None)
    per = therapy_calls(tests_g)
    main = alteration_calls(per, rad)
    scores = inputs["scores"].dropna(axis=1, how="all")
    mech_g = alteration_tests(scores, *args, general=inputs["general"], min_altered=0)
    mech_raw = alteration_tests(scores, *args, general=None, min_altered=0)
    raw_calls = alteration_calls(therapy_calls(tests_raw), rad).set_index("alteration")["call"]
    alts = _alteration_part(cat, inputs, main, per, rf)
    for a in alts:
        a["call_without_general_factor"] = str(raw_calls.get(a["alteration"], "undecided"))
    return {
        "alterations": alts,
        "mechanism_tests": therapy_calls(mech_g),
        "robustness": {
            "alterations": _robustness(tests_g, tests_raw),
            "mechanisms": _robustness(mech_g, mech_raw),
        },
        "noise": inputs["noise"]
        .reset_index()[["response", "therapy", "rho", "noise_source", "sd", "sem"]]
        .astype(object)
        .where(inputs["noise"].reset_index()[["response", "therapy", "rho", "noise_source", "sd", "sem"]].notna(), None)
        .to_dict("records"),
        "n_lines": inputs["n_lines"],
        "n_alterations_tested": int(X.shape[1]),
        "clonogenic": inputs.get("clonogenic"),
    }


def compute_answer(
    cat: Catalog,
    data: Path | None,
    therapies: list[str] | None = None,
    tissue: str | None = None,
    posterior: bool = True,
    inputs: dict | None = None,
) -> dict:
    """The answer (module docstring) as a JSON-able dict. `data`: the bundle folder, or None (catalog and model only).
    `therapies` / `tissue`: restrict the cell-line part (validated by the caller). `inputs`: the cell-line inputs
    (`evidence.alterations.bundle_inputs`) given directly, e.g. synthetic ones; `data` is then not read."""
    start = time.perf_counter()
    tables = {1.0: resistance_factors(cat, 1.0), LOSS_ACTIVITY: resistance_factors(cat, LOSS_ACTIVITY)}
    model = mechanism_verdicts(cat, posterior, tables)
    rf = (_strongest_rf(tables[1.0]), _strongest_rf(tables[LOSS_ACTIVITY]))
    radiation = cat.radiotherapy.id
    cell = None
    if inputs is None and data is not None:
        from chemorad.evidence.alterations import bundle_inputs

        inputs = bundle_inputs(cat, data, therapies, tissue)
    if inputs is not None:
        cell = _cell_line_part(cat, inputs, rf)
    mechanisms = _mechanism_part(cat, model, cell["mechanism_tests"] if cell else None, radiation)
    alterations = cell["alterations"] if cell else []
    doc = {
        "data_missing": cell is None,
        "therapies": therapies,
        "tissue": tissue,
        "radiation": radiation,
        "fdr_alpha": FDR_ALPHA,
        "threshold": THRESHOLD,
        "decided_p": DECIDED_P,
        "loss_activity": LOSS_ACTIVITY,
        "mechanisms": mechanisms,
        "alterations": alterations,
        "unknowns": _unknowns(cat, mechanisms, alterations, radiation),
        "robustness": cell["robustness"] if cell else None,
        "noise": cell["noise"] if cell else [],
        "n_lines": cell["n_lines"] if cell else 0,
        "n_alterations_tested": cell["n_alterations_tested"] if cell else 0,
        "clonogenic": cell["clonogenic"] if cell else None,
        "references": {
            rid: {"citation": f"{r.authors} ({r.year}). {r.title}", "href": _source_href(r.doi, r.pmid, r.url)}
            for rid, r in cat.references.items()
        },
    }
    doc["counts"] = summary_counts(doc)
    doc["seconds"] = round(time.perf_counter() - start, 1)
    return _jsonable(doc)


def summary_counts(doc: dict) -> dict:
    """The headline counts: decided / undetermined mechanism verdicts, alteration calls, verdicts that flip."""
    mech = doc["mechanisms"]
    alts = doc["alterations"]
    calls = pd.Series([a["call"] for a in alts], dtype=object)
    rob = doc.get("robustness") or {}
    return {
        "mechanism_verdicts": len(mech),
        "decided": sum(m["verdict"] != "undetermined" for m in mech),
        "decided_by_model_and_data": sum(m["basis"] == "model and data agree" for m in mech),
        "undetermined": sum(m["verdict"] == "undetermined" for m in mech),
        "alterations": len(alts),
        "calls": {str(k): int(v) for k, v in calls.value_counts().items()},
        "alteration_flips": (rob.get("alterations") or {}).get("counts", {}),
        "mechanism_flips": (rob.get("mechanisms") or {}).get("counts", {}),
    }


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        return None if not np.isfinite(obj) else float(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, pd.DataFrame):
        return _jsonable(obj.to_dict("records"))
    return obj


#: bump when the answer's content or layout changes, so old cache entries are not used
CACHE_FORMAT = 4


def answer_key(cat: Catalog, data: Path | None, therapies: list[str] | None, tissue: str | None) -> str:
    """Cache key: SHA-256 of the format, the catalog's content, every bundle file's SHA-256 and the options."""
    from chemorad.bundle.cache import file_sha256

    files = sorted(p for p in data.iterdir() if p.is_file()) if data is not None else []
    shas = [(p.name, file_sha256(p)) for p in files]
    payload = [CACHE_FORMAT, catalog_hash(cat), shas, sorted(therapies or []), tissue]
    return hashlib.sha256(json.dumps(payload).encode()).hexdigest()


def cached_answer(
    cat: Catalog,
    data: Path | None,
    cache_dir: Path | None,
    therapies: list[str] | None = None,
    tissue: str | None = None,
) -> tuple[dict, bool]:
    """(`compute_answer(...)`, whether it came from the cache): stored as JSON in `cache_dir` (None: no cache) under
    `answer_key`, so an edited catalog or bundle file never meets a stale answer."""
    if cache_dir is None:
        return compute_answer(cat, data, therapies, tissue), False
    entry = Path(cache_dir) / f"answer-{answer_key(cat, data, therapies, tissue)[:32]}.json"
    found, doc = read_json(entry)
    if found:
        return doc, True
    doc = compute_answer(cat, data, therapies, tissue)
    write_json(entry, json.dumps(doc, allow_nan=False))
    return doc, False


def cached_kb_records(cat: Catalog, data: Path | None, cache_dir: Path | None) -> list[dict]:
    """`evidence.kb.knowledge_base(cat, data)` (empty without data), cached as JSON beside the answer under the same
    key, so `chemorad answer --format json` is fast the second time too."""
    from chemorad.evidence.kb import knowledge_base

    if data is None:
        return []
    if cache_dir is None:
        return knowledge_base(cat, data)
    entry = Path(cache_dir) / f"answer-kb-{answer_key(cat, data, None, None)[:32]}.json"
    found, records = read_json(entry)
    if found:
        return records
    records = _jsonable(knowledge_base(cat, data))
    write_json(entry, json.dumps(records, allow_nan=False))
    return records
