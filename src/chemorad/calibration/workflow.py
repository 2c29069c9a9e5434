"""`chemorad calibrate` as a function: data -> fit -> posterior.nc, summary.json, summary.md (and the shipped copy).

The summary lists, per parameter group, the prior (catalog) value next to the posterior median and 90% credible
interval: effect sizes as folds (exp theta for fold and clearance effects), potencies as IC50 in uM, the noise of each
data set, each therapy's loading on the general-sensitivity term, the largest marker weights, and how many perturbation
entries the calibrated chain puts within 2-fold of the measured value (in-sample: the leave-one-experiment-out figure
is `chemorad perturbations --check --calibrated`), and the expected log predictive density of each data kind by
PSIS-LOO and WAIC (ArviZ on the stored log-likelihood, `infer.predictive_accuracy`). With PIDE's clonogenic curves
(`optional`), their noise sigma_pide is among the noise rows and the assay offset o_clono is reported.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from chemorad.calibration.data import DATASETS, CalibrationData
from chemorad.calibration.infer import Settings, predictive_accuracy, run
from chemorad.calibration.posterior import draws, save, shipped_path, thin_globals
from chemorad.calibration.spec import ChainSpec, chain_spec
from chemorad.catalog.load import Catalog
from chemorad.errors import ChemoradError
from chemorad.io_atomic import write_text


def calibrate(
    cat: Catalog,
    data: str | os.PathLike[str] | None,
    out: str | os.PathLike[str],
    settings: Settings | None = None,
    ship: bool = False,
    progress=None,
    optional: tuple[str, ...] = (),
) -> dict:
    """Fit the calibration on the bundle and write `out`/posterior.nc, summary.json and summary.md; with `ship`, also
    the thinned global posterior to the package (`posterior.shipped_path`). `optional`: optional data sets to add
    (PIDE's clonogenic curves; never with `ship`: the shipped posterior is reproducible from the repository's data
    alone). Returns the summary."""
    from chemorad.calibration.data import bundle_data

    if ship and optional:
        raise ChemoradError(ship_refusal(optional))
    say = progress or (lambda _m: None)
    settings = settings or Settings()
    spec = chain_spec(cat)
    d = bundle_data(cat, spec, data, progress=say, optional=tuple(optional))
    say(
        f"{d.n_lines} lines, {len(d.obs_value)} drug responses in {len(d.columns)} columns, {len(d.yard_sf)} Yard "
        f"surviving fractions, {len(d.clono_value)} clonogenic curves, {len(d.pert_ln_fold)} perturbation entries, "
        f"{spec.n_effects} effect parameters"
    )
    idata, diag = run(spec, d, settings, progress=say)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    save(idata, out / "posterior.nc")
    summ = summary(spec, d, idata, diag)
    write_text(out / "summary.json", json.dumps(summ, indent=1, default=float) + "\n")
    write_text(out / "summary.md", summary_markdown(summ))
    if ship:
        save(thin_globals(idata), shipped_path(), compress=True)
    return summ


def ship_refusal(optional) -> str:
    """Why `--ship` is refused with optional data sets (one line)."""
    names = ", ".join(optional)
    return (
        f"--ship with --with-optional {names}: the shipped posterior must be reproducible from the repository's data "
        f"alone and {names} may not be redistributed; calibrate with it into --out without --ship"
    )


def _q(x: np.ndarray) -> tuple[float, float, float]:
    return float(np.median(x)), float(np.quantile(x, 0.05)), float(np.quantile(x, 0.95))


def summary(spec: ChainSpec, d: CalibrationData, idata, diag: dict) -> dict:
    """Prior next to posterior for each parameter group (module docstring)."""
    from chemorad.calibration import forward as F
    from chemorad.calibration.model import perturbation_ln_rf

    F.use_float64()
    theta = draws(idata, "theta")
    effects = []
    for e, name in enumerate(spec.effect_name):
        conv = np.exp if spec.effect_fold[e] else (lambda x: x)
        med, lo, hi = _q(conv(theta[:, e]))
        effects.append(
            {
                "effect": name,
                "catalog": float(conv(spec.effect_prior_mean[e])),
                "prior_sd": float(spec.effect_prior_sd[e]),
                "posterior": med,
                "low": lo,
                "high": hi,
                "scale": "fold" if spec.effect_fold[e] else "increment",
            }
        )
    ic = draws(idata, "ln_ic50")
    potency = [
        {"therapy": t, "catalog_ic50_um": float(np.exp(spec.ln_ic50[i])) if spec.has_ic50[i] else None}
        | dict(zip(("ic50_um", "low", "high"), _q(np.exp(ic[:, i])), strict=True))
        for i, t in enumerate(spec.therapies)
        if not spec.is_radiation[i]
    ]
    noise = {k: _q(draws(idata, f"sigma_{k}")) for k in (*DATASETS, "pert") if f"sigma_{k}" in idata.posterior}
    loading = {t: _q(draws(idata, "loading")[:, i]) for i, t in enumerate(spec.therapies)}
    w = draws(idata, "w")
    pairs = [str(x) for x in idata.posterior["pair"].values]
    top = np.argsort(-np.abs(np.median(w, axis=0)))[:15]
    markers = [{"pair": pairs[k]} | dict(zip(("w", "low", "high"), _q(w[:, k]), strict=True)) for k in top]
    pert = {}
    if len(d.pert_ln_fold):
        S = theta.shape[0]
        pick = np.linspace(0, S - 1, min(S, 50)).astype(int)
        la, lb = draws(idata, "ln_alpha"), draws(idata, "ln_beta")
        A0 = np.zeros((1, len(spec.mechanisms)))
        lr = np.stack(
            [np.asarray(perturbation_ln_rf(spec, F.ChainParams(theta[s], ic[s], la[s], lb[s]), d, A0)) for s in pick]
        )
        med = np.median(lr, axis=0)
        within = np.abs(med - d.pert_ln_fold) <= np.log(2.0)
        rad = spec.is_radiation[d.pert_therapy]
        pert = {
            "entries": int(len(within)),
            "within_2_fold": int(within.sum()),
            "radiation": f"{int(within[rad].sum())}/{int(rad.sum())}",
            "drugs": f"{int(within[~rad].sum())}/{int((~rad).sum())}",
            "note": "in-sample (the entries are in the likelihood)",
        }
    return {
        "diagnostics": diag,
        "data": {
            "lines": d.n_lines,
            "drug_responses": int(len(d.obs_value)),
            "columns": len(d.columns),
            "yard_surviving_fractions": int(len(d.yard_sf)),
            "perturbation_entries": int(len(d.pert_ln_fold)),
            "clonogenic_curves": int(len(d.clono_value)),
            "clonogenic_lines": int(len(np.unique(d.clono_line))),
        },
        "noise": noise,
        "clonogenic_offset": _q(draws(idata, "clono_offset")) if "clono_offset" in idata.posterior else None,
        "loading": loading,
        "tissue_sd": _q(draws(idata, "tau_tissue")),
        "tissue_therapy_sd": _q(draws(idata, "tau_tissue_therapy")),
        "effects": effects,
        "potency": potency,
        "top_marker_weights": markers,
        "perturbations_in_sample": pert,
        "predictive_accuracy": predictive_accuracy(idata),
    }


def summary_markdown(s: dict) -> str:
    diag = ", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in s["diagnostics"].items())
    lines = ["# Calibration summary", "", f"Diagnostics: {diag}", "", f"Data: {s['data']}", ""]
    lines += ["## Noise per data set (median, 90% CI)", ""]
    lines += [f"- {k}: {m:.3g} [{lo:.3g}, {hi:.3g}]" for k, (m, lo, hi) in s["noise"].items()]
    if s.get("clonogenic_offset"):
        m, lo, hi = s["clonogenic_offset"]
        lines.append(f"- clonogenic assay offset (log-kill at 2 Gy): {m:.3g} [{lo:.3g}, {hi:.3g}]")
    lines += ["", "## Effect sizes: catalog -> posterior (90% CI)", ""]
    eff = pd.DataFrame(s["effects"])
    eff["shift"] = np.abs(np.log(np.abs(eff["posterior"]) + 1e-12) - np.log(np.abs(eff["catalog"]) + 1e-12))
    lines.append(eff.to_markdown(index=False, floatfmt=".3g") if _has_tabulate() else eff.to_string(index=False))
    if s["perturbations_in_sample"]:
        lines += ["", f"Perturbations (in-sample): {s['perturbations_in_sample']}"]
    if s.get("predictive_accuracy"):
        lines += ["", "## Expected log predictive density (ArviZ PSIS-LOO and WAIC)", ""]
        lines += [
            f"- {k} (n {v['n']}): elpd_loo {v['elpd_loo']:.1f} (se {v['se_loo']:.1f}, p_loo {v['p_loo']:.1f}, "
            f"{v['pareto_k_above_0.7']} with Pareto k > 0.7); elpd_waic {v['elpd_waic']:.1f} (p_waic {v['p_waic']:.1f})"
            for k, v in s["predictive_accuracy"].items()
        ]
    return "\n".join(lines) + "\n"


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401
    except ImportError:
        return False
    return True
