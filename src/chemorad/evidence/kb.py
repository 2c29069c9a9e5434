"""The graded cross-resistance knowledge base: one record per (mechanism or marker, therapy, direction).

Each record joins what is claimed and what is measured about one entity and one therapy, radiotherapy included:
the literature claims (catalog claims with their sources), the literature evidence items, the perturbation measurements
(`Catalog.perturbations`, when the catalog provides them), the cell-line tests (effect, interval, n, FDR, verdict from
`claims.claim_tests`, in every data set) and an evidence grade.

Records:
- `catalog`: a chain effect links the mechanism (or its marker, `Catalog.therapies_for_marker`) to the therapy; the
  direction is the mechanism's (resistance, or sensitivity for a sensitising mechanism);
- `catalog claim`: a source claims the mechanism spares a modality (e.g. chemotherapy_only -> no_effect on
  radiotherapy; radiotherapy_only -> no_effect on the drugs the chain links it to);
- `cell-line data`: no catalog link, but the data decide an effect beyond the margin (`verdicts.py`) in at least one
  data set and none decides the opposite. A resistance mechanism whose activity goes with *sensitivity* to another
  therapy is `collateral_sensitivity`: a direction, not noise.

Grade, on a scale modelled on CIViC's evidence levels (CIViC documentation, "Evidence Level" table: A validated
association, B clinical evidence, C case study, D preclinical evidence, E inferential association; read via the code
search index, civic-docs). The best level any item reaches for this entity *and this therapy*:
- A (validated): not assigned automatically; it needs a curated consensus (guideline, approved companion test);
- B (clinical): a literature item on treated patients (cohorts, trials, patients given or progressing on the
  therapy, clinical series) whose text names the therapy; cells taken from patients are preclinical;
- C (case study): a single patient or one biopsy, naming the therapy;
- D (preclinical): a perturbation measurement for this entity and therapy, a literature item from cell lines or
  animals naming the therapy, or cell-line data that support the record (verdict supported in at least one data set);
- E (inferential): only the catalog's mechanistic link or a claim (reviews, model reasoning).

AMP/ASCO/CAP tier (Li et al. 2017, J Mol Diagn 19:4, PMID 27993330; the PMID read via the search tool, the tier
definitions recalled): set only where clinical evidence exists; B or C items without a curated consensus can reach at
most Tier II (potential clinical significance), so chemorad assigns "II" to B/C records and leaves the rest empty.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from chemorad import __version__
from chemorad.catalog.load import Catalog
from chemorad.catalog.schema import Mechanism
from chemorad.catalog.views import CLAIM_WEIGHT, cite
from chemorad.evidence.kb_models import KB_SCHEMA_VERSION, KbExport
from chemorad.evidence.verdicts import verdict

__all__ = [
    "GRADE_LABELS",
    "TSV_COLUMNS",
    "build_records",
    "evidence_level",
    "kb_export",
    "kb_jsonld",
    "knowledge_base",
    "records_table",
    "therapy_named",
]

GRADE_LABELS = {
    "A": "validated association",
    "B": "clinical evidence",
    "C": "case study",
    "D": "preclinical evidence",
    "E": "inferential association",
}
GRADING = {
    **{k: f"{v} (CIViC level {k})" for k, v in GRADE_LABELS.items()},
    "note": "best level reached by an item for this entity and therapy; A is never assigned automatically",
}
DATA_SOURCES = [
    "Yard et al. 2016, Nat Commun 7:11428, doi:10.1038/ncomms11428",
    "GDSC: Iorio et al. 2016, Cell 166:740, doi:10.1016/j.cell.2016.06.017",
    "CTRP v2: Seashore-Ludlow et al. 2015, Cancer Discov 5:1210, doi:10.1158/2159-8290.CD-15-0235",
    "CCLE RPPA: Li et al. 2017, Cancer Cell 31:225; DepMap RNA-seq: Ghandi et al. 2019, Nature 569:503",
]
_CLINICAL = re.compile(
    r"patients? (given|treated|randomi[sz]ed|progressing)|randomi[sz]ed|trial|cohort|clinical|cfdna|case series", re.I
)
_CASE = re.compile(r"\bcase report|\ba patient\b|\bsingle patient\b|\bbiopsy of an? ", re.I)
_REVIEW = re.compile(r"\breview\b", re.I)
_RADIATION_WORDS = re.compile(r"radi|irradiat|\bgy\b|x-ray", re.I)
_ORDER = "ABCDE"


def therapy_named(text: str, cat: Catalog, therapy: str) -> bool:
    """True when `text` names the therapy: its id or name, a data-set name, or (radiation) radiation words."""
    t = cat.therapies[therapy]
    if t.modality == "radiation":
        return bool(_RADIATION_WORDS.search(text))
    names = {t.id, t.name, *t.datasets.values()}
    low = text.lower()
    return any(n and n.lower() in low for n in names)


def evidence_level(model_system: str, names_therapy: bool) -> str:
    """Level of one literature item: C/B for patients, D for experimental systems, E for reviews or other therapies."""
    if _REVIEW.search(model_system) or not names_therapy:
        return "E"
    if _CASE.search(model_system):
        return "C"
    if _CLINICAL.search(model_system):
        return "B"
    return "D"


def _references(cat: Catalog, ids: Iterable[str]) -> list[dict]:
    out = []
    for rid in dict.fromkeys(ids):
        ref = cat.references.get(rid)
        if ref is not None:
            out.append({"id": rid, "citation": cite(ref), "doi": ref.doi, "pmid": ref.pmid, "kind": ref.kind})
    return out


def _perturbations(cat: Catalog, therapy: str, mechanism: str | None = None, gene: str | None = None) -> list[dict]:
    """Catalog perturbation measurements for this therapy and mechanism (or gene); [] when the catalog has none."""
    found = getattr(cat, "perturbations", None) or {}
    items = found.values() if isinstance(found, dict) else found
    out = []
    for p in items:
        if getattr(p, "therapy", None) != therapy:
            continue
        if mechanism is not None and getattr(p, "mechanism", None) != mechanism:
            continue
        if gene is not None and getattr(p, "gene", None) != gene:
            continue
        out.append(p.model_dump(mode="json") if hasattr(p, "model_dump") else dict(p))
    return out


def _expected(direction: str) -> str:
    return {"resistance": "resistance", "sensitivity": "sensitisation", "no_effect": "no effect"}.get(
        direction, "sensitisation"
    )


def _tests_for(tests: pd.DataFrame, feature: str, therapy: str, direction: str) -> list[dict]:
    sub = tests[(tests["mechanism"] == feature) & (tests["therapy"] == therapy)]
    if sub.empty:
        return []
    expect = _expected(direction)
    calls = verdict([expect] * len(sub), sub["conclusion"].to_numpy())
    q_effect = sub["q_neg"] if expect == "sensitisation" else sub["q_pos"]
    rows = []
    for (_, r), v, qe in zip(sub.iterrows(), calls, q_effect, strict=True):
        rows.append(
            {
                "dataset": r["dataset"],
                "compound": r["compound"],
                "metric": r["metric"],
                "primary": bool(r["primary"]),
                "effect": float(r["effect"]),
                "ci_low": float(r["ci_low"]),
                "ci_high": float(r["ci_high"]),
                "margin": float(r["margin"]),
                "n": int(r["n"]),
                "fdr": float(r["fdr"]),
                "q_effect": float(qe) if expect != "no effect" else float(min(r["q_pos"], r["q_neg"])),
                "q_equivalent": float(r["q_eq"]),
                "verdict": str(v),
                "n_to_decide": None
                if v != "inconclusive" or not np.isfinite(r["n_to_decide"])
                else float(r["n_to_decide"]),
            }
        )
    return rows


def _combined(tests: list[dict]) -> str:
    calls = {t["verdict"] for t in tests if t["primary"]}
    if not calls:
        return "not testable"
    if "supported" in calls and "contradicted" in calls:
        return "mixed"
    for v in ("supported", "contradicted"):
        if v in calls:
            return v
    return "inconclusive"


def _grade(lit: list[dict], perturbations: list[dict], cell_verdict: str) -> tuple[str, str]:
    levels = [(e["level"], f"literature: {e['reference']} ({e['model_system']})") for e in lit]
    if perturbations:
        levels.append(("D", f"{len(perturbations)} perturbation measurement(s)"))
    if cell_verdict in ("supported", "mixed"):
        levels.append(("D", f"cell-line data: {cell_verdict}"))
    if not levels:
        return "E", "catalog link or claim only"
    best = min(levels, key=lambda x: _ORDER.index(x[0]))
    if best[0] == "E":
        return "E", "only indirect items (reviews, other therapies) or the catalog link"
    return best[0], best[1]


def _record(
    cat: Catalog,
    m: Mechanism,
    therapy: str,
    direction: str,
    basis: str,
    tests: pd.DataFrame,
    marker: tuple[str, str, str] | None = None,
) -> dict:
    """One KB record; `marker` = (feature name, gene, alteration) for a marker record."""
    t = cat.therapies[therapy]
    lit = []
    for e in m.evidence:
        named = therapy_named(f"{e.model_system} {e.effect}", cat, therapy)
        lit.append(
            {
                "reference": e.reference,
                "model_system": e.model_system,
                "effect": e.effect,
                "value": e.value,
                "unit": e.unit,
                "level": evidence_level(e.model_system, named),
                "names_therapy": named,
            }
        )
    claims = [{"specificity": c.specificity.value, "sources": list(c.sources), "note": c.note} for c in m.claims]
    if marker is None:
        entity, etype, gene, alteration = m.id, "mechanism", None, None
        pert = _perturbations(cat, therapy, mechanism=m.id)
        feature = m.id
    else:
        feature, gene, alteration = marker
        entity, etype = f"{gene} {alteration}", "marker"
        pert = _perturbations(cat, therapy, gene=gene)
    cell = _tests_for(tests, feature, therapy, direction)
    cell_verdict = _combined(cell)
    grade, why = _grade(lit, pert, cell_verdict)
    return {
        "id": f"{etype}:{entity}|{therapy}|{direction}" + ("" if marker is None else f"|{m.id}"),
        "entity_type": etype,
        "entity": entity,
        "mechanism": m.id,
        "gene": gene,
        "alteration": alteration,
        "therapy": therapy,
        "modality": t.modality,
        "direction": direction,
        "basis": basis,
        "literature_claims": claims,
        "literature_evidence": lit,
        "references": _references(cat, m.reference_ids()),
        "perturbations": pert,
        "cell_line_tests": cell,
        "cell_line_verdict": cell_verdict,
        "evidence_grade": grade,
        "evidence_grade_label": GRADE_LABELS[grade],
        "grade_basis": why,
        "amp_tier": "II" if grade in ("B", "C") else None,
    }


def _catalog_pairs(cat: Catalog, m: Mechanism) -> list[tuple[str, str, str]]:
    """(therapy, direction, basis) pairs the catalog states for a mechanism."""
    own = "sensitivity" if m.direction == "sensitisation" else "resistance"
    linked = cat.therapies_for(m)
    pairs = [(t, own, "catalog") for t in linked]
    radiation = [t.id for t in cat.therapies.values() if t.modality == "radiation"]
    for c in m.claims:
        weights = CLAIM_WEIGHT[c.specificity]
        if weights["radiation"] == 0:
            pairs += [(t, "no_effect", "catalog claim") for t in radiation]
        if weights["drug"] == 0:
            pairs += [(t, "no_effect", "catalog claim") for t in linked if cat.therapies[t].modality == "drug"]
    return list(dict.fromkeys(pairs))


def _data_pairs(cat: Catalog, m: Mechanism, tests: pd.DataFrame, stated: set[str]) -> list[tuple[str, str, str]]:
    """Unlinked therapies where the primary-metric data decide an effect beyond the margin, one way only."""
    sub = tests[(tests["mechanism"] == m.id) & tests["primary"] & ~tests["therapy"].isin(stated)]
    out = []
    for therapy, grp in sub.groupby("therapy"):
        calls = set(grp["conclusion"])
        if "positive" in calls and "negative" not in calls:
            out.append((str(therapy), "resistance" if m.direction == "resistance" else "collateral_sensitivity"))
        elif "negative" in calls and "positive" not in calls:
            out.append((str(therapy), "collateral_sensitivity" if m.direction == "resistance" else "sensitivity"))
    return [(t, d, "cell-line data") for t, d in out]


def build_records(cat: Catalog, tests: pd.DataFrame, marker_tests: pd.DataFrame, coverage: pd.DataFrame) -> list[dict]:
    """Every KB record: mechanisms (catalog, claim and data records) and their markers (catalog records).

    tests / marker_tests: `claims.claim_tests` on mechanism scores / on marker features; coverage: `Scores.coverage`
    (to map a marker to its feature).
    """
    records = []
    for m in cat.mechanisms.values():
        pairs = _catalog_pairs(cat, m)
        stated = {t for t, _, _ in pairs}
        pairs += _data_pairs(cat, m, tests, stated)
        for therapy, direction, basis in pairs:
            records.append(_record(cat, m, therapy, direction, basis, tests))
        cov = coverage[coverage["mechanism"] == m.id]
        own = "sensitivity" if m.direction == "sensitisation" else "resistance"
        for mk in m.markers:
            hit = cov[(cov["gene"] == mk.gene) & (cov["alteration"] == mk.alteration.value)]
            feature = hit["feature"].iloc[0] if len(hit) and isinstance(hit["feature"].iloc[0], str) else ""
            for therapy in cat.therapies_for_marker(m, mk.gene):
                records.append(
                    _record(
                        cat, m, therapy, own, "catalog", marker_tests, marker=(feature, mk.gene, mk.alteration.value)
                    )
                )
    return records


def knowledge_base(cat: Catalog, data: str | os.PathLike[str] | None = None, tables: tuple | None = None) -> list[dict]:
    """Every record, with the cell-line tests of mechanism scores and of marker features on the bundle.

    `tables`: (scores, responses, covariates) from `claims.evidence_tables`, to reuse them."""
    from chemorad.evidence.claims import claim_tests, evidence_tables

    tables = tables if tables is not None else evidence_tables(cat, data)
    tests = claim_tests(cat, data, tables=tables)
    marker_tests = claim_tests(cat, data, tables=tables, features=tables[0].markers)
    return build_records(cat, tests, marker_tests, tables[0].coverage)


def kb_export(records: list[dict], answer: dict | None = None) -> dict:
    """The JSON export (validated against `kb_models.KbExport`, i.e. `kb_schema.json`); `answer`: the `chemorad
    answer` document, which rides in the same export (one code path for `kb export` and `answer --format json`)."""
    doc = {
        "schema_version": KB_SCHEMA_VERSION,
        "generator": f"chemorad {__version__}",
        "data_sources": DATA_SOURCES,
        "grading": GRADING,
        "records": records,
    }
    if answer is not None:
        doc["answer"] = answer
    out = KbExport.model_validate(doc).model_dump(mode="json")
    if answer is None:
        out.pop("answer")
    return out


JSONLD_CONTEXT = {
    "@vocab": "https://github.com/chemorad/chemorad/kb#",
    "id": "@id",
    "records": {"@container": "@list"},
    "doi": {"@id": "http://prismstandard.org/namespaces/basic/2.0/doi"},
    "pmid": {"@id": "http://purl.org/ontology/bibo/pmid"},
    "citation": {"@id": "http://purl.org/dc/terms/bibliographicCitation"},
}


def kb_jsonld(doc: dict) -> dict:
    """The JSON export as JSON-LD: an @context, @type KbRecord on records, record ids as IRIs under chemorad:kb/."""
    out = {"@context": JSONLD_CONTEXT, "@type": "KnowledgeBase", **doc}
    out["records"] = [
        {**r, "id": "https://github.com/chemorad/chemorad/kb/" + r["id"].replace(" ", "_"), "@type": "KbRecord"}
        for r in doc["records"]
    ]
    return out


TSV_COLUMNS = [
    "id",
    "entity_type",
    "entity",
    "mechanism",
    "gene",
    "alteration",
    "therapy",
    "modality",
    "direction",
    "basis",
    "claims",
    "references",
    "n_perturbations",
    "cell_line_verdict",
    "n_tests",
    "n_supported",
    "n_contradicted",
    "n_inconclusive",
    "best_dataset",
    "effect",
    "ci_low",
    "ci_high",
    "margin",
    "n",
    "fdr",
    "evidence_grade",
    "evidence_grade_label",
    "grade_basis",
    "amp_tier",
    "schema_version",
]


def records_table(records: list[dict]) -> pd.DataFrame:
    """One row per record with the `TSV_COLUMNS` (the primary test with the smallest FDR shown as best_dataset)."""
    rows = []
    for r in records:
        prim = [t for t in r["cell_line_tests"] if t["primary"]]
        best = min(prim, key=lambda t: t["fdr"]) if prim else None
        calls = [t["verdict"] for t in prim]
        rows.append(
            {
                **{k: r[k] for k in TSV_COLUMNS[:10]},
                "claims": "; ".join(f"{c['specificity']}: {', '.join(c['sources'])}" for c in r["literature_claims"]),
                "references": "; ".join(
                    ref["id"]
                    + (f" doi:{ref['doi']}" if ref["doi"] else "")
                    + (f" PMID:{ref['pmid']}" if ref["pmid"] else "")
                    for ref in r["references"]
                ),
                "n_perturbations": len(r["perturbations"]),
                "cell_line_verdict": r["cell_line_verdict"],
                "n_tests": len(prim),
                "n_supported": calls.count("supported"),
                "n_contradicted": calls.count("contradicted"),
                "n_inconclusive": calls.count("inconclusive"),
                "best_dataset": f"{best['dataset']} {best['metric']}" if best else None,
                "effect": best["effect"] if best else None,
                "ci_low": best["ci_low"] if best else None,
                "ci_high": best["ci_high"] if best else None,
                "margin": best["margin"] if best else None,
                "n": best["n"] if best else None,
                "fdr": best["fdr"] if best else None,
                "evidence_grade": r["evidence_grade"],
                "evidence_grade_label": r["evidence_grade_label"],
                "grade_basis": r["grade_basis"],
                "amp_tier": r["amp_tier"],
                "schema_version": KB_SCHEMA_VERSION,
            }
        )
    return pd.DataFrame(rows, columns=TSV_COLUMNS)
