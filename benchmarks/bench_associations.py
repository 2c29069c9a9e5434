"""chemorad's vectorised tissue-adjusted association scan against gdsctools' ANOVA, on gdsctools' own v17 data.

The peer: gdsctools 1.0.1 (the GDSC team's ANOVA), one statsmodels OLS per drug x feature pair,
log IC50 ~ 1 + tissue + MSI + feature, over its bundled IC50_v17 (265 drugs) and genomic_features_v17 (677 binary
features, tissue and MSI factors, 988 lines). It runs in its own venv (benchmarks/gdsctools/setup_venv.sh) through
benchmarks/gdsctools/run_gdsctools.py.

chemorad: `chemorad.evidence.associations.associations(X, Y, covariates)` on the same matrices, set up the way
gdsctools sets up its model (read from gdsctools/anova.py and models.py):
- lines: the IC50 lines that are in the features file; responses: drugs with >= 6 IC50s (minimum_nonna_ic50);
- covariates: tissue dummies (all tissues, singletons kept; the fit spans the tissues present for each drug, the
  reference level does not change the feature term) plus the 0/1 MSI factor: `covariate_design(tissue, msi)`;
- gdsctools tests a pair only with >= 3 feature-positive and >= 3 feature-negative lines and >= 2 MSI and >= 2 MSS
  lines among the lines with an IC50 for that drug. chemorad has no such rule (it drops only untestable pairs), so
  its table is restricted to the pairs that pass gdsctools' rule before comparing, and its FDR is recomputed with
  `bh_fdr` over that common set (gdsctools' FDR is BH over its own tests).
- what is compared: gdsctools' ANOVA_FEATURE_pval is the type I F-test of the feature entered last, i.e. the t-test
  of the feature coefficient in the full model; gdsctools does not report that coefficient (its effect columns are
  the unadjusted delta of means, Cohen's d, Glass deltas), so run_gdsctools.py records params[-1] and bse[-1] of
  the very statsmodels fit gdsctools makes. chemorad's effect/se/p_value/fdr are compared to those.

Timing: gdsctools' `anova_all()` wall time (one process, as gdsctools runs by default) against chemorad's
`associations()` call (best of --repeat), each measured in a fresh subprocess per BLAS thread setting
(--threads, default "1,default": OPENBLAS/OMP/MKL_NUM_THREADS=1, then the inherited environment).

Run (from the repository root; builds the gdsctools venv if needed, ~10-15 min on 2 cores, mostly gdsctools):

    .venv/bin/python benchmarks/bench_associations.py
    .venv/bin/python benchmarks/bench_associations.py --drugs 5              # quick smoke run
    .venv/bin/python benchmarks/bench_associations.py --gdsctools-result DIR/gdsctools.parquet   # reuse a run

Results (parquet/JSON) go to a temporary folder (printed; --workdir to choose); nothing is written to the repo.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
PEER_DIR = HERE / "gdsctools"
DEFAULT_VENV = HERE / ".venv-gdsctools"
MIN_IC50 = 6  # gdsctools settings.minimum_nonna_ic50
FEATURE_MIN = 3  # settings.feature_factor_threshold (positives and negatives)
MSI_MIN = 2  # settings.MSI_factor_threshold (MSI and MSS lines)
BLAS_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


# ---------------------------------------------------------------------------------------------------------------
# inputs, mirrored from gdsctools' readers/models


def peer_data_dir(venv: Path) -> Path:
    """gdsctools' bundled data folder, found without importing gdsctools (its import needs the statsmodels alias)."""
    code = "import importlib.util; print(importlib.util.find_spec('gdsctools').submodule_search_locations[0])"
    out = subprocess.run([str(venv / "bin" / "python"), "-c", code], check=True, capture_output=True, text=True)
    return Path(out.stdout.strip()) / "data"


def load_inputs(data: Path, drugs: int = 0) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series, pd.Series]:
    """X (lines x binary features), Y (lines x drugs, log IC50), tissue and MSI factors, as gdsctools builds them."""
    ic50 = pd.read_csv(data / "IC50_v17.csv.gz", index_col="COSMIC_ID")
    ic50.columns = [int(c.split("_")[1]) for c in ic50.columns]  # Drug_1047_IC50 -> 1047, as gdsctools.readers
    feats = pd.read_csv(data / "genomic_features_v17.csv.gz", index_col="COSMIC_ID").sort_index()
    feats = feats.drop(columns=[c for c in ("SAMPLE_NAME", "Sample Name", "CELL_LINE") if c in feats.columns])
    ic50 = ic50.loc[ic50.index.isin(feats.index)]  # IC50 lines unknown to the features file are dropped
    feats = feats.loc[ic50.index]
    tissue = feats.pop("TISSUE_FACTOR").fillna("UNDEFINED")
    msi = feats.pop("MSI_FACTOR").astype(float)
    if drugs:
        ic50 = ic50.iloc[:, :drugs]
    else:
        ic50 = ic50.loc[:, ic50.notna().sum() >= MIN_IC50]
    return feats.astype(float), ic50.astype(float), tissue, msi


