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
    ap.add_argument(
        "--zero-shot", default="all", help="therapies, comma-separated; all: every therapy of the profile table"
    )
    ap.add_argument("--out", default=str(REPO / "benchmarks" / "results_calibration.md"))
    ap.add_argument("--figures", default=str(REPO / "docs" / "figures"))
    ap.add_argument("--sections", default="cv,zeroshot,loeo", help="comma-separated: cv, zeroshot, loeo")
    ap.add_argument("--loeo-steps", type=int, default=800)
    args = ap.parse_args(argv)

    from chemorad.bundle import datasets as ds
    from chemorad.calibration import predict as P
    from chemorad.calibration.data import DATASETS, bundle_data
    from chemorad.calibration.infer import Calibrator, Settings
    from chemorad.calibration.infer import to_inference_data as to_idata
    from chemorad.calibration.spec import chain_spec
    from chemorad.catalog import catalog
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
    oof_sf = np.full((d.n_lines, 3, len(P.YARD_GRID_GY)), np.nan)  # out-of-fold 5/50/95% SF curves (no assay noise)
    cover_hits, cover_n = [], []
    yard_hits, yard_n = [], []
    pit_drug, pit_yard = [], []  # probability integral transforms of held-out observations
    fold_times = []
    skip_folds = "cv" not in sections
    if not skip_folds:
        for k in range(5):
            tk = time.perf_counter()
            held = fold == k
            idata, diag = fit(d.mask_lines(held), k)
            rows = np.flatnonzero(held)
            got = P.rows_predictive(spec, d, idata, rows, seed=k)
            for c in range(len(d.columns)):
                pred = d.col_centre[c] + d.col_scale[c] * got["drug"][:, :, c]
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
                pit_drug.append(np.mean(pred[:, idx] < obs_val[keep], axis=0))
            if rad >= 0:
                sf = got["yard_sf"]
                oof_yard[rows] = np.median(np.trapezoid(sf, P.YARD_GRID_GY, axis=2), axis=0)
                oof_sf[rows] = np.quantile(sf, [0.05, 0.5, 0.95], axis=0).transpose(1, 0, 2)
                # coverage of the observed surviving fractions (assay noise sigma_yard included)
                pos = {r: i for i, r in enumerate(rows)}
                sel = np.array([r in pos for r in d.yard_line])
                gi = np.searchsorted(P.YARD_GRID_GY, d.yard_dose_gy[sel])
                li = np.array([pos[r] for r in d.yard_line[sel]], dtype=int)
                noise = np.random.default_rng(k).normal(size=(sf.shape[0], len(li)))
                sig = P.draws(idata, "sigma_yard")[:, None]
                pred = sf[:, li, gi] + noise * sig
                lo, hi = np.quantile(pred, 0.05, axis=0), np.quantile(pred, 0.95, axis=0)
                obs = d.yard_sf[sel]
                yard_hits.append(int(((obs >= lo) & (obs <= hi)).sum()))
                pit_yard.append(np.mean(pred < obs, axis=0))
                yard_n.append(int(sel.sum()))
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
    zs_therapies = args.zero_shot.split(",")
    if args.zero_shot == "all":
        zs_therapies = [t for t in dict.fromkeys(prof["therapy"]) if t in spec.therapies]
    # naive zero-shot baseline: the line's mean standardised response to every other therapy (general sensitivity)
    z_resp = {}
    for col in d.columns:
        y = resp[col].reindex(lines).to_numpy(dtype=float)
        z_resp[col] = (y - np.nanmean(y)) / np.nanstd(y)

    def others_mean(t: int) -> np.ndarray:
        cols = [col for c, col in enumerate(d.columns) if d.col_therapy[c] != t]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanmean(np.stack([z_resp[c] for c in cols]), axis=0)

    def ref(tid, dataset, metric, key):
        row = prof[(prof["therapy"] == tid) & (prof["dataset"] == dataset) & (prof["metric"] == metric)]
        return row[key].iloc[0] if len(row) else ""

    def cv_rho(tid, dataset, metric):
        if skip_folds:
            return ""
        row = res[(res["therapy"] == tid) & (res["dataset"] == dataset) & (res["metric"] == metric)]
        return f"{row['calibrated'].iloc[0]:.3f}" if len(row) else ""

    for tid in [t for t in zs_therapies if t and "zeroshot" in sections]:
        t = spec.therapy_index(tid)
        idata, diag = fit(d.mask_therapy(t), 100 + t)
        rows = np.arange(d.n_lines)
        got = P.rows_predictive(spec, d, idata, rows, seed=t, seen=True)
        naive = others_mean(t)
        targets = []
        if spec.is_radiation[t]:
            targets.append(("yard", "auc", np.median(P.yard_auc(got["yard_sf"]), axis=0), yard_auc))
        for c, col in enumerate(d.columns):
            if d.col_therapy[c] == t:
                pred = np.median(d.col_centre[c] + d.col_scale[c] * got["mean_drug"][:, :, c], axis=0)
                targets.append((*col.split("|")[::2], pred, resp[col]))
        for dataset, metric, pred, obs in targets:
            r, n = rho(pred, obs)
            r_naive, _ = rho(naive, obs)
            zs_rows.append(
                (tid, f"{dataset} {metric}", n, r, r_naive, cv_rho(tid, dataset, metric),
                 ref(tid, dataset, metric, "tissue-only"), ref(tid, dataset, metric, "expression ridge"))
            )  # fmt: skip
        print(f"zero-shot {tid} done", file=sys.stderr)

    # leave-one-experiment-out on the perturbation table (perturbation likelihood only, see the module docstring)
    from chemorad.calibration.loeo import leave_one_out
    from chemorad.chain.perturbations import check

    t_loeo = time.perf_counter()
    if "loeo" in sections:
        lo = leave_one_out(
            cat,
            spec,
            steps=args.loeo_steps,
            draws=100,
            progress=lambda k, n: k % 10 == 0 and print(f"LOEO {k}/{n}", file=sys.stderr, flush=True),
        )
        within = lo["within_2_fold"].to_numpy()
        radm = (lo["modality"] == "radiation").to_numpy()
        unc = check(cat).set_index("id").reindex(lo["id"])
        unc_within = unc["within_2_fold"].astype(bool).to_numpy()
        independent = ~unc["used_for_size"].astype(bool).to_numpy()
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
            f"{np.sum(cover_hits) / max(np.sum(cover_n), 1):.3f} of {int(np.sum(cover_n))} observations; Yard "
            f"surviving fractions (assay noise included): {np.sum(yard_hits) / max(np.sum(yard_n), 1):.3f} of "
            f"{int(np.sum(yard_n))}."
        )
        log("")
        pits = {"drug columns": np.concatenate(pit_drug), "Yard surviving fractions": np.concatenate(pit_yard)}
        log("| held-out observations | 50% | 80% | 90% | 95% |")
        log("| --- | --- | --- | --- | --- |")
        for name, pit in pits.items():
            cov = [np.mean(np.abs(pit - 0.5) <= lv / 2) for lv in (0.5, 0.8, 0.9, 0.95)]
            log(f"| {name} | " + " | ".join(f"{c:.3f}" for c in cov) + " |")
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
        log(
            "Naive zero-shot baseline: the line's mean standardised response to every other therapy (its general "
            "sensitivity, read straight from the data). The last three columns see the therapy's own data."
        )
        log("")
        log(
            "| therapy | response | n | zero-shot calibrated chain | naive (other therapies' mean) | calibrated chain "
            "(CV) | tissue-only | 5,778-gene ridge |"
        )
        log("| --- | --- | --- | --- | --- | --- | --- | --- |")
        for tid, what, n, r, r_naive, r_cv, tis, gene in zs_rows:
            log(f"| {tid} | {what} | {n} | {r:.3f} | {r_naive:.3f} | {r_cv} | {tis} | {gene} |")
        zs = pd.DataFrame(zs_rows, columns=["t", "w", "n", "zs", "naive", "cv", "tis", "gene"])
        tis_num = pd.to_numeric(zs["tis"], errors="coerce")
        log("")
        log(
            f"Zero-shot at least equal to the naive baseline in {int((zs['zs'] >= zs['naive']).sum())} of {len(zs)} "
            f"responses, to tissue-only in {int((zs['zs'] >= tis_num).sum())}; medians: zero-shot "
            f"{zs['zs'].median():.3f}, naive {zs['naive'].median():.3f}, tissue-only {tis_num.median():.3f}."
        )
        log("")
    if "loeo" in sections:
        log("## Perturbation table: leave-one-experiment-out (within 2-fold of the measured value)")
        log("")
        log("| modality | entries | calibrated (LOEO) | uncalibrated chain |")
        log("| --- | --- | --- | --- |")
        for name, sel in (
            ("radiation", radm),
            ("drugs", ~radm),
            ("radiation, entries no catalog size was taken from", radm & independent),
            ("drugs, entries no catalog size was taken from", ~radm & independent),
        ):
            log(f"| {name} | {int(sel.sum())} | {int(within[sel].sum())} | {int(unc_within[sel].sum())} |")
        log("")
        log(
            "The priors of a LOEO fit are centred on the catalog's sizes, and some sizes were taken from perturbation "
            "entries (`used_for_size`): for those entries the left-out experiment still reaches the fit through its "
            "prior, so only the rows 'no catalog size was taken from' are out-of-sample in the strict sense."
        )
        log("")
        log(f"LOEO fits: {n_p} x {args.loeo_steps} steps, {t_loeo:.0f} s in all.")
    Path(args.out).write_text("\n".join(out) + "\n")
    if not skip_folds:
        _figures(args.figures, d, oof, resp, lines, DATASETS)
        _coverage_figure(args.figures, pits)
        _yard_figure(args.figures, d, oof_sf, P.YARD_GRID_GY)
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


