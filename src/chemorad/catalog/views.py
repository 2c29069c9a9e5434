"""Catalog entries as records and tables: what the CLI prints and the figures draw.

Records are plain dicts with stable keys (documented in `docs/cli.md`), so JSON output is a list of them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chemorad.catalog.load import Catalog
from chemorad.catalog.registry import Modality
from chemorad.catalog.schema import Mechanism, Reference, Specificity, Therapy


def reference_record(ref: Reference) -> dict:
    return {
        "id": ref.id,
        "authors": ref.authors,
        "year": ref.year,
        "title": ref.title,
        "journal": ref.journal,
        "doi": ref.doi,
        "pmid": ref.pmid,
        "url": ref.url,
        "kind": ref.kind,
    }


def cite(ref: Reference) -> str:
    """Short citation: 'Authors (year) Journal doi:... PMID:...'."""
    ids = " ".join(
        x
        for x in (
            f"doi:{ref.doi}" if ref.doi else "",
            f"PMID:{ref.pmid}" if ref.pmid else "",
            ref.url if ref.url and not (ref.doi or ref.pmid) else "",
        )
        if x
    )
    journal = f" {ref.journal}." if ref.journal else ""
    return f"{ref.authors} ({ref.year}). {ref.title}.{journal} {ids}".strip()


def mechanism_record(cat: Catalog, m: Mechanism) -> dict:
    return {
        "id": m.id,
        "name": m.name,
        "summary": m.summary,
        "stages": [s.value for s in m.stages],
        "direction": m.direction,
        "therapies": cat.therapies_for(m),
        "markers": [{"gene": mk.gene, "alteration": mk.alteration.value, "sign": mk.sign} for mk in m.markers],
        "claims": [{"specificity": c.specificity.value, "sources": list(c.sources), "note": c.note} for c in m.claims],
        "effects": [
            {
                "quantity": e.quantity.value,
                "acts_on": e.acts_on.describe(),
                "size": e.size,
                "source": e.source,
                "basis": e.basis,
                "provenance": e.provenance,
                "quote": e.quote,
                "read_from": e.read_from,
                "loss": e.loss,
                "loss_provenance": e.loss_provenance,
            }
            for e in m.effects
        ],
        "evidence": [
            {
                "reference": e.reference,
                "model_system": e.model_system,
                "effect": e.effect,
                "value": e.value,
                "unit": e.unit,
            }
            for e in m.evidence
        ],
        "references": [reference_record(cat.references[r]) for r in m.reference_ids()],
    }


def therapy_record(t: Therapy) -> dict:
    rec = {
        "id": t.id,
        "name": t.name,
        "modality": t.modality,
        "drug_class": t.drug_class,
        "mechanism_of_action": t.mechanism_of_action,
        "lesions": [x.value for x in t.lesions],
        "phase_specificity": [p.value for p in t.phase_specificity],
        "transporter_substrates": t.transporter_substrates,
        "uptake_transporters": t.uptake_transporters,
        "inactivating_enzymes": t.inactivating_enzymes,
        "activating_enzymes": t.activating_enzymes,
        "targets": t.targets,
        "oxygen_dependence": t.oxygen_dependence.value if t.oxygen_dependence else 0.0,
        "parameters": {k: p.model_dump() for k, p in t.parameters.items()},
        "pk": t.pk.model_dump(exclude_none=True) if t.pk else None,
        "datasets": dict(t.datasets),
        "references": t.reference_ids(),
    }
    return rec


def claimed_specificities(m: Mechanism) -> str:
    """'chemotherapy_only (seed000, seed002); shared (seed001)'."""
    return "; ".join(f"{c.specificity.value} ({', '.join(c.sources)})" for c in m.claims)


def mechanisms_table(cat: Catalog, mechanisms: list[Mechanism]) -> pd.DataFrame:
    rows = [
        {
            "id": m.id,
            "name": m.name,
            "stages": ", ".join(s.value for s in m.stages),
            "markers": ", ".join(dict.fromkeys(mk.gene for mk in m.markers)),
            "therapies": abbreviate(cat.therapies_for(m), len(cat.therapies)),
            "claimed": claimed_specificities(m),
            "references": ", ".join(r for r in m.reference_ids() if cat.references[r].kind != "seed"),
        }
        for m in mechanisms
    ]
    return pd.DataFrame(rows, columns=["id", "name", "stages", "markers", "therapies", "claimed", "references"])


def abbreviate(ids: list[str], total: int) -> str:
    if len(ids) == total:
        return "all"
    return ", ".join(ids) if ids else "-"


def therapies_table(cat: Catalog) -> pd.DataFrame:
    rows = [
        {
            "id": t.id,
            "name": t.name,
            "class": t.drug_class,
            "lesions": ", ".join(x.value for x in t.lesions),
            "pumps": ", ".join(t.transporter_substrates) or "-",
            "enzymes": ", ".join(t.inactivating_enzymes + [f"+{e}" for e in t.activating_enzymes]) or "-",
            "targets": ", ".join(t.targets) or "-",
            "pk": t.pk.model if t.pk else "-",
        }
        for t in cat.therapies.values()
    ]
    return pd.DataFrame(rows)


def references_table(cat: Catalog) -> pd.DataFrame:
    return pd.DataFrame([reference_record(r) for r in cat.references.values()])


# How much of each modality a claimed specificity says the mechanism touches (1 = fully, 0.5 = secondary, 0 = not).
CLAIM_WEIGHT = {
    Specificity.chemotherapy_only: {Modality.drug: 1.0, Modality.radiation: 0.0},
    Specificity.radiotherapy_only: {Modality.drug: 0.0, Modality.radiation: 1.0},
    Specificity.chemotherapy_dominant: {Modality.drug: 1.0, Modality.radiation: 0.5},
    Specificity.radiotherapy_dominant: {Modality.drug: 0.5, Modality.radiation: 1.0},
    Specificity.shared: {Modality.drug: 1.0, Modality.radiation: 1.0},
}


def claimed_matrix(cat: Catalog) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Mechanism x therapy matrix of what the sources claim, and where they disagree.

    A cell is the mean over claims of the claim's weight for the therapy's modality (1 fully, 0.5 secondary, 0 not),
    restricted to the therapies the mechanism's effects select by property (a pump only touches its substrates).
    The second frame is True where the claims for that modality differ.
    """
    mech = list(cat.mechanisms.values())
    ther = list(cat.therapies.values())
    values = np.zeros((len(mech), len(ther)))
    disputed = np.zeros_like(values, dtype=bool)
    for i, m in enumerate(mech):
        touched = set(cat.therapies_for(m)) if m.effects else {t.id for t in ther}
        for j, t in enumerate(ther):
            weights = [CLAIM_WEIGHT[c.specificity][t.modality] for c in m.claims]
            values[i, j] = np.mean(weights) if t.id in touched else 0.0
            disputed[i, j] = len(set(weights)) > 1
    index = [m.id for m in mech]
    columns = [t.id for t in ther]
    return pd.DataFrame(values, index, columns), pd.DataFrame(disputed, index, columns)