def peer_eligible(X: pd.DataFrame, Y: pd.DataFrame, msi: pd.Series) -> pd.DataFrame:
    """Counts per drug x feature and gdsctools' rule: >= 3 positive and negative lines, >= 2 MSI and MSS lines."""
    has = Y.notna().to_numpy(float)  # lines x drugs
    xv = X.to_numpy(float)
    n = has.sum(axis=0)  # per drug
    pos = has.T @ xv  # drugs x features
    msi_pos = has.T @ msi.to_numpy(float)
    ok = (pos >= FEATURE_MIN) & (n[:, None] - pos >= FEATURE_MIN)
    ok &= ((msi_pos >= MSI_MIN) & (n - msi_pos >= MSI_MIN))[:, None]
    d, f = np.nonzero(ok)
    return pd.DataFrame({"drug": Y.columns.to_numpy()[d], "feature": X.columns.to_numpy()[f]})


# ---------------------------------------------------------------------------------------------------------------
# the two runs


def run_gdsctools(venv: Path, out: Path, drugs: int, plain: bool, threads: str) -> dict:
    cmd = [str(venv / "bin" / "python"), str(PEER_DIR / "run_gdsctools.py"), "--out", str(out)]
    if drugs:
        cmd += ["--drugs", str(drugs)]
    if plain:
        cmd += ["--no-hook"]
    env = blas_env(threads)
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
    meta = json.loads(out.with_suffix(".json").read_text())
    meta["seconds_subprocess"] = time.perf_counter() - t0
    return meta


def blas_env(threads: str) -> dict:
    env = dict(os.environ)
    if threads != "default":
        env.update({v: threads for v in BLAS_VARS})
    return env


def run_chemorad(data: Path, out: Path, drugs: int, repeat: int, threads: str) -> dict:
    """The chemorad side in a fresh interpreter, so the BLAS thread setting takes effect."""
    cmd = [sys.executable, __file__, "--worker", "--data", str(data), "--out", str(out)]
    cmd += ["--drugs", str(drugs), "--repeat", str(repeat)]
    subprocess.run(cmd, check=True, env=blas_env(threads))
    meta = json.loads(out.with_suffix(".json").read_text())
    meta["blas_threads"] = threads
    return meta


def worker(data: Path, out: Path, drugs: int, repeat: int) -> None:
    import hashlib
    import importlib

    import chemorad
    from chemorad.evidence.associations import associations, covariate_design

    module = importlib.import_module("chemorad.evidence.associations")  # the module, not the re-exported function

    t0 = time.perf_counter()
    X, Y, tissue, msi = load_inputs(data, drugs)
    covariates = covariate_design(tissue, msi)
    t_load = time.perf_counter() - t0
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        table, dropped = associations(X, Y, covariates, min_n=MIN_IC50, return_dropped=True)
        times.append(time.perf_counter() - t0)
    table.to_parquet(out, index=False)
    meta = {
        "tool": "chemorad",
        "chemorad": getattr(chemorad, "__version__", "?"),
        "associations_sha256": hashlib.sha256(Path(module.__file__).read_bytes()).hexdigest()[:12],
        "tests": len(table),
        "dropped": len(dropped),
        "dropped_reasons": dropped["reason"].value_counts().to_dict(),
        "seconds_load": t_load,
        "seconds": times,
        "shape": {"lines": X.shape[0], "features": X.shape[1], "drugs": Y.shape[1], "covariates": covariates.shape[1]},
        "versions": {"python": platform.python_version(), "numpy": np.__version__, "pandas": pd.__version__},
    }
    out.with_suffix(".json").write_text(json.dumps(meta, indent=1))


# ---------------------------------------------------------------------------------------------------------------
# comparison and report