def _yard_figure(folder: str, d, oof_sf: np.ndarray, grid: np.ndarray) -> None:
    """Posterior predictive check of the Yard curves: six held-out lines (the first of each of six tissues), measured
    surviving fractions against the out-of-fold median and 90% band of the chain (no assay noise)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    picks, seen = [], set()
    for line in np.unique(d.yard_line):
        if d.tissue[line] not in seen and np.isfinite(oof_sf[line]).all():
            picks.append(line)
            seen.add(d.tissue[line])
        if len(picks) == 6:
            break
    fig, axes = plt.subplots(1, len(picks), figsize=(2.6 * len(picks), 2.8), sharey=True)
    for ax, line in zip(np.atleast_1d(axes), picks, strict=False):
        lo, med, hi = oof_sf[line]
        ax.fill_between(grid, lo, hi, alpha=0.3)
        ax.plot(grid, med)
        sel = d.yard_line == line
        ax.plot(d.yard_dose_gy[sel], d.yard_sf[sel], "o", ms=3, color="black")
        ax.set_yscale("log")
        ax.set_title(f"{d.lines[line]} ({d.tissues[d.tissue[line]]})", fontsize=7)
        ax.set_xlabel("dose (Gy)")
    np.atleast_1d(axes)[0].set_ylabel("surviving fraction")
    fig.tight_layout()
    fig.savefig(Path(folder) / "calibration_yard_ppc.png", dpi=110)


def _coverage_figure(folder: str, pits: dict) -> None:
    """Calibration of the posterior predictive intervals on held-out lines: empirical against nominal coverage of
    equal-tailed intervals, and the histogram of the probability integral transform (flat when calibrated)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    levels = np.linspace(0.05, 0.99, 40)
    fig, (a, b) = plt.subplots(1, 2, figsize=(8, 3.6))
    for name, pit in pits.items():
        a.plot(levels, [np.mean(np.abs(pit - 0.5) <= lv / 2) for lv in levels], label=name)
        b.hist(pit, bins=20, range=(0, 1), density=True, histtype="step", label=name)
    a.plot([0, 1], [0, 1], color="grey", lw=0.8, ls="--")
    a.set_xlabel("nominal coverage")
    a.set_ylabel("empirical coverage (held-out lines)")
    b.axhline(1.0, color="grey", lw=0.8, ls="--")
    b.set_xlabel("PIT of the observation")
    b.set_ylabel("density")
    a.legend(fontsize=7)
    fig.tight_layout()
    Path(folder).mkdir(parents=True, exist_ok=True)
    fig.savefig(Path(folder) / "calibration_coverage.png", dpi=110)


if __name__ == "__main__":
    sys.exit(main())
