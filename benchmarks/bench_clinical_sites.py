"""Clinical site model benchmarks (issue 21): per site the training targets and residuals, the validation table
(trials never fitted) with the count agreeing, the survival -> control mapping sensitivity, the population
dose-response curves (figure), the time of a 1,000-patient TCP per regimen, and the decomposition of the older
cell-level model's loss on accelerated schedules.

Run from the worktree: PYTHONPATH=src python benchmarks/bench_clinical_sites.py > benchmarks/results_clinical_sites.md
"""

from __future__ import annotations

import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

from chemorad.dynamics import site_calibration as sc
from chemorad.dynamics import tcp_model as tm
from chemorad.dynamics.sites import load_site, site_names

FIG = Path(__file__).resolve().parents[1] / "docs" / "figures" / "clinical_sites_dose_response.png"


def md(df, digits: int = 3) -> str:
    cols = list(df.columns)
    out = ["| " + " | ".join(cols) + " |", "| " + " | ".join("---" for _ in cols) + " |"]
    for r in df.itertuples(index=False):
        out.append("| " + " | ".join(f"{x:.{digits}f}" if isinstance(x, float) else str(x) for x in r) + " |")
    return "\n".join(out)


def dose_response(site, v, patients: int = 1000) -> tuple[np.ndarray, np.ndarray, float]:
    """TCP of the reference regimen's first radiotherapy item with its fraction number scaled (same dose/fraction)."""
    ref = site.regimens[site.reference_regimen]
    item = next(i for i in ref if i["kind"] == "radiotherapy")
    n0 = item["fractions"]
    ns = np.unique(np.round(np.linspace(0.5 * n0, 1.3 * n0, 9)).astype(int))
    co = tm.cohort(patients, 1)
    tcp = []
    for n in ns:
        reg = [{**item, "fractions": int(n)}] + [i for i in ref if i is not item]
        tcp.append(tm.population(v, tm.course(reg), co)["tcp"])
    return ns * item["dose_gy"], np.array(tcp), item["dose_gy"]


def decomposition() -> None:
    """The older cell-level model (calibration hnscc): accelerated schedules vs 66 Gy/33, one mechanism off at a time.

    Decomposes the loss issue 21 reported."""
    from chemorad.catalog import catalog
    from chemorad.dynamics.calibration import population_tcp
    from chemorad.dynamics.presets import load_calibration

    cat, base = catalog(), load_calibration("hnscc")

    def rt(d, n, pw=5, pd=1):
        return {"kind": "radiotherapy", "dose_gy": d, "fractions": n, "per_week": pw, "per_day": pd, "interval_h": 6.0}

    regs = {"66/33": [rt(2, 33)], "CHART": [rt(1.5, 36, 7, 3)], "6/week": [rt(2, 33, 6)], "HFX": [rt(1.2, 68, 5, 2)]}

    def var(**kw):
        s = {k: dict(v) for k, v in base.items()}
        for sec, upd in kw.items():
            s[sec].update(upd)
        return s

    variants = {
        "as calibrated": var(),
        "no redistribution": var(tumour={"redistribution": False}),
        "no hypoxia": var(tumour={"hypoxic_fraction": 0.0}, patients={"hypoxic_fraction_sd": 0.0}),
        "neither": var(
            tumour={"redistribution": False, "hypoxic_fraction": 0.0}, patients={"hypoxic_fraction_sd": 0.0}
        ),
    }
    print("| cell-level model | 66 Gy/33 | CHART 54 Gy/36 | 66 Gy/33 6 a week | HFX 81.6 Gy/68 |")
    print("| --- | --- | --- | --- | --- |")
    for name, s in variants.items():
        t = {r: population_tcp(s, sch, cat, 200, 0) for r, sch in regs.items()}
        print(f"| {name} | " + " | ".join(f"{t[r]:.3f}" for r in regs) + " |")


def main() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
        f"{sys.version.split()[0]}; load average at start {open('/proc/loadavg').read().split()[:3]}"
    )
    fig, ax = plt.subplots(figsize=(7, 4.5))
    total_agree = total = total_meet = 0
    for name in site_names():
        site = load_site(name)
        v = tm.values(site)
        print(f"\n## {name}: {site.title}\nEndpoint: {site.endpoint}. Time factor {tm.time_factor(v):.3f} Gy/day.\n")
        print("### Training targets (fitted; 200 virtual patients, seed 0)\n")
        print(md(sc.training_table(site, v, tm.cohort(200, 0)).drop(columns=["source"])))
        t0 = time.perf_counter()
        refits = sc.interval_refits(site, 200, 0)
        val = sc.validate(site, v, 1000, 0, refits)
        took = time.perf_counter() - t0
        ok = int(val["agrees"].fillna(False).sum())
        meet = int(val["intervals_overlap"].fillna(False).sum())
        total_agree, total, total_meet = total_agree + ok, total + len(val), total_meet + meet
        print(
            f"\n### Validation (never fitted; 1,000 virtual patients, seed 0; {ok} of {len(val)} agree; "
            f"{meet} of {len(val)} with the model's interval meeting the trial's)\n"
        )
        cols = [
            "trial",
            "model_difference",
            "model_low",
            "model_high",
            "reported_difference",
            "reported_low",
            "reported_high",
            "agrees",
            "intervals_overlap",
        ]
        print(md(val[cols]))
        print(f"\n({len(refits)} interval refits and the table in {took:.1f} s)")
        sens = sc.mapping_sensitivity(site, 200, 0)
        if len(sens):
            print("\n### Drug benefit vs the mapping HR_control = HR^k\n")
            print(md(sens))
        times = []
        for reg in site.regimens:
            t0 = time.perf_counter()
            tm.regimen_tcp(site, reg, patients=1000)
            times.append(time.perf_counter() - t0)
        print(
            f"\n1,000-patient TCP per regimen: median {1e3 * np.median(times):.0f} ms, max {1e3 * max(times):.0f} ms "
            f"over {len(times)} regimens"
        )
        d50, g50 = sc.dose_response(v)
        print(f"\n2-Gy dose-response (5 a week, 1,000 patients, seed 0): D50 {d50:.1f} Gy, gamma50 {g50:.2f}")
        d, tcp, dpf = dose_response(site, v)
        ax.plot(d, tcp, marker="o", label=f"{name} ({dpf:g} Gy/fraction)")
        print(
            "\nDose-response (reference regimen's fraction size, fraction number scaled; seed 1): "
            + ", ".join(f"{a:g} Gy {b:.3f}" for a, b in zip(d, tcp, strict=True))
        )
    print(
        f"\n**Validation overall: {total_agree} of {total} trials agree within the trial's 95% interval; "
        f"{total_meet} of {total} with the model's interval meeting the trial's.**"
    )
    ax.set_xlabel("total dose (Gy), reference fraction size")
    ax.set_ylabel("population TCP (1,000 virtual patients)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    FIG.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(FIG, dpi=110)
    print(f"\nFigure: docs/figures/{FIG.name}")
    print("\n## Decomposition: the older cell-level model (calibration hnscc, 200 patients, seed 0)\n")
    decomposition()


if __name__ == "__main__":
    main()
