"""Issue 22 figures: provenance counts, calibrated verdicts for gain and loss, perturbation check, M059J.

    PYTHONPATH=src python benchmarks/bench_identified.py [--posterior PATH] [--before-verdicts CSV] [--out CSV]

Prints the provenance counts of the catalog's effect sizes (typed, and with `data` from the posterior's width ratios),
the decided/undetermined verdicts per direction (`calibration.verdicts.mechanism_verdicts`), which verdicts changed
against an earlier run's CSV (`--before-verdicts`, written by `--out` of that run), the agreement of experiments and
posterior (`verdict_basis`), the within-2-fold counts of `chemorad perturbations --check` per modality (all entries and
those no size was taken from) and the DNA-PKcs-null M059J's predicted SF2 ratio next to the measured one.
"""

from __future__ import annotations

import argparse

import pandas as pd

from chemorad.calibration import posterior as post
from chemorad.calibration.spec import chain_spec
from chemorad.calibration.verdicts import mechanism_verdicts, verdict_basis
from chemorad.catalog import catalog
from chemorad.catalog.provenance import effect_provenance, measured_share, provenance_counts
from chemorad.chain.perturbations import check, summary_lines


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--posterior", default=None)
    ap.add_argument("--before-verdicts", default=None)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    cat = catalog()
    spec, idata = chain_spec(cat), post.load(args.posterior)
    added = post.check_matches(spec, idata)
    print(f"effects added since the calibration (prior only): {len(added)} {added}")
    typed = provenance_counts(effect_provenance(cat)).set_index("provenance")["effects"]
    table = effect_provenance(cat, post.width_ratios(spec, idata))
    counts = provenance_counts(table).set_index("provenance")["effects"]
    print(pd.DataFrame({"typed": typed, "with data": counts}).to_string())
    print(f"read or data: {measured_share(table):.3f}")
    v = mechanism_verdicts(cat, spec, idata)
    if args.out:
        v.to_csv(args.out, index=False)
    for d in ("gain", "loss"):
        und = int((v.loc[v["direction"] == d, "verdict"] == "undetermined").sum())
        print(f"{d}: decided {int((v['direction'] == d).sum()) - und}, undetermined {und}")
    if args.before_verdicts:
        b = pd.read_csv(args.before_verdicts)
        m = b.merge(v, on=["mechanism", "direction"], how="outer", suffixes=("_before", "_after"))
        changed = m[m["verdict_before"] != m["verdict_after"]]
        print(changed[["mechanism", "direction", "verdict_before", "verdict_after", "probability_after"]].to_string())
    basis = verdict_basis(cat, v)
    print("agreement radiation:", basis["agreement_radiation"].value_counts().to_dict())
    print("agreement drugs:", basis["agreement_drugs"].value_counts().to_dict())
    res = check(cat)
    for line in summary_lines(res):
        print(line)
    m059 = res.set_index("id").loc["prkdc_m059j_m059k_ir"]
    print(f"M059J SF2 ratio: model {m059['model']:.4f}, measured {m059['measured']:.4f}")


if __name__ == "__main__":
    main()
