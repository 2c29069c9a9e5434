"""The calibrated chain on grouped folds by line: accuracy per primary response next to the profile table's contenders,
zero-shot therapies, 90% interval coverage, leave-one-experiment-out on the perturbation table, and cost.

    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_calibration.py [--steps 2500] [--zero-shot radiotherapy,cisplatin]
        [--out benchmarks/results_calibration.md] [--figures docs/figures]

Protocol
--------
- Folds: `chemorad.profile.model.line_folds` over the union of the bundle's response and marker lines, 5 folds, seed 0:
  the assignment of `benchmarks/bench_profile.py` (results_profile.md), so the marker ridge, 5,778-gene ridge and
  tissue-only numbers are read from that table for the same folds. For fold k the calibration sees every observation
  except those of the fold's lines (their rows stay, masked: the model treats them as unseen lines, general-sensitivity
  term predicted from proliferation genes, eps drawn from its prior); the held-out lines are predicted from the
  posterior (median of the posterior predictive). Spearman rho of pooled out-of-fold predictions with the observed
  primary response (Yard AUC, GDSC ln IC50, CTRP AUC) on the lines that also have GDSC expression (the profile
  table's lines).
- Coverage: share of held-out observations inside their 90% posterior predictive interval (drug columns; Yard AUC
  intervals carry no assay noise and are reported separately).
- Zero-shot: every observation of one therapy removed (radiation: the Yard curves); the therapy is then predicted for
  every line from what the other therapies taught about the line (eps posterior) and the shared stages; Spearman next
  to the tissue-only figure of results_profile.md (which does see that therapy's data).
- Leave-one-experiment-out (perturbations): for each entry, a calibration on the perturbation table without it (the
  cell-line data are not refitted per entry: the entries act on the reference cell, so they inform the effect sizes
  only; the cell-line likelihood is left out of these fits to make 100+ fits affordable), then the entry's value
  predicted (posterior median) and counted within 2-fold; radiation and drugs apart, next to the uncalibrated chain.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

warnings.filterwarnings("ignore")

REPO = Path(__file__).resolve().parents[1]


def _profile_table() -> pd.DataFrame:
    """The primary-metric table of results_profile.md (same folds)."""
    text = (REPO / "benchmarks" / "results_profile.md").read_text().splitlines()
    start = next(i for i, s in enumerate(text) if s.startswith("### Primary metric"))
    rows = [s for s in text[start:] if s.startswith("| ")]
    head = [c.strip() for c in rows[0].strip("|").split("|")]
    body = [[c.strip() for c in r.strip("|").split("|")] for r in rows[2:]]
    body = [b for b in body if len(b) == len(head)]
    t = pd.DataFrame(body, columns=head)
    return t


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=2500)
    ap.add_argument("--zero-shot", default="radiotherapy,cisplatin,doxorubicin")
    ap.add_argument("--out", default=str(REPO / "benchmarks" / "results_calibration.md"))
    ap.add_argument("--figures", default=str(REPO / "docs" / "figures"))
    ap.add_argument("--sections", default="cv,zeroshot,loeo", help="comma-separated: cv, zeroshot, loeo")
    ap.add_argument("--loeo-steps", type=int, default=800)
    args = ap.parse_args(argv)

    from chemorad.calibration import predict as P
    from chemorad.calibration.data import DATASETS, bundle_data
    from chemorad.calibration.infer import Calibrator, Settings
    from chemorad.calibration.infer import to_inference_data as to_idata
    from chemorad.calibration.spec import chain_spec
    from chemorad.catalog import catalog
    from chemorad.evidence import datasets as ds
    from chemorad.evidence.responses import responses
    from chemorad.profile.model import line_folds

    sections = set(args.sections.split(","))
    out: list[str] = []
    log = lambda s: (print(s, file=sys.stderr, flush=True), out.append(s))  # noqa: E731
    t_all = time.perf_counter()
    cat = catalog()
    spec = chain_spec(cat)
    d = bundle_data(cat, spec)
    resp = responses(cat)
    expr_lines = set(ds.load_expression(genes=["MKI67"]).index.astype(str))
    folds_all = line_folds(resp.index.union(pd.Index(d.lines)), 5, 0)
    fold = folds_all.reindex(list(d.lines)).to_numpy()
    settings = Settings(steps=args.steps, draws=200, check=False)
    t0 = time.perf_counter()
    cal = Calibrator(spec, d, settings) if sections & {"cv", "zeroshot"} else None
    yard_auc = ds.load_yard()["auc_yard"]
    rad = d.yard_therapy

    def fit(mask, seed):
        samples, stats, diag = cal.fit(mask, seed)
        return to_idata(spec, d, samples, stats, settings, diag), diag

    oof = {c: np.full(d.n_lines, np.nan) for c in d.columns}
    oof_yard = np.full(d.n_lines, np.nan)
    cover_hits, cover_n = [], []
    fold_times = []
    skip_folds = "cv" not in sections
    if not skip_folds:
        for k in range(5):
            tk = time.perf_counter()
            held = fold == k
            idata, diag = fit(d.mask_lines(held), k)
            rows = np.flatnonzero(held)
            ln_d, ell = P.ln_dose_draws(spec, d, idata, rows, seed=k)
            for c in range(len(d.columns)):
                pred = P.column_draws(spec, d, idata, ln_d, c, noise=True, seed=k)
                oof[d.columns[c]][rows] = np.median(pred, axis=0)
                lo, hi = np.quantile(pred, 0.05, axis=0), np.quantile(pred, 0.95, axis=0)
                sel = d.obs_column == c
                obs_rows = d.obs_line[sel]
                obs_val = d.col_centre[c] + d.col_scale[c] * d.obs_value[sel]
                pos = {r: i for i, r in enumerate(rows)}
                keep = np.array([r in pos for r in obs_rows])
                idx = np.array([pos[r] for r in obs_rows[keep]], dtype=int)
                cover_hits.append(((obs_val[keep] >= lo[idx]) & (obs_val[keep] <= hi[idx])).sum())
                cover_n.append(keep.sum())
            if rad >= 0:
                auc = P.yard_auc_draws(spec, d, idata, rows, ell)
                oof_yard[rows] = np.median(auc, axis=0)
            fold_times.append(time.perf_counter() - tk)
            print(f"fold {k}: {fold_times[-1]:.0f} s, ELBO change {diag['elbo_relative_change']:.4f}", file=sys.stderr)
    t_cv = time.perf_counter() - t0

    prof = _profile_table()
    lines = np.array(d.lines)
    with_expr = np.array([x in expr_lines for x in lines])
    rows_out = []

    def rho(pred, obs_series):
        obs = obs_series.reindex(lines).to_numpy(dtype=float)
        ok = np.isfinite(pred) & np.isfinite(obs) & with_expr
        return (float(spearmanr(pred[ok], obs[ok]).statistic) if ok.sum() > 10 else np.nan), int(ok.sum())

    if not skip_folds:
        r_y, n_y = rho(oof_yard, yard_auc)
        rows_out.append(("radiotherapy", "yard", "auc", n_y, r_y))
        for c, col in enumerate(d.columns):
            dataset, compound, metric = col.split("|")
            r, n = rho(oof[col], resp[col])
            rows_out.append((spec.therapies[d.col_therapy[c]], dataset, metric, n, r))
        res = pd.DataFrame(rows_out, columns=["therapy", "dataset", "metric", "n", "calibrated"])
        merged = res.merge(prof, on=["therapy", "dataset", "metric"], how="left", suffixes=("", "_profile"))
        for c in ("chemorad", "tissue-only", "expression ridge"):
            merged[c] = pd.to_numeric(merged[c], errors="coerce")
        cyto = merged[merged["chemorad"].notna()].copy()

    # zero-shot
    zs_rows = []
    for tid in [t for t in args.zero_shot.split(",") if t and "zeroshot" in sections]:
        t = spec.therapy_index(tid)
        idata, diag = fit(d.mask_therapy(t), 100 + t)
        rows = np.arange(d.n_lines)
        ln_d, ell = P.ln_dose_draws(spec, d, idata, rows, seed=t, seen=True)
        if spec.is_radiation[t]:
            pred = np.median(P.yard_auc_draws(spec, d, idata, rows, ell), axis=0)
            r, n = rho(pred, yard_auc)
            tis = prof[(prof["therapy"] == tid) & (prof["dataset"] == "yard") & (prof["metric"] == "auc")]
            zs_rows.append((tid, "yard auc", n, r, tis["tissue-only"].iloc[0] if len(tis) else ""))
        for c, col in enumerate(d.columns):
            if d.col_therapy[c] != t:
                continue
            pred = np.median(P.column_draws(spec, d, idata, ln_d, c, noise=False), axis=0)
            r, n = rho(pred, resp[col])
            dataset, _, metric = col.split("|")
            tis = prof[(prof["therapy"] == tid) & (prof["dataset"] == dataset) & (prof["metric"] == metric)]
            zs_rows.append((tid, f"{dataset} {metric}", n, r, tis["tissue-only"].iloc[0] if len(tis) else ""))
        print(f"zero-shot {tid} done", file=sys.stderr)

    # leave-one-experiment-out on the perturbation table (perturbation likelihood only, see the module docstring)
    from chemorad.calibration.loeo import leave_one_out
    from chemorad.chain.perturbations import check

    t_loeo = time.perf_counter()
    if "loeo" in sections:
        lo = leave_one_out(cat, spec, steps=args.loeo_steps, draws=100)
        within = lo["within_2_fold"].to_numpy()
        radm = (lo["modality"] == "radiation").to_numpy()
        unc = check(cat).set_index("id").reindex(lo["id"])
        unc_within = unc["within_2_fold"].astype(bool).to_numpy()
        n_p = len(lo)
    t_loeo = time.perf_counter() - t_loeo

    # ------------------------------------------------------------------ report
    mem = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    log("# Calibrated damage chain: grouped cross-validation, zero-shot therapies, perturbations, cost")
    log("")
    log(
        f"Command: `OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_calibration.py --steps {args.steps}` "
        f"(run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}). Machine: {platform.system()} "
        f"{platform.release()}, {os.cpu_count()} logical CPUs shared with other jobs (load average "
        f"{os.getloadavg()[0]:.0f} at the end), Python {platform.python_version()}."
    )
    log(
        f"Total {time.perf_counter() - t_all:.0f} s; cross-validation {t_cv:.0f} s (first fit includes compilation; "
        f"fold fits {', '.join(f'{x:.0f}' for x in fold_times)} s); peak memory {mem:.0f} MB. VI, mean-field normal "
        f"guide, {args.steps} Adam steps per fit, 200 posterior draws."
    )
    log("")
    if not skip_folds:
        log("## Accuracy per primary response (Spearman of pooled out-of-fold predictions; 5 folds by line, seed 0)")
        log("")
        log(
            "Marker ridge (`chemorad` in results_profile.md), gene ridge and tissue-only are read from "
            "results_profile.md (same folds; n there may differ by a few lines)."
        )
        log("")
        log(
            "| therapy | dataset | metric | n | calibrated chain | marker ridge | 5,778-gene ridge | tissue-only "
            "| best |"
        )
        log("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        wins = {"ridge": 0, "gene": 0, "tissue": 0}
        for r in cyto.itertuples():
            gene = merged.loc[r.Index, "expression ridge"]
            tissue = merged.loc[r.Index, "tissue-only"]
            vals = {"calibrated": r.calibrated, "marker ridge": r.chemorad, "gene ridge": gene, "tissue-only": tissue}
            best = max(vals, key=lambda k: -np.inf if not np.isfinite(vals[k]) else vals[k])
            wins["ridge"] += r.calibrated >= r.chemorad
            wins["gene"] += r.calibrated >= gene
            wins["tissue"] += r.calibrated >= tissue
            log(
                f"| {r.therapy} | {r.dataset} | {r.metric} | {r.n} | {r.calibrated:.3f} | {r.chemorad:.3f} | "
                f"{gene:.3f} | {tissue:.3f} | {best} |"
            )
        log("")
        log(
            f"Calibrated chain at least equal to: the marker ridge in {wins['ridge']} of {len(cyto)}, "
            f"the gene ridge in {wins['gene']} of {len(cyto)}, tissue-only in {wins['tissue']} of {len(cyto)} "
            "responses "
            f"(median rho: calibrated {cyto['calibrated'].median():.3f}, marker ridge {cyto['chemorad'].median():.3f}, "
            f"gene ridge {cyto['expression ridge'].median():.3f}, tissue-only {cyto['tissue-only'].median():.3f})."
        )
        log("")
        log(
            f"Coverage of the 90% posterior predictive intervals on held-out lines (drug columns): "
            f"{np.sum(cover_hits) / max(np.sum(cover_n), 1):.3f} of {int(np.sum(cover_n))} observations."
        )
        log("")
        other = res[~res.index.isin(cyto.index)]
        if len(other):
            log(
                "Responses outside the profile table (targeted agents, secondary columns): "
                + ", ".join(f"{r.therapy} {r.dataset} {r.calibrated:.3f}" for r in other.itertuples())
            )
            log("")
    if zs_rows:
        log("## Zero-shot therapies (all of the therapy's observations removed from the calibration)")
        log("")
        log("| therapy | response | n | zero-shot calibrated chain | tissue-only (sees the therapy) |")
        log("| --- | --- | --- | --- | --- |")
        for tid, what, n, r, tis in zs_rows:
            log(f"| {tid} | {what} | {n} | {r:.3f} | {tis} |")
        log("")
    if "loeo" in sections:
        log("## Perturbation table: leave-one-experiment-out (within 2-fold of the measured value)")
        log("")
        log("| modality | entries | calibrated (LOEO) | uncalibrated chain |")
        log("| --- | --- | --- | --- |")
        for name, sel in (("radiation", radm), ("drugs", ~radm)):
            log(f"| {name} | {int(sel.sum())} | {int(within[sel].sum())} | {int(unc_within[sel].sum())} |")
        log("")
        log(f"LOEO fits: {n_p} x {args.loeo_steps} steps, {t_loeo:.0f} s in all.")
    Path(args.out).write_text("\n".join(out) + "\n")
    if not skip_folds:
        _figures(args.figures, d, oof, resp, lines, DATASETS)
    return 0


def _figures(folder: str, d, oof: dict, resp: pd.DataFrame, lines: np.ndarray, datasets) -> None:
    """Posterior predictive check: out-of-fold median prediction vs observed for four primary responses."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = [c for c in d.columns if np.isfinite(oof[c]).any()][:4]
    if not cols:
        return
    fig, axes = plt.subplots(1, len(cols), figsize=(4 * len(cols), 3.6))
    for ax, col in zip(np.atleast_1d(axes), cols, strict=False):
        obs = resp[col].reindex(lines).to_numpy(dtype=float)
        ok = np.isfinite(obs) & np.isfinite(oof[col])
        ax.scatter(oof[col][ok], obs[ok], s=6, alpha=0.5)
        ax.set_xlabel("out-of-fold posterior median")
        ax.set_ylabel("observed")
        ax.set_title(col.replace("|", " "), fontsize=8)
    fig.tight_layout()
    Path(folder).mkdir(parents=True, exist_ok=True)
    fig.savefig(Path(folder) / "calibration_ppc.png", dpi=110)


if __name__ == "__main__":
    sys.exit(main())