def compare(peer: pd.DataFrame, mine: pd.DataFrame, eligible: pd.DataFrame) -> dict:
    from chemorad.evidence.associations import bh_fdr

    mine = mine.rename(columns={"response": "drug"}).astype({"drug": int})
    mine_elig = mine.merge(eligible, on=["drug", "feature"], how="inner")
    both = peer.merge(mine_elig, on=["drug", "feature"], how="outer", suffixes=("_g", "_c"), indicator=True)
    common = both[both["_merge"] == "both"].copy()
    common["fdr_c_common"] = bh_fdr(common["p_value_c"].to_numpy())
    lp = np.abs(np.log10(common["p_value_g"]) - np.log10(common["p_value_c"]))
    rel = np.abs(common["coef"] - common["effect"]) / np.maximum(np.abs(common["coef"]), 1e-12)
    worst = common.loc[lp.idxmax()] if len(common) else None
    return {
        "eligible_by_peer_rule": len(eligible),
        "chemorad_on_eligible": len(mine_elig),
        "common": len(common),
        "only_gdsctools": int((both["_merge"] == "left_only").sum()),
        "only_chemorad": int((both["_merge"] == "right_only").sum()),
        "n_equal": bool((common["n_g"] == common["n_c"]).all()),
        "max_abs_dlog10p": float(lp.max()),
        "max_abs_dlog10p_p_lt_0.05": float(lp[common["p_value_g"] < 0.05].max()),
        "worst_pair": None if worst is None else f"drug {worst['drug']} x {worst['feature']}",
        "max_abs_deffect": float(np.abs(common["coef"] - common["effect"]).max()),
        "max_rel_deffect": float(rel.max()),
        "max_abs_dse": float(np.abs(common["se_g"] - common["se_c"]).max()),
        "max_abs_dfdr": float(np.abs(common["fdr_g"] - common["fdr_c_common"]).max()),
        "min_p": float(common["p_value_g"].min()),
        "sign_agree_delta_mean": float((np.sign(common["delta_mean"]) == np.sign(common["effect"])).mean()),
        "hits_fdr_0.25_gdsctools": int((common["fdr_g"] < 0.25).sum()),
        "hits_fdr_0.25_chemorad": int((common["fdr_c_common"] < 0.25).sum()),
    }


def machine() -> dict:
    cpu = "?"
    with open("/proc/cpuinfo") as fh:
        for line in fh:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as fh:
        mem_kb = int(next(line for line in fh if line.startswith("MemTotal")).split()[1])
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gib": round(mem_kb / 2**20, 1),
        "os": platform.platform(),
        "loadavg_at_start": os.getloadavg(),
    }


