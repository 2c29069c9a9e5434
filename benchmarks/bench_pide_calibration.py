"""Calibration with clonogenic curves: does PIDE 3.4 (published clonogenic survival) help the radiation calibration?

    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_pide_calibration.py [--steps 2500] [--out FILE] [--keep DIR]

Needs the optional PIDE folder beside the bundle (`chemorad data` says where); PIDE is cited as Friedrich T, Pfuhl T,
Scholz M 2021, J Radiat Res 62:645, PMC8273790, and each curve's own publication is in its data. Nothing of PIDE is
written to the repository but the summary figures below.

Split (written down before any fit; seeds fixed)
------------------------------------------------
- P: the lines of the calibration data (bundle lines with catalog markers and a tissue) with at least one usable PIDE
  photon curve (`calibration.clonogenic.curve_observations`). `numpy.random.default_rng(0).permutation` of P (sorted
  by name); the first floor(|P| / 2) are the PIDE test half, the rest the PIDE train half.
- Y: a random 20% (`default_rng(1)`, of the lines with Yard curves and no PIDE curve, sorted by name): the Yard
  held-out lines; every observation of theirs (Yard, drugs) is masked in both fits.
- Fit A, Yard only: every observation but Y's; no clonogenic curve.
- Fit B, Yard + PIDE train half: fit A's observations plus the curves of the PIDE train half.
- Both: one compiled model (`calibration.infer.Calibrator`, the masks differ), the same seed 0, --steps Adam steps
  (default 2,500, the setting of bench_calibration.py's folds: the full 6,000 of `chemorad calibrate` costs ~2.4x on a
  2-core machine shared by others), normal guide, learning rate 0.01, 200 draws, diagnostics reported not enforced.

Comparisons
-----------
- PIDE test half (their Yard and drug observations are in both fits, their PIDE curves in neither): Spearman of the
  posterior median of the chain's log-kill at 2 Gy, ln(-ln SF_chain(2 Gy e^-ell)) (the model's clonogenic mean without
  its offset, which does not change ranks), with each line's measured median ln(2 alpha + 4 beta), and with its median
  alpha.
- Yard held-out lines (seen by neither fit): Spearman of the posterior median Yard AUC (0-10 Gy) with the measured AUC,
  and the root mean square error of the posterior median surviving fraction at the measured doses.
- Radiation effect sizes (catalog effects acting on radiotherapy): the ratio B / A of each 90% interval width of theta
  (median and range over the effects).
- Verdicts (`calibration.verdicts.mechanism_verdicts`, the code `chemorad specificity --verdicts` uses) on each
  posterior: decided verdicts (not `undetermined`) and radiation states that are decided (`touched` or `untouched`).
- Context: the replicate spread that sets PIDE's noise scale (`calibration.clonogenic.replicate_sd`), and how Yard's
  AUC ranks PIDE's SF2 on all the shared lines (the ceiling of what Yard-trained radiosensitivity can say about
  clonogenic survival).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

warnings.filterwarnings("ignore")

REPO = Path(__file__).resolve().parents[1]
#: index of 2 Gy on `calibration.predict.YARD_GRID_GY` (0, 0.5, ..., 10 Gy)
GRID_2GY = 4


def _rho(x, y) -> tuple[float, int]:
    ok = np.isfinite(x) & np.isfinite(y)
    return (float(spearmanr(x[ok], y[ok]).statistic) if ok.sum() > 3 else float("nan")), int(ok.sum())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=2500)
    ap.add_argument("--out", default=str(REPO / "benchmarks" / "results_pide_calibration.md"))
    ap.add_argument("--keep", default="", help="folder for the two posteriors (reused when present: report only)")
    args = ap.parse_args(argv)

    import arviz as az

    from chemorad.bundle import datasets as ds
    from chemorad.bundle.pide import named_curves
    from chemorad.calibration import predict as P
    from chemorad.calibration.clonogenic import log_kill, replicate_sd
    from chemorad.calibration.data import bundle_data
    from chemorad.calibration.infer import Calibrator, Settings, to_inference_data
    from chemorad.calibration.posterior import draws
    from chemorad.calibration.spec import chain_spec
    from chemorad.calibration.verdicts import mechanism_verdicts
    from chemorad.catalog import catalog

    out: list[str] = []
    log = lambda s: (print(s, file=sys.stderr, flush=True), out.append(s))  # noqa: E731
    t_all = time.perf_counter()
    load0 = os.getloadavg()
    cat = catalog()
    spec = chain_spec(cat)
    d = bundle_data(cat, spec, optional=("pide",))
    lines = np.array(d.lines)
    curves, _ = named_curves(ds.data_dir())
    y_all = log_kill(curves["alpha"], curves["beta"])
    rep_sd, rep_dof, rep_lines, rep_curves = replicate_sd(y_all, curves["cell_line"])

    # ---- the split (module docstring), before any fit
    P_lines = np.array(sorted(set(lines[d.clono_line])))
    perm = np.random.default_rng(0).permutation(P_lines)
    test_p, train_p = np.sort(perm[: len(perm) // 2]), np.sort(perm[len(perm) // 2 :])
    yard_only = np.array(sorted(set(lines[d.yard_line]) - set(P_lines)))
    held_y = np.sort(np.random.default_rng(1).permutation(yard_only)[: len(yard_only) // 5])
    drop = np.isin(lines, held_y)
    base = d.mask_lines(drop)
    in_train = np.isin(lines[d.clono_line], train_p)
    mask_a = replace(base, clonogenic=np.zeros(len(d.clono_value), bool))
    mask_b = replace(base, clonogenic=in_train)

    settings = Settings(steps=args.steps, draws=200, check=False)
    cal = Calibrator(spec, d, settings)
    fits = {}
    reused: list[str] = []  # fits read back from --keep: their times are reading times
    for name, mask in (("A", mask_a), ("B", mask_b)):
        t0 = time.perf_counter()
        kept = Path(args.keep) / f"fit_{name}.nc" if args.keep else None
        if kept is not None and kept.is_file():
            reused.append(name)
            idata = az.from_netcdf(kept)
            diag = json.loads(idata.posterior.attrs["diagnostics"])
        else:
            samples, stats, diag = cal.fit(mask, 0)
            idata = to_inference_data(spec, d, samples, stats, settings, diag)
            if kept is not None:
                kept.parent.mkdir(parents=True, exist_ok=True)
                idata.to_netcdf(kept)
        fits[name] = (idata, diag, time.perf_counter() - t0)
        print(f"fit {name}: {fits[name][2]:.0f} s, ELBO change {diag['elbo_relative_change']:.4f}", file=sys.stderr)

    # ---- measured per line
    per_line = curves.assign(y=y_all).groupby("cell_line")[["y", "alpha", "sf2"]].median()
    rows_p = np.flatnonzero(np.isin(lines, test_p))
    rows_y = np.flatnonzero(drop)
    yard = ds.load_yard()
    auc_obs = yard["auc_yard"].reindex(lines[rows_y]).to_numpy(dtype=float)
    rad_t = d.yard_therapy
    # Yard's own log-kill at 2 Gy of the PIDE test lines (NaN without a Yard curve; a 9-day SF may exceed 1)
    sf2_yard = yard["sf_2gy"].reindex(lines[rows_p]).to_numpy(dtype=float)
    yard_kill_p = np.log(np.where(sf2_yard < 1, -np.log(np.clip(sf2_yard, 1e-9, None)), np.nan))
    r_yard_direct = _rho(yard_kill_p, per_line.reindex(lines[rows_p])["y"].to_numpy())
    rad_effects = np.unique(spec.pairs[spec.pairs[:, 0] == rad_t, 3])
    res = {}
    for name, (idata, diag, secs) in fits.items():
        got = P.rows_predictive(spec, d, idata, rows_p, seed=0, seen=True)
        kill = np.median(np.log(np.maximum(-np.log(got["yard_sf"][:, :, GRID_2GY]), 1e-9)), axis=0)
        meas = per_line.reindex(lines[rows_p])
        r_kill = _rho(kill, meas["y"].to_numpy())
        r_alpha = _rho(kill, meas["alpha"].to_numpy())
        r_self = _rho(kill, yard_kill_p)  # in-sample check: the fit against the test lines' own Yard SF at 2 Gy
        gy = P.rows_predictive(spec, d, idata, rows_y, seed=0, seen=False)["yard_sf"]
        med = np.median(gy, axis=0)
        r_auc = _rho(np.trapezoid(med, P.YARD_GRID_GY, axis=1), auc_obs)
        pos = {r: i for i, r in enumerate(rows_y)}
        sel = np.isin(d.yard_line, rows_y)
        gi = np.searchsorted(P.YARD_GRID_GY, d.yard_dose_gy[sel])
        li = np.array([pos[r] for r in d.yard_line[sel]], dtype=int)
        rmse = float(np.sqrt(np.mean((med[li, gi] - d.yard_sf[sel]) ** 2)))
        theta = draws(idata, "theta")[:, rad_effects]
        width = np.quantile(theta, 0.95, axis=0) - np.quantile(theta, 0.05, axis=0)
        v = mechanism_verdicts(cat, spec, idata)
        decided = int((v["verdict"] != "undetermined").sum())
        rad_decided = int(v["state_radiation"].isin(["touched", "untouched"]).sum())
        res[name] = dict(
            kill=r_kill, alpha=r_alpha, self=r_self, auc=r_auc, rmse=rmse, width=width, decided=decided,
            rad_decided=rad_decided, n_verdicts=len(v), diag=diag, secs=secs, idata=idata,
        )  # fmt: skip

    # ---- report
    log("## Calibration with clonogenic curves (PIDE 3.4)")
    log("")
    log(
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, shared (load average {load0[0]:.1f} at the start, "
        f"{os.getloadavg()[0]:.1f} at the end); {args.steps} VI steps per fit, 200 draws; whole run "
        f"{time.perf_counter() - t_all:.0f} s (fit A {res['A']['secs']:.0f} s incl. compilation, fit B "
        f"{res['B']['secs']:.0f} s{'; read back from --keep: ' + ', '.join(reused) if reused else ''}). Split: module "
        "docstring of benchmarks/bench_pide_calibration.py."
    )
    log("")
    log(
        f"Data: {len(P_lines)} calibration lines with PIDE curves ({len(d.clono_value)} curves): PIDE test half "
        f"{len(test_p)} lines, train half {len(train_p)} lines ({int(in_train.sum())} curves); Yard held-out "
        f"{len(held_y)} lines ({int(sel.sum())} surviving fractions). PIDE's replicate spread: pooled within-line sd "
        f"of ln(2 alpha + 4 beta) {rep_sd:.3f} ({rep_lines} lines with >= 2 curves, {rep_curves} curves, {rep_dof} "
        "degrees of freedom; the registry's noise scale 0.6 is about twice it)."
    )
    shared = per_line.reindex(P_lines)
    r_ctx = _rho(yard["auc_yard"].reindex(P_lines).to_numpy(dtype=float), shared["sf2"].to_numpy())
    log("")
    log(
        f"Context: Yard AUC against PIDE SF2 on all {r_ctx[1]} shared calibration lines, Spearman {r_ctx[0]:.3f} "
        "(both higher = more resistant)."
    )
    log(
        f"Direct, no model: Yard's measured log-kill at 2 Gy against PIDE's on the {r_yard_direct[1]} PIDE test lines "
        f"with a Yard curve, Spearman {r_yard_direct[0]:.3f}."
    )
    log("")
    log("| comparison | n | fit A: Yard only | fit B: Yard + PIDE train half |")
    log("| --- | --- | --- | --- |")
    a, b = res["A"], res["B"]
    log(f"| PIDE test half: rho(predicted log-kill, measured ln(-ln SF2)) | {a['kill'][1]} | {a['kill'][0]:.3f} | "
        f"{b['kill'][0]:.3f} |")  # fmt: skip
    log(f"| PIDE test half: rho(predicted log-kill, measured alpha) | {a['alpha'][1]} | {a['alpha'][0]:.3f} | "
        f"{b['alpha'][0]:.3f} |")  # fmt: skip
    log(f"| PIDE test half with a Yard curve: rho(predicted log-kill, Yard's own ln(-ln SF 2 Gy)), in-sample | "
        f"{a['self'][1]} | {a['self'][0]:.3f} | {b['self'][0]:.3f} |")  # fmt: skip
    log(f"| Yard held-out lines: rho(predicted AUC, measured AUC) | {a['auc'][1]} | {a['auc'][0]:.3f} | "
        f"{b['auc'][0]:.3f} |")  # fmt: skip
    log(f"| Yard held-out lines: RMSE of SF at measured doses | {int(sel.sum())} | {a['rmse']:.4f} | {b['rmse']:.4f} |")
    log(f"| decided verdicts (of {a['n_verdicts']} mechanism x direction rows) | | {a['decided']} | {b['decided']} |")
    log(f"| decided radiation states (touched or untouched) | | {a['rad_decided']} | {b['rad_decided']} |")
    log(f"| final ELBO relative change (converged if <= 0.005) | | {a['diag']['elbo_relative_change']:.4f} | "
        f"{b['diag']['elbo_relative_change']:.4f} |")  # fmt: skip
    ratio = b["width"] / a["width"]
    log("")
    log(
        f"Radiation effect sizes ({len(rad_effects)} theta acting on radiotherapy): 90% interval width B / A median "
        f"{np.median(ratio):.3f} (range {ratio.min():.3f}-{ratio.max():.3f}; {int((ratio < 0.9).sum())} narrower by "
        f"more than 10%, {int((ratio > 1.1).sum())} wider by more than 10%)."
    )
    sig = draws(b["idata"], "sigma_pide")
    off = draws(b["idata"], "clono_offset")
    log("")
    log(
        f"Fit B's clonogenic terms: sigma_pide {np.median(sig):.3f} [{np.quantile(sig, 0.05):.3f}, "
        f"{np.quantile(sig, 0.95):.3f}], assay offset {np.median(off):.3f} [{np.quantile(off, 0.05):.3f}, "
        f"{np.quantile(off, 0.95):.3f}] (median [90% interval], log-kill)."
    )
    Path(args.out).write_text("\n".join(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
