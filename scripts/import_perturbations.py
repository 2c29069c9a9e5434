"""Import curated perturbation entries into the catalog's perturbations.yaml (a curation tool, run by hand).

    python scripts/import_perturbations.py CURATED.yaml [CURATED2.yaml ...] [--out perturbations.yaml]

Values are copied unchanged. Therapy names are mapped to catalog ids (exact id, or the active species of a catalog
prodrug: SN-38 -> irinotecan); names with no catalog therapy are kept with therapy null and mapping 'unmapped'.
Mechanisms the curators proposed are mapped to the catalog id that now exists, or kept as proposed_mechanism with
mechanism null. Entries with no DOI, PMID or read-from address cannot be traced and are dropped (and counted).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from chemorad.catalog.load import load_catalog  # noqa: E402
from chemorad.catalog.perturbations import Perturbation  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "src" / "chemorad" / "catalog" / "data"
ACTIVE_SPECIES = {"SN-38": "irinotecan"}
MECHANISM = {
    "radical_scavenging_sod": "superoxide_dismutase",
    "efflux_abcc2": "efflux_abcc2",
    "metallothionein_sequestration": "metallothionein_sequestration",
    "rrm1_overexpression": "rrm1_overexpression",
    "slfn11_replication_stress": "slfn11_loss",
    "tyms_amplification": "tyms_amplification",
    "shieldin_53bp1_loss": "shieldin_53bp1_loss",
    "egfr_radioresistance": "egfr_radioresistance",
    "dpyd_catabolism": "dpyd_catabolism",
    "kras_activation": "kras_activation",
    "autophagy": "autophagy",
}
HEADER = """\
# Published perturbation experiments: one mechanism changed, the response measured (schema:
# chemorad.catalog.perturbations.Perturbation; how to add one: docs/catalog.md). Values are perturbed / control,
# exactly as the source reports them (or as the curator recalled them: obtained: recalled). Never adjust a value
# towards the model. Imported from the curators' files by scripts/import_perturbations.py.
"""


def convert(e: dict, cat) -> dict | None:
    s = e["source"] or {}
    if not (s.get("doi") or s.get("pmid") or e.get("read_from")):
        return None
    name = e["therapy"]
    if name in cat.therapies:
        therapy, mapping = name, "exact"
    elif name in ACTIVE_SPECIES:
        therapy, mapping = ACTIVE_SPECIES[name], "active_species"
    else:
        therapy, mapping = None, "unmapped"
    mech = e.get("mechanism")
    proposed = e.get("proposed_mechanism")
    mech = MECHANISM.get(mech, mech) if mech else MECHANISM.get(proposed)
    if mech is not None and mech not in cat.mechanisms:
        mech, proposed = None, proposed or e.get("mechanism")
    proposed_only = mech is not None and mech in MECHANISM.values() and mech not in (e.get("mechanism") or "")
    if proposed_only and e["gene"] not in {mk.gene for mk in cat.mechanisms[mech].markers}:
        # a proposed mechanism whose catalog version does not count this gene as a marker (e.g. NQO1)
        mech, proposed = None, proposed or mech
    unc = e.get("uncertainty") or {"kind": "none"}
    out = {
        "id": e["id"],
        "pair": e.get("pair"),
        "perturbation": e["perturbation"],
        "gene": e["gene"],
        "mechanism": mech,
        "proposed_mechanism": proposed if mech is None else None,
        "activity_change": e["activity_change"],
        "cell_line": e["cell_line"],
        "species": e["species"],
        "therapy": therapy,
        "therapy_as_published": name,
        "therapy_mapping": mapping,
        "assay": e["assay"],
        "metric": e["metric"],
        "value": e["value"],
        "uncertainty": {k: unc.get(k) for k in ("kind", "low", "high", "text")},
        "source": {k: s.get(k) for k in ("doi", "pmid", "citation", "where")},
        "obtained": e["obtained"],
        "read_from": e.get("read_from"),
        "quote": e.get("quote"),
        "note": e.get("note"),
    }
    Perturbation.model_validate(out)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("curated", nargs="+", type=Path)
    ap.add_argument("--out", type=Path, default=DATA / "perturbations.yaml")
    args = ap.parse_args()
    cat = load_catalog(DATA) if not (DATA / "perturbations.yaml").exists() else _catalog_without_table()
    entries, dropped = [], []
    for f in args.curated:
        for e in yaml.safe_load(f.read_text(encoding="utf-8")) or []:
            rec = convert(e, cat)
            (entries.append(rec) if rec else dropped.append(e["id"]))
    text = yaml.safe_dump(entries, sort_keys=False, allow_unicode=True, width=120)
    args.out.write_text(HEADER + text, encoding="utf-8")
    print(f"{len(entries)} entries written to {args.out}; {len(dropped)} dropped (no doi, pmid or read-from address)")


def _catalog_without_table():
    import shutil
    import tempfile

    tmp = Path(tempfile.mkdtemp())
    for name in ("mechanisms", "therapies", "references"):
        shutil.copy(DATA / f"{name}.yaml", tmp / f"{name}.yaml")
    return load_catalog(tmp)


if __name__ == "__main__":
    main()