def report(m: dict, peer: dict, peer_plain: dict | None, runs: list[dict], cmp: dict) -> str:
    # speed-ups are against untouched gdsctools when it was timed (--gdsctools-plain), else against the hooked run
    t_ref = peer_plain["seconds_anova_all"] if peer_plain else peer["seconds_anova_all"]
    pv, c0 = peer["versions"], runs[0]
    cv, shape = c0["versions"], c0["shape"]
    load = "/".join(f"{x:.2f}" for x in m["loadavg_at_start"])
    lines = [
        f"machine: {m['nproc']} CPUs ({m['cpu']}), {m['ram_gib']} GiB RAM, {m['os']}, load avg at start {load}",
        f"gdsctools {pv['gdsctools']} (numpy {pv['numpy']}, pandas {pv['pandas']}, statsmodels {pv['statsmodels']}, "
        f"python {peer['python']}); chemorad {c0['chemorad']} (numpy {cv['numpy']}, pandas {cv['pandas']}, "
        f"python {cv['python']}; associations.py sha256 {c0['associations_sha256']})",
        f"input: {shape['lines']} lines x {shape['features']} features x {shape['drugs']} drugs, "
        f"{shape['covariates']} covariate columns (tissue dummies + MSI)",
        "",
        "| run | BLAS threads | tests | wall time (s) | speed-up vs gdsctools |",
        "| --- | --- | --: | --: | --: |",
    ]
    if peer_plain:
        lines.append(
            f"| gdsctools `anova_all()` (untouched) | {peer_plain['blas_threads']} | {peer_plain['tests']:,} | "
            f"{peer_plain['seconds_anova_all']:.1f} | 1x |"
        )
    lines.append(
        f"| gdsctools `anova_all()` (+coef/se hook, compared below) | {peer['blas_threads']} | {peer['tests']:,} | "
        f"{peer['seconds_anova_all']:.1f} | {t_ref / peer['seconds_anova_all']:.2f}x |"
    )
    for r in runs:
        best, med = min(r["seconds"]), float(np.median(r["seconds"]))
        lines.append(
            f"| chemorad `associations()` best / median of {len(r['seconds'])} | {r['blas_threads']} | "
            f"{r['tests']:,} (+{r['dropped']} dropped) | {best:.2f} / {med:.2f} | "
            f"{t_ref / best:.0f}x / {t_ref / med:.0f}x |"
        )
    outside = c0["tests"] - cmp["chemorad_on_eligible"]
    lines += [
        "",
        f"gdsctools setup (reading files, `ANOVA()`): {peer['seconds_init']:.1f} s; chemorad loading + covariates: "
        f"{c0['seconds_load']:.1f} s; gdsctools subprocess total {peer.get('seconds_subprocess', float('nan')):.1f} s.",
        f"chemorad dropped pairs: {c0['dropped_reasons']}.",
        "",
        "| agreement on the common tests | value |",
        "| --- | --: |",
        f"| pairs passing gdsctools' rule (computed here) | {cmp['eligible_by_peer_rule']:,} |",
        f"| common tests (gdsctools and chemorad) | {cmp['common']:,} |",
        f"| only gdsctools / only chemorad (within the rule) | {cmp['only_gdsctools']} / {cmp['only_chemorad']} |",
        f"| chemorad tests outside gdsctools' rule (not compared) | {outside:,} |",
        f"| n equal on every common test | {cmp['n_equal']} |",
        f"| max abs diff log10 p, all tests | {cmp['max_abs_dlog10p']:.2e} |",
        f"| max abs diff log10 p, tests with p < 0.05 | {cmp['max_abs_dlog10p_p_lt_0.05']:.2e} |",
        f"| pair with the largest log10 p difference | {cmp['worst_pair']} |",
        f"| max abs diff effect (OLS coefficient) | {cmp['max_abs_deffect']:.2e} |",
        f"| max relative diff effect | {cmp['max_rel_deffect']:.2e} |",
        f"| max abs diff se | {cmp['max_abs_dse']:.2e} |",
        f"| max abs diff FDR (BH over the common set) | {cmp['max_abs_dfdr']:.2e} |",
        f"| smallest p | {cmp['min_p']:.2e} |",
        f"| hits at FDR < 25% (gdsctools / chemorad) | {cmp['hits_fdr_0.25_gdsctools']} / "
        f"{cmp['hits_fdr_0.25_chemorad']} |",
        f"| effect sign = sign of gdsctools' unadjusted delta mean | {cmp['sign_agree_delta_mean']:.3f} |",
    ]
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--venv", type=Path, default=DEFAULT_VENV, help="gdsctools venv (built if missing)")
    ap.add_argument("--workdir", type=Path, default=None, help="where results go (default: a new temp folder)")
    ap.add_argument("--drugs", type=int, default=0, help="only the first N drugs (quick run); 0 = all")
    ap.add_argument("--repeat", type=int, default=3, help="chemorad timing repeats")
    ap.add_argument("--threads", default="1,default", help="BLAS thread settings for chemorad, comma-separated")
    ap.add_argument("--gdsctools-threads", default="1", help="BLAS threads for the gdsctools run")
    ap.add_argument("--gdsctools-result", type=Path, default=None, help="reuse a run_gdsctools.py parquet (+.json)")
    ap.add_argument("--gdsctools-plain", action="store_true", help="also time gdsctools without the coef hook")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--data", type=Path, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.worker:
        worker(args.data, args.out, args.drugs, args.repeat)
        return 0

    m = machine()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="chemorad-bench-assoc-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"results folder: {work}", flush=True)
    if not (args.venv / "bin" / "python").exists():
        subprocess.run(["bash", str(PEER_DIR / "setup_venv.sh"), str(args.venv)], check=True)
    data = peer_data_dir(args.venv)

    peer_plain = None
    if args.gdsctools_result:
        peer_path = args.gdsctools_result
        peer_meta = json.loads(peer_path.with_suffix(".json").read_text())
        peer_meta.setdefault("blas_threads", "?")
    else:
        peer_path = work / "gdsctools.parquet"
        print("running gdsctools anova_all() (about 10 min on 2 cores) ...", flush=True)
        peer_meta = run_gdsctools(args.venv, peer_path, args.drugs, plain=False, threads=args.gdsctools_threads)
        if args.gdsctools_plain:
            print("running gdsctools again, untouched ...", flush=True)
            peer_plain = run_gdsctools(
                args.venv, work / "gdsctools_plain.parquet", args.drugs, plain=True, threads=args.gdsctools_threads
            )
    print(f"gdsctools: {peer_meta['tests']:,} tests in {peer_meta['seconds_anova_all']:.1f} s", flush=True)

    runs = []
    for threads in args.threads.split(","):
        out = work / f"chemorad_threads-{threads}.parquet"
        runs.append(run_chemorad(data, out, args.drugs, args.repeat, threads))
        print(f"chemorad (BLAS threads {threads}): {runs[-1]['tests']:,} tests, {runs[-1]['seconds']} s", flush=True)

    X, Y, _, msi = load_inputs(data, args.drugs)
    eligible = peer_eligible(X, Y, msi)
    peer = pd.read_parquet(peer_path)
    mine = pd.read_parquet(work / f"chemorad_threads-{args.threads.split(',')[0]}.parquet")
    cmp = compare(peer, mine, eligible)
    text = report(m, peer_meta, peer_plain, runs, cmp)
    print()
    print(text)
    summary = {"machine": m, "gdsctools": peer_meta, "gdsctools_plain": peer_plain, "chemorad": runs, "compare": cmp}
    (work / "summary.json").write_text(json.dumps(summary, indent=1, default=str))
    (work / "summary.md").write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
